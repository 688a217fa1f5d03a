"""The officer's own pages: their record, certification and CE credits; training with certificate PDFs (read back);
findings with the determination, reasons and answers, and the answer form; the data export. Officer X never reaches
officer Y's certificate, finding or document (404)."""

import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from agencies.services import officer_identity_correct, officer_transfer
from certification import services as certification_services
from certification.models import FindingResponse, FindingResponseDocument
from tests.factories import AgencyFactory
from training.models import Completion

from .conftest import PDF

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_my_record_shows_licence_certification_and_credits_still_needed_with_human_labels(
        officer_world, x_client, settings):
    settings.OFFICER_CE_HOURS_PER_CYCLE = 20
    page = x_client.get("/me/").content.decode()
    assert "CA-100201 (CA)" in page and "Agency A Police" in page
    assert "CA-100999" not in page
    x, staff = officer_world["x"], officer_world["staff"]
    officer_identity_correct(officer=x, actor=staff, reason="Re-licensed", license_number="CA-100999")
    officer_transfer(officer=x, to_agency=AgencyFactory(name="Harbor City Police", state="CA"), actor=staff)
    page = x_client.get("/me/").content.decode()
    assert "CA-100999 (CA)" in page and "Re-licensed" in page and "Harbor City Police" in page
    assert "Licence history" in page and "Employment history" in page
    assert "Good Officer Certification" in page and ">Active<" in page
    assert "Towards renewing your current certification" in page
    assert "hours still needed" in page
    assert "Hours each state accepts" in page and "<td>CA</td>" in page and "<td>OH</td>" in page
    assert "Okonkwo" not in page and "CA-777999" not in page


def test_my_training_lists_completions_enrolments_and_open_sessions(officer_world, x_client):
    page = x_client.get("/me/training/").content.decode()
    mine = Completion.objects.get(officer=officer_world["x"])
    theirs = Completion.objects.get(officer=officer_world["y"])
    assert mine.verification_code in page and theirs.verification_code not in page
    assert f'href="/me/training/certificates/{mine.pk}.pdf"' in page
    assert "Enrolled" in page and "Riverside training centre" in page
    assert "Sessions your agency can enrol you in" in page


def test_an_officer_downloads_their_own_certificate_but_never_another_officers(officer_world, x_client):
    mine = Completion.objects.get(officer=officer_world["x"])
    theirs = Completion.objects.get(officer=officer_world["y"])
    pdf = x_client.get(f"/me/training/certificates/{mine.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "Alvarez" in text and mine.verification_code in text
    assert x_client.get(f"/me/training/certificates/{theirs.pk}.pdf").status_code == 404
    assert x_client.get("/me/training/certificates/999999.pdf").status_code == 404


def test_my_findings_show_only_my_findings_with_my_answer_and_documents(officer_world, x_client):
    mine, theirs = officer_world["findings"][officer_world["x"].pk], officer_world["findings"][officer_world["y"].pk]
    listing = x_client.get("/me/findings/").content.decode()
    assert f'href="/me/findings/{mine.pk}/"' in listing and f"/me/findings/{theirs.pk}/" not in listing
    detail = x_client.get(f"/me/findings/{mine.pk}/").content.decode()
    assert "Force used on a detainee by Alvarez" in detail and "Answer of Maria" in detail
    assert "Public complaint" in detail and "Answer this finding" in detail
    document = FindingResponseDocument.objects.get(response__finding=mine)
    download = x_client.get(f"/me/findings/{mine.pk}/documents/{document.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_another_officers_finding_and_its_documents_are_not_found(officer_world, x_client):
    mine, theirs = officer_world["findings"][officer_world["x"].pk], officer_world["findings"][officer_world["y"].pk]
    their_document = FindingResponseDocument.objects.get(response__finding=theirs)
    assert x_client.get(f"/me/findings/{theirs.pk}/").status_code == 404
    assert x_client.post(f"/me/findings/{theirs.pk}/", {"text": "Not mine"}).status_code == 404
    assert x_client.get(f"/me/findings/{theirs.pk}/documents/{their_document.pk}/").status_code == 404
    assert x_client.get(f"/me/findings/{mine.pk}/documents/{their_document.pk}/").status_code == 404
    assert not FindingResponse.objects.filter(finding=theirs, text="Not mine").exists()


def test_the_determination_and_its_reasons_are_shown_once_determined(officer_world, x_client):
    finding = officer_world["findings"][officer_world["x"].pk]
    certification_services.finding_determine(actor=officer_world["staff"], finding=finding,
                                             determination="not_sustained",
                                             reason="The body-camera footage shows a lawful restraint.")
    page = x_client.get(f"/me/findings/{finding.pk}/").content.decode()
    assert "Not sustained" in page and "The body-camera footage shows a lawful restraint." in page
    assert "Answer this finding" not in page


def test_an_officer_answers_a_finding_with_a_document_through_the_form(officer_world, x_client):
    finding = officer_world["findings"][officer_world["x"].pk]
    upload = SimpleUploadedFile("incident-report.pdf", PDF, content_type="application/pdf")
    response = x_client.post(f"/me/findings/{finding.pk}/", {
        "text": "My incident report of that night, attached, shows the detainee reached for my holster.",
        "files": [upload]}, follow=True)
    assert response.redirect_chain[-1][0] == f"/me/findings/{finding.pk}/#answers"
    assert b"Your answer was received" in response.content
    answer = FindingResponse.objects.filter(finding=finding).order_by("-id").first()
    assert answer.author_kind == "officer" and "holster" in answer.text
    assert [d.name for d in answer.documents.all()] == ["incident-report.pdf"]


def test_a_bad_answer_is_refused_next_to_the_field_and_keeps_nothing(officer_world, x_client):
    finding = officer_world["findings"][officer_world["x"].pk]
    before = FindingResponse.objects.count()
    empty = x_client.post(f"/me/findings/{finding.pk}/", {"text": "   "})
    assert empty.status_code == 400 and b'id="text-error"' in empty.content
    fake = SimpleUploadedFile("statement.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    wrong_type = x_client.post(f"/me/findings/{finding.pk}/", {"text": "My answer", "files": [fake]})
    assert wrong_type.status_code == 400 and b'id="files-error"' in wrong_type.content
    assert b"My answer" in wrong_type.content  # the typed answer is kept in the form
    too_many = [SimpleUploadedFile(f"page-{n}.pdf", PDF, content_type="application/pdf") for n in range(11)]
    refused = x_client.post(f"/me/findings/{finding.pk}/", {"text": "My answer", "files": too_many})
    assert refused.status_code == 400 and b"at most 10 files" in refused.content
    assert FindingResponse.objects.count() == before


def test_after_the_response_date_the_form_is_gone_and_a_late_post_is_refused(officer_world, x_client):
    finding = officer_world["findings"][officer_world["x"].pk]
    type(finding).objects.filter(pk=finding.pk).update(response_due_on=timezone.localdate() - timedelta(days=1))
    page = x_client.get(f"/me/findings/{finding.pk}/").content.decode()
    assert "Answer this finding" not in page and "The response window closed" in page
    late = x_client.post(f"/me/findings/{finding.pk}/", {"text": "Late answer"})
    assert late.status_code == 409 and b"response window closed" in late.content


def test_my_data_page_downloads_the_same_export_as_the_api(officer_world, x_client):
    page = x_client.get("/me/data/").content.decode()
    assert 'href="/me/export.json"' in page and 'href="/me/export.pdf"' in page
    exported = x_client.get("/me/export.json")
    assert exported.status_code == 200 and "no-store" in exported["Cache-Control"]
    assert exported["Content-Disposition"].startswith("attachment")
    data = json.loads(exported.content)
    assert data["officer"]["id"] == officer_world["x"].pk
    assert "Okonkwo" not in exported.content.decode()
    pdf = x_client.get("/me/export.pdf")
    assert pdf["Content-Type"] == "application/pdf" and "Alvarez" in _pdf_text(pdf.content)


def test_officer_y_sees_their_own_record_not_x(officer_world):
    client = Client()
    client.force_login(officer_world["y_account"])
    session = client.session
    session["officer_session_version"] = officer_world["y_account"].session_version
    session.save()
    page = client.get("/me/").content.decode()
    assert "Jonah Okonkwo" in page and "Alvarez" not in page
