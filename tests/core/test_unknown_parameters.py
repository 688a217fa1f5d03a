"""Unknown query parameters answer 400 on every GET under /api/v1/ (issue #14, "Nothing says what needs doing"): a
typo such as `?stauts=issued` used to return the whole, unfiltered list as if it had been applied.

What an endpoint accepts is exactly what its OpenAPI operation documents (core/query_parameters.py), so the pages,
Swagger UI, the schema's own `?format=` and the downloads' documented `from`/`to`/`state` keep working."""

import re

import pytest

from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db

V = "/api/v1"


def _assert_unknown(response, *names):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "unknown_parameter"
    assert set(body["fields"]) == set(names)
    assert all("accepts" in messages[0] for messages in body["fields"].values())


def test_a_misspelt_filter_is_refused_instead_of_listing_everything(staff_client, agency_a, agency_b):
    OfficerFactory(agency=agency_a)
    OfficerFactory(agency=agency_b)
    response = staff_client.get(f"{V}/officers/", {"agnecy": agency_a.pk})
    _assert_unknown(response, "agnecy")
    assert "agency" in response.json()["message"]  # the message names what the endpoint does accept


def test_every_unknown_name_is_reported_and_known_ones_are_not(staff_client):
    response = staff_client.get(f"{V}/certification/findings/", {"status": "noticed", "sort": "x", "q": "y"})
    _assert_unknown(response, "sort", "q")


def test_documented_parameters_still_work(staff_client, agency_a):
    officer = OfficerFactory(agency=agency_a, last_name="Okafor")
    query = {"agency": agency_a.pk, "state": "CA", "name": "oka", "search": "okafor", "ordering": "-name",
             "page": 1, "page_size": 5}
    response = staff_client.get(f"{V}/officers/", query)
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [officer.pk]


def test_detail_endpoints_take_no_query_parameters(staff_client, officer_a):
    _assert_unknown(staff_client.get(f"{V}/officers/{officer_a.pk}/", {"expand": "all"}), "expand")
    assert staff_client.get(f"{V}/officers/{officer_a.pk}/").status_code == 200


def test_public_endpoints_refuse_them_too(anon_client):
    _assert_unknown(anon_client.get(f"{V}/public/officers/", {"q": "smith", "state": "CA"}), "state")
    assert anon_client.get(f"{V}/public/officers/", {"q": "smith"}).status_code == 200


def test_the_downloads_keep_their_documented_parameters(staff_client, officer_a):
    roster = staff_client.get(f"{V}/training/reports/state-roster.csv",
                              {"state": "CA", "from": "2026-01-01", "to": "2026-12-31"}, HTTP_ACCEPT="text/csv")
    assert roster.status_code == 200
    transcript = staff_client.get(f"{V}/training/officers/{officer_a.pk}/transcript/",
                                  {"from": "2026-01-01", "to": "2026-12-31", "state": "CA"})
    assert transcript.status_code == 200, transcript.content
    _assert_unknown(staff_client.get(f"{V}/training/reports/state-roster.csv",
                                     {"state": "CA", "from": "2026-01-01", "to": "2026-12-31", "since": "x"},
                                     HTTP_ACCEPT="text/csv"), "since")


def test_schema_swagger_ui_and_pages_keep_their_own_parameters(client, anon_client):
    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/verify/", {"code": "NOPE"}).status_code in (200, 404)
    reviewer_page = client.get("/feedback/not-a-real-link/", {"saved": "1"})  # the reviewer form's own parameter
    assert reviewer_page.status_code != 400 and reviewer_page["Content-Type"].startswith("text/html")
    # A POST's query string is not a filter: only GET is checked.
    response = anon_client.post(f"{V}/auth/token/?next=/", {"username": "nobody", "password": "x"}, format="json")
    assert response.status_code == 401


def test_head_is_checked_like_get(staff_client):
    assert staff_client.head(f"{V}/officers/", {"colour": "red"}).status_code == 400


def test_every_get_operation_in_the_schema_refuses_an_unknown_parameter(staff_client):
    """The mechanism is one middleware, so no GET endpoint is forgotten; it runs before the view, so a path id
    that does not exist still gets the 400 (the parameter is wrong whatever the id)."""
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    checked = 0
    for path, operations in schema["paths"].items():
        if "get" not in operations or not path.startswith(f"{V}/"):
            continue
        url = re.sub(r"\{[^}]+\}", "999999", path)
        documented = {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"}
        assert "zz_unknown" not in documented
        _assert_unknown(staff_client.get(url, {"zz_unknown": "1"}, HTTP_ACCEPT="*/*"), "zz_unknown")
        checked += 1
    assert checked > 40


def test_what_is_accepted_is_what_the_schema_documents(staff_client):
    """schemathesis (tests/core/test_api_fuzzing.py) sends only documented parameters; every one is accepted by
    name (a bad value may still be a 400 validation_error, never unknown_parameter)."""
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][f"{V}/training/completions/"]["get"]
    for parameter in operation["parameters"]:
        if parameter["in"] != "query":
            continue
        response = staff_client.get(f"{V}/training/completions/", {parameter["name"]: "1"})
        assert response.status_code == 200 or response.json()["code"] != "unknown_parameter", parameter["name"]
