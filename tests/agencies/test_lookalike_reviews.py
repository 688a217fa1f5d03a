"""Issue #11: a lookalike of a permanently ineligible person (same names, and the same date of birth when one is on
record) created by an agency admin waits for staff, who link, clear or dismiss it; staff may create one directly."""

import pytest

from agencies.models import EmploymentRecord, IdentityReview, IdentityReviewStatus, Officer, OfficerLicense
from agencies.services import officer_mark_permanently_ineligible
from core.models import AuditEvent
from tests.factories import OfficerFactory
from tests.support.errors import ERROR_KEYS, refused

from .conftest import DOB, V, eligibility, roster, world_counts

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("extra", [{"date_of_birth": "1984-06-02"}, {}], ids=["same-dob", "dob-omitted"])
@pytest.mark.parametrize("names", [("Maria", "Alvarez"), ("MARIA", "alvarez ")], ids=["exact", "other-case"])
def test_admin_creating_a_lookalike_is_queued_for_staff(decertified, agency_a, admin_a_client, extra, names):
    before = world_counts()
    payload = {"first_name": names[0], "last_name": names[1], "license_number": "CA-NEW-1", **extra}
    body = refused(admin_a_client.post(f"{V}/officers/", payload, format="json"), 409,
                   "identity_review_required", "first_name")
    review = IdentityReview.objects.get()
    assert f"#{review.pk}" in body["message"]
    assert (review.status, review.matched_officer_id, review.agency_id, review.source) == (
        IdentityReviewStatus.PENDING, decertified.pk, agency_a.pk, "api")
    assert world_counts() == {**before, "reviews": before["reviews"] + 1, "audit": before["audit"] + 1}
    # retrying the same refused create does not fill the queue
    refused(admin_a_client.post(f"{V}/officers/", payload, format="json"), 409, "identity_review_required")
    assert IdentityReview.objects.count() == 1


def test_lookalike_without_a_dob_on_record_matches_any_dob(agency_a, agency_b, staff_user, admin_a_client):
    ineligible = OfficerFactory(agency=agency_b, first_name="Noah", last_name="Dob")
    officer_mark_permanently_ineligible(officer=ineligible, actor=staff_user, reason="finding verified")
    refused(admin_a_client.post(f"{V}/officers/", {"first_name": "Noah", "last_name": "Dob", "license_number": "C-1",
                                                   "date_of_birth": "1999-09-09"}, format="json"),
            409, "identity_review_required", "first_name")


def test_same_name_with_another_dob_is_a_different_person(decertified, admin_a_client):
    response = admin_a_client.post(f"{V}/officers/", {"first_name": "Maria", "last_name": "Alvarez",
                                                      "license_number": "CA-NEW-2", "date_of_birth": "1990-01-01"},
                                   format="json")
    assert response.status_code == 201, response.json()
    assert IdentityReview.objects.count() == 0


def test_roster_import_of_a_lookalike_is_refused_and_queued(decertified, agency_a, admin_a_client):
    before = world_counts()
    text = ("license_number,first_name,last_name,date_of_birth\n"
            "CA-OK-1,Other,Person,\n"
            "CA-NEW-3,maria,ALVAREZ,1984-06-02\n"
            "CA-NEW-4,Maria,Alvarez,\n")
    refused(roster(admin_a_client, text), 409, "identity_review_required", "rows.3.first_name", "rows.4.first_name")
    assert Officer.objects.count() == before["officers"]
    assert OfficerLicense.objects.count() == before["licences"]
    assert EmploymentRecord.objects.count() == before["employment"]
    reviews = IdentityReview.objects.order_by("license_number")
    assert [(r.license_number, r.source, r.status) for r in reviews] == [
        ("CA-NEW-3", "roster_import", "pending"), ("CA-NEW-4", "roster_import", "pending")]


def test_staff_may_create_a_lookalike_directly(decertified, staff_client, agency_a):
    response = staff_client.post(f"{V}/officers/", {"agency": agency_a.pk, "first_name": "Maria",
                                                    "last_name": "Alvarez", "license_number": "CA-NEW-5"},
                                 format="json")
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get(action="officer.created")
    assert event.data["possible_same_person_as"] == [decertified.pk]


def _queued(admin_a_client, licence="CA-Q-1") -> IdentityReview:
    refused(admin_a_client.post(f"{V}/officers/", {"first_name": "Maria", "last_name": "Alvarez",
                                                   "license_number": licence, "date_of_birth": "1984-06-02"},
                                format="json"), 409, "identity_review_required")
    return IdentityReview.objects.get(license_number=licence)


def test_staff_link_decision_creates_an_ineligible_record(decertified, agency_a, admin_a_client, staff_client,
                                                          anon_client):
    review = _queued(admin_a_client)
    listed = staff_client.get(f"{V}/identity-reviews/", {"status": "pending"}).json()["results"]
    assert [r["id"] for r in listed] == [review.pk]
    assert staff_client.get(f"{V}/identity-reviews/{review.pk}/").json()["matched_officer"] == decertified.pk
    response = staff_client.post(f"{V}/identity-reviews/{review.pk}/decide/",
                                 {"decision": "linked", "reason": "Same DOB and prior agency"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "linked"
    officer = Officer.objects.get(license_number="CA-Q-1")
    assert response.json()["officer"] == officer.pk
    assert officer.agency_id == agency_a.pk and officer.same_person_as_id == decertified.pk
    assert officer.permanently_ineligible_at is not None and officer.date_of_birth == DOB
    assert eligibility(anon_client, "CA", "CA-Q-1") == {"state": "CA", "license_number": "CA-Q-1",
                                                        "eligible": False, "reason": "ineligible"}
    assert AuditEvent.objects.filter(action="officer.identity_review_linked").count() == 1
    assert staff_client.get(f"{V}/identity-reviews/", {"status": "pending"}).json()["results"] == []
    # deciding twice: 409, nothing more written
    before = world_counts()
    refused(staff_client.post(f"{V}/identity-reviews/{review.pk}/decide/",
                              {"decision": "cleared", "reason": "changed my mind"}, format="json"),
            409, "invalid_transition")
    assert world_counts() == before


def test_staff_clear_decision_creates_the_record_as_submitted(decertified, agency_a, admin_a_client, staff_client):
    review = _queued(admin_a_client)
    response = staff_client.post(f"{V}/identity-reviews/{review.pk}/decide/",
                                 {"decision": "cleared", "reason": "Different person: other middle name"},
                                 format="json")
    assert response.status_code == 200, response.json()
    officer = Officer.objects.get(license_number="CA-Q-1")
    assert officer.permanently_ineligible_at is None and officer.same_person_as_id is None
    assert EmploymentRecord.objects.filter(officer=officer, agency=agency_a, ended_on__isnull=True).exists()
    assert AuditEvent.objects.filter(action="officer.identity_review_cleared").count() == 1


def test_staff_dismiss_decision_creates_nothing(decertified, admin_a_client, staff_client):
    review = _queued(admin_a_client)
    officers = Officer.objects.count()
    response = staff_client.post(f"{V}/identity-reviews/{review.pk}/decide/",
                                 {"decision": "dismissed", "reason": "Duplicate submission"}, format="json")
    assert response.status_code == 200 and response.json()["officer"] is None
    assert Officer.objects.count() == officers


@pytest.mark.parametrize("body,field", [({"decision": "linked"}, "reason"),
                                        ({"decision": "linked", "reason": "  "}, "reason"),
                                        ({"decision": "approve", "reason": "x"}, "decision"),
                                        ({"reason": "x"}, "decision")])
def test_decision_needs_a_known_decision_and_a_reason(decertified, admin_a_client, staff_client, body, field):
    review = _queued(admin_a_client)
    before = world_counts()
    refused(staff_client.post(f"{V}/identity-reviews/{review.pk}/decide/", body, format="json"), 400,
            "validation_error", field)
    assert world_counts() == before
    review.refresh_from_db()
    assert review.status == IdentityReviewStatus.PENDING


def test_agency_admins_cannot_see_or_decide_the_queue(decertified, admin_a_client, admin_b_client):
    review = _queued(admin_a_client)
    for client in (admin_a_client, admin_b_client):
        for response in (client.get(f"{V}/identity-reviews/"), client.get(f"{V}/identity-reviews/{review.pk}/"),
                         client.post(f"{V}/identity-reviews/{review.pk}/decide/",
                                     {"decision": "cleared", "reason": "mine"}, format="json")):
            assert response.status_code == 403, response.json()
            assert set(response.json()) == ERROR_KEYS
    review.refresh_from_db()
    assert review.status == IdentityReviewStatus.PENDING


def test_decision_refused_when_the_licence_was_taken_meanwhile(decertified, agency_a, admin_a_client,
                                                               staff_client):
    review = _queued(admin_a_client, "CA-Q-2")
    OfficerFactory(agency=agency_a, state="CA", license_number="CA-Q-2")
    before = world_counts()
    refused(staff_client.post(f"{V}/identity-reviews/{review.pk}/decide/",
                              {"decision": "cleared", "reason": "different"}, format="json"),
            409, "license_taken", "license_number")
    assert world_counts() == before
    review.refresh_from_db()
    assert review.status == IdentityReviewStatus.PENDING
