"""Officer identity fixtures and helpers: a permanently ineligible officer (and the same one relicensed), the
error-shape check, a roster upload, the public eligibility answer, and row counts that must not change."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.models import EmploymentRecord, IdentityReview, Officer, OfficerLicense
from agencies.services import officer_identity_correct, officer_mark_permanently_ineligible
from core.models import AuditEvent
from tests.factories import OfficerFactory

V = "/api/v1"
DOB = date(1984, 6, 2)


def world_counts() -> dict:
    return {"officers": Officer.objects.count(), "licences": OfficerLicense.objects.count(),
            "employment": EmploymentRecord.objects.count(), "audit": AuditEvent.objects.count(),
            "reviews": IdentityReview.objects.count()}




def roster(client, text: str, **data):
    upload = SimpleUploadedFile("roster.csv", text.encode(), "text/csv")
    return client.post(f"{V}/officers/import/", {**data, "file": upload}, format="multipart")


def eligibility(client, state: str, licence: str) -> dict:
    response = client.get(f"{V}/public/eligibility/", {"state": state, "licence": licence})
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def decertified(agency_b, staff_user):
    """A permanently ineligible officer of another agency and state, with a date of birth on record."""
    officer = OfficerFactory(agency=agency_b, first_name="Maria", last_name="Alvarez", state="OH",
                             license_number="OH-100201", date_of_birth=DOB)
    return officer_mark_permanently_ineligible(officer=officer, actor=staff_user, reason="finding verified")


@pytest.fixture
def relicensed(decertified, staff_user):
    """The decertified officer after staff corrected the licence: OH-100201 is now an earlier licence."""
    return officer_identity_correct(officer=decertified, actor=staff_user, license_number="OH-900001",
                                    reason="State re-issued the licence")
