"""An officer's own account (issue #18, read side): invitation -> password -> login -> their own record,
transcript, certificates, credits, certification, enrolments and released 360 reports; never another officer's."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from agencies.models import Role
from certification import services as certification_services
from tests.conftest import jwt_client
from tests.evaluations.factories import cycle_make
from tests.factories import OfficerFactory, UserFactory
from tests.security.world import _released_cycle
from tests.support.builders import credits_record, peace_officer_course
from tests.training.factories import AccreditationFactory, SessionFactory
from training import services as training_services

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/officer"
PASSWORD = "Harbour lantern 1987"
LINK = re.compile(r"/account/set-password/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)/")


def _officer_account(officer):
    return UserFactory(username=f"officer{officer.pk}", role=Role.OFFICER, officer=officer)


@pytest.fixture
def course(db):
    course = peace_officer_course()
    AccreditationFactory(course=course, state="CA", hours_accepted=Decimal("8.00"))
    AccreditationFactory(course=course, state="OH", hours_accepted=Decimal("6.00"))
    return course


@pytest.fixture
def officers(agency_a, course):
    """Officer X (the one signed in) and officer Y of the same agency, each with a completion."""
    x, y = OfficerFactory(agency=agency_a), OfficerFactory(agency=agency_a)
    credits_record([x, y], on=timezone.localdate() - timedelta(days=20))
    return x, y


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_invited_officer_sets_a_password_logs_in_and_reads_own_transcript_and_certificate(
        admin_a_client, officers, django_capture_on_commit_callbacks):
    x, _ = officers
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invited = admin_a_client.post("/api/v1/accounts/", {
            "role": "officer", "email": "x.officer@agency-a.example.org", "officer": x.pk}, format="json")
    assert invited.status_code == 201, invited.content
    link = LINK.search(mail.outbox[0].body).groupdict()
    anon = APIClient()
    assert anon.post("/api/v1/auth/password/set/", {**link, "password": PASSWORD}, format="json").status_code == 204
    login = anon.post("/api/v1/auth/token/", {"username": "x.officer@agency-a.example.org", "password": PASSWORD},
                      format="json")
    assert login.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    record = client.get(f"{ME}/")
    assert record.status_code == 200
    assert (record.json()["id"], record.json()["license_number"]) == (x.pk, x.license_number)
    assert "same_person_as" not in record.json()
    transcript = client.get(f"{ME}/transcript/").json()
    assert transcript["officer"] == x.pk and len(transcript["completions"]) == 1
    assert transcript["hours_by_state"] == {"CA": "8.00", "OH": "6.00"}
    completions = client.get(f"{ME}/completions/").json()["results"]
    assert [c["officer"] for c in completions] == [x.pk]
    pdf = client.get(completions[0]["certificate_url"], HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert x.last_name in text and completions[0]["verification_code"] in text


def test_credits_say_what_is_still_needed_per_window_and_state(agency_a, course, settings):
    settings.OFFICER_CE_HOURS_PER_CYCLE = 12
    x = OfficerFactory(agency=agency_a)
    credits_record([x], on=timezone.localdate() - timedelta(days=10))
    credits = jwt_client(_officer_account(x)).get(f"{ME}/credits/").json()
    assert credits["certification_status"] is None and credits["blocked_by"] == []
    current = credits["current"]
    assert current["label"] == "certification"
    assert (current["hours"], current["required_hours"], current["still_needed"]) == ("8.00", "12.00", "4.00")
    assert current["hours_by_state"] == {"CA": "8.00", "OH": "6.00"}
    assert credits["cycles"] == []


def test_certification_status_and_history_after_a_grant(agency_a, course, staff_user):
    x = OfficerFactory(agency=agency_a)
    credits_record([x], on=timezone.localdate() - timedelta(days=10))
    certification_services.officer_certification_grant(actor=staff_user, officer=x)
    client = jwt_client(_officer_account(x))
    standing = client.get(f"{ME}/certification/").json()
    assert standing["status"] == "active" and standing["permanently_ineligible"] is False
    assert len(standing["history"]) == 1
    assert standing["history"][0]["credits"]["hours_by_state"] == {"CA": "8.00", "OH": "6.00"}
    credits = client.get(f"{ME}/credits/").json()
    assert credits["current"]["label"] == "renewal"  # the current cycle's hours count towards renewal
    assert credits["current"]["still_needed"] == "8.00"


def test_enrolments_and_the_sessions_the_agency_could_enrol_them_in(officers, course, staff_user):
    x, y = officers
    upcoming = SessionFactory(course=course, capacity=5)
    training_services.enrollments_create(session=upcoming, officer_ids=[x.pk, y.pk], actor=staff_user)
    client = jwt_client(_officer_account(x))
    enrollments = client.get(f"{ME}/enrollments/").json()["results"]
    assert [(e["officer"], e["session"]) for e in enrollments] == [(x.pk, upcoming.pk)]
    sessions = client.get(f"{ME}/sessions/").json()["results"]
    assert upcoming.pk in [s["id"] for s in sessions]
    assert "meeting_url" not in sessions[0] and "instructors" not in sessions[0]


def test_a_360_report_is_shown_to_its_subject_only_when_released_to_them(admin_a, staff_user, officers):
    x, y = officers
    released = _released_cycle(x, admin_a, staff_user)
    client = jwt_client(_officer_account(x))
    listed = client.get(f"{ME}/reports/").json()["results"]
    assert [r["cycle"] for r in listed] == [released.pk]
    report = client.get(f"{ME}/reports/{released.pk}/")
    assert report.status_code == 200
    body = report.content.decode()
    emails = set(released.invitations.values_list("rater_email", flat=True))
    names = {n for n in released.invitations.values_list("rater_name", flat=True) if n}
    assert emails and not any(e in body for e in emails)
    assert not any(n in body for n in names)
    assert "provenance" not in report.json() and "review" not in report.json()
    # A cycle staff keep from the subject: released to the agency, never shown to the officer.
    kept = _released_cycle(y, admin_a, staff_user)
    type(kept).objects.filter(pk=kept.pk).update(release_to_subject=False)
    y_client = jwt_client(_officer_account(y))
    assert y_client.get(f"{ME}/reports/").json()["results"] == []
    assert y_client.get(f"{ME}/reports/{kept.pk}/").status_code == 404


def test_release_to_subject_is_set_when_the_cycle_is_created(admin_a_client, officers):
    x, _ = officers
    now = timezone.now()
    response = admin_a_client.post("/api/v1/evaluations/cycles/", {
        "subject": x.pk, "target_position": "Lieutenant", "opens_at": (now + timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=10)).isoformat(), "release_to_subject": False}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["release_to_subject"] is False
    assert cycle_make(subject=x).release_to_subject is True  # the default


def test_officer_x_cannot_read_anything_of_officer_y(admin_a, staff_user, officers):
    x, y = officers
    y_report = _released_cycle(y, admin_a, staff_user)
    y_completion = y.completions.get()
    client = jwt_client(_officer_account(x))
    missing = client.get(f"{ME}/completions/987654/certificate.pdf")
    assert missing.status_code == 404
    for path in (f"{ME}/completions/{y_completion.pk}/certificate.pdf", f"{ME}/reports/{y_report.pk}/"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (404, missing.json()), path
    assert y_completion.pk not in [c["id"] for c in client.get(f"{ME}/completions/").json()["results"]]
    assert client.get(f"{ME}/reports/").json()["results"] == []
    assert client.get(f"{ME}/").json()["id"] == x.pk
    assert client.get(f"{ME}/transcript/").json()["officer"] == x.pk
    # The staff and agency routes stay closed to an officer's account.
    assert client.get(f"/api/v1/officers/{y.pk}/").status_code == 403
    assert client.get(f"/api/v1/training/officers/{y.pk}/transcript/").status_code == 403


def test_other_roles_are_refused_the_officer_routes(admin_a_client, staff_client):
    for client in (admin_a_client, staff_client):
        assert client.get(f"{ME}/").status_code == 403
        assert client.get(f"{ME}/credits/").status_code == 403
