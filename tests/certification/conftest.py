"""Certification fixtures: the demo programme's checklist, a second staff member (two-person rule), and real CE
credits created through training's own import service (never a stand-in for its selectors)."""

from datetime import date
from decimal import Decimal

import pytest

from agencies.models import Role
from certification import services
from certification.demo_data import programme_ensure
from certification.models import RequirementKind, RequirementState
from tests.conftest import jwt_client
from tests.factories import UserFactory


@pytest.fixture
def staff2(db):
    return UserFactory(username="staff2", role=Role.CERTIFICATION_STAFF, is_staff=True)


@pytest.fixture
def staff2_client(staff2):
    return jwt_client(staff2)


@pytest.fixture
def staff3(db):
    return UserFactory(username="staff3", role=Role.CERTIFICATION_STAFF, is_staff=True)


@pytest.fixture
def programme(db):
    return programme_ensure(actor="test")[0]


def peace_officer_course():
    from training.models import PEACE_OFFICER_COURSE_CODE, Course
    from training.services import course_create

    course = Course.objects.filter(code=PEACE_OFFICER_COURSE_CODE).first()
    return course or course_create(actor="test", code=PEACE_OFFICER_COURSE_CODE, title="Peace Officer",
                                   ce_hours=Decimal("8"))


def credits_record(officers, *, on: date, hours: str | None = None, course_code: str | None = None) -> None:
    """Record completions through training's bulk credit import (its real validation and writes)."""
    from training.services import credits_import

    code = course_code or peace_officer_course().code
    lines = ["state,license_number,course_code,completed_on,ce_hours"]
    lines += [f"{o.state},{o.license_number},{code},{on.isoformat()},{hours or ''}" for o in officers]
    result = credits_import(raw="\n".join(lines).encode(), actor="test")
    assert not result.errors, result.errors


def checklist_complete(certification, *, actor, except_codes=()) -> None:
    """Meet every hand-decided item of a certification's checklist through the services."""
    for line in certification.requirements.select_related("requirement"):
        kind, code = line.requirement.kind, line.requirement.code
        if code in except_codes or kind == RequirementKind.COMPUTED:
            continue
        if kind == RequirementKind.ATTESTATION:
            services.requirement_attest(actor=actor, status=line, text="We commit.", attested_by_name="Chief Doe")
        elif kind == RequirementKind.DOCUMENT:
            services.requirement_document_upload(actor=actor, status=line, name="manual.pdf", content=b"%PDF-1.4 x")
            line.refresh_from_db()
            services.requirement_status_mark(actor=actor, status=line, state=RequirementState.MET)
        else:
            services.requirement_status_mark(actor=actor, status=line, state=RequirementState.MET)
