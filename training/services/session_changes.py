"""Session changes (#14): staff edit a scheduled session (time, place, capacity) or cancel it with a reason.

The agencies of the enrolled and waitlisted officers are told by e-mail (one message per agency, to its active
administrators, naming its officers) when the time or place changes and when the session is cancelled; a capacity
increase promotes the waitlist, oldest first, in the same transaction, and the promoted officers' agencies are told.

Decisions: a capacity below the seats already taken is refused (409 `capacity_below_enrolled`) rather than
waitlisting or cancelling anyone: staff cancel enrolments explicitly first. Nothing changes once the session has
ended; its start cannot move once it has started. A session where attendance has been recorded took place and cannot
be cancelled (409 `attendance_recorded`); credits are never taken back by a cancellation.
"""

from collections import defaultdict
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from agencies.selectors import agency_admin_emails_by_agency
from core.access import field_error, require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError
from core.notifications import email_send_on_commit
from core.services import model_update_prepare
from core.transitions import Lifecycle

from ..models import DeliveryMode, Enrollment, EnrollmentStatus, SessionStatus, TrainingSession
from .enrollments import ENROLLMENT_LIFECYCLE, _locked_session, _require_scheduled, _seats_taken, _waitlist_promote

SESSION_LIFECYCLE = Lifecycle(
    model=TrainingSession, allowed={SessionStatus.SCHEDULED: {SessionStatus.CANCELLED}, SessionStatus.CANCELLED: set()},
    verbs={SessionStatus.CANCELLED: "cancelled"}, noun="session")

SESSION_EDITABLE_FIELDS = ("starts_at", "ends_at", "location", "meeting_url", "capacity")
NOTIFIED_FIELDS = ("starts_at", "ends_at", "location", "meeting_url")
LIVE_STATUSES = (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED)


def session_update(*, session: TrainingSession, data: dict, actor) -> TrainingSession:
    """Change a scheduled session's times, place or capacity (staff). Returns the session as saved."""
    require_staff(actor, "change sessions")
    with transaction.atomic():
        session = _locked_session(session.pk)
        _require_scheduled(session)
        now = timezone.now()
        if now >= session.ends_at:
            raise ApplicationError("session_ended", "This session has ended; it can no longer be changed.",
                                   status_code=409)
        if "starts_at" in data and data["starts_at"] != session.starts_at and now >= session.starts_at:
            raise ApplicationError("session_started", "The session has started; its start time cannot move.",
                                   status_code=409, fields={"starts_at": ["The session has already started."]})
        changes = model_update_prepare(session, data, SESSION_EDITABLE_FIELDS)
        if not changes:
            return session
        _validate(session)
        if "capacity" in changes:
            taken = _seats_taken(session)
            if session.capacity < taken:
                raise ApplicationError(
                    "capacity_below_enrolled", f"{taken} officers hold seats in this session; the capacity cannot go "
                    f"below {taken}. Cancel enrolments first.", status_code=409,
                    fields={"capacity": [f"At least {taken} (the seats taken)."]})
        session.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="session.updated", target=session, data=changes)
        promoted = _waitlist_promote(session=session, actor=actor) if "capacity" in changes else []
        if any(name in changes for name in NOTIFIED_FIELDS):
            _tell_agencies(session, _live_enrollments(session), subject=f"Session changed: {session.course.title}",
                           intro=f"{session.course.title} has changed. {_when_where(session)}\n"
                                 f"{_what_changed(changes)}")
        if promoted:
            _tell_agencies(session, promoted, subject=f"Seats confirmed: {session.course.title}",
                           intro=f"The session's capacity grew; these officers moved from the waitlist to enrolled. "
                                 f"{_when_where(session)}")
    return session


def session_cancel(*, session: TrainingSession, reason: str, actor) -> TrainingSession:
    """Cancel a session with a reason (staff): its enrolled and waitlisted officers' enrolments are cancelled and
    their agencies told."""
    require_staff(actor, "cancel sessions")
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "Say why the session is cancelled; the agencies are told.")
    with transaction.atomic():
        session = _locked_session(session.pk)
        SESSION_LIFECYCLE.check(session.status, SessionStatus.CANCELLED)
        if timezone.now() >= session.ends_at:
            raise ApplicationError("session_ended", "This session has ended; it cannot be cancelled.",
                                   status_code=409)
        if Enrollment.objects.filter(session=session).exclude(status__in=[*LIVE_STATUSES, EnrollmentStatus.CANCELLED]
                                                              ).exists():
            raise ApplicationError("attendance_recorded", "Attendance has been recorded for this session: it took "
                                   "place and cannot be cancelled.", status_code=409)
        live = _live_enrollments(session)
        now = timezone.now()
        SESSION_LIFECYCLE.transition(obj=session, to=SessionStatus.CANCELLED, actor=actor, reason=reason, fields={
            "cancelled_at": now, "cancelled_by": actor if getattr(actor, "pk", None) else None,
            "cancellation_reason": reason}, data={"enrollments_cancelled": len(live)})
        for status in LIVE_STATUSES:
            ENROLLMENT_LIFECYCLE.bulk_transition(
                queryset=Enrollment.objects.filter(session=session), from_status=status,
                to=EnrollmentStatus.CANCELLED, actor=actor, fields={"status_changed_at": now},
                reason=f"session {session.pk} cancelled")
        _tell_agencies(session, live, subject=f"Session cancelled: {session.course.title}",
                       intro=f"{session.course.title} ({_when_where(session)}) is cancelled.\nReason: {reason}\n"
                             "These officers' enrolments are cancelled; enrol them in another session.")
    return session


# --- helpers ------------------------------------------------------------------------------------------------

def _validate(session: TrainingSession) -> None:
    if not 1 <= session.capacity <= 1000:
        raise field_error("capacity", "Between 1 and 1000.")
    if session.ends_at <= session.starts_at:
        raise field_error("ends_at", "Must be after starts_at.")
    if session.mode == DeliveryMode.IN_PERSON and not session.location.strip():
        raise field_error("location", "An in-person session needs a place.")
    if session.mode == DeliveryMode.VIRTUAL and not session.meeting_url.strip():
        raise field_error("meeting_url", "A virtual session needs a meeting link.")


def _live_enrollments(session: TrainingSession) -> list[Enrollment]:
    return list(Enrollment.objects.filter(session=session, status__in=LIVE_STATUSES)
                .select_related("officer", "officer__agency").order_by("created_at", "id"))


def _when_where(session: TrainingSession) -> str:
    place = session.location if session.mode == DeliveryMode.IN_PERSON else session.meeting_url
    return (f"When: {_utc(session.starts_at)} to {_utc(session.ends_at)} UTC ({session.time_zone}). "
            f"Where: {place}.")


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def _what_changed(changes: dict) -> str:
    lines = []
    for name in NOTIFIED_FIELDS:
        if name in changes:
            before, after = changes[name]["from"], changes[name]["to"]
            if isinstance(before, datetime):
                before, after = f"{_utc(before)} UTC", f"{_utc(after)} UTC"
            lines.append(f"- {name.replace('_', ' ')}: {before or '(none)'} -> {after or '(none)'}")
    return "Changed:\n" + "\n".join(lines)


def _tell_agencies(session: TrainingSession, enrollments, *, subject: str, intro: str) -> None:
    """One e-mail per agency, to its active administrators, listing its officers (after commit)."""
    by_agency = defaultdict(list)
    for enrollment in enrollments:
        by_agency[enrollment.officer.agency_id].append(enrollment)
    if not by_agency:
        return
    admins = agency_admin_emails_by_agency(by_agency)
    for agency_id, rows in sorted(by_agency.items()):
        officers = "\n".join(f"- {e.officer.full_name} ({e.officer.state} {e.officer.license_number}): {e.status}"
                             for e in rows)
        email_send_on_commit(to=admins.get(agency_id, []), subject=subject,
                             body=f"{intro}\n\nYour officers in this session (session {session.pk}):\n{officers}\n")
