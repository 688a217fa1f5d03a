"""Users and agencies: every write runs in one transaction with its audit entry."""


from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F

from core.access import require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.services import model_update_prepare

from ..models import (
    Agency,
    Officer,
    Role,
    User,
)

AGENCY_EDITABLE_FIELDS = ("name", "state", "county", "agency_type", "sworn_headcount")


# --- users ------------------------------------------------------------------------------------------------

def user_create(*, actor, username: str, password: str, role: str = Role.NONE, agency: Agency | None = None,
                email: str = "", first_name: str = "", last_name: str = "", officer: Officer | None = None) -> User:
    with transaction.atomic():
        user = User(username=username, email=email, first_name=first_name, last_name=last_name, role=role,
                    agency=agency if role == Role.AGENCY_ADMIN else None,
                    officer=officer if role == Role.OFFICER else None)
        # Certification staff work in the Django admin too.
        user.is_staff = role == Role.CERTIFICATION_STAFF
        user.set_password(password)
        full_clean_or_raise(user)
        user.save()
        audit_record(actor=actor, action="user.created", target=user, data={"role": role, "agency": user.agency_id})
    return user


def user_save(*, user: User, actor, created: bool, changed: list[str], password_changed: bool = False) -> User:
    """The staff console's save of a user: the same rules as the services above (an agency administrator belongs to
    exactly one agency, staff work in the admin, deactivation ends every session for good), one audit entry naming
    the changed fields — never a password hash."""
    require_staff(actor, "manage user accounts")
    with transaction.atomic():
        if user.pk is not None and "is_active" in changed and not user.is_active:
            user.session_version += 1
        if user.role != Role.AGENCY_ADMIN:
            user.agency = None
        user.is_staff = user.is_superuser or user.role == Role.CERTIFICATION_STAFF
        full_clean_or_raise(user, exclude=["password"])
        user.save()
        audit_record(actor=actor, action="user.created" if created else "user.updated", target=user,
                     data={"changed": sorted(changed), "password_changed": password_changed, "role": user.role,
                           "agency": user.agency_id, "is_active": user.is_active})
    return user


def user_logout_everywhere(*, user: User) -> None:
    """Invalidate every access and refresh token the user holds (their fingerprint changes)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1)
        audit_record(actor=user, action="user.logged_out_everywhere", target=user)


def user_change_password(*, user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise ApplicationError("wrong_password", "The current password is not correct.",
                               fields={"current_password": ["The current password is not correct."]})
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ApplicationError("weak_password", "The new password is not acceptable.",
                               fields={"new_password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(new_password)  # a new hash: every older token's fingerprint stops matching
        user.save(update_fields=["password"])
        audit_record(actor=user, action="user.password_changed", target=user)


def user_set_active(*, user: User, is_active: bool, actor) -> User:
    """Deactivation also moves the session version on, so reactivating never revives the old tokens (the
    fingerprint would otherwise match again). On PostgreSQL a trigger does the same for any other client."""
    with transaction.atomic():
        user.is_active = is_active
        fields = ["is_active"]
        if not is_active:
            user.session_version += 1
            fields.append("session_version")
        user.save(update_fields=fields)
        audit_record(actor=actor, action="user.activated" if is_active else "user.deactivated", target=user)
    return user


# --- agencies ---------------------------------------------------------------------------------------------

def agency_create(*, actor, name: str, state: str, county: str = "", agency_type: str = "police",
                  sworn_headcount: int = 0) -> Agency:
    agency = full_clean_or_raise(Agency(name=name, state=state, county=county, agency_type=agency_type,
                               sworn_headcount=sworn_headcount))
    with transaction.atomic():
        agency.save()
        audit_record(actor=actor, action="agency.created", target=agency,
                     data={f: getattr(agency, f) for f in AGENCY_EDITABLE_FIELDS})
    return agency


def agency_update(*, agency: Agency, actor, data: dict) -> Agency:
    changes = model_update_prepare(agency, data, AGENCY_EDITABLE_FIELDS)
    if not changes:
        return agency
    full_clean_or_raise(agency)
    with transaction.atomic():
        agency.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="agency.updated", target=agency, data=changes)
    return agency
