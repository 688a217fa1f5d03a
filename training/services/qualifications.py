"""Instructor qualifications recorded by staff over the API (#14), with the rules the admin and
`instructor_designate` apply: a designation names an active instructor login (directly, or through the officer
record its instructor account is linked to), an active course, and a period that ends after it starts; the same
person is not designated twice for overlapping periods of the same course.

Revoking ends a qualification: one already in effect before today ends yesterday (the row stays, so the history of
who could teach when is kept); one that takes effect today or later is withdrawn (deleted; the audit entry keeps the
full row). Sessions the instructor is already assigned to are not changed.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import Officer, Role, User
from core.access import field_error, require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError

from ..models import Course, InstructorAccount, InstructorQualification
from .catalogue import instructor_designate


def qualification_record(*, actor, course: Course, user: User | None = None, officer: Officer | None = None,
                         valid_from: date | None = None, valid_until: date | None = None) -> InstructorQualification:
    """Designate an instructor (a user, or the officer their instructor account is linked to) for a course."""
    require_staff(actor, "record instructor qualifications")
    if (user is None) == (officer is None):
        raise ApplicationError("validation_error", "Name either the instructor's user or their officer record.",
                               fields={"user": ["Give user or officer, not both."]})
    if officer is not None:
        account = InstructorAccount.objects.filter(officer=officer).select_related("user").first()
        if account is None:
            raise field_error("officer", f"Officer {officer.pk} has no instructor account; link a login first.")
        user = account.user
    if not user.is_active or user.role != Role.INSTRUCTOR:
        raise field_error("user", f"User {user.pk} is not an active instructor account.")
    if not course.is_active:
        raise field_error("course", "The course is inactive.", code="course_inactive")
    valid_from = valid_from or timezone.localdate()
    if valid_until is not None and valid_until < valid_from:
        raise field_error("valid_until", "Must be on or after valid_from.")
    with transaction.atomic():
        # Serialise designations of this person (one row lock) so two concurrent requests cannot both pass the check.
        User.objects.select_for_update().filter(pk=user.pk).first()
        overlapping = InstructorQualification.objects.filter(course=course, user=user).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
        if valid_until is not None:
            overlapping = overlapping.filter(valid_from__lte=valid_until)
        if overlapping.exists():
            raise ApplicationError("already_qualified", f"{user.get_username()} already holds a qualification for "
                                   f"{course.code} in this period.", status_code=409)
        return instructor_designate(user=user, course=course, actor=actor, valid_from=valid_from,
                                    valid_until=valid_until)


def qualification_revoke(*, actor, qualification: InstructorQualification, reason: str
                         ) -> InstructorQualification | None:
    """End a qualification now. Returns the ended row, or None when it was withdrawn before taking effect."""
    require_staff(actor, "revoke instructor qualifications")
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "Say why the qualification is revoked.")
    yesterday = timezone.localdate() - timedelta(days=1)
    with transaction.atomic():
        qualification = InstructorQualification.objects.select_for_update().get(pk=qualification.pk)
        if qualification.valid_until is not None and qualification.valid_until <= yesterday:
            raise ApplicationError("qualification_ended", f"This qualification already ended on "
                                   f"{qualification.valid_until}.", status_code=409)
        data = {"reason": reason, "course": qualification.course_id, "user": qualification.user_id,
                "officer": qualification.officer_id, "valid_from": qualification.valid_from,
                "valid_until": {"from": qualification.valid_until}}
        if qualification.valid_from <= yesterday:
            qualification.valid_until = yesterday
            qualification.save(update_fields=["valid_until"])
            data["valid_until"]["to"] = yesterday
            audit_record(actor=actor, action="instructor_qualification.revoked", target=qualification, data=data)
            return qualification
        audit_record(actor=actor, action="instructor_qualification.withdrawn", target=qualification, data=data)
        qualification.delete()
    return None
