"""The officer site's world: officers X (Maria, signed in) and Y (Jonah) of one agency, each with an account, a
completion, an enrolment, a Good Officer Certification and a finding they were given notice of (X's with their own
answer and a document); a scheduled session; a staff member and an agency administrator. Built through the services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Role
from certification import services as certification_services
from certification.models import FindingSource
from tests.factories import TEST_PASSWORD, OfficerFactory, UserFactory
from tests.support.builders import credits_record, peace_officer_course
from tests.training.factories import AccreditationFactory, SessionFactory
from training import services as training_services

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nstatement\ntrailer<<>>\n%%EOF\n"


def sign_in(client: Client, username: str, password: str = TEST_PASSWORD, **extra):
    return client.post("/me/login/", {"username": username, "password": password, **extra})


@pytest.fixture
def officer_world(agency_a, admin_a, staff_user):
    course = peace_officer_course()
    AccreditationFactory(course=course, state="CA", hours_accepted=Decimal("8.00"))
    AccreditationFactory(course=course, state="OH", hours_accepted=Decimal("6.00"))
    x = OfficerFactory(agency=agency_a, first_name="Maria", last_name="Alvarez", license_number="CA-100201")
    y = OfficerFactory(agency=agency_a, first_name="Jonah", last_name="Okonkwo", license_number="CA-777999")
    x_account = UserFactory(username="maria", role=Role.OFFICER, officer=x, email="maria@mail.example.org")
    y_account = UserFactory(username="jonah", role=Role.OFFICER, officer=y, email="jonah@mail.example.org")
    session = SessionFactory(course=course, capacity=5, location="Riverside training centre")
    world = {"x": x, "y": y, "x_account": x_account, "y_account": y_account, "session": session,
             "admin": admin_a, "staff": staff_user, "findings": {}}
    for officer, account in ((x, x_account), (y, y_account)):
        credits_record([officer], on=timezone.localdate() - timedelta(days=20))
        certification_services.officer_certification_grant(actor=staff_user, officer=officer)
        training_services.enrollments_create(session=session, officer_ids=[officer.pk], actor=staff_user)
        finding = certification_services.finding_record(
            actor=staff_user, officer=officer, incident_date=date(2025, 4, 2),
            summary=f"Force used on a detainee by {officer.last_name}", source=FindingSource.COMPLAINT,
            evidence_references=[f"IA-2025-{officer.pk}"])
        certification_services.finding_notice(actor=staff_user, finding=finding)
        certification_services.finding_response_add(
            actor=account, finding=finding, author_kind="officer", text=f"Answer of {officer.first_name}",
            files=[(f"statement-{officer.first_name}.pdf", PDF, "application/pdf")], staff_may_file_late=False)
        world["findings"][officer.pk] = finding
    return world


@pytest.fixture
def x_client(officer_world):
    client = Client()
    assert sign_in(client, "maria").status_code == 302
    return client
