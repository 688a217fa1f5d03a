"""Programmes and their checklist requirements."""


from django.db import transaction

from core.access import field_error
from core.audit import audit_record
from core.exceptions import full_clean_or_raise
from core.services import model_update_prepare
from training.models import Course

from ..models import (
    CertificationProgramme,
    ComputedRule,
    ProgrammeRequirement,
)

# --- programmes and requirements ----------------------------------------------------------------------------

def certification_programme_create(*, actor, code: str, name: str, description: str = "") -> CertificationProgramme:
    programme = full_clean_or_raise(CertificationProgramme(code=code, name=name, description=description))
    with transaction.atomic():
        programme.save()
        audit_record(actor=actor, action="certification_programme.created", target=programme,
                     data={"code": code, "name": name})
    return programme


def _requirement_courses(computed_rule: str, course_ids) -> list[Course]:
    """The courses a trained-share item counts (at least one, every id known); other items name none."""
    ids = sorted(set(course_ids or ()))
    if computed_rule != ComputedRule.TRAINED_SHARE:
        if ids:
            raise field_error("courses", "Only a trained-share requirement counts courses.")
        return []
    if not ids:
        raise field_error("courses", "A trained-share requirement names at least one course (by id).")
    courses = list(Course.objects.filter(pk__in=ids).order_by("pk"))
    unknown = sorted(set(ids) - {course.pk for course in courses})
    if unknown:
        raise field_error("courses", f"Unknown course id(s): {', '.join(map(str, unknown))}.")
    return courses


def programme_requirement_create(*, actor, programme: CertificationProgramme, code: str, title: str, kind: str,
                                 description: str = "", computed_rule: str = "",
                                 position: int | None = None, courses=None) -> ProgrammeRequirement:
    """Add a checklist item. A trained-share item names the course ids whose completion counts (`courses`)."""
    if position is None:
        position = programme.requirements.count() + 1
    requirement = full_clean_or_raise(ProgrammeRequirement(programme=programme, code=code, title=title, kind=kind,
                                                  description=description, computed_rule=computed_rule,
                                                  position=position))
    counted = _requirement_courses(computed_rule, courses)
    with transaction.atomic():
        requirement.save()
        requirement.courses.set(counted)
        audit_record(actor=actor, action="programme_requirement.created", target=requirement,
                     data={"programme": programme.pk, "code": code, "kind": kind, "computed_rule": computed_rule,
                           "courses": [course.code for course in counted]})
    return requirement


REQUIREMENT_EDITABLE_FIELDS = ("title", "description", "position", "is_active")


def programme_requirement_update(*, actor, requirement: ProgrammeRequirement, data: dict) -> ProgrammeRequirement:
    """Edit or retire a checklist item, or change the courses a trained-share item counts (`courses`: ids).
    Applications already under way keep the checklist items they started with; a trained-share item is evaluated
    live, so a changed course list applies to every open application at once."""
    changes = model_update_prepare(requirement, data, REQUIREMENT_EDITABLE_FIELDS)
    counted = None
    if "courses" in data:
        counted = _requirement_courses(requirement.computed_rule, data["courses"])
        before = sorted(requirement.courses.values_list("code", flat=True))
        after = sorted(course.code for course in counted)
        if before != after:
            changes["courses"] = {"from": before, "to": after}
        else:
            counted = None
    if not changes:
        return requirement
    full_clean_or_raise(requirement)
    with transaction.atomic():
        fields = [name for name in changes if name != "courses"]
        if fields:
            requirement.save(update_fields=fields)
        if counted is not None:
            requirement.courses.set(counted)
        audit_record(actor=actor, action="programme_requirement.updated", target=requirement, data=changes)
    return requirement
