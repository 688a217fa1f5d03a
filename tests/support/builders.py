"""Builders shared across test packages: real CE credits through training's import service, a certification
checklist met through certification's services, and the certified agency built from both (never a stand-in for
the services or selectors they exercise)."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from certification import services
from certification.models import AgencyCertification, FindingSource, RequirementKind, RequirementState
from tests.factories import OfficerFactory


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


def agency_certification_ready(agency, programme, staff, *, sworn: int = 10, trained: int = 8,
                               trained_days_ago: int = 10) -> AgencyCertification:
    """An application under review with every requirement met: `sworn` officers on the headcount, `trained` of them
    with a real Peace Officer completion (10 sworn, 8 trained = 80 % by default)."""
    agency.sworn_headcount = sworn
    agency.save(update_fields=["sworn_headcount"])
    officers = [OfficerFactory(agency=agency) for _ in range(trained)]
    credits_record(officers, on=timezone.localdate() - timedelta(days=trained_days_ago))
    certification = services.agency_certification_apply(actor=staff, agency=agency, programme=programme)
    services.agency_certification_submit(actor=staff, certification=certification)
    checklist_complete(certification, actor=staff)
    return certification


def certified_agency(agency, programme, staff) -> AgencyCertification:
    """Applied, submitted, checklist met and issued (a plaque is ordered) through certification's services: one
    sworn officer, trained yesterday."""
    certification = agency_certification_ready(agency, programme, staff, sworn=1, trained=1, trained_days_ago=1)
    return services.agency_certification_issue(actor=staff, certification=certification)


def certify_officer(officer, staff):
    """A Good Officer Certification granted through the service, on yesterday's CE credits."""
    credits_record([officer], on=timezone.localdate() - timedelta(days=1))
    return services.officer_certification_grant(actor=staff, officer=officer)


def revoke_officer(officer, staff, second_staff):
    """A sustained finding carried through due process and verified by a second staff member: the revocation."""
    finding = services.finding_record(actor=staff, officer=officer, incident_date=date(2025, 2, 2),
                                      summary="SECRET-DETAIL of the incident", source=FindingSource.COURT,
                                      evidence_references=["EVIDENCE-REF-1"])
    services.finding_notice(actor=staff, finding=finding)
    services.finding_response_record(actor=staff, finding=finding, text="RESPONSE-TEXT")
    services.finding_determine(actor=staff, finding=finding, determination="sustained", reason="REASON-TEXT")
    services.finding_verify(actor=second_staff, finding=finding)
    return finding
