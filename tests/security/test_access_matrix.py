"""The access matrix: every route under /api/ in the URL conf x every method its view implements x every role,
with the path filled with agency A's objects. A route without a matrix entry fails.

The rule the code follows (core/permissions.py, each app's selectors.py):
- no or an invalid credential on an authenticated route: 401;
- a role the view's permission class refuses: 403 (checked before any object is looked up);
- a role the permission class admits but whose selector does not contain the object: 404, the same body as for an
  id that exists nowhere (admin of B on agency A's objects, an instructor or a coach outside their sessions and
  agreements);
- a role that sees the object but may not do that to it (a service rule such as "only staff issue"): 403;
- a role that may act but the object's state refuses (issuing an application with unmet requirements): 409.
  Those 409s are declared per cell: the cell still proves the request passed every access check.

Each request runs in a savepoint that is rolled back, so every cell sees the same world.
"""

import pytest

from .bodies import body_for, query_for
from .conftest import rolled_back
from .matrix import CATALOGUE, ERROR_KEYS, HTML_ROUTES, LISTERS, MATRIX, C, E, V, list_scope
from .routes import api_routes, url_for
from .world import ROLES

pytestmark = pytest.mark.django_db


# --- the test ----------------------------------------------------------------------------------------------------

ROUTES = {route.key(method): (route, method) for route in api_routes() for method in route.methods}
KEYS = sorted(ROUTES)


def test_every_route_has_a_matrix_entry_and_every_entry_a_route():
    missing = [key for key in KEYS if key not in MATRIX]
    stale = sorted(set(MATRIX) - set(KEYS))
    assert not missing, "add a matrix entry for: " + ", ".join(missing)
    assert not stale, "matrix entries for routes that no longer exist: " + ", ".join(stale)
    routes = api_routes()
    print(f"\naccess matrix: {len(routes)} routes, {len(KEYS)} route-methods, {len(ROLES)} roles, "
          f"{len(KEYS) * len(ROLES)} cells")


def _send(client, method, url, world, key):
    data, fmt = body_for(world, key)
    query = query_for(world, key)
    if method == "get":
        return client.get(url, query)
    if query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(query)}"
    return getattr(client, method)(url, data, format=fmt)


def _excerpt(response) -> str:
    content = getattr(response, "content", b"") or b""
    return content[:300].decode("utf-8", "replace")


def _json(response):
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/json"):
        return response.json()
    if "yaml" in content_type or "openapi" in content_type:  # the schema view answers YAML, its errors too
        import yaml

        return yaml.safe_load(response.content)
    return None


def _check_cell(world, key, route, method, role, expected, problems):
    url = url_for(world, route)
    with rolled_back():
        response = _send(world.clients[role], method, url, world, key)
    got = response.status_code
    where = f"{key} as {role}"
    if got != expected:
        problems.append(f"{where}: got {got}, expected {expected}: {_excerpt(response)}")
        return
    body = _json(response)
    if got >= 400 and key not in HTML_ROUTES and (not isinstance(body, dict) or set(body) != ERROR_KEYS):
        problems.append(f"{where}: {got} without the error shape {{code, message, fields}}: {_excerpt(response)}")
    if got == 404 and role == "admin_b" and route.placeholders and not route.pattern.startswith("^"):
        with rolled_back():
            missing = _send(world.clients[role], method, url_for(world, route, missing=True), world, key)
        if (missing.status_code, _json(missing)) != (got, body):
            problems.append(f"{where}: A's object answers {got} {body}, a missing id {missing.status_code} "
                            f"{_json(missing)}: not the same 404")
    if method == "get" and got == 200 and role in LISTERS and isinstance(body, dict) and "results" in body:
        scope = list_scope(world, key)
        if scope is None:
            problems.append(f"{where}: a list with no scope declared in list_scope(): say which rows it may show")
        elif scope is not CATALOGUE:
            guarded, allowed = scope
            returned = {row.get("id") for row in body["results"] if isinstance(row, dict)}
            leaked = (returned & guarded) - allowed[role]
            if leaked:
                problems.append(f"{where}: the list contains ids it must not show: {sorted(leaked)}")


@pytest.mark.parametrize("key", KEYS, ids=[f"{k} [{len(ROLES)} cells]" for k in KEYS])
def test_access_matrix(world, key):
    if key not in MATRIX:
        pytest.fail(f"add a matrix entry for {key}")
    route, method = ROUTES[key]
    problems = []
    for role in ROLES:
        _check_cell(world, key, route, method, role, MATRIX[key][role], problems)
    assert not problems, "\n".join(problems)


EXTRA_LISTS = [  # filters that name agency A: admin B must still see none of A's rows
    (f"{V}/officers/", "agency", "GET /api/v1/officers/"),
    (f"{C}/findings/", "agency", f"GET {C}/findings/"),
    (f"{C}/agency-certifications/", "agency", f"GET {C}/agency-certifications/"),
    (f"{E}/cycles/", "agency", f"GET {E}/cycles/"),
    (f"{C}/officer-certifications/", "agency", f"GET {C}/officer-certifications/"),
]


@pytest.mark.parametrize(("url", "param", "key"), EXTRA_LISTS, ids=[u for u, _, _ in EXTRA_LISTS])
def test_admin_b_filtering_by_agency_a_sees_none_of_its_rows(world, url, param, key):
    response = world.clients["admin_b"].get(url, {param: world.a.agency.pk})
    assert response.status_code in (200, 400), _excerpt(response)
    if response.status_code == 200:
        guarded, _ = list_scope(world, key)
        assert not ({row["id"] for row in response.json()["results"]} & guarded)
