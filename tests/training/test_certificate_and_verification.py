"""Completion certificates (PDF read back, QR decoded) and public verification (API and page)."""

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from agencies.services import officer_mark_permanently_ineligible
from tests.factories import OfficerFactory
from training import services
from training.models import Completion

pytestmark = pytest.mark.django_db


@pytest.fixture
def completion(running, agency_a, staff_user):
    officer = OfficerFactory(agency=agency_a, first_name="Maria", last_name="Alvarez <b>&", license_number="CA-1")
    services.enrollments_create(session=running, officer_ids=[officer.pk], actor=staff_user)
    services.attendance_record(session=running, records=[(officer.pk, "completed")], actor=staff_user)
    return Completion.objects.get(officer=officer)


def certificate_path(completion):
    return f"/api/v1/training/completions/{completion.pk}/certificate.pdf"


def test_certificate_pdf_names_officer_course_hours_and_code(admin_a_client, completion):
    response = admin_a_client.get(certificate_path(completion))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Maria Alvarez <b>&" in text  # user text escaped, printed literally
    assert "Peace Officer" in text and "8 CE hours" in text
    assert completion.verification_code in text
    assert f"/verify/{completion.verification_code}/" in text


def test_certificate_is_404_for_another_agency_and_403_for_instructors(admin_b_client, instructor_client,
                                                                       completion):
    assert admin_b_client.get(certificate_path(completion)).status_code == 404
    assert instructor_client.get(certificate_path(completion)).status_code == 403


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                    reason="needs pdftoppm and zbarimg (apt-get install -y poppler-utils zbar-tools)")
def test_certificate_qr_decodes_to_the_public_verification_url(admin_a_client, completion, tmp_path, settings):
    settings.PUBLIC_BASE_URL = "https://peacecert.example.org"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(admin_a_client.get(certificate_path(completion)).content)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], check=True,
                             capture_output=True, text=True).stdout.strip()
    assert decoded == f"https://peacecert.example.org/verify/{completion.verification_code}/"


def test_public_verification_says_valid_without_login(anon_client, completion):
    response = anon_client.get(f"/api/v1/public/verify/{completion.verification_code}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["course_code"], body["ce_hours"], body["revoked_on"]) == (
        "valid", "PO-101", "8.00", None)
    typed = completion.verification_code.lower().replace("-", " ")  # what people type from paper
    assert anon_client.get(f"/api/v1/public/verify/{typed}/").json()["code"] == completion.verification_code


def test_public_verification_shows_revoked_for_a_permanently_ineligible_officer(anon_client, client, completion,
                                                                               staff_user):
    officer_mark_permanently_ineligible(officer=completion.officer, actor=staff_user, reason="finding verified")
    body = anon_client.get(f"/api/v1/public/verify/{completion.verification_code}/").json()
    assert body["status"] == "revoked" and body["revoked_on"]
    page = client.get(f"/verify/{completion.verification_code}/")
    assert page.status_code == 200 and b"Revoked." in page.content


def test_unknown_code_is_404_json_and_friendly_page(anon_client, client, db):
    response = anon_client.get("/api/v1/public/verify/AAAA-BBBB-CCCC-DDDD-EEEE/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    page = client.get("/verify/<script>alert(1)<script>/")
    assert page.status_code == 404
    assert b"No certificate has this code" in page.content and b"<script>alert" not in page.content


def test_verification_page_says_genuine_and_extends_the_site_layout(client, completion):
    page = client.get(f"/verify/{completion.verification_code}/")
    assert page.status_code == 200
    assert b"Genuine and current." in page.content
    assert b"core/site.css" in page.content
    assert b"Alvarez &lt;b&gt;&amp;" in page.content
