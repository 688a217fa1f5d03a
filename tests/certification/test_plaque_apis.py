"""Plaques over HTTP: fulfilment steps, delivery days, the overdue list and digest, and the plaque PDF."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from certification import services
from certification.models import Plaque
from core.models import AuditEvent
from tests.factories import AgencyFactory
from tests.support.builders import certified_agency

from .conftest import ids

pytestmark = pytest.mark.django_db
BASE = "/api/v1/certification"


def test_plaque_fulfilment_over_http(staff_client, admin_a_client, agency_a, programme, staff_user):
    plaque = certified_agency(agency_a, programme, staff_user).plaque
    url = f"{BASE}/plaques/{plaque.pk}/advance/"
    assert admin_a_client.post(url, {"to": "printed"}, format="json").status_code == 403
    assert staff_client.post(url, {"to": "shipped", "carrier": "UPS", "tracking_number": "1Z"},
                             format="json").status_code == 409  # must be printed first
    assert staff_client.post(url, {"to": "printed"}, format="json").json()["status"] == "printed"
    missing = staff_client.post(url, {"to": "shipped"}, format="json")
    assert missing.status_code == 400 and set(missing.json()["fields"]) == {"carrier", "tracking_number"}
    shipped = staff_client.post(url, {"to": "shipped", "carrier": "UPS", "tracking_number": "1Z999"}, format="json")
    assert (shipped.json()["carrier"], shipped.json()["tracking_number"]) == ("UPS", "1Z999")
    delivered = staff_client.post(url, {"to": "delivered"}, format="json").json()
    assert delivered["status"] == "delivered" and delivered["days_taken"] == 0
    assert [e.action for e in AuditEvent.objects.filter(target_type="certification.plaque")] == [
        "plaque.ordered", "plaque.printed", "plaque.shipped", "plaque.delivered"]


def test_delivered_plaque_records_the_days_it_took(staff_user, agency_a, programme):
    plaque = certified_agency(agency_a, programme, staff_user).plaque
    Plaque.objects.filter(pk=plaque.pk).update(ordered_at=timezone.now() - timedelta(days=9))
    plaque.refresh_from_db()
    for to in ("printed",):
        services.plaque_advance(actor=staff_user, plaque=plaque, to=to)
    services.plaque_advance(actor=staff_user, plaque=plaque, to="shipped", carrier="USPS", tracking_number="9400")
    services.plaque_advance(actor=staff_user, plaque=plaque, to="delivered")
    assert Plaque.objects.get(pk=plaque.pk).days_taken == 9


def test_overdue_plaques_for_staff(staff_client, staff_user, agency_a, agency_b, programme):
    late = certified_agency(agency_a, programme, staff_user).plaque
    on_time = certified_agency(agency_b, programme, staff_user).plaque
    Plaque.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    assert ids(staff_client.get(f"{BASE}/plaques/?overdue=true")) == {late.pk}
    assert ids(staff_client.get(f"{BASE}/plaques/?overdue=false")) == {on_time.pk}
    assert staff_client.get(f"{BASE}/plaques/?overdue=maybe").status_code == 400


def test_overdue_digest_goes_to_staff_once_a_day(staff_user, agency_a, programme, django_capture_on_commit_callbacks):
    from django.core import mail

    plaque = certified_agency(agency_a, programme, staff_user).plaque
    Plaque.objects.filter(pk=plaque.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.plaques_overdue_digest_send() == 1
        assert services.plaques_overdue_digest_send() == 0
    assert len(mail.outbox) == 1 and staff_user.email in mail.outbox[0].to
    assert agency_a.name in mail.outbox[0].body


def test_plaque_pdf_has_the_agency_dates_number_and_qr(admin_a_client, agency_a, programme, staff_user, tmp_path):
    import shutil
    import subprocess

    from pypdf import PdfReader

    certification = certified_agency(agency_a, programme, staff_user)
    response = admin_a_client.get(f"{BASE}/plaques/{certification.plaque.pk}/plaque.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert agency_a.name in text and certification.certificate_number in text
    assert f"{certification.valid_until:%B} {certification.valid_until.day:02d}, {certification.valid_until.year}" \
        in text
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm/zbarimg not installed (apt-get install -y poppler-utils zbar-tools)")
    pdf = tmp_path / "plaque.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(pdf), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(png)], check=True, capture_output=True, text=True)
    assert decoded.stdout.strip() == f"http://127.0.0.1:8000/registry/agencies/{certification.certificate_number}/"


def test_plaque_pdf_escapes_agency_names(staff_client, staff_user, programme):
    from pypdf import PdfReader

    agency = AgencyFactory(name="<b>Smith & Sons</b> PD")
    certification = certified_agency(agency, programme, staff_user)
    response = staff_client.get(f"{BASE}/plaques/{certification.plaque.pk}/plaque.pdf")
    assert "<b>Smith & Sons</b> PD" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
