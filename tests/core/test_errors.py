"""One error shape for every 4xx, and client mistakes never become 500s."""

import pytest
from django.db import IntegrityError, transaction

from agencies.models import EmploymentRecord, Officer

pytestmark = pytest.mark.django_db

SHAPE = {"code", "message", "fields"}


def test_malformed_json_is_400_in_the_error_shape(staff_client):
    response = staff_client.generic("POST", "/api/v1/agencies/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == SHAPE
    assert response.json()["code"] == "malformed_request"


@pytest.mark.parametrize("body", [
    {"name": ["a list"], "state": "CA"},
    {"name": "X", "state": "CA", "sworn_headcount": "many"},
    {"name": "X", "state": "CA", "sworn_headcount": -1},
    {"name": "X" * 5000, "state": "CA"},
    {"name": "X", "state": 12},
    [1, 2, 3],
    "just a string",
    None,
])
def test_wrong_types_and_huge_strings_are_400(staff_client, body):
    response = staff_client.post("/api/v1/agencies/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == SHAPE


def test_unknown_api_route_is_json_404(staff_client):
    response = staff_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_id_is_404_in_the_error_shape(staff_client):
    response = staff_client.get("/api/v1/officers/123456789/")
    assert response.status_code == 404
    assert set(response.json()) == SHAPE


def test_wrong_method_is_405_in_the_error_shape(staff_client):
    response = staff_client.delete("/api/v1/agencies/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unsupported_media_type_is_415(staff_client):
    response = staff_client.generic("POST", "/api/v1/agencies/", "<xml/>", content_type="application/xml")
    assert response.status_code == 415
    assert set(response.json()) == SHAPE


def test_bad_filter_value_is_400(staff_client):
    response = staff_client.get("/api/v1/officers/?agency=not-a-number")
    assert response.status_code == 400
    assert set(response.json()) == SHAPE


def test_constraint_violation_from_a_raw_write_maps_to_409(staff_client, officer_a, monkeypatch):
    # A race the service's validation cannot see (two creates at once) surfaces as IntegrityError: a 409.
    from agencies import services

    def racing_create(**kwargs):
        Officer.objects.create(agency=officer_a.agency, first_name="A", last_name="B", state=officer_a.state,
                               license_number=officer_a.license_number)

    monkeypatch.setattr(services, "officer_create", racing_create)
    response = staff_client.post("/api/v1/officers/", {
        "agency": officer_a.agency_id, "first_name": "A", "last_name": "B", "license_number": "NEW"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_database_refuses_two_open_employments(officer_a):
    EmploymentRecord.objects.create(officer=officer_a, agency=officer_a.agency, started_on="2020-01-01")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmploymentRecord.objects.create(officer=officer_a, agency=officer_a.agency, started_on="2021-01-01")


def test_database_refuses_employment_ending_before_it_starts(officer_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        EmploymentRecord.objects.create(officer=officer_a, agency=officer_a.agency, started_on="2020-01-01",
                                        ended_on="2019-01-01")


def test_database_refuses_agency_admin_without_agency(django_user_model):
    with pytest.raises(IntegrityError), transaction.atomic():
        django_user_model.objects.create(username="orphan", role="agency_admin")


def test_unknown_api_path_is_json_404_for_unsafe_methods_too(staff_client):
    # Not a CSRF page: the catch-all answers in the API's shape whatever the method.
    response = staff_client.patch("/api/v1/agencies/null,null/", {"name": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("value", [0, 12.5, True, {"a": 1}, ["x"]])
def test_string_fields_refuse_other_json_types(staff_client, value):
    response = staff_client.post("/api/v1/agencies/", {"name": "X", "state": "CA", "county": value}, format="json")
    assert response.status_code == 400
    assert "county" in response.json()["fields"]


@pytest.mark.parametrize("query", ["agency=-1.7976931348623157e%2B308", "agency=99999999999999999999999"])
def test_out_of_range_numbers_are_400_not_500(staff_client, query):
    response = staff_client.get(f"/api/v1/officers/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == SHAPE


def test_id_beyond_64_bits_in_the_path_is_a_client_error(staff_client):
    response = staff_client.get("/api/v1/officers/99999999999999999999999/")
    assert response.status_code in {400, 404}


@pytest.mark.parametrize("size", ["0", "101", "abc", "-3"])
def test_out_of_range_page_size_is_refused(staff_client, size):
    response = staff_client.get(f"/api/v1/agencies/?page_size={size}")
    assert response.status_code == 400
    assert "page_size" in response.json()["fields"]


@pytest.mark.parametrize("query", ["page=", "agency_type=", "state="])
def test_empty_typed_query_parameters_are_refused(staff_client, query):
    response = staff_client.get(f"/api/v1/agencies/?{query}")
    assert response.status_code == 400
    assert query.rstrip("=") in response.json()["fields"]


def test_empty_free_text_filter_is_allowed(staff_client, agency_a):
    assert staff_client.get("/api/v1/agencies/?name=").status_code == 200


def test_nul_in_a_free_text_filter_is_ignored_not_refused(staff_client, officer_a):
    response = staff_client.get(f"/api/v1/officers/?license={officer_a.license_number}%00")
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [officer_a.pk]
