"""Onboarding: accounts created with a role and an e-mailed one-time link to set a password; the same link for
"forgot password"; staff deactivate and reactivate. Each write runs in one transaction with its audit entry, and
the e-mail leaves only after that transaction commits.

The link is Django's password-reset token (`default_token_generator`): it expires after `PASSWORD_RESET_TIMEOUT`
(settings.ACCOUNT_LINK_VALID_HOURS) and dies as soon as the password changes, so it works once."""

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from core.access import field_error, require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.notifications import email_send_on_commit
from core.ratelimit import rate_limit_consume, rate_limit_refund

from ..models import Agency, Officer, Role, User
from .people import user_set_active

ACCOUNT_ROLES = (Role.AGENCY_ADMIN, Role.INSTRUCTOR, Role.COACH, Role.CERTIFICATION_STAFF, Role.OFFICER)
FORGOT_ACCOUNT_SCOPE = "password-forgot-account"
FORGOT_ADDRESS_SCOPE = "password-forgot-address"
SET_ADDRESS_SCOPE = "password-set-address"


def account_link(user: User) -> str:
    """The one-time "set your password" page for this user (valid until the password changes or it expires)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.PUBLIC_BASE_URL}/account/set-password/{uid}/{token}/"


def _link_email(user: User, *, invitation: bool) -> None:
    hours = settings.ACCOUNT_LINK_VALID_HOURS
    role = Role(user.role).label if user.role else "user"
    if invitation:
        subject = "Your PeaceCert account"
        opening = f"An account ({role}) was created for you on PeaceCert. Your username is {user.username}."
    else:
        subject = "Set a new PeaceCert password"
        opening = (f"Someone asked to reset the password of the PeaceCert account {user.username}. If it was not "
                   "you, ignore this message: your password stays as it is.")
    body = (f"{opening}\n\nChoose your password here (the link works once and expires in {hours} hours):\n"
            f"{account_link(user)}\n")
    email_send_on_commit(to=[user.email], subject=subject, body=body)


def _email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def account_create(*, actor: User, role: str, email: str, username: str = "", first_name: str = "",
                   last_name: str = "", agency: Agency | None = None, officer: Officer | None = None) -> User:
    """Create an account without a usable password and e-mail its owner the one-time link.

    Staff create any role; an agency administrator only an officer account for an officer of their own agency
    (the caller resolves `officer` through the administrator's selector, so a foreign officer never gets here).
    An officer account follows its officer record: an officer who already has one cannot be invited again."""
    if role not in ACCOUNT_ROLES:
        raise field_error("role", f"Choose one of: {', '.join(ACCOUNT_ROLES)}.")
    if not actor.is_certification_staff:
        if not (actor.is_agency_admin and role == Role.OFFICER):
            raise ApplicationError("permission_denied", "Agency administrators invite officers of their own agency "
                                   "only; certification staff create every other account.", status_code=403)
        if officer is not None and officer.agency_id != actor.agency_id:
            raise field_error("officer", f"Unknown officer {officer.pk}.")
    if role == Role.AGENCY_ADMIN and agency is None:
        raise field_error("agency", "An agency administrator needs an agency.")
    if role in (Role.OFFICER, Role.INSTRUCTOR) and officer is None:
        raise field_error("officer", "This role is linked to an officer record: name it.")
    if role == Role.OFFICER and User.objects.filter(officer=officer).exists():
        raise field_error("officer", "This officer already has an account (it follows them between agencies).",
                          code="officer_has_account", status_code=409, summary="The officer already has an account.")
    username = (username or email).strip()
    with transaction.atomic():
        if _email_taken(email):
            raise field_error("email", "Another account uses this e-mail address.", code="email_taken",
                              status_code=409, summary="The e-mail address is taken.")
        if User.objects.filter(username__iexact=username).exists():
            raise field_error("username", "This username is taken.", code="username_taken", status_code=409,
                              summary="The username is taken.")
        user = User(username=username, email=email, first_name=first_name, last_name=last_name, role=role,
                    agency=agency if role == Role.AGENCY_ADMIN else None,
                    officer=officer if role == Role.OFFICER else None,
                    is_staff=role == Role.CERTIFICATION_STAFF)
        user.set_unusable_password()  # nobody can log in until the owner sets a password through the link
        full_clean_or_raise(user, exclude=["password"])
        user.save()
        audit_record(actor=actor, action="user.invited", target=user,
                     data={"role": role, "agency": user.agency_id, "officer": officer.pk if officer else None})
        _link_email(user, invitation=True)
    return user


def account_set_active(*, actor: User, user: User, is_active: bool) -> User:
    """Staff only (an officer's account is never the agency's to switch off). Deactivation revokes every token."""
    require_staff(actor, "deactivate or reactivate accounts")
    if user.pk == actor.pk and not is_active:
        raise ApplicationError("permission_denied", "You cannot deactivate your own account.", status_code=403)
    if user.is_active == is_active:
        state = "active" if is_active else "deactivated"
        raise ApplicationError("invalid_transition", f"The account is already {state}.", status_code=409)
    return user_set_active(user=user, is_active=is_active, actor=actor)


def _user_from_uid(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def account_link_user(*, uidb64: str, token: str) -> User | None:
    """The active user this link is for, if the link is valid (not expired, not used)."""
    user = _user_from_uid(uidb64)
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def password_set_with_link(*, uidb64: str, token: str, password: str, address: str) -> User:
    """Set the password with a one-time link. A refused link spends one of the address's attempts (only failures
    count: a success gives its slot back)."""
    if not rate_limit_consume(scope=SET_ADDRESS_SCOPE, key=address, limit=settings.LOGIN_MAX_ATTEMPTS_PER_ADDRESS,
                              window_seconds=settings.LOGIN_WINDOW_SECONDS):
        raise ApplicationError("too_many_attempts", "Too many attempts; try again later.", status_code=429)
    with transaction.atomic():
        user = account_link_user(uidb64=uidb64, token=token)
        if user is not None:
            user = User.objects.select_for_update().get(pk=user.pk)
            if not default_token_generator.check_token(user, token):  # used by a parallel request meanwhile
                user = None
        if user is None:
            raise field_error("token", "This link is invalid, expired or already used; ask for a new one.",
                              code="invalid_link", summary="The link is not valid.")
        try:
            password_validation.validate_password(password, user)
        except DjangoValidationError as exc:
            raise field_error("password", " ".join(exc.messages), code="weak_password",
                              summary="The password is not acceptable.") from exc
        user.set_password(password)  # a new hash: this link (and every older token) stops working
        user.save(update_fields=["password"])
        audit_record(actor=user, action="user.password_set", target=user)
    rate_limit_refund(scope=SET_ADDRESS_SCOPE, key=address)
    return user


def password_forgot(*, identifier: str, address: str) -> None:
    """Send the one-time link to the active account with this e-mail address or username, if any. The caller
    answers the same whether or not one matched; every request spends the identifier's and the address's budget."""
    identifier = identifier.strip()
    window = settings.LOGIN_WINDOW_SECONDS
    if not (rate_limit_consume(scope=FORGOT_ACCOUNT_SCOPE, key=identifier.lower(),
                               limit=settings.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, window_seconds=window)
            and rate_limit_consume(scope=FORGOT_ADDRESS_SCOPE, key=address,
                                   limit=settings.LOGIN_MAX_ATTEMPTS_PER_ADDRESS, window_seconds=window)):
        raise ApplicationError("too_many_attempts", "Too many requests; try again later.", status_code=429)
    users = User.objects.filter(Q(email__iexact=identifier) | Q(username__iexact=identifier), is_active=True)
    with transaction.atomic():
        for user in users.exclude(email=""):
            audit_record(actor=None, action="user.password_link_sent", target=user)
            _link_email(user, invitation=False)
