"""The OpenAPI document as tools from outside the project read it: openapi-spec-validator accepts it, no value is
ambiguous between `oneOf` branches, every operation is tagged, summarised and described, the docs page explains
tokens, downloads declare their file type, and the main writes carry realistic request examples."""

import json
import re

import openapi_schema_validator
import pytest
from django.conf import settings
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def walk(node, path=""):
    """Every dict in the document, with its JSON path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def test_openapi_spec_validator_accepts_the_schema(spec):
    validate(spec)  # raises OpenApiValidationError with the first problem


def test_no_default_breaks_its_own_schema(spec):
    # The six errors the validator found: `default: ""` inside a branch whose pattern refuses "".
    for path, node in walk(spec["components"]):
        if node.get("default") == "" and "pattern" in node:
            assert re.search(node["pattern"], ""), path


def _string_branch_matches(branch: dict, value: str) -> bool:
    """Does `value` match a string branch when formats are not checked (as many validators do)?"""
    if branch.get("type") != "string":
        return False
    if len(value) > branch.get("maxLength", len(value)) or len(value) < branch.get("minLength", 0):
        return False
    return "pattern" not in branch or re.search(branch["pattern"], value) is not None


def test_no_one_of_is_told_apart_only_by_format(spec):
    ambiguous = []
    for path, node in walk(spec):
        options = node.get("oneOf")
        if not isinstance(options, list):
            continue
        strings = [option for option in options if option.get("type") == "string"]
        if any("format" in option for option in strings) and len(strings) > 1:
            ambiguous.append(path)
        for value in ("", "x", "a@example.org", "https://example.org"):
            if sum(_string_branch_matches(option, value) for option in strings) > 1:
                ambiguous.append(f"{path} ({value!r})")
    assert ambiguous == []


def test_blank_e_mail_and_url_fields_are_one_string(spec):
    schemas = spec["components"]["schemas"]
    email = schemas["CoacheeOutput"]["properties"]["email"]
    assert email["type"] == "string" and "oneOf" not in email and "e-mail" in email["description"]
    meeting_url = schemas["TrainingSessionInputRequest"]["properties"]["meeting_url"]
    assert meeting_url["type"] == "string" and "oneOf" not in meeting_url


def test_tags_are_listed_with_descriptions_and_every_operation_has_one(spec):
    listed = {tag["name"]: tag.get("description", "") for tag in spec["tags"]}
    assert all(listed.values()), [name for name, text in listed.items() if not text]
    untagged = [name for name, operation in operations(spec) if not operation.get("tags")]
    unknown = sorted({f"{name}: {tag}" for name, operation in operations(spec) for tag in operation.get("tags", [])
                      if tag not in listed})
    assert untagged == [] and unknown == []


def test_servers_are_declared(spec):
    [server] = spec["servers"]
    assert server["url"] == settings.PUBLIC_BASE_URL and server["url"].startswith("http")
    assert server["description"]


def test_every_operation_has_a_summary_and_a_description(spec):
    missing = [f"{name}: {what}" for name, operation in operations(spec) for what in ("summary", "description")
               if not (operation.get(what) or "").strip()]
    assert missing == []


def test_every_operation_id_is_unique(spec):
    ids = [operation["operationId"] for _, operation in operations(spec)]
    assert len(ids) == len(set(ids))


def test_the_docs_page_explains_tokens_with_the_configured_lifetimes(spec):
    text = spec["info"]["description"]
    access = int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() // 60)
    refresh = int(settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds() // 3600)
    assert "/api/v1/auth/token/" in text and "/api/v1/auth/token/refresh/" in text
    assert f"{access} minutes" in text and f"{refresh} hours" in text
    assert "JWT_ACCESS_MINUTES" in text and "JWT_REFRESH_HOURS" in text
    assert "Authorization: Bearer" in text


def test_downloads_declare_their_file_type_not_json(spec):
    from tests.security.test_download_accept import download_views

    assert download_views(), "no download views found in the URL conf"
    for path in download_views():
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert "application/json" not in content, path
        assert content and all(kind != "*/*" for kind in content), path
        for kind, media in content.items():
            # Files are binary strings; CSV is text (a string) - either way never a JSON object.
            expected = {"type": "string"} if kind == "text/csv" else {"type": "string", "format": "binary"}
            assert media["schema"] == expected, (path, kind)


def test_pdf_and_csv_downloads_name_their_type(spec):
    for path, item in spec["paths"].items():
        if path.endswith(".pdf"):
            assert set(item["get"]["responses"]["200"]["content"]) == {"application/pdf"}, path
        if path.endswith(".csv"):
            assert set(item["get"]["responses"]["200"]["content"]) == {"text/csv"}, path


EXAMPLED = [
    "POST /api/v1/auth/token/",
    "POST /api/v1/officers/",
    "POST /api/v1/officers/import/",
    "POST /api/v1/training/courses/",
    "POST /api/v1/training/sessions/",
    "POST /api/v1/training/sessions/{session_id}/enrollments/",
    "POST /api/v1/certification/agency-certifications/",
    "POST /api/v1/certification/agency-certifications/{certification_id}/issue/",
    "POST /api/v1/certification/findings/",
    "POST /api/v1/certification/findings/{finding_id}/notice/",
    "POST /api/v1/certification/findings/{finding_id}/response/",
    "POST /api/v1/certification/findings/{finding_id}/determine/",
    "POST /api/v1/certification/findings/{finding_id}/verify/",
    "POST /api/v1/evaluations/cycles/",
    "POST /api/v1/coaching/needs-assessments/",
]
# drf-spectacular's placeholder, or a long run of letters and digits that reads as generated.
RANDOM_LOOKING = re.compile(r"^(string|[A-Za-z0-9]{20,})$")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("name", EXAMPLED)
def test_main_writes_carry_realistic_request_examples(spec, name):
    method, path = name.split(" ", 1)
    operation = spec["paths"][path][method.lower()]
    body = operation.get("requestBody")
    if body is None:  # an action without a body (notice, verify): nothing to exemplify, but say so
        assert method == "POST" and operation["description"]
        return
    examples = [example for media in body["content"].values() for example in media.get("examples", {}).values()]
    assert examples, f"{name} has no request example"
    for media_type, media in body["content"].items():
        for example in media.get("examples", {}).values():
            values = list(_strings(example["value"]))
            assert not [value for value in values if RANDOM_LOOKING.match(value)], (name, values)
            if media_type == "application/json":  # the example is valid input, as the schema says
                schema = {**media["schema"], "components": spec["components"]}
                openapi_schema_validator.validate(example["value"], schema, cls=OAS30Validator)


def test_enums_are_named_one_way(spec):
    # Every published choice set has a deliberate name (config.settings ENUM_NAME_OVERRIDES), never a numbered one.
    enums = sorted(name for name, schema in spec["components"]["schemas"].items() if "enum" in schema)
    named = set(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])
    assert [name for name in enums if re.search(r"\d", name) or name not in named] == []
