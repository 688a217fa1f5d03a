"""Session writes: scheduling a session and assigning its qualified instructors."""

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction

from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise

from ..models import (
    Course,
    SessionInstructor,
    SessionStatus,
    TrainingSession,
)
from ..selectors import instructor_is_qualified

# --- sessions -----------------------------------------------------------------------------------------------

def zone_get(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApplicationError("validation_error", "Unknown time zone.",
                               fields={"time_zone": [f"Unknown time zone {name!r}; use an IANA name."]}) from exc


def session_local_date(session: TrainingSession, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(session.time_zone)).date()


def session_create(*, actor, course: Course, starts_at: datetime, ends_at: datetime, time_zone: str, mode: str,
                   capacity: int, location: str = "", meeting_url: str = "", instructors: Iterable = ()
                   ) -> TrainingSession:
    zone_get(time_zone)
    if not course.is_active:
        raise ApplicationError("course_inactive", "This course is no longer offered.", fields={"course": [
            "The course is inactive."]})
    if mode not in course.delivery_modes:
        raise ApplicationError("validation_error", "The course is not offered in this delivery mode.",
                               fields={"mode": [f"{course.code} is offered: {', '.join(course.delivery_modes)}."]})
    session = full_clean_or_raise(TrainingSession(
        course=course, starts_at=starts_at, ends_at=ends_at, time_zone=time_zone, mode=mode, capacity=capacity,
        location=location, meeting_url=meeting_url))
    with transaction.atomic():
        session.save()
        audit_record(actor=actor, action="session.created", target=session, data={
            "course": course.pk, "starts_at": starts_at, "ends_at": ends_at, "time_zone": time_zone, "mode": mode,
            "capacity": capacity})
        for user in instructors:
            session_instructor_assign(session=session, user=user, actor=actor)
    return session


def session_instructor_assign(*, session: TrainingSession, user, actor) -> SessionInstructor:
    """Only a qualified instructor (on the session's local start date) may be assigned, to a scheduled session."""
    if session.status == SessionStatus.CANCELLED:
        raise ApplicationError("session_cancelled", "This session was cancelled.", status_code=409)
    on = session_local_date(session, session.starts_at)
    if not instructor_is_qualified(user_id=user.pk, course_id=session.course_id, on=on):
        raise ApplicationError(
            "instructor_not_qualified", f"{user.get_username()} is not qualified to teach {session.course.code} "
            f"on {on}.", fields={"instructors": [f"User {user.pk} is not qualified for this course on {on}."]})
    with transaction.atomic():
        if SessionInstructor.objects.filter(session=session, user=user).exists():
            raise ApplicationError("already_assigned", "This instructor already teaches this session.",
                                   status_code=409, fields={"instructors": [f"User {user.pk} is already assigned."]})
        assignment = SessionInstructor.objects.create(session=session, user=user)
        audit_record(actor=actor, action="session.instructor_assigned", target=session, data={"user": user.pk})
    return assignment
