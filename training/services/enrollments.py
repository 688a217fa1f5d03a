"""Enrolment writes: seats, the waitlist, cancellation, attendance and the CE credit it awards.

The enrolment lifecycle is one `core.transitions.Lifecycle`; nothing else sets an enrolment's status."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.selectors import officer_visible_to
from core.audit import audit_record
from core.codes import verification_code_new
from core.exceptions import ApplicationError
from core.notifications import email_send_on_commit
from core.transitions import Lifecycle

from ..models import (
    SEAT_STATUSES,
    Completion,
    CompletionSource,
    Course,
    CourseKind,
    Enrollment,
    EnrollmentStatus,
    InstructorQualification,
    QualificationSource,
    SessionInstructor,
    SessionStatus,
    TrainingSession,
)
from ..pdf import CompletionCertificateData
from .sessions import session_local_date

# --- enrolment ----------------------------------------------------------------------------------------------

ES = EnrollmentStatus
ENROLLMENT_ALLOWED = {
    ES.WAITLISTED: {ES.ENROLLED, ES.CANCELLED},
    ES.ENROLLED: {ES.CANCELLED, ES.ATTENDED, ES.NO_SHOW, ES.COMPLETED},
    # Attendance can be corrected until the officer is credited; completion and cancellation are final.
    ES.ATTENDED: {ES.NO_SHOW, ES.COMPLETED},
    ES.NO_SHOW: {ES.ATTENDED, ES.COMPLETED},
    ES.COMPLETED: set(),
    ES.CANCELLED: set(),
}
# The ledger names each move after the status it reaches: enrollment.enrolled, enrollment.cancelled, ...
ENROLLMENT_VERBS = {ES.ENROLLED: "enrolled", ES.CANCELLED: "cancelled", ES.ATTENDED: "attended",
                    ES.NO_SHOW: "no_show", ES.COMPLETED: "completed"}

ENROLLMENT_LIFECYCLE = Lifecycle(model=Enrollment, allowed=ENROLLMENT_ALLOWED, verbs=ENROLLMENT_VERBS,
                                 noun="enrollment")


def _transition(*, enrollment: Enrollment, to: str, actor, reason: str = "") -> Enrollment:
    return ENROLLMENT_LIFECYCLE.transition(
        obj=enrollment, to=to, actor=actor, reason=reason, fields={"status_changed_at": timezone.now()},
        data={"session": enrollment.session_id, "officer": enrollment.officer_id})


@dataclass(frozen=True)
class EnrollmentOutcome:
    officer_id: int
    result: str  # enrolled | waitlisted | refused
    enrollment: Enrollment | None = None
    code: str = ""
    message: str = ""


MAX_OFFICERS_PER_REQUEST = 200


def _locked_session(session_id: int) -> TrainingSession:
    # The row lock serialises every seat decision for this session: concurrent enrolments, cancellations and
    # promotions queue here, so the seat count read below cannot be stale (PostgreSQL; SQLite locks the database).
    return TrainingSession.objects.select_for_update().select_related("course").get(pk=session_id)


def _require_scheduled(session: TrainingSession) -> None:
    """A cancelled session takes no enrolments and awards no credits (409)."""
    if session.status == SessionStatus.CANCELLED:
        raise ApplicationError("session_cancelled", "This session was cancelled: it takes no enrolments and awards "
                                                    "no credits.", status_code=409)


def _seats_taken(session: TrainingSession) -> int:
    return Enrollment.objects.filter(session=session, status__in=SEAT_STATUSES).count()


def enrollments_create(*, session: TrainingSession, officer_ids: list[int], actor) -> list[EnrollmentOutcome]:
    """Enrol officers in list order: a seat while there are seats, then the waitlist. Per officer, an id the actor
    may not enrol (another agency's, or missing) is refused as unknown, a live enrolment as duplicate."""
    if len(officer_ids) > MAX_OFFICERS_PER_REQUEST:
        raise ApplicationError("validation_error", "Too many officers in one request.", fields={
            "officer_ids": [f"At most {MAX_OFFICERS_PER_REQUEST} officers per request."]})
    with transaction.atomic():
        session = _locked_session(session.pk)
        _require_scheduled(session)
        if timezone.now() >= session.ends_at:
            raise ApplicationError("session_ended", "This session has ended; enrolment is closed.")
        visible = set(officer_visible_to(actor).filter(pk__in=set(officer_ids)).values_list("pk", flat=True))
        live = set(Enrollment.objects.filter(session=session, officer_id__in=visible)
                   .exclude(status=EnrollmentStatus.CANCELLED).values_list("officer_id", flat=True))
        free = session.capacity - _seats_taken(session)
        outcomes: list[EnrollmentOutcome] = []
        to_create: list[Enrollment] = []
        for officer_id in officer_ids:
            if officer_id not in visible:
                outcomes.append(EnrollmentOutcome(officer_id, "refused", code="unknown_officer",
                                                  message=f"Unknown officer {officer_id}."))
            elif officer_id in live:
                outcomes.append(EnrollmentOutcome(officer_id, "refused", code="duplicate",
                                                  message="Already enrolled or waitlisted in this session."))
            else:
                live.add(officer_id)
                status = EnrollmentStatus.ENROLLED if free > 0 else EnrollmentStatus.WAITLISTED
                free -= status == EnrollmentStatus.ENROLLED
                enrollment = Enrollment(session=session, officer_id=officer_id, status=status,
                                        enrolled_by=actor if getattr(actor, "pk", None) else None)
                to_create.append(enrollment)
                outcomes.append(EnrollmentOutcome(officer_id, status, enrollment=enrollment))
        # One INSERT; ids come back in list order, which is also the waitlist order.
        Enrollment.objects.bulk_create(to_create)
        for enrollment in to_create:
            audit_record(actor=actor, action=f"enrollment.created_{enrollment.status}", target=enrollment,
                         data={"session": session.pk, "officer": enrollment.officer_id})
    return outcomes


def enrollment_cancel(*, enrollment: Enrollment, actor, reason: str = "") -> Enrollment:
    """Cancel before the session starts; a freed seat goes to the first waitlisted officer."""
    with transaction.atomic():
        session = _locked_session(enrollment.session_id)
        if timezone.now() >= session.starts_at:
            raise ApplicationError("session_started", "The session has started: record a no-show instead.")
        enrollment = Enrollment.objects.get(pk=enrollment.pk)  # re-read under the session lock
        _transition(enrollment=enrollment, to=EnrollmentStatus.CANCELLED, actor=actor, reason=reason)
        _waitlist_promote(session=session, actor=actor)
    return enrollment


def _waitlist_promote(*, session: TrainingSession, actor) -> list[Enrollment]:
    """Fill free seats from the waitlist, first come first served. Call with the session row locked."""
    free = session.capacity - _seats_taken(session)
    promoted = []
    if free <= 0:
        return promoted
    waiting = (Enrollment.objects.filter(session=session, status=EnrollmentStatus.WAITLISTED)
               .select_related("officer").order_by("created_at", "id")[:free])
    for enrollment in waiting:
        _transition(enrollment=enrollment, to=EnrollmentStatus.ENROLLED, actor=actor, reason="promoted from waitlist")
        promoted.append(enrollment)
        email_send_on_commit(
            to=[enrollment.officer.email], subject=f"You have a seat in {session.course.title}",
            body=f"A seat opened in {session.course.title} starting {session.starts_at:%Y-%m-%d %H:%M} UTC; "
                 "you have moved from the waitlist to enrolled.")
    return promoted


# --- attendance and completion ------------------------------------------------------------------------------

MARKABLE = (EnrollmentStatus.ATTENDED, EnrollmentStatus.NO_SHOW, EnrollmentStatus.COMPLETED)


@dataclass(frozen=True)
class AttendanceOutcome:
    officer_id: int
    enrollment: Enrollment
    changed: bool
    completion: Completion | None = None


def attendance_record(*, session: TrainingSession, records: list[tuple[int, str]], actor) -> list[AttendanceOutcome]:
    """Mark officers attended / no-show / completed, all or nothing. Only the session's instructors or staff, once
    the session has started. Marking a status an enrolment already has changes nothing (safe to resend)."""
    is_instructor = SessionInstructor.objects.filter(session=session, user_id=getattr(actor, "pk", None)).exists()
    if not (getattr(actor, "is_certification_staff", False) or is_instructor):
        raise ApplicationError("permission_denied", "Only the session's instructors or staff record attendance.",
                               status_code=403)
    with transaction.atomic():
        session = _locked_session(session.pk)
        _require_scheduled(session)
        if timezone.now() < session.starts_at:
            raise ApplicationError("session_not_started", "Attendance can be recorded once the session has started.")
        officer_ids = [officer_id for officer_id, _ in records]
        live = {e.officer_id: e for e in Enrollment.objects.filter(session=session, officer_id__in=officer_ids)
                .exclude(status=EnrollmentStatus.CANCELLED).select_related("officer")}
        errors: dict[str, list[str]] = {}
        seen: set[int] = set()
        for index, (officer_id, status) in enumerate(records):
            enrollment = live.get(officer_id)
            if officer_id in seen:
                errors[f"records.{index}.officer_id"] = ["This officer appears twice in the request."]
            elif enrollment is None:
                errors[f"records.{index}.officer_id"] = [f"Officer {officer_id} is not enrolled in this session."]
            elif enrollment.status == EnrollmentStatus.WAITLISTED:
                errors[f"records.{index}.officer_id"] = [f"Officer {officer_id} is on the waitlist, not enrolled."]
            elif status not in MARKABLE:
                errors[f"records.{index}.status"] = [f"Use one of: {', '.join(MARKABLE)}."]
            elif status != enrollment.status and status not in ENROLLMENT_ALLOWED[enrollment.status]:
                errors[f"records.{index}.status"] = [f"An enrolment that is {enrollment.status} cannot become "
                                                     f"{status}."]
            seen.add(officer_id)
        if errors:
            raise ApplicationError("attendance_invalid", f"{len(errors)} problem(s); nothing was recorded.",
                                   fields=errors)
        outcomes = []
        for officer_id, status in records:
            enrollment = live[officer_id]
            if enrollment.status == status:
                outcomes.append(AttendanceOutcome(officer_id, enrollment, changed=False,
                                                  completion=getattr(enrollment, "completion", None)))
                continue
            _transition(enrollment=enrollment, to=status, actor=actor)
            completion = None
            if status == EnrollmentStatus.COMPLETED:
                completion = _completion_award(enrollment=enrollment, session=session, actor=actor)
            outcomes.append(AttendanceOutcome(officer_id, enrollment, changed=True, completion=completion))
    return outcomes


def _completion_award(*, enrollment: Enrollment, session: TrainingSession, actor) -> Completion:
    """The CE credit. The database refuses a second one for the enrolment or for the officer in this session."""
    course = session.course
    completed_on = session_local_date(session, min(timezone.now(), session.ends_at))
    completion = Completion.objects.create(
        officer_id=enrollment.officer_id, course=course, session=session, enrollment=enrollment,
        source=CompletionSource.SESSION, completed_on=completed_on, ce_hours=course.ce_hours,
        verification_code=verification_code_new(), recorded_by=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action="completion.recorded", target=completion, data={
        "officer": enrollment.officer_id, "course": course.pk, "session": session.pk,
        "completed_on": completed_on, "ce_hours": course.ce_hours})
    if course.kind == CourseKind.TRAIN_THE_TRAINER:
        qualification = _trainer_qualification_for(completion, course)
        qualification.save()
        audit_record(actor=actor, action="instructor_qualification.granted", target=qualification, data={
            "officer": completion.officer_id, "course": course.qualifies_for_id, "completion": completion.pk,
            "valid_until": qualification.valid_until})
    return completion


def _trainer_qualification_for(completion: Completion, course: Course) -> InstructorQualification:
    return InstructorQualification(
        course_id=course.qualifies_for_id, source=QualificationSource.TRAINER_GRADUATE,
        officer_id=completion.officer_id, completion=completion, valid_from=completion.completed_on,
        valid_until=completion.completed_on + timedelta(days=settings.INSTRUCTOR_QUALIFICATION_DAYS))


def completion_certificate_data(*, completion: Completion) -> CompletionCertificateData:
    officer, course = completion.officer, completion.course
    return CompletionCertificateData(
        officer_name=officer.full_name, officer_license=f"{officer.state} {officer.license_number}",
        agency_name=officer.agency.name, course_code=course.code, course_title=course.title,
        ce_hours=completion.ce_hours, completed_on=completion.completed_on,
        verification_code=completion.verification_code,
        verification_url=f"{settings.PUBLIC_BASE_URL}/verify/{completion.verification_code}/",
    )
