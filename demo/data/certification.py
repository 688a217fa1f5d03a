"""Certification's demo world: the Peace Officer Agency Certification programme with its checklist, and a second
staff member (`staff2`) so the two-person rule can be shown. Idempotent: a second run creates nothing."""

from agencies.models import Role, User
from agencies.services import user_create
from certification.models import CertificationProgramme, ComputedRule, RequirementKind
from certification.services import certification_programme_create, programme_requirement_create
from demo.data.agencies import DEMO_PASSWORD

PROGRAMME_CODE = "peace-officer-agency"
PROGRAMME_NAME = "Peace Officer Agency Certification"
PROGRAMME_REQUIREMENTS = [
    # (code, title, kind, computed rule)
    ("commitment", "Agency head's signed commitment to the Peace Officer principles", RequirementKind.ATTESTATION,
     ""),
    ("trained_share", "Sworn officers who completed the Peace Officer course (settings.AGENCY_TRAINED_SHARE_PERCENT)",
     RequirementKind.COMPUTED, ComputedRule.TRAINED_SHARE),
    ("promise_event", "Peace Officer Promise event held", RequirementKind.STAFF_VERIFIED, ""),
    ("symbol_programme", "Peace Officer symbol programme adopted", RequirementKind.STAFF_VERIFIED, ""),
    ("chokehold_ban", "Chokehold ban policy adopted", RequirementKind.STAFF_VERIFIED, ""),
    ("body_worn_camera", "Body-worn-camera policy adopted", RequirementKind.STAFF_VERIFIED, ""),
    ("policy_manual", "Use-of-force policy manual (current edition)", RequirementKind.DOCUMENT, ""),
]
SECOND_STAFF_USERNAME = "staff2"


def programme_ensure(*, actor="demo-data") -> tuple[CertificationProgramme, int]:
    """The demo programme and its checklist; returns (programme, number of rows created)."""
    created = 0
    programme = CertificationProgramme.objects.filter(code=PROGRAMME_CODE).first()
    if programme is None:
        programme = certification_programme_create(
            actor=actor, code=PROGRAMME_CODE, name=PROGRAMME_NAME,
            description="Certifies agencies that trained their officers in Peace Officer practice and adopted the "
                        "programme's policies. Valid two years.")
        created += 1
    existing = set(programme.requirements.values_list("code", flat=True))
    for position, (code, title, kind, rule) in enumerate(PROGRAMME_REQUIREMENTS, start=1):
        if code not in existing:
            courses = _trained_share_course_ids(actor) if rule == ComputedRule.TRAINED_SHARE else None
            programme_requirement_create(actor=actor, programme=programme, code=code, title=title, kind=kind,
                                         computed_rule=rule, position=position, courses=courses)
            created += 1
    return programme, created


def _trained_share_course_ids(actor) -> list[int]:
    """The course the trained-share item counts: PO-101, which migrations create (training 0002); made here only in a
    database emptied after migrating (a flushed test database)."""
    from decimal import Decimal

    from training.models import PEACE_OFFICER_COURSE_CODE, Course
    from training.services import course_create

    course = Course.objects.filter(code=PEACE_OFFICER_COURSE_CODE).first() or course_create(
        actor=actor, code=PEACE_OFFICER_COURSE_CODE, title="Peace Officer: Realizing the True Purpose of Policing",
        ce_hours=Decimal("8"), offered_in_person=True, offered_virtual=True)
    return [course.pk]


def demo_data_load() -> dict:
    created = {"programmes": 0, "requirements": 0, "users": 0}
    before = CertificationProgramme.objects.filter(code=PROGRAMME_CODE).exists()
    _, rows = programme_ensure()
    created["programmes"] = 0 if before else 1
    created["requirements"] = rows - created["programmes"]
    if not User.objects.filter(username=SECOND_STAFF_USERNAME).exists():
        user_create(actor="demo-data", username=SECOND_STAFF_USERNAME, password=DEMO_PASSWORD,
                    role=Role.CERTIFICATION_STAFF, email="staff2@demo.peacecert.invalid", first_name="Alex",
                    last_name="Rivera")
        created["users"] += 1
    return created
