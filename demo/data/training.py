"""Training's demo world: the Peace Officer course and its train-the-trainer course, a qualified instructor, an
upcoming session and one in progress. Idempotent: a second run creates nothing (it only adds a session when none
is upcoming or in progress any more, e.g. on a later day)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from agencies.models import User
from training.models import (
    PEACE_OFFICER_COURSE_CODE,
    TRAIN_THE_TRAINER_COURSE_CODE,
    Course,
    CourseKind,
    CourseStateAccreditation,
    TrainingSession,
)
from training.selectors import instructor_is_qualified
from training.services import accreditation_set, course_create, instructor_designate, session_create

PEACE_OFFICER_TITLE = "Peace Officer: Realizing the True Purpose of Policing"
ACCREDITATIONS = [
    # (state, state course number)
    ("CA", "POST-PO-2101"),
    ("OH", "OPOTA-PO-88"),
]
DEMO_TIME_ZONE = "America/Los_Angeles"


def demo_data_load() -> dict:
    created = {"courses": 0, "accreditations": 0, "qualifications": 0, "sessions": 0}
    actor = "demo-data"
    peace = Course.objects.filter(code=PEACE_OFFICER_COURSE_CODE).first()
    if peace is None:
        peace = course_create(
            actor=actor, code=PEACE_OFFICER_COURSE_CODE, title=PEACE_OFFICER_TITLE, ce_hours=Decimal("8"),
            offered_in_person=True, offered_virtual=True,
            description="Community engagement, de-escalation, cultural competency, procedural justice and "
                        "leadership: what policing is for, and how officers make peace their daily practice.")
        created["courses"] += 1
    trainer = Course.objects.filter(code=TRAIN_THE_TRAINER_COURSE_CODE).first()
    if trainer is None:
        trainer = course_create(
            actor=actor, code=TRAIN_THE_TRAINER_COURSE_CODE, title="Peace Officer: Train the Trainer",
            ce_hours=Decimal("16"), offered_in_person=True, offered_virtual=False,
            kind=CourseKind.TRAIN_THE_TRAINER, qualifies_for=peace,
            description="Qualifies graduates to deliver the Peace Officer course in their agency for two years.")
        created["courses"] += 1
    for state, number in ACCREDITATIONS:
        if not CourseStateAccreditation.objects.filter(course=peace, state=state).exists():
            accreditation_set(course=peace, state=state, actor=actor, accepted=True, hours_accepted=Decimal("8"),
                              state_course_number=number, ncp_recognised=True)
            created["accreditations"] += 1

    instructor = User.objects.filter(username="instructor").first()
    if instructor is None:  # the agencies demo data creates it; without it there is no one to teach
        return created
    today = timezone.localdate()
    if not instructor_is_qualified(user_id=instructor.pk, course_id=peace.pk, on=today):
        instructor_designate(user=instructor, course=peace, actor=actor, valid_from=today - timedelta(days=30))
        created["qualifications"] += 1

    now = timezone.now().replace(second=0, microsecond=0)
    sessions = TrainingSession.objects.filter(course=peace, instructor_assignments__user=instructor)
    if not sessions.filter(starts_at__gt=now).exists():
        start = (now + timedelta(days=14)).replace(hour=16, minute=0)  # 09:00 in Los Angeles
        session_create(actor=actor, course=peace, starts_at=start, ends_at=start + timedelta(hours=8),
                       time_zone=DEMO_TIME_ZONE, mode="virtual", capacity=20,
                       meeting_url="https://meet.example.org/peace-officer", instructors=[instructor])
        created["sessions"] += 1
    # In progress: started an hour ago, so attendance and completion can be recorded now.
    if not sessions.filter(starts_at__lte=now, ends_at__gt=now + timedelta(hours=1)).exists():
        start = now - timedelta(hours=1)
        session_create(actor=actor, course=peace, starts_at=start, ends_at=start + timedelta(hours=8),
                       time_zone=DEMO_TIME_ZONE, mode="in_person", capacity=3,
                       location="Riverside Police Department, Training Room B", instructors=[instructor])
        created["sessions"] += 1
    return created
