"""Due process on findings (issue #18): the officer is noticed personally, answers in their own words with
documents within the window, names a representative who is copied; each party's answer is kept apart and staff read
them side by side; the agency never reads the officer's answer; another officer's finding is a 404."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agencies.models import Role
from certification import services
from certification.models import Finding, FindingResponse, FindingSource, FindingStatus
from core.exceptions import ApplicationError
from core.models import AuditEvent
from tests.conftest import jwt_client
from tests.factories import OfficerFactory, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/officer/findings"
BASE = "/api/v1/certification/findings"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nincident report of 2 April\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def officer_user(officer_a):
    return UserFactory(username="deputy_a", role=Role.OFFICER, officer=officer_a, email="deputy.a@mail.example.org")


@pytest.fixture
def officer_client(officer_user):
    return jwt_client(officer_user)


@pytest.fixture
def recorder(db):
    return UserFactory(username="recorder", role=Role.CERTIFICATION_STAFF, is_staff=True)


def _noticed(officer, recorder, capture=None):
    finding = services.finding_record(actor=recorder, officer=officer, incident_date=date(2025, 4, 2),
                                      summary="Struck a handcuffed detainee", source=FindingSource.COMPLAINT,
                                      evidence_references=["BWC-0402"])
    if capture is None:
        services.finding_notice(actor=recorder, finding=finding)
    else:
        with capture(execute=True):
            services.finding_notice(actor=recorder, finding=finding)
    finding.refresh_from_db()
    return finding


def _answer(client, finding_id, text="I was defending myself.", files=()):
    data = {"text": text}
    if files:
        data["files"] = list(files)
    return client.post(f"{ME}/{finding_id}/response/", data, format="multipart")


def test_notice_reaches_the_officer_personally_and_the_agency_separately(
        officer_a, officer_user, admin_a, recorder, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    finding = _noticed(officer_a, recorder, django_capture_on_commit_callbacks)
    personal = [m for m in mail.outbox if officer_user.email in m.to]
    agency = [m for m in mail.outbox if admin_a.email in m.to]
    assert len(personal) == 1 and len(agency) == 1 and personal[0] is not agency[0]
    assert f"/me/officer/findings/{finding.pk}/" in personal[0].body and "not by your agency" in personal[0].body
    assert officer_user.email not in agency[0].to
    notice = AuditEvent.objects.get(action="finding.noticed")
    assert notice.data["officer_notice"] == "account_email"


def test_officer_without_an_account_is_noted_in_the_notice_and_reached_through_the_roster(
        officer_a, admin_a, recorder, django_capture_on_commit_callbacks):
    type(officer_a).objects.filter(pk=officer_a.pk).update(email="roster@mail.example.org")
    officer_a.refresh_from_db()
    mail.outbox.clear()
    _noticed(officer_a, recorder, django_capture_on_commit_callbacks)
    assert AuditEvent.objects.get(action="finding.noticed").data["officer_notice"] == "no_account_email"
    assert [set(m.to) for m in mail.outbox] == [{"roster@mail.example.org", admin_a.email}]


def test_officer_answer_with_a_document_is_stored_and_shown_to_staff_beside_the_agencys(
        officer_a, officer_client, admin_a_client, staff_client, recorder):
    finding = _noticed(officer_a, recorder)
    answered = _answer(officer_client, finding.pk, "The detainee had slipped a cuff; my report is attached.",
                       files=[SimpleUploadedFile("report.pdf", PDF, "application/pdf")])
    assert answered.status_code == 201, answered.content
    assert answered.json()["status"] == "responded"
    agency = admin_a_client.post(f"{BASE}/{finding.pk}/response/", {"text": "The agency reviewed the footage."},
                                 format="json")
    assert agency.status_code == 200, agency.content

    detail = staff_client.get(f"{BASE}/{finding.pk}/").json()
    [officer_answer] = detail["officer_responses"]
    [agency_answer] = detail["agency_responses"]
    assert officer_answer["author_kind"] == "officer" and "slipped a cuff" in officer_answer["text"]
    assert agency_answer["author_kind"] == "agency" and agency_answer["text"] == "The agency reviewed the footage."
    [document] = officer_answer["documents"]
    assert (document["name"], document["content_type"], document["size"]) == ("report.pdf", "application/pdf",
                                                                              len(PDF))
    download = staff_client.get(f"/api/v1/certification/finding-response-documents/{document['id']}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert FindingResponse.objects.filter(finding=finding).count() == 2
    actions = list(AuditEvent.objects.filter(target_id=str(finding.pk)).values_list("action", flat=True))
    assert actions.count("finding.response_added") == 2 and "finding.response_recorded" in actions


def test_agency_cannot_see_the_officers_answer_its_document_or_representative(
        officer_a, officer_client, admin_a_client, recorder):
    finding = _noticed(officer_a, recorder)
    body = _answer(officer_client, finding.pk, "PRIVATE-ANSWER of the officer",
                   files=[SimpleUploadedFile("mine.pdf", PDF, "application/pdf")]).json()
    document_id = body["officer_responses"][0]["documents"][0]["id"]
    officer_client.put(f"{ME}/{finding.pk}/representative/", {"name": "Dana Whitfield",
                       "email": "dana@law.example.org"}, format="json")

    for response in (admin_a_client.get(f"{BASE}/{finding.pk}/"), admin_a_client.get(f"{BASE}/")):
        assert response.status_code == 200
        assert b"PRIVATE-ANSWER" not in response.content and b"Dana Whitfield" not in response.content
    seen = admin_a_client.get(f"{BASE}/{finding.pk}/").json()
    assert seen["officer_responses"] is None and seen["representative"] is None and seen["response_text"] == ""
    refused = admin_a_client.get(f"/api/v1/certification/finding-response-documents/{document_id}/download/")
    assert refused.status_code == 404


def test_officer_reads_own_answer_and_the_agencys_response(officer_a, officer_client, admin_a, recorder):
    finding = _noticed(officer_a, recorder)
    services.finding_response_record(actor=admin_a, finding=finding, text="Agency view of the arrest.")
    _answer(officer_client, finding.pk, "My own account.")
    body = officer_client.get(f"{ME}/{finding.pk}/").json()
    assert [r["text"] for r in body["officer_responses"]] == ["My own account."]
    assert [r["text"] for r in body["agency_responses"]] == ["Agency view of the arrest."]
    assert body["response_window_open"] is True and body["eligibility_effect"] == "pending"


def test_late_answer_is_refused_naming_the_rule_and_writes_nothing(officer_a, officer_client, recorder):
    finding = _noticed(officer_a, recorder)
    Finding.objects.filter(pk=finding.pk).update(response_due_on=timezone.localdate() - timedelta(days=1))
    late = _answer(officer_client, finding.pk, files=[SimpleUploadedFile("late.pdf", PDF, "application/pdf")])
    assert late.status_code == 409, late.content
    assert late.json()["code"] == "response_window_closed" and "response date" in late.json()["message"]
    assert not FindingResponse.objects.exists()
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.NOTICED


def test_answer_refused_once_determined(officer_a, officer_client, recorder, staff_user):
    finding = _noticed(officer_a, recorder)
    Finding.objects.filter(pk=finding.pk).update(response_due_on=timezone.localdate() - timedelta(days=1))
    finding.refresh_from_db()
    services.finding_determine(actor=staff_user, finding=finding, determination="exonerated", reason="Footage")
    Finding.objects.filter(pk=finding.pk).update(response_due_on=timezone.localdate() + timedelta(days=5))
    refused = _answer(officer_client, finding.pk)
    assert refused.status_code == 409 and refused.json()["code"] == "response_not_open"


def test_officer_b_gets_404_on_officer_as_finding(officer_a, agency_b, recorder):
    finding = _noticed(officer_a, recorder)
    other = UserFactory(username="deputy_b", role=Role.OFFICER, officer=OfficerFactory(agency=agency_b))
    client = jwt_client(other)
    assert client.get(f"{ME}/").json()["results"] == []
    for response in (client.get(f"{ME}/{finding.pk}/"), _answer(client, finding.pk),
                     client.put(f"{ME}/{finding.pk}/representative/", {"name": "X Y", "email": "x@example.org"},
                                format="json")):
        assert response.status_code == 404, response.content
    assert not FindingResponse.objects.exists()


def test_officer_sees_a_finding_only_from_the_notice_on(officer_a, officer_client, recorder):
    recorded = services.finding_record(actor=recorder, officer=officer_a, incident_date=date(2025, 4, 2),
                                       summary="Under assessment", source=FindingSource.OTHER)
    assert officer_client.get(f"{ME}/{recorded.pk}/").status_code == 404
    services.finding_notice(actor=recorder, finding=recorded)
    assert [f["id"] for f in officer_client.get(f"{ME}/").json()["results"]] == [recorded.pk]


def test_representative_is_copied_on_the_determination_and_the_officer_sees_the_reasons(
        officer_a, officer_client, officer_user, recorder, staff_user, staff2,
        django_capture_on_commit_callbacks):
    finding = _noticed(officer_a, recorder)
    named = officer_client.put(f"{ME}/{finding.pk}/representative/", {
        "name": "Dana Whitfield", "email": "dana@law.example.org", "phone": "+1 916 555 0143"}, format="json")
    assert named.status_code == 200 and named.json()["representative"]["name"] == "Dana Whitfield"
    _answer(officer_client, finding.pk, "I dispute it.")
    finding.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_determine(actor=staff_user, finding=finding, determination="sustained",
                                   reason="The footage shows two strikes to a restrained detainee.")
    [determined_mail] = mail.outbox
    assert set(determined_mail.to) == {officer_user.email, "dana@law.example.org"}
    assert "two strikes" in determined_mail.body
    body = officer_client.get(f"{ME}/{finding.pk}/").json()
    assert body["determination"] == "sustained" and "two strikes" in body["determination_reason"]
    assert body["eligibility_effect"] == "awaiting_verification"

    finding.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_verify(actor=staff2, finding=finding)
    assert any(set(m.to) == {officer_user.email, "dana@law.example.org"} for m in mail.outbox)
    body = officer_client.get(f"{ME}/{finding.pk}/").json()
    assert body["eligibility_effect"] == "permanently_ineligible" and "permanently ineligible" in \
        body["eligibility_effect_text"]
    assert AuditEvent.objects.filter(action="finding.representative_named", target_id=str(finding.pk)).exists()


def test_agency_answer_does_not_close_the_officers_window(officer_a, officer_user, admin_a, recorder, staff_user):
    finding = _noticed(officer_a, recorder)
    services.finding_response_record(actor=admin_a, finding=finding, text="Agency answer first.")
    with pytest.raises(ApplicationError) as exc:
        services.finding_determine(actor=staff_user, finding=finding, determination="sustained", reason="r")
    assert exc.value.code == "officer_response_window_open"
    services.finding_response_add(actor=officer_user, finding=finding, author_kind="officer", text="Mine.")
    services.finding_determine(actor=staff_user, finding=finding, determination="not_sustained", reason="r")
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.DETERMINED


def test_a_disguised_document_is_refused_and_nothing_is_written(officer_a, officer_client, recorder):
    finding = _noticed(officer_a, recorder)
    html = SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    refused = _answer(officer_client, finding.pk, files=[html])
    assert refused.status_code == 400 and refused.json()["code"] == "unsupported_file_type"
    assert not FindingResponse.objects.exists()
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.NOTICED


def test_agency_admin_cannot_file_an_answer_as_the_officer(officer_a, admin_a_client, recorder):
    finding = _noticed(officer_a, recorder)
    refused = admin_a_client.post(f"{BASE}/{finding.pk}/response/", {"text": "x", "author_kind": "officer"},
                                  format="json")
    assert refused.status_code == 400 and "author_kind" in refused.json()["fields"]
    assert not FindingResponse.objects.exists()


def test_officer_finding_reads_refuse_undocumented_query_parameters(officer_a, officer_client, recorder):
    finding = _noticed(officer_a, recorder)
    assert officer_client.get(f"{ME}/", {"page": 1}).status_code == 200
    for url in (f"{ME}/", f"{ME}/{finding.pk}/"):
        refused = officer_client.get(url, {"officer": officer_a.pk + 1})
        assert refused.status_code == 400 and refused.json()["code"] == "unknown_parameter"


def test_staff_console_shows_both_answers_side_by_side_on_the_finding(officer_a, officer_client, admin_a_client,
                                                                       recorder, client):
    finding = _noticed(officer_a, recorder)
    _answer(officer_client, finding.pk, "The detainee had slipped a cuff.",
            files=[SimpleUploadedFile("report.pdf", PDF, "application/pdf")])
    admin_a_client.post(f"{BASE}/{finding.pk}/response/", {"text": "The agency reviewed the footage."}, format="json")
    client.force_login(recorder)
    page = client.get(f"/admin/certification/finding/{finding.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "The detainee had slipped a cuff." in html and "The agency reviewed the footage." in html
    assert "report.pdf" in html and "/media/" not in html  # the name only: files go through the checked download
