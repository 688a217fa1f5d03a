"""Programmes and their checklist requirements."""


from django.db import transaction

from core.audit import audit_record
from core.exceptions import full_clean_or_raise
from core.services import model_update_prepare

from ..models import (
    CertificationProgramme,
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


def programme_requirement_create(*, actor, programme: CertificationProgramme, code: str, title: str, kind: str,
                                 description: str = "", computed_rule: str = "",
                                 position: int | None = None) -> ProgrammeRequirement:
    if position is None:
        position = programme.requirements.count() + 1
    requirement = full_clean_or_raise(ProgrammeRequirement(programme=programme, code=code, title=title, kind=kind,
                                                  description=description, computed_rule=computed_rule,
                                                  position=position))
    with transaction.atomic():
        requirement.save()
        audit_record(actor=actor, action="programme_requirement.created", target=requirement,
                     data={"programme": programme.pk, "code": code, "kind": kind, "computed_rule": computed_rule})
    return requirement


REQUIREMENT_EDITABLE_FIELDS = ("title", "description", "position", "is_active")


def programme_requirement_update(*, actor, requirement: ProgrammeRequirement, data: dict) -> ProgrammeRequirement:
    """Edit or retire a checklist item. Applications already under way keep the checklist they started with."""
    changes = model_update_prepare(requirement, data, REQUIREMENT_EDITABLE_FIELDS)
    if not changes:
        return requirement
    full_clean_or_raise(requirement)
    with transaction.atomic():
        requirement.save(update_fields=list(changes))
        audit_record(actor=actor, action="programme_requirement.updated", target=requirement, data=changes)
    return requirement
