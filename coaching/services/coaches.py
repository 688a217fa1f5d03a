"""Coach profiles: staff create and edit any; a coach their own, except the staff-only fields."""

from django.db import transaction

from agencies.models import Agency, Role
from core.access import field_error
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.services import model_update_prepare

from ..models import CoachProfile

COACH_FIELDS = ("years_in_leadership", "highest_rank", "former_agency", "former_agency_name", "expertise_areas",
                "states", "languages", "capacity", "active", "bio")
# A coach edits their own profile, but whether they are matchable at all and the agency whose people they must
# not coach (a conflict-of-interest rule) are the programme's call.
COACH_STAFF_ONLY_FIELDS = ("former_agency", "active")


def coach_profile_create(*, actor, user, years_in_leadership: int, highest_rank: str,
                         former_agency: Agency | None = None, former_agency_name: str = "",
                         expertise_areas: list[str] | None = None, states: list[str] | None = None,
                         languages: list[str] | None = None, capacity: int = 3, active: bool = True,
                         bio: str = "") -> CoachProfile:
    """Staff create any coach's profile; a coach may create their own (but not choose staff-only fields)."""
    if not actor.is_certification_staff:
        if actor.pk != user.pk:
            raise ApplicationError("permission_denied", "Coaches create only their own profile.", status_code=403)
        if former_agency is not None or not active:
            raise ApplicationError("permission_denied", "Only certification staff set the former agency link or "
                                   "deactivate a coach.", status_code=403)
    if user.role != Role.COACH:
        raise field_error("user", "This user does not have the coach role.")
    profile = CoachProfile(
        user=user, years_in_leadership=years_in_leadership, highest_rank=highest_rank, former_agency=former_agency,
        former_agency_name=former_agency_name or (former_agency.name if former_agency else ""),
        expertise_areas=expertise_areas or [], states=states or [], languages=languages or ["en"],
        capacity=capacity, active=active, bio=bio,
    )
    full_clean_or_raise(profile)
    with transaction.atomic():
        profile.save()
        audit_record(actor=actor, action="coach_profile.created", target=profile,
                     data={"user": user.pk, **{f: _plain(getattr(profile, f)) for f in COACH_FIELDS}})
    return profile


def _plain(value):
    return value.pk if hasattr(value, "pk") else value


def coach_profile_update(*, profile: CoachProfile, actor, data: dict) -> CoachProfile:
    is_owner = profile.user_id == actor.pk
    if not (actor.is_certification_staff or is_owner):
        raise ApplicationError("permission_denied", "Coaches edit only their own profile.", status_code=403)
    # Refused before anything is set on `profile`, so a refusal leaves the caller's instance as it was.
    forbidden = [name for name, value in data.items()
                 if name in COACH_STAFF_ONLY_FIELDS and _plain(getattr(profile, name)) != _plain(value)]
    if forbidden and not actor.is_certification_staff:
        raise ApplicationError("permission_denied", f"Only certification staff change {', '.join(forbidden)}.",
                               status_code=403)
    # The audit entry stores ids, not model instances (former_agency).
    changes = {name: {"from": _plain(diff["from"]), "to": _plain(diff["to"])}
               for name, diff in model_update_prepare(profile, data, COACH_FIELDS).items()}
    if not changes:
        return profile
    full_clean_or_raise(profile)
    with transaction.atomic():
        profile.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="coach_profile.updated", target=profile, data=changes)
    return profile


