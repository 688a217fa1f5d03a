"""The public site without a browser: labels instead of codes, one date format, officer and agency pages showing
only what is public, pagination, the certificate check, styled error pages."""

import re
from datetime import UTC

import pytest
from django.utils import timezone

from certification.templatetags.public_site import public_date
from tests.factories import OfficerFactory
from tests.support.builders import certify_officer

pytestmark = pytest.mark.django_db

RAW_CODES = ("sustained_excessive_force_finding", ">issued<", ">active<", ">revoked<", ">lapsed<", "under_review")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def html(response) -> str:
    return response.content.decode()


def test_home_page_leads_to_registry_certificate_check_and_transparency(client):
    page = html(client.get("/"))
    for href in ('href="/registry/"', 'href="/verify/"', 'href="/transparency/"'):
        assert href in page
    # Developer links live in the footer, after the main content.
    assert page.index("</main>") < page.index('href="/api/docs/"')
    assert 'class="skip-link" href="#main"' in page and "<header" in page and "<footer" in page


def test_registry_shows_labels_one_date_format_and_licence_number_then_state(client, registry_world):
    page = html(client.get("/registry/", {"q": "Riverside"}))
    assert "Maria Alvarez" in page and "James Okafor" in page and "Lena Brandt" in page
    assert "Nora Private" not in page  # never certified: not public
    for raw in RAW_CODES:
        assert raw not in page, raw
    assert "Sustained excessive-force finding" in page and "Revoked" in page and "Lapsed" in page
    assert "CA-100201 (CA)" in page and "CA CA-100201" not in page
    assert public_date(timezone.localdate()) in page
    assert not ISO_DATE.search(page.split("<main")[1])
    assert "SECRET-DETAIL" not in page


def test_one_date_format_reads_day_month_year():
    from datetime import date, datetime

    assert public_date(date(2026, 12, 2)) == "2 December 2026"
    assert public_date(datetime(2026, 12, 2, 23, 0, tzinfo=UTC)) == "2 December 2026"
    assert public_date(None) == ""


def test_officer_page_shows_the_public_record_and_never_the_finding(client, registry_world):
    james = registry_world["james"]
    page = html(client.get(f"/registry/officers/{james.pk}/"))
    assert "<h1>James Okafor</h1>" in page
    assert "Revoked on" in page and public_date(timezone.localdate()) in page
    assert "Sustained excessive-force finding" in page and "CA-100202 (CA)" in page
    for secret in ("SECRET-DETAIL", "EVIDENCE-REF-1", "RESPONSE-TEXT", "REASON-TEXT"):
        assert secret not in page
    assert f'href="/registry/agency/{registry_world["agency"].pk}/"' in page


def test_officer_never_certified_has_no_public_page(client, registry_world):
    assert client.get(f"/registry/officers/{registry_world['hidden'].pk}/").status_code == 404
    assert client.get("/registry/officers/999999/").status_code == 404


def test_agency_page_shows_certificate_and_public_officers_only(client, registry_world):
    agency, certificate = registry_world["agency"], registry_world["certificate"]
    page = html(client.get(f"/registry/agency/{agency.pk}/"))
    assert "<h1>Riverside Police Department</h1>" in page
    assert "Certified" in page and certificate.certificate_number in page
    assert f"{public_date(certificate.valid_from)} to {public_date(certificate.valid_until)}" in page
    assert "Maria Alvarez" in page and "James Okafor" in page and "Nora Private" not in page
    assert client.get("/registry/agency/999999/").status_code == 404


def test_registry_pages_fifty_officers_at_a_time(client, registry_world, staff_user):
    agency = registry_world["agency"]
    for n in range(52):
        certify_officer(OfficerFactory(agency=agency, last_name=f"Zeta{n:02d}"), staff_user)
    first = html(client.get("/registry/", {"q": "Riverside"}))
    assert first.count('class="result"') - first.count("Riverside Police Department</a></h3>") == 50
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = html(client.get("/registry/", {"q": "Riverside", "page": 2}))
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "Zeta51" in second
    agency_page = html(client.get(f"/registry/agency/{agency.pk}/", {"page": 2}))
    assert "Zeta51" in agency_page and 'rel="prev"' in agency_page


def test_certificate_check_leads_to_the_agency_certificate_and_the_training_certificate(client, registry_world):
    from training.models import Completion

    number = registry_world["certificate"].certificate_number
    typed = number.lower().replace("-", " ")
    response = client.get("/verify/", {"code": typed})
    assert response.status_code == 302 and response["Location"] == f"/registry/agencies/{number}/"
    result = html(client.get(response["Location"]))
    assert "Genuine and current." in result and public_date(registry_world["certificate"].valid_until) in result
    completion = Completion.objects.filter(officer=registry_world["maria"]).first()
    response = client.get("/verify/", {"code": completion.verification_code})
    assert response.status_code == 302 and response["Location"] == f"/verify/{completion.verification_code}/"
    assert "Genuine and current." in html(client.get(response["Location"]))


def test_certificate_check_form_says_an_unknown_code_next_to_the_field(client, db):
    empty = html(client.get("/verify/"))
    assert '<label for="code">Certificate code</label>' in empty and "No certificate has" not in empty
    page = client.get("/verify/", {"code": "<b>ZZZZ-9999</b>"})
    body = html(page)
    assert page.status_code == 200 and 'aria-invalid="true"' in body and 'id="code-error"' in body
    assert "<b>ZZZZ" not in body and "&lt;b&gt;ZZZZ-9999&lt;/b&gt;" in body


def test_styled_404_page_and_a_500_page_that_needs_no_request_context(client, db, settings):
    settings.DEBUG = False
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    body = html(page)
    assert "Page not found" in body and "core/site.css" in body and 'href="/registry/"' in body
    assert client.get("/api/v1/no-such-endpoint/").json()["code"] == "not_found"

    from django.template import loader

    rendered = loader.get_template("500.html").render()  # what Django's server_error does: no request, no context
    assert "Something went wrong on our side" in rendered and "core/site.css" in rendered


def test_pages_carry_the_strict_csp_and_no_inline_script_or_style(client, registry_world):
    james = registry_world["james"]
    for url in ("/", "/registry/?q=Riverside", f"/registry/officers/{james.pk}/", "/verify/", "/transparency/",
                f"/registry/agency/{registry_world['agency'].pk}/"):
        response = client.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        body = html(response)
        assert "<script>" not in body and "style=" not in body and "<style" not in body, url
