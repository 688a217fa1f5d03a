"""Reads with access rules, plus the numbers other apps ask training for.

Staff see everything. Agency administrators see the catalogue, every session, and only their own (current) officers'
enrolments and completions. Instructors see the sessions they teach and those sessions' rosters. A row the user may
not see answers the same 404 as a missing one.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from agencies.models import Officer
from core.access import scope_to_agency

from .models import (
    SEAT_STATUSES,
    Completion,
    Course,
    CourseStateAccreditation,
    Enrollment,
    EnrollmentStatus,
    InstructorQualification,
    ToolkitResource,
    TrainingSession,
)

ZERO_HOURS = Decimal("0.00")


# --- contracts used by other apps ---------------------------------------------------------------------------

def officer_ce_hours(*, officer_id: int, start: date, end: date, state: str | None = None) -> Decimal:
    """CE hours earned from completions dated within [start, end]. With `state`, each completion counts the hours
    that state accepts for its course (0 when the state does not accept it or has no mapping)."""
    if state is None:
        total = Completion.objects.filter(officer_id=officer_id, completed_on__range=(start, end)).aggregate(
            total=Sum("ce_hours"))["total"]
    else:
        # One row per (mapping, completion) pair: each completion of an accepted course adds the state's hours.
        total = CourseStateAccreditation.objects.filter(
            state=state.upper(), accepted=True, course__completions__officer_id=officer_id,
            course__completions__completed_on__range=(start, end),
        ).aggregate(total=Sum("hours_accepted"))["total"]
    return (total or ZERO_HOURS).quantize(Decimal("0.01"))


def agency_officers_completed_course_count(*, agency_id: int, course_code: str) -> int:
    """How many of the agency's current officers have completed the course (ever). One query."""
    return Officer.objects.filter(
        agency_id=agency_id, completions__course__code=course_code
    ).values("pk").distinct().count()


def agency_officers_completed_any_course_count(*, agency_id: int, course_ids) -> int:
    """How many of the agency's current officers have completed any of the courses (ever). One query."""
    return Officer.objects.filter(
        agency_id=agency_id, completions__course_id__in=list(course_ids)
    ).values("pk").distinct().count()


def qualification_visible_to(user) -> QuerySet[InstructorQualification]:
    """Instructor qualifications: certification staff only (they record and revoke them)."""
    qs = InstructorQualification.objects.select_related("course", "user", "officer", "granted_by")
    if not getattr(user, "is_authenticated", False) or not user.is_certification_staff:
        return qs.none()
    return qs


def qualification_get_for_user(*, user, qualification_id) -> InstructorQualification:
    return get_object_or_404(qualification_visible_to(user), pk=qualification_id)


def instructor_is_qualified(*, user_id: int, course_id: int, on: date) -> bool:
    """Whether the user may teach the course on that date: a staff designation for them, or a train-the-trainer
    qualification of the officer their instructor account is linked to, valid on `on`."""
    return InstructorQualification.objects.filter(
        Q(user_id=user_id) | Q(officer__instructor_account__user_id=user_id),
        course_id=course_id, valid_from__lte=on,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on)).exists()


# --- catalogue ----------------------------------------------------------------------------------------------

def course_visible_to(user) -> QuerySet[Course]:
    if not user.is_authenticated:
        return Course.objects.none()
    qs = Course.objects.select_related("qualifies_for").prefetch_related(
        Prefetch("accreditations", queryset=CourseStateAccreditation.objects.order_by("state")),
    )
    if not user.is_certification_staff:
        qs = qs.filter(is_active=True)
    return qs


def course_get_for_user(*, user, course_id) -> Course:
    return get_object_or_404(course_visible_to(user), pk=course_id)


def toolkit_resource_get_for_user(*, user, resource_id) -> ToolkitResource:
    """A toolkit file of a course the user can see (any signed-in user; inactive courses only for staff)."""
    qs = ToolkitResource.objects.select_related("course").filter(course__in=course_visible_to(user))
    return get_object_or_404(qs, pk=resource_id)


# --- sessions -----------------------------------------------------------------------------------------------

def _count_enrollments(statuses) -> Subquery:
    counted = (Enrollment.objects.filter(session=OuterRef("pk"), status__in=statuses).order_by()
               .values("session").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def session_visible_to(user) -> QuerySet[TrainingSession]:
    if not user.is_authenticated:
        return TrainingSession.objects.none()
    qs = TrainingSession.objects.select_related("course").prefetch_related("instructors").annotate(
        seats_taken=_count_enrollments(SEAT_STATUSES),
        waitlist_count=_count_enrollments([EnrollmentStatus.WAITLISTED]),
    )
    if user.is_certification_staff or user.is_agency_admin:
        return qs
    # Instructors (and anyone else) see only the sessions they teach.
    return qs.filter(instructor_assignments__user=user)


def session_get_for_user(*, user, session_id) -> TrainingSession:
    return get_object_or_404(session_visible_to(user), pk=session_id)


# --- enrolments and completions -----------------------------------------------------------------------------

def enrollment_visible_to(user) -> QuerySet[Enrollment]:
    """Staff: all. Agency admin: their current officers'. Instructors: the rosters of the sessions they teach."""
    qs = Enrollment.objects.select_related("officer", "officer__agency", "session", "session__course",
                                           "completion")
    return scope_to_agency(qs, user, agency_field="officer__agency_id",
                           others=qs.filter(session__instructor_assignments__user_id=user.pk))


def enrollment_get_for_user(*, user, enrollment_id) -> Enrollment:
    return get_object_or_404(enrollment_visible_to(user), pk=enrollment_id)


def session_roster(*, user, session: TrainingSession) -> QuerySet[Enrollment]:
    return enrollment_visible_to(user).filter(session=session).order_by("created_at", "id")


def completion_visible_to(user) -> QuerySet[Completion]:
    qs = Completion.objects.select_related("officer", "officer__agency", "course", "session")
    return scope_to_agency(qs, user, agency_field="officer__agency_id")


def completion_get_for_user(*, user, completion_id) -> Completion:
    return get_object_or_404(completion_visible_to(user), pk=completion_id)


def completion_by_code(*, code: str) -> Completion | None:
    return (Completion.objects.select_related("officer", "officer__agency", "course")
            .filter(verification_code=code).first())


# --- transcript ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TranscriptLine:
    completion: Completion
    state_hours: Decimal | None  # hours the requested state accepts; None when no state was asked for
    state_course_number: str


@dataclass(frozen=True)
class Transcript:
    officer: Officer
    start: date | None
    end: date | None
    state: str | None
    lines: list[TranscriptLine]
    total_hours: Decimal
    hours_by_state: dict[str, Decimal]


def officer_transcript(*, officer: Officer, start: date | None = None, end: date | None = None,
                       state: str | None = None) -> Transcript:
    """Completions in the period with their hours, and per-state totals from the accreditation mapping.
    Two queries whatever the number of completions."""
    completions = Completion.objects.filter(officer=officer).select_related("course", "session").prefetch_related(
        Prefetch("course__accreditations", queryset=CourseStateAccreditation.objects.filter(accepted=True),
                 to_attr="accepted_mappings")
    ).order_by("completed_on", "id")
    if start:
        completions = completions.filter(completed_on__gte=start)
    if end:
        completions = completions.filter(completed_on__lte=end)
    lines, by_state, total = [], {}, ZERO_HOURS
    for completion in completions:
        total += completion.ce_hours
        mappings = {m.state: m for m in completion.course.accepted_mappings}
        for mapped_state, mapping in mappings.items():
            by_state[mapped_state] = by_state.get(mapped_state, ZERO_HOURS) + mapping.hours_accepted
        mapping = mappings.get(state) if state else None
        lines.append(TranscriptLine(
            completion=completion,
            state_hours=(mapping.hours_accepted if mapping else ZERO_HOURS) if state else None,
            state_course_number=mapping.state_course_number if mapping else "",
        ))
    if state:
        by_state = {state: by_state.get(state, ZERO_HOURS)}
    return Transcript(officer=officer, start=start, end=end, state=state, lines=lines, total_hours=total,
                      hours_by_state=dict(sorted(by_state.items())))


# --- state roster export ------------------------------------------------------------------------------------

def state_roster_rows(*, state: str, start: date, end: date):
    """Completions of courses the state accepts, dated within [start, end], with the state's numbers.
    Yields rows lazily (large exports stream)."""
    mappings = CourseStateAccreditation.objects.filter(state=state, accepted=True)
    by_course = {m.course_id: m for m in mappings}
    completions = (Completion.objects.filter(course_id__in=list(by_course), completed_on__range=(start, end))
                   .select_related("officer", "officer__agency", "course").order_by("completed_on", "id"))
    for completion in completions.iterator(chunk_size=2000):
        yield completion, by_course[completion.course_id]


# --- an officer's own account (/me/officer/): their own rows only ------------------------------------------

def _own_officer_id(user) -> int | None:
    return user.officer_id if getattr(user, "is_authenticated", False) and user.is_officer else None


def completion_own(user) -> QuerySet[Completion]:
    """The signed-in officer's own completions (none for any other account)."""
    officer_id = _own_officer_id(user)
    qs = Completion.objects.select_related("officer", "course", "session").order_by("-completed_on", "-id")
    return qs.filter(officer_id=officer_id) if officer_id else qs.none()


def completion_own_get(*, user, completion_id) -> Completion:
    return get_object_or_404(completion_own(user), pk=completion_id)


def enrollment_own(user) -> QuerySet[Enrollment]:
    officer_id = _own_officer_id(user)
    qs = Enrollment.objects.select_related("officer", "officer__agency", "session", "session__course",
                                           "completion").order_by("-session__starts_at", "-id")
    return qs.filter(officer_id=officer_id) if officer_id else qs.none()


def sessions_open_to_officer(user) -> QuerySet[TrainingSession]:
    """Sessions the officer's agency could enrol them in: scheduled, not started yet (read-only for the officer:
    their agency administrator enrols them)."""
    from django.utils import timezone

    from .models import SessionStatus

    if not _own_officer_id(user):
        return TrainingSession.objects.none()
    return (TrainingSession.objects.select_related("course").prefetch_related("instructors")
            .annotate(seats_taken=_count_enrollments(SEAT_STATUSES),
                      waitlist_count=_count_enrollments([EnrollmentStatus.WAITLISTED]))
            .filter(status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()).order_by("starts_at", "id"))
