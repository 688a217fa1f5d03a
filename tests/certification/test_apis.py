"""Certification over HTTP with real tokens: responses, rows written, refusals, isolation (plaques and query counts
have their own files)."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certification import services
from certification.models import (
    AgencyCertification,
    Finding,
    FindingSource,
    OfficerCertification,
    Plaque,
    RequirementState,
)
from core.models import AuditEvent
from tests.factories import OfficerFactory
from tests.support.builders import certified_agency, credits_record

from .conftest import ids

pytestmark = pytest.mark.django_db
BASE = "/api/v1/certification"
SHAPE = {"code", "message", "fields"}


def line_id(body, code):
    return next(item["status_id"] for item in body["checklist"] if item["code"] == code)


# --- agency certification flow ---------------------------------------------------------------------------------

def test_agency_certification_end_to_end_over_http(admin_a_client, staff_client, agency_a, programme):
    created = admin_a_client.post(f"{BASE}/agency-certifications/", {"programme": programme.pk}, format="json")
    assert created.status_code == 201
    body = created.json()
    cert_id = body["id"]
    assert body["agency"] == agency_a.pk and body["status"] == "applied"
    assert {item["code"] for item in body["checklist"]} >= {"commitment", "trained_share", "chokehold_ban"}

    attest = admin_a_client.post(f"{BASE}/requirement-statuses/{line_id(body, 'commitment')}/attest/",
                                 {"text": "We commit.", "attested_by_name": "Chief Ana Ruiz"}, format="json")
    assert attest.status_code == 200 and attest.json()["state"] == "met"
    upload = admin_a_client.post(f"{BASE}/requirement-statuses/{line_id(body, 'policy_manual')}/document/",
                                 {"file": SimpleUploadedFile("manual.pdf", b"%PDF-1.4 manual")}, format="multipart")
    assert upload.status_code == 200 and upload.json()["state"] == "submitted" and upload.json()["has_document"]
    assert admin_a_client.post(f"{BASE}/agency-certifications/{cert_id}/submit/").json()["status"] == "under_review"
    # The agency may not decide staff-verified items.
    assert admin_a_client.post(f"{BASE}/requirement-statuses/{line_id(body, 'chokehold_ban')}/mark/",
                               {"state": "met"}, format="json").status_code == 403

    refused = staff_client.post(f"{BASE}/agency-certifications/{cert_id}/issue/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "requirements_unmet"
    assert "chokehold_ban" in refused.json()["message"] and "trained_share" in refused.json()["message"]
    assert AgencyCertification.objects.get(pk=cert_id).status == "under_review"

    for code in ("promise_event", "symbol_programme", "chokehold_ban", "body_worn_camera", "policy_manual"):
        marked = staff_client.post(f"{BASE}/requirement-statuses/{line_id(body, code)}/mark/", {"state": "met"},
                                   format="json")
        assert marked.status_code == 200
    agency_a.sworn_headcount = 5
    agency_a.save(update_fields=["sworn_headcount"])
    credits_record([OfficerFactory(agency=agency_a) for _ in range(4)], on=timezone.localdate())
    issued = staff_client.post(f"{BASE}/agency-certifications/{cert_id}/issue/")
    assert issued.status_code == 200, issued.json()
    assert issued.json()["status"] == "issued" and issued.json()["plaque"] == Plaque.objects.get().pk
    assert all(item["met"] for item in issued.json()["checklist"])


def test_agency_admin_applies_only_for_their_own_agency(admin_a_client, agency_b, programme):
    response = admin_a_client.post(f"{BASE}/agency-certifications/", {"programme": programme.pk,
                                                                      "agency": agency_b.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"agency": [f"Unknown agency {agency_b.pk}."]}
    assert not AgencyCertification.objects.exists()


@pytest.mark.parametrize("body", [{}, {"programme": "x"}, {"programme": 999999}, {"programme": -1}, [1], None])
def test_bad_apply_input_is_400_and_writes_nothing(admin_a_client, programme, body):
    before = AuditEvent.objects.count()
    response = admin_a_client.post(f"{BASE}/agency-certifications/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == SHAPE
    assert not AgencyCertification.objects.exists() and AuditEvent.objects.count() == before


def test_staff_needs_an_agency_when_applying(staff_client, programme):
    response = staff_client.post(f"{BASE}/agency-certifications/", {"programme": programme.pk}, format="json")
    assert response.status_code == 400 and "agency" in response.json()["fields"]


def test_agency_admin_cannot_issue_or_revoke_their_own(admin_a_client, agency_a, programme, staff_user):
    certification = certified_agency(agency_a, programme, staff_user)
    assert admin_a_client.post(f"{BASE}/agency-certifications/{certification.pk}/revoke/", {"reason": "x"},
                               format="json").status_code == 403
    assert AgencyCertification.objects.get(pk=certification.pk).status == "issued"


def test_revoke_and_renew_over_http(staff_client, admin_a_client, agency_a, programme, staff_user):
    certification = certified_agency(agency_a, programme, staff_user)
    renewal = admin_a_client.post(f"{BASE}/agency-certifications/{certification.pk}/renew/")
    assert renewal.status_code == 201
    assert renewal.json()["previous"] == certification.pk and renewal.json()["status"] == "applied"
    assert {i["state"] for i in renewal.json()["checklist"] if i["kind"] != "computed"} == {"pending"}
    assert staff_client.post(f"{BASE}/agency-certifications/{certification.pk}/revoke/", {},
                             format="json").status_code == 400
    revoked = staff_client.post(f"{BASE}/agency-certifications/{certification.pk}/revoke/",
                                {"reason": "Chokehold ban repealed"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["revocation_reason"] == "Chokehold ban repealed"
    again = staff_client.post(f"{BASE}/agency-certifications/{certification.pk}/revoke/", {"reason": "x"},
                              format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_foreign_certification_is_404_everywhere(admin_b_client, agency_a, programme, staff_user):
    certification = certified_agency(agency_a, programme, staff_user)
    line = certification.requirements.first()
    paths = [("get", f"{BASE}/agency-certifications/{certification.pk}/"),
             ("post", f"{BASE}/agency-certifications/{certification.pk}/submit/"),
             ("post", f"{BASE}/agency-certifications/{certification.pk}/renew/"),
             ("post", f"{BASE}/requirement-statuses/{line.pk}/attest/"),
             ("get", f"{BASE}/plaques/{certification.plaque.pk}/"),
             ("get", f"{BASE}/plaques/{certification.plaque.pk}/plaque.pdf")]
    for method, path in paths:
        response = getattr(admin_b_client, method)(path, {"text": "x", "attested_by_name": "y"}, format="json") \
            if method == "post" else admin_b_client.get(path)
        assert response.status_code == 404, path
    assert ids(admin_b_client.get(f"{BASE}/agency-certifications/")) == set()
    assert ids(admin_b_client.get(f"{BASE}/plaques/")) == set()


def test_instructor_and_coach_see_no_certification_data(instructor_client, coach_client):
    for client in (instructor_client, coach_client):
        assert client.get(f"{BASE}/agency-certifications/").status_code == 403
        assert client.get(f"{BASE}/findings/").status_code == 403


def test_anonymous_is_401(anon_client):
    assert anon_client.get(f"{BASE}/agency-certifications/").status_code == 401


def test_staff_maintain_the_programme_checklist(staff_client, admin_a_client, programme):
    body = {"code": "community_board", "title": "Community advisory board", "kind": "staff_verified"}
    assert admin_a_client.post(f"{BASE}/programmes/{programme.pk}/requirements/", body,
                               format="json").status_code == 403
    created = staff_client.post(f"{BASE}/programmes/{programme.pk}/requirements/", body, format="json")
    assert created.status_code == 201
    duplicate = staff_client.post(f"{BASE}/programmes/{programme.pk}/requirements/", body, format="json")
    assert duplicate.status_code == 409  # a uniqueness conflict
    bad_rule = staff_client.post(f"{BASE}/programmes/{programme.pk}/requirements/",
                                 {**body, "code": "x", "computed_rule": "trained_share"}, format="json")
    assert bad_rule.status_code == 400
    retired = staff_client.patch(f"{BASE}/requirements/{created.json()['id']}/", {"is_active": False}, format="json")
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    listed = admin_a_client.get(f"{BASE}/programmes/")
    assert listed.status_code == 200 and programme.pk in ids(listed)


def test_upload_too_large_is_413(admin_a_client, agency_a, programme, settings):
    settings.MAX_UPLOAD_BYTES = 10
    certification = services.agency_certification_apply(actor="test", agency=agency_a, programme=programme)
    line = certification.requirements.get(requirement__code="policy_manual")
    response = admin_a_client.post(f"{BASE}/requirement-statuses/{line.pk}/document/",
                                   {"file": SimpleUploadedFile("big.pdf", b"x" * 100)}, format="multipart")
    assert response.status_code == 413
    line.refresh_from_db()
    assert line.state == RequirementState.PENDING and not line.document


# --- plaques ---------------------------------------------------------------------------------------------------


# --- officer certifications ------------------------------------------------------------------------------------

def test_officer_certification_grant_over_http(staff_client, admin_a_client, officer_a):
    refused = staff_client.post(f"{BASE}/officer-certifications/", {"officer": officer_a.pk}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_ce_hours"
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=2))
    assert admin_a_client.post(f"{BASE}/officer-certifications/", {"officer": officer_a.pk},
                               format="json").status_code == 403
    granted = staff_client.post(f"{BASE}/officer-certifications/", {"officer": officer_a.pk}, format="json")
    assert granted.status_code == 201
    body = granted.json()
    assert body["status"] == body["effective_status"] == "active" and body["cycles"][0]["ce_hours"] == "8.00"
    assert ids(admin_a_client.get(f"{BASE}/officer-certifications/")) == {body["id"]}
    eligibility = admin_a_client.get(f"{BASE}/officers/{officer_a.pk}/eligibility/").json()
    assert eligibility["certification_status"] == "active" and eligibility["permanently_ineligible"] is False


def test_revoked_officer_cannot_be_certified_over_http(staff_client, staff2_client, officer_a, staff_user):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=2))
    cert_id = staff_client.post(f"{BASE}/officer-certifications/", {"officer": officer_a.pk},
                                format="json").json()["id"]
    finding = services.finding_record(actor=staff_user, officer=officer_a, incident_date=date(2025, 1, 2),
                                      summary="x", source=FindingSource.COURT)
    services.finding_notice(actor=staff_user, finding=finding)
    services.finding_response_record(actor=staff_user, finding=finding, text="none")
    services.finding_determine(actor=staff_user, finding=finding, determination="sustained", reason="r")
    assert staff2_client.post(f"{BASE}/findings/{finding.pk}/verify/").status_code == 200
    grant = staff2_client.post(f"{BASE}/officer-certifications/", {"officer": officer_a.pk}, format="json")
    renew = staff2_client.post(f"{BASE}/officer-certifications/{cert_id}/renew/")
    assert grant.status_code == renew.status_code == 409
    assert grant.json()["code"] == "officer_permanently_ineligible"
    assert OfficerCertification.objects.get(pk=cert_id).status == "revoked"


def test_foreign_officer_certification_is_404(admin_b_client, staff_client, officer_a):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=2))
    cert_id = staff_client.post(f"{BASE}/officer-certifications/", {"officer": officer_a.pk},
                                format="json").json()["id"]
    assert admin_b_client.get(f"{BASE}/officer-certifications/{cert_id}/").status_code == 404
    assert admin_b_client.get(f"{BASE}/officers/{officer_a.pk}/eligibility/").status_code == 404
    assert ids(admin_b_client.get(f"{BASE}/officer-certifications/")) == set()


# --- findings --------------------------------------------------------------------------------------------------

def test_finding_due_process_over_http(staff_client, staff2_client, admin_a_client, admin_b_client, officer_a):
    created = staff_client.post(f"{BASE}/findings/", {
        "officer": officer_a.pk, "incident_date": "2025-06-01", "summary": "Taser on a compliant person",
        "evidence_references": ["BWC-881", "IA-12"], "source": "complaint"}, format="json")
    assert created.status_code == 201
    finding_id = created.json()["id"]
    assert created.json()["recorded_by"] == "staff"
    assert admin_b_client.get(f"{BASE}/findings/{finding_id}/").status_code == 404
    assert staff_client.post(f"{BASE}/findings/{finding_id}/notice/").json()["status"] == "noticed"
    responded = admin_a_client.post(f"{BASE}/findings/{finding_id}/response/", {"text": "The officer disputes."},
                                    format="json")
    assert responded.status_code == 200 and responded.json()["status"] == "responded"
    assert admin_a_client.post(f"{BASE}/findings/{finding_id}/determine/", {
        "determination": "sustained", "reason": "x"}, format="json").status_code == 403
    determined = staff_client.post(f"{BASE}/findings/{finding_id}/determine/", {
        "determination": "sustained", "reason": "Footage is clear"}, format="json")
    assert determined.json()["determination"] == "sustained"
    same_person = staff_client.post(f"{BASE}/findings/{finding_id}/verify/")
    assert same_person.status_code == 403 and same_person.json()["code"] == "two_person_rule"
    verified = staff2_client.post(f"{BASE}/findings/{finding_id}/verify/")
    assert verified.status_code == 200 and verified.json()["verified_by"] == "staff2"
    seen_by_agency = admin_a_client.get(f"{BASE}/findings/{finding_id}/").json()
    assert seen_by_agency["recorded_by"] == seen_by_agency["verified_by"] == "staff"


@pytest.mark.parametrize("body", [
    {"officer": 1, "incident_date": "yesterday", "summary": "x", "source": "complaint"},
    {"officer": 1, "incident_date": "2025-01-01", "summary": "", "source": "complaint"},
    {"officer": 1, "incident_date": "2025-01-01", "summary": "x", "source": "rumour"},
    {"officer": 1, "incident_date": "2025-01-01", "summary": "x", "source": "court", "evidence_references": "BWC"},
    {"officer": 1, "incident_date": "2025-01-01", "summary": "x", "source": "court",
     "evidence_references": ["x"] * 51},
    {"officer": 999999, "incident_date": "2025-01-01", "summary": "x", "source": "court"},
])
def test_bad_finding_input_is_400_and_writes_nothing(staff_client, officer_a, body):
    body = {**body, "officer": officer_a.pk if body["officer"] == 1 else body["officer"]}
    response = staff_client.post(f"{BASE}/findings/", body, format="json")
    assert response.status_code == 400 and set(response.json()) == SHAPE
    assert not Finding.objects.exists()


def test_agency_admin_cannot_record_findings(admin_a_client, officer_a):
    response = admin_a_client.post(f"{BASE}/findings/", {"officer": officer_a.pk, "incident_date": "2025-01-01",
                                                         "summary": "x", "source": "court"}, format="json")
    assert response.status_code == 403


def test_agency_admin_sees_findings_about_their_officers_only(admin_a_client, staff_user, officer_a, officer_b):
    mine = services.finding_record(actor=staff_user, officer=officer_a, incident_date=date(2025, 1, 1), summary="x",
                                   source=FindingSource.MEDIA)
    services.finding_record(actor=staff_user, officer=officer_b, incident_date=date(2025, 1, 1), summary="x",
                            source=FindingSource.MEDIA)
    assert ids(admin_a_client.get(f"{BASE}/findings/")) == {mine.pk}


# --- ledger ----------------------------------------------------------------------------------------------------

def test_ledger_is_for_staff_and_lists_certification_events(staff_client, admin_a_client, agency_a, programme,
                                                            staff_user):
    certified_agency(agency_a, programme, staff_user)
    assert admin_a_client.get(f"{BASE}/ledger/").status_code == 403
    response = staff_client.get(f"{BASE}/ledger/?page_size=100")
    actions = [row["action"] for row in response.json()["results"]]
    assert "agency_certification.issued" in actions and "plaque.ordered" in actions
    assert "officer.created" not in actions  # not a certification event
    first = response.json()["results"][0]
    assert len(first["entry_hash"]) == 64 and len(first["prev_hash"]) == 64
    filtered = staff_client.get(f"{BASE}/ledger/?action=plaque.ordered").json()["results"]
    assert [row["action"] for row in filtered] == ["plaque.ordered"]


# --- query counts ----------------------------------------------------------------------------------------------
