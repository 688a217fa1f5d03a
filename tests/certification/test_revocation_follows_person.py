"""Issue #11, "revocation follows the person": every public answer keeps saying "revoked" for every licence the
person ever held, and no interested party (an agency administrator, an import file) can detach a person from their
decertification. Each test reproduces one attack through the HTTP API with real JWTs; PostgreSQL-only races below."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import EmploymentRecord, IdentityReview, Officer, OfficerLicense
from agencies.services import officer_mark_permanently_ineligible
from certification.models import OfficerCertification, OfficerCertificationStatus
from core.models import AuditEvent
from tests.factories import OfficerFactory
from tests.support.builders import peace_officer_course
from tests.support.errors import ERROR_KEYS, refused
from training.models import Completion

from .test_officer_certification import certified, sustained_finding

pytestmark = pytest.mark.django_db
V = "/api/v1"


def world_counts() -> dict:
    """Every table a refused request could write to."""
    return {"officers": Officer.objects.count(), "licences": OfficerLicense.objects.count(),
            "employment": EmploymentRecord.objects.count(), "audit": AuditEvent.objects.count(),
            "reviews": IdentityReview.objects.count(), "completions": Completion.objects.count(),
            "certifications": OfficerCertification.objects.count()}




def eligibility(client, state: str, licence: str) -> dict:
    response = client.get(f"{V}/public/eligibility/", {"state": state, "licence": licence})
    assert response.status_code == 200, response.content
    return response.json()


def search(client, q: str, **params) -> dict:
    response = client.get(f"{V}/public/officers/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def revocation_rows(client) -> list[dict]:
    response = client.get(f"{V}/public/revocations.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def revoked_by_verified_finding(client_verifier, officer, recorder) -> None:
    finding = sustained_finding(officer, recorder)
    response = client_verifier.post(f"{V}/certification/findings/{finding.pk}/verify/", {}, format="json")
    assert response.status_code == 200, response.json()
    officer.refresh_from_db()
    assert officer.permanently_ineligible_at is not None


@pytest.fixture
def maria(agency_a, staff_user):
    """The issue's officer: Maria Alvarez, CA-100201, holding a Good Officer Certification."""
    officer = OfficerFactory(agency=agency_a, first_name="Maria", last_name="Alvarez", state="CA",
                             license_number="CA-100201")
    certified(officer, staff_user)
    return officer


# --- 1. the issue's scenario, end to end ---------------------------------------------------------------------------

def test_issue_scenario_decertified_licence_stays_revoked_through_every_path(
        maria, staff_user, staff_client, staff2_client, admin_a_client, anon_client):
    revoked_by_verified_finding(staff2_client, maria, staff_user)
    assert eligibility(anon_client, "CA", "CA-100201") == {
        "state": "CA", "license_number": "CA-100201", "eligible": False, "reason": "revoked"}

    # 2. the agency re-licences the record: refused, nothing written
    before = world_counts()
    response = admin_a_client.patch(f"{V}/officers/{maria.pk}/", {"license_number": "CA-X-000001"}, format="json")
    refused(response, 409, "identity_frozen", "license_number")
    assert world_counts() == before
    maria.refresh_from_db()
    assert maria.license_number == "CA-100201"

    # 3. the agency creates a fresh record with the decertified licence: refused, nothing written (no review either:
    # the licence rule answers first)
    response = admin_a_client.post(f"{V}/officers/", {"first_name": "Maria", "last_name": "Alvarez",
                                                      "license_number": "CA-100201", "state": "CA"}, format="json")
    refused(response, 409, "license_decertified", "license_number")
    assert world_counts() == before

    # staff correct the licence (the state re-issued it): the old one stays in the record's history
    response = staff_client.post(f"{V}/officers/{maria.pk}/identity-corrections/",
                                 {"license_number": "CA-200999", "reason": "State re-issued the licence"},
                                 format="json")
    assert response.status_code == 200, response.json()
    licences = {(r["license_number"], r["held_until"] is None) for r in response.json()["licenses"]}
    assert licences == {("CA-100201", False), ("CA-200999", True)}
    event = AuditEvent.objects.filter(action="officer.identity_corrected").get()
    assert event.data["reason"] == "State re-issued the licence"
    assert event.data["changes"]["license_number"] == {"from": "CA-100201", "to": "CA-200999"}

    # every public answer still follows the person under the old licence
    for licence in ("CA-100201", "CA-200999"):
        assert eligibility(anon_client, "CA", licence)["reason"] == "revoked"
        assert eligibility(anon_client, "CA", licence)["eligible"] is False
    results = search(anon_client, "CA-100201")["results"]
    assert [(r["name"], r["license_number"], r["certification_status"]) for r in results] == [
        ("Maria Alvarez", "CA-200999", "revoked")]
    rows = [r for r in revocation_rows(anon_client) if r["officer_name"] == "Maria Alvarez"]
    assert len(rows) == 1
    assert rows[0]["license_number"] == "CA-100201" and rows[0]["state"] == "CA"
    assert rows[0]["current_license_number"] == "CA-200999" and rows[0]["current_state"] == "CA"
    assert rows[0]["action"] == "certification_revoked"
    for completion in Completion.objects.filter(officer=maria):
        verified = anon_client.get(f"{V}/public/verify/{completion.verification_code}/").json()
        assert (verified["status"], verified["officer_name"]) == ("revoked", "Maria Alvarez")

    # the old licence is still never attached to another record: not by the agency, not even by staff
    before = world_counts()
    for client in (admin_a_client, staff_client):
        response = client.post(f"{V}/officers/", {"agency": maria.agency_id, "first_name": "Someone",
                                                  "last_name": "Else", "license_number": "CA-100201",
                                                  "state": "CA"}, format="json")
        refused(response, 409, "license_decertified", "license_number")
    assert world_counts() == before
    assert eligibility(anon_client, "CA", "CA-100201")["reason"] == "revoked"


def test_credit_import_naming_an_old_licence_credits_the_person_who_held_it(
        maria, staff_user, staff_client, staff2_client):
    """Credits (historical import) naming a licence the person held before go to that person and never create or
    attach to another record; the person stays ungrantable."""
    revoked_by_verified_finding(staff2_client, maria, staff_user)
    response = staff_client.post(f"{V}/officers/{maria.pk}/identity-corrections/",
                                 {"license_number": "CA-200999", "reason": "Re-issued"}, format="json")
    assert response.status_code == 200
    officers_before = Officer.objects.count()
    code = peace_officer_course().code
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    upload = io.BytesIO(f"state,license_number,course_code,completed_on\nCA,CA-100201,{code},{day}\n".encode())
    upload.name = "credits.csv"
    response = staff_client.post(f"{V}/training/completions/import/", {"file": upload}, format="multipart")
    assert response.status_code in (200, 201), response.json()
    assert Officer.objects.count() == officers_before
    completion = Completion.objects.get(completed_on=day)
    assert completion.officer_id == maria.pk
    response = staff_client.post(f"{V}/certification/officer-certifications/", {"officer": maria.pk}, format="json")
    assert response.status_code == 409, response.json()
    assert set(response.json()) == ERROR_KEYS


def test_credit_import_of_a_licence_nobody_ever_held_is_refused_and_creates_no_record(staff_client, officer_a):
    code = peace_officer_course().code
    before = world_counts()
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    upload = io.BytesIO(f"state,license_number,course_code,completed_on\nCA,CA-NOBODY-1,{code},{day}\n".encode())
    upload.name = "credits.csv"
    response = staff_client.post(f"{V}/training/completions/import/", {"file": upload}, format="multipart")
    body = response.json()
    assert response.status_code == 400 and set(body) == ERROR_KEYS, body
    assert any("license_number" in key for key in body["fields"]), body
    assert world_counts() == before


# --- 4. staff link records of one person ------------------------------------------------------------------------------

def test_linking_a_certified_record_to_an_ineligible_one_revokes_it_everywhere(
        agency_a, agency_b, staff_user, staff_client, staff2_client, anon_client):
    decertified = OfficerFactory(agency=agency_b, first_name="Dan", last_name="Brook", state="OH",
                                 license_number="OH-5501")
    revoked_by_verified_finding(staff2_client, decertified, staff_user)
    relicensed = OfficerFactory(agency=agency_a, first_name="Daniel", last_name="Brook", state="CA",
                                license_number="CA-7701")
    certification = certified(relicensed, staff_user)
    assert eligibility(anon_client, "CA", "CA-7701")["eligible"] is True

    response = staff_client.post(f"{V}/certification/officers/{relicensed.pk}/link/",
                                 {"same_person_as": decertified.pk, "reason": "Same person, re-licensed in CA"},
                                 format="json")
    assert response.status_code == 200, response.json()
    relicensed.refresh_from_db()
    certification.refresh_from_db()
    assert relicensed.same_person_as_id == decertified.pk
    assert relicensed.permanently_ineligible_at is not None
    assert certification.status == OfficerCertificationStatus.REVOKED
    assert eligibility(anon_client, "CA", "CA-7701") == {
        "state": "CA", "license_number": "CA-7701", "eligible": False, "reason": "revoked"}
    assert [r["certification_status"] for r in search(anon_client, "CA-7701")["results"]] == ["revoked"]
    assert AuditEvent.objects.filter(action="officer.linked_same_person").get().data["same_person_as"] == \
        decertified.pk
    assert AuditEvent.objects.filter(action="officer.permanently_ineligible").count() == 2


def test_linking_the_other_way_round_also_carries_ineligibility(agency_a, agency_b, staff_user, staff_client,
                                                                 staff2_client, anon_client):
    decertified = OfficerFactory(agency=agency_b, state="OH", license_number="OH-5502")
    revoked_by_verified_finding(staff2_client, decertified, staff_user)
    other = OfficerFactory(agency=agency_a, state="CA", license_number="CA-7702")
    certification = certified(other, staff_user)
    response = staff_client.post(f"{V}/certification/officers/{decertified.pk}/link/",
                                 {"same_person_as": other.pk, "reason": "Same person"}, format="json")
    assert response.status_code == 200, response.json()
    certification.refresh_from_db()
    assert certification.status == OfficerCertificationStatus.REVOKED
    assert eligibility(anon_client, "CA", "CA-7702")["reason"] == "revoked"


def test_link_is_staff_only_and_needs_a_reason(agency_a, officer_a, admin_a_client, staff_client):
    other = OfficerFactory(agency=agency_a)
    before = world_counts()
    response = admin_a_client.post(f"{V}/certification/officers/{officer_a.pk}/link/",
                                   {"same_person_as": other.pk, "reason": "x"}, format="json")
    assert response.status_code == 403 and set(response.json()) == ERROR_KEYS
    refused(staff_client.post(f"{V}/certification/officers/{officer_a.pk}/link/",
                              {"same_person_as": other.pk}, format="json"), 400, "validation_error", "reason")
    refused(staff_client.post(f"{V}/certification/officers/{officer_a.pk}/link/",
                              {"same_person_as": other.pk, "reason": "   "}, format="json"),
            400, "validation_error", "reason")
    refused(staff_client.post(f"{V}/certification/officers/{officer_a.pk}/link/",
                              {"same_person_as": officer_a.pk, "reason": "self"}, format="json"),
            400, "validation_error", "same_person_as")
    refused(staff_client.post(f"{V}/certification/officers/{officer_a.pk}/link/",
                              {"same_person_as": 999999999, "reason": "missing"}, format="json"),
            400, "validation_error", "same_person_as")
    assert world_counts() == before


# --- 8. the public registry ---------------------------------------------------------------------------------------

def test_uncertified_roster_officer_is_not_in_the_public_registry(agency_a, anon_client):
    OfficerFactory(agency=agency_a, first_name="Quiet", last_name="Rosterman", state="CA", license_number="CA-QR-1")
    assert search(anon_client, "Rosterman")["results"] == []
    assert search(anon_client, "CA-QR-1")["results"] == []
    assert search(anon_client, "Agency A")["results"] == []
    assert eligibility(anon_client, "CA", "CA-QR-1")["reason"] == "unknown"


def test_public_search_needs_three_characters(anon_client):
    response = anon_client.get(f"{V}/public/officers/", {"q": "ab"})
    body = refused(response, 400, response.json().get("code"), "q")
    assert "at least 3 characters" in body["fields"]["q"][0]
    response = anon_client.get(f"{V}/public/officers/", {"q": " a "})
    assert response.status_code == 400 and "q" in response.json()["fields"]


def test_public_search_pages_are_bounded(agency_a, staff_user, anon_client):
    for i in range(3):
        certified(OfficerFactory(agency=agency_a, last_name=f"Pager{i}"), staff_user)
    first = search(anon_client, "Pager", page_size=2)
    second = search(anon_client, "Pager", page_size=2, page=2)
    assert len(first["results"]) == 2 and first["truncated"] is True
    assert len(second["results"]) == 1 and second["truncated"] is False
    response = anon_client.get(f"{V}/public/officers/", {"q": "Pager", "page_size": 51})
    assert response.status_code == 400 and "page_size" in response.json()["fields"]


def test_never_certified_ineligible_officer_is_exported_and_counted_as_ineligible(
        agency_a, maria, staff_user, staff2_client, anon_client):
    never = OfficerFactory(agency=agency_a, first_name="Never", last_name="Certified", state="CA",
                           license_number="CA-NC-1")
    revoked_by_verified_finding(staff2_client, never, staff_user)
    revoked_by_verified_finding(staff2_client, maria, staff_user)
    rows = {r["officer_name"]: r for r in revocation_rows(anon_client)}
    assert rows["Never Certified"]["action"] == "ineligible"
    assert rows["Maria Alvarez"]["action"] == "certification_revoked"
    assert eligibility(anon_client, "CA", "CA-NC-1") == {
        "state": "CA", "license_number": "CA-NC-1", "eligible": False, "reason": "ineligible"}
    assert [r["certification_status"] for r in search(anon_client, "CA-NC-1")["results"]] == ["ineligible"]
    metrics = anon_client.get(f"{V}/public/metrics/").json()
    year = str(timezone.now().year)
    assert metrics["revocations_per_year"] == {year: 1}
    assert metrics["ineligible_per_year"] == {year: 1}


# --- 7. races (PostgreSQL) ----------------------------------------------------------------------------------------

def _post_officer(client, licence: str, i: int):
    return client.post(f"{V}/officers/", {"first_name": f"Racer{i}", "last_name": "Parallel",
                                          "license_number": licence, "state": "CA"}, format="json")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_parallel_creates_of_one_licence_exactly_one_wins(round_):
    from agencies.models import Role
    from tests.conftest import jwt_client
    from tests.factories import AgencyFactory, UserFactory
    from tests.support.races import run_together

    agencies = [AgencyFactory(name=f"Race Agency {i}", state="CA") for i in range(4)]
    clients = [jwt_client(UserFactory(username=f"race_admin{i}", role=Role.AGENCY_ADMIN, agency=agencies[i % 4]))
               for i in range(20)]
    outcomes = run_together(20, lambda i: _post_officer(clients[i], "CA-RACE-1", i))
    assert not outcomes.errors, outcomes.errors
    statuses = sorted(r.status_code for r in outcomes.results)
    assert statuses == [201] + [409] * 19, [(r.status_code, r.json()) for r in outcomes.results]
    for response in outcomes.results:
        if response.status_code == 409:
            refused(response, 409, "license_taken", "license_number")
    assert Officer.objects.filter(license_number="CA-RACE-1").count() == 1
    assert OfficerLicense.objects.filter(license_number="CA-RACE-1").count() == 1
    assert EmploymentRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="officer.created").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_create_racing_an_import_of_the_same_licence_one_wins(round_):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agencies.models import Role
    from tests.conftest import jwt_client
    from tests.factories import AgencyFactory, UserFactory
    from tests.support.races import run_together

    agency_a = AgencyFactory(name="Race A", state="CA")
    agency_b = AgencyFactory(name="Race B", state="CA")
    creator = jwt_client(UserFactory(username="race_creator", role=Role.AGENCY_ADMIN, agency=agency_a))
    importer = jwt_client(UserFactory(username="race_importer", role=Role.AGENCY_ADMIN, agency=agency_b))
    rows = "".join(f"CA-IMP-{round_}-{n},Bulk{n},Row\n" for n in range(200))
    roster = f"license_number,first_name,last_name\n{rows}CA-CONTESTED,Imported,Person\n".encode()

    def work(i):
        if i == 0:
            return _post_officer(creator, "CA-CONTESTED", i)
        return importer.post(f"{V}/officers/import/",
                             {"file": SimpleUploadedFile("roster.csv", roster, "text/csv")}, format="multipart")

    outcomes = run_together(2, work)
    assert not outcomes.errors, outcomes.errors
    statuses = sorted(r.status_code for r in outcomes.results)
    # The loser: 409 license_taken if both passed their checks; an import that starts after the create committed
    # sees the licence on another agency's officer and answers as it always does (400 naming the row).
    assert statuses in ([200, 409], [201, 409], [201, 400]), [(r.status_code, r.json()) for r in outcomes.results]
    for response in outcomes.results:
        if response.status_code == 409:
            body = response.json()
            assert set(body) == ERROR_KEYS and body["code"] == "license_taken", body
        elif response.status_code == 400:
            refused(response, 400, "roster_invalid", "rows.202.license_number")
    holder = Officer.objects.get(license_number="CA-CONTESTED")
    assert OfficerLicense.objects.filter(license_number="CA-CONTESTED").count() == 1
    if 201 in statuses:  # the create won: the import wrote nothing
        assert holder.agency_id == agency_a.pk
        assert Officer.objects.filter(agency=agency_b).count() == 0
    else:  # the import won: all 201 rows
        assert holder.agency_id == agency_b.pk
        assert Officer.objects.filter(agency=agency_b).count() == 201
        assert Officer.objects.filter(agency=agency_a).count() == 0



@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_lookalike_creates_queue_one_review_and_all_get_the_rule():
    from agencies.models import Role
    from tests.conftest import jwt_client
    from tests.factories import AgencyFactory, UserFactory
    from tests.support.races import run_together

    home = AgencyFactory(name="Home PD", state="OH")
    ineligible = OfficerFactory(agency=home, first_name="Lookalike", last_name="Racer", state="OH")
    officer_mark_permanently_ineligible(officer=ineligible, actor="test", reason="finding verified")
    agency = AgencyFactory(name="Hiring PD", state="CA")
    clients = [jwt_client(UserFactory(username=f"look_admin{i}", role=Role.AGENCY_ADMIN, agency=agency))
               for i in range(10)]
    outcomes = run_together(10, lambda i: clients[i].post(f"{V}/officers/", {
        "first_name": "Lookalike", "last_name": "Racer", "license_number": "CA-LOOK-1"}, format="json"))
    assert not outcomes.errors, outcomes.errors
    for response in outcomes.results:
        refused(response, 409, "identity_review_required", "first_name")
    assert IdentityReview.objects.filter(license_number="CA-LOOK-1", status="pending").count() == 1
    assert not Officer.objects.filter(license_number="CA-LOOK-1").exists()
