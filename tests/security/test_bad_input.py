"""Bad input to every write endpoint (POST/PUT/PATCH in the URL conf), sent by a role that may write it: malformed
JSON, a JSON array instead of an object, a wrong type for each declared field, a 100 000-character string for each
string field, unknown ids (999999999) for id fields and in the path, and an oversized file for uploads.

Every case must answer a 4xx whose JSON has exactly the keys code/message/fields, never a 5xx, and write no row in
any table of the project (per-table row counts of every model, core.AuditEvent included, before and after).
The request bodies declared per field come from the OpenAPI document generated in-process.
"""

import json

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import override_settings
from drf_spectacular.generators import SchemaGenerator

from .bodies import PDF, body_for
from .conftest import rolled_back
from .routes import MISSING_ID, PLACEHOLDER, api_routes, url_for

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "fields"}
HUGE = "x" * 100_000
WRITE_METHODS = ("post", "put", "patch")

# Who sends the bad input: a role that may write the endpoint (see test_access_matrix.MATRIX).
WRITER = {
    "POST /api/v1/auth/token/": "anon",
    "POST /api/v1/auth/token/refresh/": "anon",
    "POST /api/v1/auth/logout/": "anon",
    "POST /api/v1/training/sessions/<int:session_id>/attendance/": "instructor",
    "POST /api/v1/coaching/agreements/<int:agreement_id>/sessions/": "coach",
    "PUT /api/v1/feedback/<str:token>/": "reviewer",
    "POST /api/v1/feedback/<str:token>/": "reviewer",
}
DEFAULT_WRITER = "staff"

# Fields that name another object by id (their unknown-id case sends 999999999, or [999999999] for a list).
ID_FIELDS = {"agency", "officer", "programme", "course", "subject", "instrument", "coachee", "coach", "user",
             "former_agency", "source_cycle_id", "baseline_cycle_id", "officer_ids", "needs_assessment_ids",
             "conflicts", "instructors", "same_person_as"}

# Documented 2xx answers to a case (still nothing may be written):
ACCEPTED = {
    # Enrolment answers per officer: an unknown officer comes back "refused: unknown_officer" in a 200.
    ("POST /api/v1/training/sessions/<int:session_id>/enrollments/", "unknown id officer_ids"):
        "per-officer outcomes by design",
}

# Upload size limits lowered for the oversized-file cases (the real ones are 10 and 25 MB).
SMALL_LIMITS = {"MAX_UPLOAD_BYTES": 1024, "TOOLKIT_MAX_FILE_BYTES": 1024}
BIG_FILE = 4096


# --- the OpenAPI document -------------------------------------------------------------------------------------

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
COMPONENTS = SCHEMA["components"]["schemas"]


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = COMPONENTS[node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(node["allOf"][0])
    if "oneOf" in node:  # a nullable enum: the enum and a null
        concrete = [option for option in node["oneOf"] if option.get("type") != "null" and "$ref" in option]
        if concrete:
            return _resolve(concrete[0])
    return node


def request_body_schema(route, method) -> tuple[str | None, dict]:
    """(media type, resolved object schema) of the operation's request body; (None, {}) when it has none."""
    path = "/" + PLACEHOLDER.sub(lambda m: "{" + m["name"] + "}", route.pattern)
    operation = SCHEMA["paths"].get(path, {}).get(method)
    assert operation is not None, f"{method.upper()} {path} is missing from the OpenAPI document"
    content = (operation.get("requestBody") or {}).get("content") or {}
    for media in ("application/json", "multipart/form-data"):
        if media in content:
            return media, _resolve(content[media]["schema"])
    return None, {}


def wrong_value(prop: dict):
    """A value of the wrong type for a declared property, or None when any JSON value is acceptable."""
    prop = _resolve(prop)
    if "enum" in prop:
        return "not-one-of-the-choices"
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        if fmt in {"date", "date-time", "email", "uri", "decimal", "uuid"}:
            return f"not-a-{fmt}"
        if fmt == "binary":
            return None
        return {"an": "object"}
    return {"integer": "not-a-number", "number": "not-a-number", "boolean": "perhaps", "array": "not-a-list",
            "object": ["not", "an", "object"]}.get(kind)


# --- what is written ----------------------------------------------------------------------------------------------

def _tables() -> list[str]:
    tables = {m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy}
    return sorted(tables)


def row_counts() -> dict[str, int]:
    tables = _tables()
    quote = connection.ops.quote_name
    # Table names come from the models (quoted), never from input.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


# --- the cases ----------------------------------------------------------------------------------------------------

def build_cases(world, key, route, method) -> list[tuple[str, dict]]:
    """[(name, request kwargs)] for one write endpoint."""
    media, schema = request_body_schema(route, method)
    url = url_for(world, route)
    cases = []
    if any(conv == "int" for conv, _ in route.placeholders):
        base, fmt = body_for(world, key)
        cases.append(("unknown id in the path", {"path": url_for(world, route, missing=True), "data": base,
                                                   "format": fmt}))
    if "<str:token>" in route.pattern:
        cases.append(("unknown link token", {"path": url.replace(world.reviewer_token, "no-such-token"),
                                             "data": {}, "format": "json"}))
    if media is None:
        return cases  # the endpoint takes no body: it never reads one
    cases.append(("malformed JSON", {"path": url, "data": b'{"field": "value",', "content_type": "application/json"}))
    cases.append(("JSON array instead of an object", {"path": url, "data": b"[1, 2, 3]",
                                                      "content_type": "application/json"}))
    properties = schema.get("properties", {})
    multipart = media == "multipart/form-data"
    for name, prop in properties.items():
        if prop.get("readOnly"):
            continue
        resolved = _resolve(prop)

        def with_field(value, name=name):
            data, fmt = body_for(world, key)
            data = dict(data or {})
            data[name] = value
            return {"path": url, "data": data, "format": fmt}

        if multipart:
            if resolved.get("type") == "string" and resolved.get("format") != "binary":
                cases.append((f"huge string {name}", with_field(HUGE)))
            if name in ID_FIELDS:
                cases.append((f"unknown id {name}", with_field(str(MISSING_ID))))
            continue
        wrong = wrong_value(prop)
        if wrong is not None:
            cases.append((f"wrong type {name}", with_field(wrong)))
        if resolved.get("type") == "string" and resolved.get("format") != "binary":
            cases.append((f"huge string {name}", with_field(HUGE)))
        if resolved.get("type") == "array" and _resolve(resolved.get("items", {})).get("type") == "string":
            cases.append((f"huge string in list {name}", with_field([HUGE])))
        if name in ID_FIELDS:
            cases.append((f"unknown id {name}", with_field([MISSING_ID] if resolved.get("type") == "array"
                                                          else MISSING_ID)))
    if key.endswith("/attendance/"):
        cases.append(("unknown id records.officer_id", {"path": url, "format": "json", "data": {
            "records": [{"officer_id": MISSING_ID, "status": "attended"}]}}))
    if multipart:
        for name, prop in properties.items():
            if _resolve(prop).get("format") == "binary":
                cases.append((f"oversized file {name}", {**with_field(_big_file(key)), "settings": SMALL_LIMITS}))
                cases.append((f"not a file {name}", with_field("just text")))
    return cases


def _big_file(key):
    if "resources" in key or "document" in key:
        return SimpleUploadedFile("big.pdf", PDF + b"%" * BIG_FILE, "application/pdf")
    return SimpleUploadedFile("big.csv", b"license_number,first_name,last_name\n" + b"x" * BIG_FILE, "text/csv")


def _send(client, method, case):
    kwargs = {k: v for k, v in case.items() if k not in {"path", "settings"}}
    if "data" in kwargs and isinstance(kwargs["data"], bytes):
        kwargs["data"] = kwargs["data"].decode()
    with override_settings(**case.get("settings", {})):
        return getattr(client, method)(case["path"], **kwargs)


def _excerpt(response) -> str:
    return (response.content or b"")[:300].decode("utf-8", "replace")


ROUTES = {route.key(m): (route, m) for route in api_routes() for m in route.methods
          if m in WRITE_METHODS and not route.pattern.startswith("^")}
KEYS = sorted(ROUTES)
CASE_TOTAL = []


@pytest.mark.parametrize("key", KEYS)
def test_bad_input_is_refused_with_the_error_shape_and_writes_nothing(world, key):
    route, method = ROUTES[key]
    role = WRITER.get(key, DEFAULT_WRITER)
    client = world.clients["anon" if role == "reviewer" else role]  # the link is the reviewer's credential
    cases = build_cases(world, key, route, method)
    CASE_TOTAL.append(len(cases))
    problems = []
    for name, case in cases:
        with rolled_back():
            before = row_counts()
            response = _send(client, method, case)
            written = {t: n - before[t] for t, n in row_counts().items() if n != before[t]}
        where = f"{key} [{name}] as {role}"
        status = response.status_code
        if written:
            problems.append(f"{where}: {status}, rows written: {written}: {_excerpt(response)}")
        if (key, name) in ACCEPTED and 200 <= status < 300:
            continue
        if not 400 <= status < 500:
            problems.append(f"{where}: got {status}, expected a 4xx: {_excerpt(response)}")
            continue
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict) or set(body) != ERROR_KEYS:
            problems.append(f"{where}: {status} without exactly code/message/fields: {_excerpt(response)}")
    print(f"\n{key}: {len(cases)} bad-input cases")
    assert not problems, "\n".join(problems)


def test_every_write_endpoint_is_covered():
    """A new write route gets bad-input cases automatically; this guards the writer table against stale keys."""
    stale = sorted(set(WRITER) - set(KEYS))
    assert not stale, f"WRITER names routes that no longer exist: {stale}"
    assert KEYS, "no write endpoints found"
