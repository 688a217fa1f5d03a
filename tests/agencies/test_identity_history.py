"""Issue #11, "identity is history": an officer's licences are kept for good, identity fields are frozen for
interested parties, and the database refuses what the services refuse (on SQLite and on PostgreSQL). Through HTTP
with real JWTs wherever an API path exists. Lookalikes of a permanently ineligible person: test_lookalike_reviews.py."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from agencies.models import Officer, OfficerLicense
from agencies.services import officer_identity_correct
from core.exceptions import ApplicationError
from core.models import AuditEvent
from tests.factories import OfficerFactory
from tests.support.errors import ERROR_KEYS, refused

from .conftest import V, eligibility, roster, world_counts

pytestmark = pytest.mark.django_db


# --- history rows ---------------------------------------------------------------------------------------------------

def test_every_orm_created_officer_gets_its_first_licence_row(agency_a):
    officer = OfficerFactory(agency=agency_a, license_number="CA-H-1")
    Officer.objects.bulk_create([Officer(agency=agency_a, first_name="B", last_name="Ulk", state="CA",
                                         license_number=f"CA-BULK-{i}") for i in range(3)])
    rows = OfficerLicense.objects.filter(officer=officer)
    assert [(r.state, r.license_number, r.held_until) for r in rows] == [("CA", "CA-H-1", None)]
    assert OfficerLicense.objects.filter(license_number__startswith="CA-BULK-", held_until__isnull=True).count() == 3


def test_a_licence_change_closes_the_row_and_changing_back_reopens_it(agency_a):
    officer = OfficerFactory(agency=agency_a, state="CA", license_number="CA-H-2")
    Officer.objects.filter(pk=officer.pk).update(license_number="CA-H-3")
    current = OfficerLicense.objects.get(officer=officer, held_until__isnull=True)
    assert current.license_number == "CA-H-3"
    assert OfficerLicense.objects.get(officer=officer, license_number="CA-H-2").held_until is not None
    Officer.objects.filter(pk=officer.pk).update(license_number="CA-H-2")
    assert OfficerLicense.objects.filter(officer=officer).count() == 2
    assert OfficerLicense.objects.get(officer=officer, held_until__isnull=True).license_number == "CA-H-2"


def test_officer_detail_lists_every_licence_held(relicensed, staff_client):
    body = staff_client.get(f"{V}/officers/{relicensed.pk}/").json()
    assert [(r["license_number"], r["held_until"] is None) for r in body["licenses"]] == [
        ("OH-900001", True), ("OH-100201", False)]
    assert body["licenses"][0]["recorded_by"] == "staff"
    assert body["licenses"][0]["reason"] == "State re-issued the licence"


# --- 5. identity is frozen for PATCH; staff correct with a reason --------------------------------------------------

@pytest.mark.parametrize("client_name", ["admin_a_client", "staff_client"])
@pytest.mark.parametrize("field,value", [("first_name", "Other"), ("last_name", "Other"), ("state", "NV"),
                                         ("license_number", "CA-X-000001"), ("date_of_birth", "1990-01-01")])
def test_patch_cannot_change_identity_fields(request, officer_a, client_name, field, value):
    client = request.getfixturevalue(client_name)
    before = world_counts()
    original = {f: getattr(officer_a, f) for f in ("first_name", "last_name", "state", "license_number",
                                                   "date_of_birth", "rank")}
    response = client.patch(f"{V}/officers/{officer_a.pk}/", {field: value, "rank": "Captain"}, format="json")
    refused(response, 409, "identity_frozen", field)
    assert world_counts() == before
    officer_a.refresh_from_db()
    assert {f: getattr(officer_a, f) for f in original} == original  # not even the rank: all or nothing


def test_patch_echoing_identity_unchanged_is_fine(officer_a, admin_a_client):
    body = {"first_name": officer_a.first_name, "last_name": officer_a.last_name, "state": officer_a.state,
            "license_number": officer_a.license_number, "date_of_birth": None, "rank": "Sergeant"}
    response = admin_a_client.patch(f"{V}/officers/{officer_a.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["rank"] == "Sergeant"


def test_identity_correction_is_staff_only(officer_a, admin_a_client, admin_b_client):
    before = world_counts()
    for client in (admin_a_client, admin_b_client):
        response = client.post(f"{V}/officers/{officer_a.pk}/identity-corrections/",
                               {"last_name": "Changed", "reason": "Married"}, format="json")
        assert response.status_code == 403 and set(response.json()) == ERROR_KEYS
    assert world_counts() == before


@pytest.mark.parametrize("body", [{"last_name": "Changed"}, {"last_name": "Changed", "reason": ""},
                                  {"last_name": "Changed", "reason": "   "}])
def test_identity_correction_requires_a_reason(officer_a, staff_client, body):
    before = world_counts()
    refused(staff_client.post(f"{V}/officers/{officer_a.pk}/identity-corrections/", body, format="json"),
            400, "validation_error", "reason")
    assert world_counts() == before


def test_identity_correction_of_names_is_audited_and_keeps_the_licence(officer_a, staff_client):
    response = staff_client.post(f"{V}/officers/{officer_a.pk}/identity-corrections/",
                                 {"last_name": "Married-Name", "date_of_birth": "1980-02-03", "reason": "Marriage"},
                                 format="json")
    assert response.status_code == 200, response.json()
    officer_a.refresh_from_db()
    assert (officer_a.last_name, officer_a.date_of_birth) == ("Married-Name", date(1980, 2, 3))
    assert OfficerLicense.objects.filter(officer=officer_a).count() == 1
    event = AuditEvent.objects.get(action="officer.identity_corrected")
    assert event.data["reason"] == "Marriage" and set(event.data["changes"]) == {"last_name", "date_of_birth"}


def test_identity_correction_to_a_licence_someone_held_is_refused(relicensed, officer_a, staff_client):
    before = world_counts()
    response = staff_client.post(f"{V}/officers/{officer_a.pk}/identity-corrections/",
                                 {"state": "OH", "license_number": "OH-100201", "reason": "typo"}, format="json")
    refused(response, 409, "license_decertified", "license_number")
    assert world_counts() == before


def test_previous_licence_recorded_in_error_is_refused_for_an_ineligible_officer(decertified, staff_client):
    before = world_counts()
    response = staff_client.post(f"{V}/officers/{decertified.pk}/identity-corrections/",
                                 {"license_number": "OH-CLEAN-1", "previous_license_recorded_in_error": True,
                                  "reason": "It was a typo, honestly"}, format="json")
    refused(response, 409, "officer_permanently_ineligible", "previous_license_recorded_in_error")
    assert world_counts() == before
    decertified.refresh_from_db()
    assert decertified.license_number == "OH-100201"
    assert eligibility(staff_client, "OH", "OH-100201")["reason"] == "ineligible"


def test_previous_licence_recorded_in_error_frees_a_typo_for_its_real_holder(agency_a, officer_a, staff_client,
                                                                            admin_a_client):
    typo = officer_a.license_number
    response = staff_client.post(f"{V}/officers/{officer_a.pk}/identity-corrections/",
                                 {"license_number": "CA-RIGHT-1", "previous_license_recorded_in_error": True,
                                  "reason": "Entered a colleague's number"}, format="json")
    assert response.status_code == 200, response.json()
    response = admin_a_client.post(f"{V}/officers/", {"first_name": "Real", "last_name": "Holder",
                                                      "license_number": typo, "state": officer_a.state},
                                   format="json")
    assert response.status_code == 201, response.json()


# --- 2. roster import --------------------------------------------------------------------------------------------

def test_roster_reusing_a_decertified_licence_and_renaming_an_officer_writes_nothing(
        agency_a, relicensed, officer_a, admin_a_client):
    before = world_counts()
    text = ("license_number,first_name,last_name,state\n"
            "CA-FRESH-1,Fresh,Person,CA\n"
            "OH-100201,Someone,Else,OH\n"
            f"{officer_a.license_number},Renamed,{officer_a.last_name},{officer_a.state}\n")
    body = refused(roster(admin_a_client, text), 409, "license_decertified", "rows.3.license_number",
                   "rows.4.first_name")
    assert "rows.2.license_number" not in body["fields"]
    assert world_counts() == before
    officer_a.refresh_from_db()
    assert officer_a.first_name != "Renamed"
    assert not Officer.objects.filter(license_number="CA-FRESH-1").exists()


def test_roster_reusing_a_licence_another_record_held_is_license_taken(agency_a, officer_b, staff_user,
                                                                       admin_a_client):
    old = officer_b.license_number
    officer_identity_correct(officer=officer_b, actor=staff_user, license_number="OH-NEWER-1", reason="re-issued")
    before = world_counts()
    text = f"license_number,first_name,last_name,state\n{old},Other,Person,{officer_b.state}\n"
    refused(roster(admin_a_client, text), 409, "license_taken", "rows.2.license_number")
    assert world_counts() == before


@pytest.mark.parametrize("column,value", [("first_name", "Renamed"), ("last_name", "Renamed"),
                                          ("date_of_birth", "1970-01-01")])
def test_roster_cannot_change_an_existing_officers_identity(officer_a, admin_a_client, staff_client, column, value):
    fields = {"license_number": officer_a.license_number, "first_name": officer_a.first_name,
              "last_name": officer_a.last_name, "date_of_birth": "", "rank": "Captain"}
    fields[column] = value
    text = ",".join(fields) + "\n" + ",".join(fields.values()) + "\n"
    for client in (admin_a_client, staff_client):
        before = world_counts()
        refused(roster(client, text, agency=officer_a.agency_id), 409, "identity_frozen", f"rows.2.{column}")
        assert world_counts() == before
    officer_a.refresh_from_db()
    assert officer_a.rank != "Captain"


def test_roster_with_unchanged_identity_still_updates_rank(officer_a, admin_a_client):
    text = (f"license_number,first_name,last_name,rank\n{officer_a.license_number},{officer_a.first_name},"
            f"{officer_a.last_name},Captain\n")
    response = roster(admin_a_client, text)
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1


# --- 6. database backstops (SQLite and PostgreSQL) ---------------------------------------------------------------

def _refused_by_database(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_database_refuses_an_orm_update_to_a_licence_another_record_held(relicensed, officer_b):
    licences = OfficerLicense.objects.count()
    _refused_by_database(lambda: Officer.objects.filter(pk=officer_b.pk).update(license_number="OH-100201"))
    _refused_by_database(lambda: Officer.objects.filter(pk=officer_b.pk).update(license_number="OH-900001"))
    officer_b.refresh_from_db()
    assert officer_b.license_number != "OH-100201"
    assert OfficerLicense.objects.count() == licences


def test_database_refuses_creating_a_record_with_a_licence_another_record_held(relicensed, agency_b):
    officers = Officer.objects.count()
    _refused_by_database(lambda: Officer.objects.create(agency=agency_b, first_name="X", last_name="Y", state="OH",
                                                        license_number="OH-100201"))
    _refused_by_database(lambda: Officer.objects.bulk_create([Officer(
        agency=agency_b, first_name="X", last_name="Y", state="OH", license_number="OH-100201")]))
    assert Officer.objects.count() == officers


@pytest.mark.postgres  # SQLite keeps no DELETE guard (a test database's flush must pass); PostgreSQL does
def test_database_refuses_deleting_licence_history(relicensed):
    row = OfficerLicense.objects.filter(officer=relicensed).first()
    _refused_by_database(row.delete)
    _refused_by_database(lambda: OfficerLicense.objects.filter(officer=relicensed).delete())
    assert OfficerLicense.objects.filter(officer=relicensed).count() == 2


@pytest.mark.parametrize("change", [{"license_number": "OH-REWRITTEN"}, {"state": "CA"}, {"officer": "other"},
                                    {"held_from": datetime(2000, 1, 1, tzinfo=UTC)}, {"recorded_in_error": True}])
def test_database_refuses_rewriting_licence_history(relicensed, officer_a, change):
    if change.get("officer") == "other":
        change = {"officer": officer_a}
    old = OfficerLicense.objects.get(officer=relicensed, license_number="OH-100201")
    _refused_by_database(lambda: OfficerLicense.objects.filter(pk=old.pk).update(**change))
    after = OfficerLicense.objects.get(pk=old.pk)
    assert (after.officer_id, after.state, after.license_number, after.held_from, after.recorded_in_error) == (
        old.officer_id, old.state, old.license_number, old.held_from, old.recorded_in_error)


def test_database_refuses_clearing_permanent_ineligibility(decertified):
    _refused_by_database(lambda: Officer.objects.filter(pk=decertified.pk).update(permanently_ineligible_at=None))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE agencies_officer SET permanently_ineligible_at = NULL WHERE id = %s",
                       [decertified.pk])
    decertified.refresh_from_db()
    assert decertified.permanently_ineligible_at is not None


def test_service_refuses_to_free_an_ineligible_officers_licence(decertified, staff_user):
    with pytest.raises(ApplicationError) as caught:
        officer_identity_correct(officer=decertified, actor=staff_user, license_number="OH-2",
                                 previous_license_recorded_in_error=True, reason="typo")
    assert caught.value.code == "officer_permanently_ineligible"
