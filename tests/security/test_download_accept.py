"""Every file download in the URL conf (a view with core.uploads.DownloadNegotiationMixin) answers 200 to the Accept
header its documentation names (what Swagger UI sends), to its own type and to */*; errors stay JSON. DRF alone
answers 406 when a client asks for the very type the endpoint documents."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.uploads import DownloadNegotiationMixin
from tests.conftest import jwt_client

from .bodies import query_for
from .matrix import MATRIX
from .routes import PLACEHOLDER, api_routes, url_for

pytestmark = pytest.mark.django_db


def download_routes():
    routes = []
    for route in api_routes():
        view_class = getattr(route.view, "cls", None) or getattr(route.view, "view_class", None)
        if view_class is not None and issubclass(view_class, DownloadNegotiationMixin):
            routes.append(route)
    return routes


def _openapi_path(route) -> str:
    return "/" + PLACEHOLDER.sub(lambda m: "{" + m["name"] + "}", route.pattern)


def download_views() -> list[str]:
    """The OpenAPI paths of every download endpoint (also used by tests/core/test_schema_outside_validators.py)."""
    return [_openapi_path(route) for route in download_routes()]


DOCUMENTED = {}


def documented_types(path: str) -> set[str]:
    if not DOCUMENTED:
        schema = SchemaGenerator().get_schema(request=None, public=True)
        DOCUMENTED.update({p: set(item["get"]["responses"]["200"]["content"]) for p, item in schema["paths"].items()
                           if "get" in item and "200" in item["get"]["responses"]})
    return DOCUMENTED[path]


def _downloader(route) -> str:
    """A role the access matrix gives 200 on this route (anon first: a public download needs no token)."""
    cells = MATRIX[route.key("get")]
    return next(role for role in ("anon", "staff", "admin_a", "officer") if cells.get(role) == 200)


ROUTES = {route.key("get"): route for route in download_routes()}


def test_every_download_in_the_url_conf_is_covered():
    # The five the issue named, and every one added since (roster and completion exports, stored documents).
    keys = set(ROUTES)
    assert {"GET /api/v1/certification/plaques/<int:plaque_id>/plaque.pdf",
            "GET /api/v1/training/completions/<int:completion_id>/certificate.pdf",
            "GET /api/v1/training/reports/state-roster.csv",
            "GET /api/v1/evaluations/cycles/<int:cycle_id>/report.pdf",
            "GET /api/v1/public/revocations.csv"} <= keys
    assert all(key in MATRIX for key in keys), sorted(keys - set(MATRIX))


@pytest.mark.parametrize("key", sorted(ROUTES))
@pytest.mark.parametrize("accept", ["documented", "own", "*/*", None])
def test_downloads_honour_their_documented_accept_header(world, key, accept):
    route = ROUTES[key]
    role = _downloader(route)
    client = APIClient() if role == "anon" else jwt_client(world.users[role])
    path, query = url_for(world, route), query_for(world, key)
    documented = documented_types(_openapi_path(route))
    assert "application/json" not in documented
    # The file's own type: what the endpoint answers without an Accept header.
    own = client.get(path, query)["Content-Type"].split(";")[0]
    assert own in documented, (key, own, documented)
    headers = {
        "documented": {"HTTP_ACCEPT": sorted(documented)[0]},  # a type the docs list (Swagger UI sends one of them)
        "own": {"HTTP_ACCEPT": own},
        "*/*": {"HTTP_ACCEPT": "*/*"},
        None: {},
    }[accept]
    response = client.get(path, query, **headers)
    assert response.status_code == 200, (key, accept, response.status_code)
    assert response["Content-Type"].split(";")[0] == own
    if key.endswith(".pdf") or key.endswith("/download/"):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, key


def test_pdf_and_csv_downloads_answer_their_named_type(world):
    for key, route in ROUTES.items():
        if key.endswith((".pdf", ".csv")):
            role = _downloader(route)
            client = APIClient() if role == "anon" else jwt_client(world.users[role])
            kind = "application/pdf" if key.endswith(".pdf") else "text/csv"
            response = client.get(url_for(world, route), query_for(world, key), HTTP_ACCEPT=kind)
            assert response.status_code == 200 and response["Content-Type"].startswith(kind), key


def test_a_download_error_is_still_json_whatever_the_accept(world):
    client = jwt_client(world.users["staff"])
    response = client.get("/api/v1/certification/plaques/999999999/plaque.pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
