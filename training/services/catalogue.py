"""Catalogue writes: courses, their state accreditations, toolkit resources and instructor qualifications."""

import hashlib
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Officer
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.services import model_update_prepare
from core.uploads import DOCUMENT_TYPES, delete_stored_file_on_commit, display_name, file_type_check, storage_name

from ..models import (
    Course,
    CourseKind,
    CourseStateAccreditation,
    InstructorAccount,
    InstructorQualification,
    QualificationSource,
    ToolkitResource,
)

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
