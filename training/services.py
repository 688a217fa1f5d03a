"""Every write in training. Each runs in one transaction together with its audit entry."""

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Officer
from agencies.selectors import officer_visible_to, officers_by_any_license
from agencies.states import US_STATE_CODES
from core.audit import audit_record
from core.codes import verification_code_new
from core.exceptions import ApplicationError, full_clean_or_raise
from core.notifications import email_send_on_commit
from core.services import model_update_prepare
from core.text import csv_cell_errors, csv_header_errors, forbidden_character
from core.uploads import DOCUMENT_TYPES, delete_stored_file_on_commit, display_name, file_type_check, storage_name

from .models import (
    MAX_CE_HOURS,
    SEAT_STATUSES,
    Completion,
    CompletionSource,
    Course,
    CourseKind,
    CourseStateAccreditation,
    CreditImport,
    Enrollment,
    EnrollmentStatus,
    InstructorAccount,
    InstructorQualification,
    QualificationSource,
    SessionInstructor,
    ToolkitResource,
    TrainingSession,
)
from .pdf import CompletionCertificateData
from .selectors import instructor_is_qualified

COURSE_EDITABLE_FIELDS = ("title", "description", "offered_in_person", "offered_virtual", "ce_hours", "is_active")


# --- catalogue ----------------------------------------------------------------------------------------------

def course_create(*, actor, code: str, title: str, ce_hours: Decimal, description: str = "",
                  offered_in_person: bool = True, offered_virtual: bool = False, kind: str = CourseKind.STANDARD,
                  qualifies_for: Course | None = None, is_active: bool = True) -> Course:
    if kind == CourseKind.TRAIN_THE_TRAINER and qualifies_for is None:
        raise ApplicationError("validation_error", "A train-the-trainer course names the course it qualifies for.",
                               fields={"qualifies_for": ["Required for a train-the-trainer course."]})
    if kind == CourseKind.STANDARD and qualifies_for is not None:
        raise ApplicationError("validation_error", "Only a train-the-trainer course qualifies instructors.",
                               fields={"qualifies_for": ["Only for train-the-trainer courses."]})
    if qualifies_for is not None and qualifies_for.kind != CourseKind.STANDARD:
        raise ApplicationError("validation_error", "A train-the-trainer course qualifies for a standard course.",
                               fields={"qualifies_for": ["Must be a standard course."]})
    course = full_clean_or_raise(Course(code=code, title=title, description=description, ce_hours=ce_hours,
                               offered_in_person=offered_in_person, offered_virtual=offered_virtual, kind=kind,
                               qualifies_for=qualifies_for, is_active=is_active))
    with transaction.atomic():
        course.save()
        audit_record(actor=actor, action="course.created", target=course, data={
            "code": code, "title": title, "ce_hours": ce_hours, "kind": kind,
            "qualifies_for": qualifies_for.pk if qualifies_for else None})
    return course


def course_update(*, course: Course, actor, data: dict) -> Course:
    changes = model_update_prepare(course, data, COURSE_EDITABLE_FIELDS)
    if not changes:
        return course
    full_clean_or_raise(course)
    with transaction.atomic():
        course.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="course.updated", target=course, data=changes)
    return course


def accreditation_set(*, course: Course, state: str, actor, accepted: bool, hours_accepted: Decimal | None = None,
                      state_course_number: str = "", ncp_recognised: bool = False) -> CourseStateAccreditation:
    """Create or replace how `state` treats the course. Accepted without hours means the course's full hours."""
    state = state.upper()
    if accepted:
        hours = course.ce_hours if hours_accepted is None else hours_accepted
        if hours > course.ce_hours:
            raise ApplicationError("validation_error", "A state cannot accept more hours than the course carries.",
                                   fields={"hours_accepted": [f"At most {course.ce_hours}."]})
    else:
        if hours_accepted:
            raise ApplicationError("validation_error", "A state that does not accept the course credits 0 hours.",
                                   fields={"hours_accepted": ["Must be 0 when not accepted."]})
        hours = Decimal("0")
    with transaction.atomic():
        mapping = CourseStateAccreditation.objects.select_for_update().filter(course=course, state=state).first()
        created = mapping is None
        mapping = mapping or CourseStateAccreditation(course=course, state=state)
        before = None if created else {"accepted": mapping.accepted, "hours_accepted": mapping.hours_accepted,
                                       "state_course_number": mapping.state_course_number,
                                       "ncp_recognised": mapping.ncp_recognised}
        mapping.accepted, mapping.hours_accepted = accepted, hours
        mapping.state_course_number, mapping.ncp_recognised = state_course_number, ncp_recognised
        full_clean_or_raise(mapping, exclude=["course"] if created else None)
        mapping.save()
        audit_record(actor=actor, action="course.accreditation_set", target=course, data={
            "state": state, "before": before, "accepted": accepted, "hours_accepted": hours,
            "state_course_number": state_course_number, "ncp_recognised": ncp_recognised})
    return mapping


# --- toolkit resources --------------------------------------------------------------------------------------

# Toolkit resources follow the rules of every upload (core.uploads): type by content from an allow-list, random
# stored name, attachment downloads. Presentations are what a toolkit is for, so PPTX joins the document types.
TOOLKIT_TYPES = DOCUMENT_TYPES | {"pptx"}


def toolkit_resource_upload(*, course: Course, actor, title: str, kind: str, upload) -> ToolkitResource:
    """Store an uploaded file (a Django UploadedFile) as a toolkit resource of the course."""
    file_type = file_type_check(upload, name=upload.name or "", size=upload.size,
                                max_bytes=settings.TOOLKIT_MAX_FILE_BYTES, allowed=TOOLKIT_TYPES,
                                declared_type=upload.content_type or "")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    resource = ToolkitResource(course=course, title=title, kind=kind,
                               original_name=display_name(upload.name, file_type),
                               content_type=file_type.content_type, size_bytes=upload.size,
                               sha256=digest.hexdigest(), uploaded_by=actor if getattr(actor, "pk", None) else None)
    full_clean_or_raise(resource, exclude=["file"])
    with transaction.atomic():
        resource.file.save(storage_name(file_type), upload, save=False)
        # The file is on disk before the row commits; if the transaction fails, remove it again.
        try:
            resource.save()
            audit_record(actor=actor, action="course.resource_uploaded", target=course, data={
                "resource": resource.pk, "title": title, "kind": kind, "name": resource.original_name,
                "type": file_type.key, "size": upload.size, "sha256": resource.sha256})
        except Exception:
            resource.file.delete(save=False)
            raise
    return resource


def toolkit_resource_delete(*, resource: ToolkitResource, actor) -> None:
    course, name, pk = resource.course, resource.file.name, resource.pk
    with transaction.atomic():
        resource.delete()
        audit_record(actor=actor, action="course.resource_deleted", target=course, data={
            "resource": pk, "title": resource.title, "sha256": resource.sha256})
        delete_stored_file_on_commit(resource.file.storage, name)


# --- instructors --------------------------------------------------------------------------------------------

def instructor_designate(*, user, course: Course, actor, valid_from: date | None = None,
                         valid_until: date | None = None) -> InstructorQualification:
    """Staff designate a user as qualified to teach a course."""
    qualification = full_clean_or_raise(InstructorQualification(
        course=course, user=user, source=QualificationSource.DESIGNATED,
        valid_from=valid_from or timezone.localdate(), valid_until=valid_until,
        granted_by=actor if getattr(actor, "pk", None) else None))
    with transaction.atomic():
        qualification.save()
        audit_record(actor=actor, action="instructor_qualification.designated", target=qualification, data={
            "user": user.pk, "course": course.pk, "valid_from": qualification.valid_from,
            "valid_until": valid_until})
    return qualification


def instructor_account_link(*, user, officer: Officer, actor) -> InstructorAccount:
    """Tie an instructor's login to their officer record, so their train-the-trainer completions qualify it."""
    with transaction.atomic():
        account = full_clean_or_raise(InstructorAccount(user=user, officer=officer))
        account.save()
        audit_record(actor=actor, action="instructor_account.linked", target=account,
                     data={"user": user.pk, "officer": officer.pk})
    return account


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
    """Only a qualified instructor (on the session's local start date) may be assigned."""
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


# --- enrolment ----------------------------------------------------------------------------------------------

ALLOWED = {
    EnrollmentStatus.WAITLISTED: {EnrollmentStatus.ENROLLED, EnrollmentStatus.CANCELLED},
    EnrollmentStatus.ENROLLED: {EnrollmentStatus.CANCELLED, EnrollmentStatus.ATTENDED, EnrollmentStatus.NO_SHOW,
                                EnrollmentStatus.COMPLETED},
    # Attendance can be corrected until the officer is credited; completion and cancellation are final.
    EnrollmentStatus.ATTENDED: {EnrollmentStatus.NO_SHOW, EnrollmentStatus.COMPLETED},
    EnrollmentStatus.NO_SHOW: {EnrollmentStatus.ATTENDED, EnrollmentStatus.COMPLETED},
    EnrollmentStatus.COMPLETED: set(),
    EnrollmentStatus.CANCELLED: set(),
}


def _transition(*, enrollment: Enrollment, to: str, actor, reason: str = "") -> Enrollment:
    if to not in ALLOWED.get(enrollment.status, ()):
        raise ApplicationError("invalid_transition", f"An enrolment that is {enrollment.status} cannot become {to}.")
    now = timezone.now()
    # Compare-and-swap: if another request moved the enrolment first, change nothing.
    moved = Enrollment.objects.filter(pk=enrollment.pk, status=enrollment.status).update(status=to,
                                                                                          status_changed_at=now)
    if moved != 1:
        raise ApplicationError("concurrent_change", "This enrolment changed meanwhile; reload and retry.",
                               status_code=409)
    previous, enrollment.status, enrollment.status_changed_at = enrollment.status, to, now
    audit_record(actor=actor, action=f"enrollment.{to}", target=enrollment,
                 data={"from": previous, "session": enrollment.session_id, "officer": enrollment.officer_id,
                       **({"reason": reason} if reason else {})})
    return enrollment


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
        if enrollment.status not in (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED):
            raise ApplicationError("invalid_transition", f"An enrolment that is {enrollment.status} cannot be "
                                   "cancelled.")
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
            elif status != enrollment.status and status not in ALLOWED[enrollment.status]:
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


# --- bulk credit import -------------------------------------------------------------------------------------

CREDIT_IMPORT_REQUIRED_COLUMNS = ("state", "license_number", "course_code", "completed_on")
CREDIT_IMPORT_OPTIONAL_COLUMNS = ("ce_hours",)


def _credit_import_max_rows() -> int:
    return getattr(settings, "TRAINING_CREDIT_IMPORT_MAX_ROWS", 200_000)


@dataclass
class CreditImportResult:
    created: int = 0
    qualifications: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)
    credit_import: CreditImport | None = None


def _identity(iterable, **_kwargs):
    return iterable


def credits_parse_csv(raw: bytes) -> list[dict]:
    def refuse(code, message):
        raise ApplicationError(code, message, fields={"file": [message]})

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        refuse("invalid_file", "The file must be a UTF-8 CSV file.")
    reader = csv.DictReader(io.StringIO(text))
    # The JSON API's rule for text (core.text): no NUL or other control characters, row-numbered like every error.
    suspicious = forbidden_character(text) is not None  # one scan of the file; cells are checked only if needed
    character_errors = csv_header_errors(reader.fieldnames or []) if suspicious else {}
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in CREDIT_IMPORT_REQUIRED_COLUMNS if c not in columns]
    if missing and not character_errors:
        refuse("invalid_file", f"The CSV header lacks: {', '.join(missing)}.")
    reader.fieldnames = columns
    rows, limit = [], _credit_import_max_rows()
    try:
        for line_number, row in enumerate(reader, start=2):  # line 1 is the header
            if len(rows) >= limit:
                refuse("too_many_rows", f"An import may have at most {limit} rows.")
            if suspicious:
                character_errors.update(csv_cell_errors(line_number, row))  # before trimming, which hides some
            rows.append({"_line": line_number, **{k: (v or "").strip() for k, v in row.items()
                                                  if isinstance(k, str)}})
    except csv.Error as exc:
        refuse("invalid_file", f"The CSV could not be read: {exc}")
    if character_errors:
        raise ApplicationError("credits_invalid", f"{len(character_errors)} problem(s) in the file; nothing was "
                               "imported.", fields=character_errors)
    if not rows:
        refuse("empty_file", "The file has no rows.")
    return rows


def credits_import(*, raw: bytes, actor, progress: Callable = _identity) -> CreditImportResult:
    """Import historical completions: every row is checked first (row-numbered errors, nothing written on any
    error), then all are written with bulk inserts and ONE audit entry. `progress(iterable, total=, desc=)` wraps
    the loops (the management command passes tqdm)."""
    rows = credits_parse_csv(raw)
    result = CreditImportResult()
    today = timezone.localdate()
    courses = {c.code.upper(): c for c in Course.objects.all()}
    # Any licence the person ever held resolves to them (and only them): a credit naming an old licence can never
    # attach to a record that took the number over — no record ever can.
    officers = officers_by_any_license({(r.get("state", "").upper(), r.get("license_number", "")) for r in rows})
    seen: dict[tuple[int, int, date], int] = {}
    cleaned: list[dict] = []
    for row in progress(rows, total=len(rows), desc="validating"):
        line, errors = row["_line"], {}
        state = row.get("state", "").upper()
        for column in CREDIT_IMPORT_REQUIRED_COLUMNS:
            if not row.get(column):
                errors[column] = "This field is required."
        if state and state not in US_STATE_CODES:
            errors["state"] = f"Unknown state code {state!r}."
        officer = officers.get((state, row.get("license_number", "")))
        if officer is None and "state" not in errors and "license_number" not in errors:
            errors["license_number"] = f"No officer with licence {row['license_number']!r} in {state}."
        course = courses.get(row.get("course_code", "").upper())
        if course is None and "course_code" not in errors:
            errors["course_code"] = f"Unknown course {row['course_code']!r}."
        completed_on = None
        if row.get("completed_on"):
            try:
                completed_on = date.fromisoformat(row["completed_on"])
            except ValueError:
                errors["completed_on"] = "Use the date format YYYY-MM-DD."
            else:
                if completed_on > today:
                    errors["completed_on"] = "A completion cannot be in the future."
        hours = course.ce_hours if course else None
        if row.get("ce_hours"):
            try:
                hours = Decimal(row["ce_hours"])
                if not (hours.is_finite() and Decimal("0") < hours <= MAX_CE_HOURS) or hours != hours.quantize(
                        Decimal("0.01")):
                    raise InvalidOperation
            except InvalidOperation:
                errors["ce_hours"] = f"A number of hours above 0, at most {MAX_CE_HOURS}, with two decimals."
        if not errors:
            key = (officer.pk, course.pk, completed_on)
            if key in seen:
                errors["completed_on"] = f"Duplicate of line {seen[key]}."
            else:
                seen[key] = line
                cleaned.append({"line": line, "officer": officer, "course": course, "completed_on": completed_on,
                                "ce_hours": hours})
        for column, message in errors.items():
            result.errors.setdefault(f"rows.{line}.{column}", []).append(message)
    if result.errors:
        return result
    for row in _already_recorded(cleaned):
        result.errors[f"rows.{row['line']}.completed_on"] = ["This completion is already recorded."]
    if result.errors:
        return result

    with transaction.atomic():
        batch = CreditImport.objects.create(
            sha256=hashlib.sha256(raw).hexdigest(), rows=len(cleaned),
            imported_by=actor if getattr(actor, "pk", None) else None,
            actor_label=actor.get_username() if getattr(actor, "pk", None) else f"system:{actor or 'system'}")
        recorded_by = actor if getattr(actor, "pk", None) else None
        completions = [
            Completion(officer=row["officer"], course=row["course"], source=CompletionSource.IMPORT,
                       credit_import=batch, completed_on=row["completed_on"], ce_hours=row["ce_hours"],
                       verification_code=verification_code_new(), recorded_by=recorded_by)
            for row in progress(cleaned, total=len(cleaned), desc="preparing")
        ]
        Completion.objects.bulk_create(completions, batch_size=2000)
        if not all(c.pk for c in completions):  # backends that do not return ids from bulk inserts
            ids = dict(Completion.objects.filter(credit_import=batch).values_list("verification_code", "pk"))
            for completion in completions:
                completion.pk = ids[completion.verification_code]
        qualifications = [_trainer_qualification_for(c, c.course) for c in completions
                          if c.course.kind == CourseKind.TRAIN_THE_TRAINER]
        InstructorQualification.objects.bulk_create(qualifications, batch_size=2000)
        result.created, result.qualifications, result.credit_import = len(completions), len(qualifications), batch
        # One audit entry per import (with the file's digest), not per row: a large history must stay fast.
        audit_record(actor=actor, action="completion.credits_imported", target=batch, data={
            "sha256": batch.sha256, "rows": len(cleaned), "created": result.created,
            "qualifications": result.qualifications})
    return result


def _already_recorded(cleaned: list[dict]) -> list[dict]:
    by_officer: dict[int, list[dict]] = {}
    for row in cleaned:
        by_officer.setdefault(row["officer"].pk, []).append(row)
    existing = set()
    officer_ids = list(by_officer)
    for start in range(0, len(officer_ids), 5000):
        existing.update(Completion.objects.filter(officer_id__in=officer_ids[start:start + 5000])
                        .values_list("officer_id", "course_id", "completed_on"))
    return [row for row in cleaned if (row["officer"].pk, row["course"].pk, row["completed_on"]) in existing]
