"""Agencies and officers over HTTP: isolation between agencies, staff-only writes, constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import EmploymentRecord, Officer
from core.models import AuditEvent
from tests.factories import AgencyFactory, OfficerFactory

pytestmark = pytest.mark.django_db


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_agency_admin_lists_only_their_own_agency(admin_a_client, agency_a, agency_b):
    response = admin_a_client.get("/api/v1/agencies/")
    assert response.status_code == 200
    assert ids(response) == {agency_a.pk}


def test_staff_lists_every_agency(staff_client, agency_a, agency_b):
    assert ids(staff_client.get("/api/v1/agencies/")) == {agency_a.pk, agency_b.pk}


def test_foreign_agency_is_404_like_a_missing_one(admin_a_client, agency_b):
    foreign = admin_a_client.get(f"/api/v1/agencies/{agency_b.pk}/")
    missing = admin_a_client.get("/api/v1/agencies/999999/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_only_staff_create_agencies(admin_a_client, staff_client):
    body = {"name": "Lakeside PD", "state": "MN", "county": "Hennepin", "agency_type": "police",
            "sworn_headcount": 40}
    assert admin_a_client.post("/api/v1/agencies/", body, format="json").status_code == 403
    created = staff_client.post("/api/v1/agencies/", body, format="json")
    assert created.status_code == 201
    assert created.json()["name"] == "Lakeside PD"
    assert AuditEvent.objects.filter(action="agency.created", target_id=str(created.json()["id"])).exists()


def test_agency_admin_cannot_edit_even_their_own_agency(admin_a_client, agency_a):
    response = admin_a_client.patch(f"/api/v1/agencies/{agency_a.pk}/", {"sworn_headcount": 1}, format="json")
    assert response.status_code == 403
    agency_a.refresh_from_db()
    assert agency_a.sworn_headcount == 10


def test_staff_patch_agency_records_the_change_in_the_audit_trail(staff_client, agency_a):
    response = staff_client.patch(f"/api/v1/agencies/{agency_a.pk}/", {"sworn_headcount": 55}, format="json")
    assert response.status_code == 200
    assert response.json()["sworn_headcount"] == 55
    event = AuditEvent.objects.get(action="agency.updated")
    assert event.data == {"sworn_headcount": {"from": 10, "to": 55}}
    assert event.actor_label == "staff"


def test_invalid_state_is_a_field_error(staff_client):
    response = staff_client.post("/api/v1/agencies/", {"name": "X", "state": "ZZ"}, format="json")
    assert response.status_code == 400
    assert "state" in response.json()["fields"]


def test_duplicate_agency_name_in_state_is_409_and_writes_nothing(staff_client, agency_a):
    before = AuditEvent.objects.count()
    response = staff_client.post("/api/v1/agencies/", {"name": agency_a.name, "state": agency_a.state},
                                 format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_exists"
    assert AuditEvent.objects.count() == before


def test_officer_list_never_contains_another_agencys_officers(admin_a_client, officer_a, officer_b):
    response = admin_a_client.get("/api/v1/officers/")
    assert ids(response) == {officer_a.pk}


def test_officer_list_filters(staff_client, agency_a, agency_b):
    alvarez = OfficerFactory(agency=agency_a, first_name="Maria", last_name="Alvarez", license_number="CA-1")
    OfficerFactory(agency=agency_b, first_name="Tom", last_name="Becker", license_number="OH-1")
    assert ids(staff_client.get(f"/api/v1/officers/?agency={agency_a.pk}")) == {alvarez.pk}
    assert ids(staff_client.get("/api/v1/officers/?state=CA")) == {alvarez.pk}
    assert ids(staff_client.get("/api/v1/officers/?license=CA-1")) == {alvarez.pk}
    assert ids(staff_client.get("/api/v1/officers/?name=maria alv")) == {alvarez.pk}


def test_instructor_and_coach_cannot_list_officers(instructor_client, coach_client, officer_a):
    assert instructor_client.get("/api/v1/officers/").status_code == 403
    assert coach_client.get("/api/v1/officers/").status_code == 403


def test_foreign_officer_detail_is_404(admin_a_client, officer_b):
    assert admin_a_client.get(f"/api/v1/officers/{officer_b.pk}/").status_code == 404
    assert admin_a_client.patch(f"/api/v1/officers/{officer_b.pk}/", {"rank": "Chief"}, format="json"
                                ).status_code == 404
    officer_b.refresh_from_db()
    assert officer_b.rank == "Officer"


def test_agency_admin_creates_officer_in_own_agency_with_employment_record(admin_a_client, agency_a):
    response = admin_a_client.post("/api/v1/officers/", {
        "first_name": "Noah", "last_name": "Kim", "license_number": "CA-777", "hire_date": "2023-08-14"},
        format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["agency"] == agency_a.pk and body["state"] == "CA"
    assert body["employment_history"] == [{"agency": agency_a.pk, "agency_name": agency_a.name, "rank": "",
                                           "started_on": "2023-08-14", "ended_on": None}]


def test_agency_admin_cannot_create_officer_in_another_agency(admin_a_client, agency_b):
    response = admin_a_client.post("/api/v1/officers/", {
        "agency": agency_b.pk, "first_name": "X", "last_name": "Y", "license_number": "OH-9"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"agency": [f"Unknown agency {agency_b.pk}."]}
    assert not Officer.objects.filter(license_number="OH-9").exists()


def test_duplicate_licence_in_state_is_refused(admin_a_client, officer_a):
    response = admin_a_client.post("/api/v1/officers/", {
        "first_name": "X", "last_name": "Y", "license_number": officer_a.license_number}, format="json")
    assert response.status_code == 409
    assert Officer.objects.filter(license_number=officer_a.license_number).count() == 1


def test_same_licence_number_in_another_state_is_allowed(staff_client, officer_a, agency_b):
    response = staff_client.post("/api/v1/officers/", {
        "agency": agency_b.pk, "first_name": "X", "last_name": "Y", "license_number": officer_a.license_number},
        format="json")
    assert response.status_code == 201


def test_staff_transfer_keeps_employment_history(staff_client, agency_a, agency_b):
    created = staff_client.post("/api/v1/officers/", {
        "agency": agency_a.pk, "first_name": "Lena", "last_name": "Park", "license_number": "CA-5",
        "hire_date": "2010-09-01"}, format="json").json()
    moved = staff_client.patch(f"/api/v1/officers/{created['id']}/", {"agency": agency_b.pk, "rank": "Lieutenant"},
                               format="json")
    assert moved.status_code == 200
    history = moved.json()["employment_history"]
    assert [h["agency"] for h in history] == [agency_b.pk, agency_a.pk]
    assert history[0]["ended_on"] is None and history[1]["ended_on"] is not None
    assert moved.json()["rank"] == "Lieutenant"


def test_agency_admin_cannot_transfer_an_officer_away(admin_a_client, officer_a, agency_b):
    response = admin_a_client.patch(f"/api/v1/officers/{officer_a.pk}/", {"agency": agency_b.pk}, format="json")
    assert response.status_code == 403
    officer_a.refresh_from_db()
    assert officer_a.agency_id != agency_b.pk


@pytest.mark.parametrize("path", ["/api/v1/officers/", "/api/v1/agencies/"])
def test_list_query_count_does_not_grow_with_length(staff_client, path):
    agency = AgencyFactory()

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(path + "?page_size=100").status_code == 200
        return len(ctx.captured_queries)

    OfficerFactory(agency=agency)
    one = count_queries()
    for _ in range(25):
        OfficerFactory(agency=AgencyFactory())
    assert count_queries() == one


def test_officer_detail_query_count_does_not_grow_with_history(staff_client, officer_a, agency_b):
    EmploymentRecord.objects.create(officer=officer_a, agency=officer_a.agency, started_on="2020-01-01",
                                    ended_on="2020-06-01")
    with CaptureQueriesContext(connection) as one:
        staff_client.get(f"/api/v1/officers/{officer_a.pk}/")
    for year in range(2000, 2010):
        EmploymentRecord.objects.create(officer=officer_a, agency=agency_b, started_on=f"{year}-01-01",
                                        ended_on=f"{year}-12-01")
    with CaptureQueriesContext(connection) as many:
        staff_client.get(f"/api/v1/officers/{officer_a.pk}/")
    assert len(many.captured_queries) == len(one.captured_queries)


def test_plain_row_output_matches_the_documented_serializer(staff_client, officer_a):
    # Hot reads skip DRF serializers; their keys must still be exactly what the OpenAPI schema documents.
    from agencies.apis import OfficerDetailOutputSerializer, OfficerOutputSerializer

    EmploymentRecord.objects.create(officer=officer_a, agency=officer_a.agency, started_on="2020-01-01")
    detail = staff_client.get(f"/api/v1/officers/{officer_a.pk}/").json()
    listed = staff_client.get("/api/v1/officers/").json()["results"][0]
    assert set(detail) == set(OfficerDetailOutputSerializer().fields)
    assert set(listed) == set(OfficerOutputSerializer().fields)
    assert set(detail["employment_history"][0]) == set(OfficerDetailOutputSerializer().fields["employment_history"]
                                                       .child.fields)
    officer_a.refresh_from_db()
    expected = OfficerOutputSerializer(officer_a).data
    assert {k: detail[k] for k in expected} == expected


def test_agency_filter_does_not_reveal_which_foreign_agencies_exist(admin_a_client, agency_b):
    existing_foreign = admin_a_client.get(f"/api/v1/officers/?agency={agency_b.pk}")
    missing = admin_a_client.get("/api/v1/officers/?agency=999999")
    assert existing_foreign.status_code == missing.status_code == 200
    assert existing_foreign.json()["results"] == missing.json()["results"] == []
