"""Every write to people and agencies. Each runs in one transaction with its audit entry."""

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.access import require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.services import model_update_prepare

from .models import (
    Agency,
    EmploymentRecord,
    IdentityReview,
    IdentityReviewStatus,
    Officer,
    OfficerLicense,
    Role,
    User,
    license_key,
)
from .states import US_STATE_CODES

AGENCY_EDITABLE_FIELDS = ("name", "state", "county", "agency_type", "sworn_headcount")
# What an agency may change on an existing officer record (identity fields are staff corrections, see below).
OFFICER_EDITABLE_FIELDS = ("rank", "hire_date", "email")


# --- users ------------------------------------------------------------------------------------------------

def user_create(*, actor, username: str, password: str, role: str = Role.NONE, agency: Agency | None = None,
                email: str = "", first_name: str = "", last_name: str = "") -> User:
    with transaction.atomic():
        user = User(username=username, email=email, first_name=first_name, last_name=last_name, role=role,
                    agency=agency if role == Role.AGENCY_ADMIN else None)
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


# --- officers ---------------------------------------------------------------------------------------------

# Who the officer is. An agency administrator sets them once, when the record is created; after that they are
# corrected only by certification staff, with a reason (officer_identity_correct), because an interested party
# that could rename or re-licence a record could detach a person from their decertification.
IDENTITY_FIELDS = ("first_name", "last_name", "state", "license_number", "date_of_birth")


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return f"system:{actor}"
    return actor.get_username()


def _is_staff(actor) -> bool:
    return not isinstance(actor, str) and actor is not None and actor.is_certification_staff


def license_holder(*, state: str, license_number: str, exclude_officer_id: int | None = None) -> Officer | None:
    """The officer record that holds or ever held this licence (recorded in error excepted)."""
    qs = OfficerLicense.objects.filter(state=state, license_key=license_key(license_number), recorded_in_error=False)
    if exclude_officer_id is not None:
        qs = qs.exclude(officer_id=exclude_officer_id)
    held = qs.select_related("officer").first()
    return held.officer if held else None


def license_refusal(*, holder: Officer, state: str, license_number: str) -> ApplicationError:
    if holder.permanently_ineligible_at is not None:
        message = (f"Licence {state} {license_number} was held by a permanently ineligible officer; it can never be "
                   "attached to another officer record. If this is the same person, certification staff link the "
                   "records.")
        return ApplicationError("license_decertified", message, status_code=409,
                                fields={"license_number": [message]})
    message = (f"Licence {state} {license_number} belongs to another officer record (a licence stays with the "
               "person who held it). Certification staff correct licences or link records of the same person.")
    return ApplicationError("license_taken", message, status_code=409, fields={"license_number": [message]})


def license_available_check(*, state: str, license_number: str, officer_id: int | None = None) -> None:
    holder = license_holder(state=state, license_number=license_number, exclude_officer_id=officer_id)
    if holder is not None:
        raise license_refusal(holder=holder, state=state, license_number=license_number)


def ineligible_lookalikes(*, first_name: str, last_name: str, date_of_birth: date | None) -> list[Officer]:
    """Permanently ineligible officers, in any state or agency, with this name and a date of birth that matches or
    that one side does not state. A missing date of birth matches on purpose: leaving it out must not be the way
    past the check."""
    qs = Officer.objects.filter(permanently_ineligible_at__isnull=False, first_name__iexact=first_name.strip(),
                                last_name__iexact=last_name.strip())
    if date_of_birth is not None:
        qs = qs.filter(Q(date_of_birth=date_of_birth) | Q(date_of_birth__isnull=True))
    return list(qs.order_by("pk")[:10])


def _identity_review_request(*, actor, agency: Agency, matched: Officer, proposed: dict, source: str) -> IdentityReview:
    """Queue the refused record for staff (committed on its own: the refusal itself writes nothing else)."""
    pending = IdentityReview.objects.filter(matched_officer=matched, state=proposed["state"],
                                            license_number=proposed["license_number"],
                                            status=IdentityReviewStatus.PENDING)
    review = pending.first()
    if review is not None:
        return review
    try:
        with transaction.atomic():
            review = IdentityReview.objects.create(
                agency=agency, matched_officer=matched, state=proposed["state"],
                license_number=proposed["license_number"], proposed=_jsonable(proposed), source=source,
                requested_by=actor if isinstance(actor, User) else None)
            audit_record(actor=actor, action="officer.identity_review_requested", target=review,
                         data={"matched_officer": matched.pk, "agency": agency.pk, "source": source})
    except IntegrityError:
        # A parallel refused request queued the same record first (one pending review per licence and match):
        # that review answers for this request too.
        review = pending.first()
        if review is None:
            raise
    return review


def _jsonable(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def identity_review_refusal(reviews: list[IdentityReview], *, field_prefix: str = "") -> ApplicationError:
    message = ("This officer's name and date of birth match a permanently ineligible officer; the record waits for "
               "certification staff review (identity review "
               + ", ".join(f"#{r.pk}" for r in reviews) + ").")
    return ApplicationError("identity_review_required", message, status_code=409,
                            fields={f"{field_prefix}first_name": [message]})


def officer_create(*, actor, agency: Agency, first_name: str, last_name: str, license_number: str,
                   state: str = "", rank: str = "", hire_date: date | None = None, email: str = "",
                   date_of_birth: date | None = None, source: str = "api",
                   identity_reviewed: bool = False) -> Officer:
    """Create an officer record with its first licence in the history and its open employment.

    Refused (409) when the licence is held or was ever held by another record, and — for anyone but staff — when
    the person looks like a permanently ineligible officer: that attempt goes to the staff review queue."""
    state = state or agency.state
    license_available_check(state=state, license_number=license_number)
    try:
        officer = full_clean_or_raise(Officer(agency=agency, first_name=first_name, last_name=last_name,
                                     license_number=license_number, state=state, rank=rank,
                                     hire_date=hire_date, email=email, date_of_birth=date_of_birth))
    except ApplicationError as exc:
        # A parallel request took the licence after the check above: answer with the licence rule, not a bare
        # "already exists" (the same answer as the IntegrityError path below).
        holder = license_holder(state=state, license_number=license_number) if exc.code == "already_exists" else None
        if holder is None:
            raise
        raise license_refusal(holder=holder, state=state, license_number=license_number) from None
    lookalikes = ineligible_lookalikes(first_name=first_name, last_name=last_name, date_of_birth=date_of_birth)
    if lookalikes and not identity_reviewed and not _is_staff(actor):
        proposed = {"first_name": first_name, "last_name": last_name, "state": officer.state,
                    "license_number": license_number, "date_of_birth": date_of_birth, "rank": rank,
                    "hire_date": hire_date, "email": email}
        reviews = [_identity_review_request(actor=actor, agency=agency, matched=m, proposed=proposed, source=source)
                   for m in lookalikes]
        raise identity_review_refusal(reviews)
    try:
        with transaction.atomic():
            officer.save()  # a trigger writes the first licence row; say who and why on it
            _license_current_annotate(officer=officer, actor=actor, reason=f"record created ({source})")
            EmploymentRecord.objects.create(officer=officer, agency=agency, rank=rank,
                                            started_on=hire_date or timezone.localdate())
            audit_record(actor=actor, action="officer.created", target=officer,
                         data={"agency": agency.pk, "state": officer.state, "license_number": license_number,
                               "possible_same_person_as": [m.pk for m in lookalikes]})
    except IntegrityError:
        # A parallel request took the licence between the check and the insert: answer as the check would.
        holder = license_holder(state=officer.state, license_number=license_number)
        if holder is None:
            raise
        raise license_refusal(holder=holder, state=officer.state, license_number=license_number) from None
    return officer


def identity_change_refusal(fields: list[str]) -> ApplicationError:
    message = ("Name, state, licence number and date of birth of an existing officer are corrected only by "
               "certification staff, with a reason (POST /api/v1/officers/{id}/identity-corrections/).")
    return ApplicationError("identity_frozen", message, status_code=409, fields={f: [message] for f in fields})


def officer_update(*, officer: Officer, actor, data: dict, to_agency: Agency | None = None) -> Officer:
    """Edit an officer's rank, hire date and e-mail and, if `to_agency` differs, transfer them — all or nothing.
    Identity fields may be sent unchanged (a client echoing the record back) but never changed here."""
    frozen = [f for f in IDENTITY_FIELDS if f in data and data[f] != getattr(officer, f)]
    if frozen:
        raise identity_change_refusal(frozen)
    changes = model_update_prepare(officer, data, OFFICER_EDITABLE_FIELDS)
    if changes:
        full_clean_or_raise(officer)
    with transaction.atomic():
        if to_agency is not None:
            officer_transfer(officer=officer, to_agency=to_agency, actor=actor)
        if changes:
            officer.save(update_fields=[*changes, "updated_at"])
            audit_record(actor=actor, action="officer.updated", target=officer, data=changes)
    return officer


_UNSET = object()


def officer_identity_correct(*, officer: Officer, actor, reason: str, first_name: str | None = None,
                             last_name: str | None = None, state: str | None = None,
                             license_number: str | None = None, date_of_birth=_UNSET,
                             previous_license_recorded_in_error: bool = False) -> Officer:
    """Staff correct who an officer is. A new licence closes the current one in the history (kept for good, so
    public answers still match it) and opens the new one; everything is in the ledger with the reason."""
    require_staff(actor, "correct an officer's identity")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("validation_error", "A correction needs a reason.",
                               fields={"reason": ["This field is required."]})
    with transaction.atomic():
        officer = Officer.objects.select_for_update().get(pk=officer.pk)
        wanted = {"first_name": first_name, "last_name": last_name, "state": state, "license_number": license_number}
        if date_of_birth is not _UNSET:
            wanted["date_of_birth"] = date_of_birth
        changes = model_update_prepare(officer, {k: v for k, v in wanted.items()
                                                 if v is not None or k == "date_of_birth"}, IDENTITY_FIELDS)
        if not changes:
            raise ApplicationError("nothing_to_correct", "The correction changes nothing.", status_code=400)
        full_clean_or_raise(officer)
        license_changed = "state" in changes or "license_number" in changes
        if previous_license_recorded_in_error and officer.permanently_ineligible_at is not None:
            raise ApplicationError("officer_permanently_ineligible", "A permanently ineligible officer keeps every "
                                   "licence they held; none can be marked as recorded in error.", status_code=409,
                                   fields={"previous_license_recorded_in_error": ["Not allowed for this officer."]})
        if license_changed:
            _license_move(officer=officer, actor=actor, reason=reason,
                          previous_in_error=previous_license_recorded_in_error)
        officer.save(update_fields=[*changes, "updated_at"])
        if license_changed:
            _license_current_annotate(officer=officer, actor=actor, reason=reason)
        audit_record(actor=actor, action="officer.identity_corrected", target=officer,
                     data={"reason": reason, "changes": _jsonable_changes(changes),
                           "previous_license_recorded_in_error": previous_license_recorded_in_error})
    return officer


def _jsonable_changes(changes: dict) -> dict:
    return {k: {side: (v.isoformat() if isinstance(v, date) else v) for side, v in c.items()}
            for k, c in changes.items()}


def _license_current_annotate(*, officer: Officer, actor, reason: str) -> None:
    OfficerLicense.objects.filter(officer=officer, held_until__isnull=True).update(
        recorded_by=_actor_label(actor)[:150], reason=reason[:500])


def _license_move(*, officer: Officer, actor, reason: str, previous_in_error: bool) -> None:
    """Check the new licence is free; the save that follows lets the database close the current licence row and
    open (or reopen) the new one. Called before the save, with the officer row locked."""
    license_available_check(state=officer.state, license_number=officer.license_number, officer_id=officer.pk)
    if previous_in_error:
        OfficerLicense.objects.filter(officer=officer, held_until__isnull=True).update(recorded_in_error=True)


def officer_mark_permanently_ineligible(*, officer: Officer, actor, reason: str) -> Officer:
    """Make the officer permanently ineligible (idempotent). Call inside the transaction that verifies a finding."""
    with transaction.atomic():
        now = timezone.now()
        marked = Officer.objects.filter(pk=officer.pk, permanently_ineligible_at__isnull=True).update(
            permanently_ineligible_at=now, ineligibility_reason=reason[:200], updated_at=now
        )
        officer.refresh_from_db(fields=["permanently_ineligible_at", "ineligibility_reason", "updated_at"])
        if marked:
            audit_record(actor=actor, action="officer.permanently_ineligible", target=officer, data={"reason": reason})
    return officer


def officer_link_same_person(*, officer: Officer, same_person_as: Officer, actor, reason: str) -> Officer:
    """Record that `officer` is the same person as `same_person_as` (staff; see certification's
    officer_records_link, which also carries permanent ineligibility across)."""
    require_staff(actor, "link officer records")
    if officer.same_person_as_id not in (None, same_person_as.pk):
        raise ApplicationError("already_linked", "This record is already linked to another record.",
                               status_code=409, fields={"same_person_as": ["Already linked."]})
    with transaction.atomic():
        Officer.objects.filter(pk=officer.pk).update(same_person_as=same_person_as, updated_at=timezone.now())
        officer.same_person_as = same_person_as
        audit_record(actor=actor, action="officer.linked_same_person", target=officer,
                     data={"same_person_as": same_person_as.pk, "reason": reason})
    return officer


def officer_ineligibility_clear_refusal() -> ApplicationError:
    return ApplicationError("officer_permanently_ineligible", "Permanent ineligibility cannot be cleared or changed.",
                            status_code=409, fields={"permanently_ineligible_at": ["Permanent; read-only."]})


def officer_transfer(*, officer: Officer, to_agency: Agency, actor, on_date: date | None = None) -> Officer:
    """Move an officer to another agency, closing the open employment and opening a new one."""
    if officer.agency_id == to_agency.pk:
        return officer
    on_date = on_date or timezone.localdate()
    with transaction.atomic():
        from_agency_id = officer.agency_id
        EmploymentRecord.objects.filter(officer=officer, ended_on__isnull=True).update(ended_on=on_date)
        EmploymentRecord.objects.create(officer=officer, agency=to_agency, rank=officer.rank, started_on=on_date)
        officer.agency = to_agency
        officer.save(update_fields=["agency", "updated_at"])
        audit_record(actor=actor, action="officer.transferred", target=officer,
                     data={"from_agency": from_agency_id, "to_agency": to_agency.pk, "on": on_date})
    return officer


# --- identity review queue --------------------------------------------------------------------------------

def identity_review_decide(*, review: IdentityReview, actor, decision: str, reason: str) -> IdentityReview:
    """Staff decide a queued record: `linked` (the same person: the record is created, linked to the ineligible
    officer and permanently ineligible too), `cleared` (a different person: the record is created as submitted)
    or `dismissed` (no record). Compare-and-swap on the pending status: one decision wins."""
    require_staff(actor, "decide identity reviews")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("validation_error", "A decision needs a reason.",
                               fields={"reason": ["This field is required."]})
    if decision not in (IdentityReviewStatus.LINKED, IdentityReviewStatus.CLEARED, IdentityReviewStatus.DISMISSED):
        raise ApplicationError("validation_error", "Unknown decision.",
                               fields={"decision": ["Choose linked, cleared or dismissed."]})
    now = timezone.now()
    with transaction.atomic():
        moved = IdentityReview.objects.filter(pk=review.pk, status=IdentityReviewStatus.PENDING).update(
            status=decision, decided_by=actor, decided_at=now, decision_reason=reason[:500])
        if moved != 1:
            raise ApplicationError("invalid_transition", "This review was already decided.", status_code=409)
        review.refresh_from_db()
        officer = None
        if decision != IdentityReviewStatus.DISMISSED:
            p = review.proposed
            officer = officer_create(
                actor=actor, agency=review.agency, first_name=p["first_name"], last_name=p["last_name"],
                license_number=p["license_number"], state=p["state"], rank=p.get("rank", ""),
                hire_date=date.fromisoformat(p["hire_date"]) if p.get("hire_date") else None,
                email=p.get("email", ""),
                date_of_birth=date.fromisoformat(p["date_of_birth"]) if p.get("date_of_birth") else None,
                source="identity_review", identity_reviewed=True)
            if decision == IdentityReviewStatus.LINKED:
                Officer.objects.filter(pk=officer.pk).update(same_person_as=review.matched_officer)
                officer = officer_mark_permanently_ineligible(
                    officer=officer, actor=actor,
                    reason=f"Same person as permanently ineligible officer #{review.matched_officer_id}")
            IdentityReview.objects.filter(pk=review.pk).update(officer=officer)
            review.officer = officer
        audit_record(actor=actor, action=f"officer.identity_review_{decision}", target=review,
                     data={"reason": reason, "matched_officer": review.matched_officer_id,
                           "officer": officer.pk if officer else None})
    return review


# --- roster import ----------------------------------------------------------------------------------------

ROSTER_REQUIRED_COLUMNS = ("license_number", "first_name", "last_name")
ROSTER_OPTIONAL_COLUMNS = ("state", "rank", "hire_date", "email", "date_of_birth")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_LENGTHS = {"license_number": 50, "first_name": 100, "last_name": 100, "rank": 100, "email": 254}


@dataclass
class RosterImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    transferred: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)


def roster_parse_csv(raw: bytes) -> list[dict]:
    """Bytes of an uploaded CSV -> rows keyed by lower-case column names, each with its spreadsheet line number."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError("invalid_file", "The roster must be a UTF-8 CSV file.",
                               fields={"file": ["The roster must be a UTF-8 CSV file."]}) from exc
    from core.text import csv_cell_errors, csv_header_errors, forbidden_character

    reader = csv.DictReader(io.StringIO(text))
    # The JSON API's rule for text (core.text): no NUL or other control characters, row-numbered like every error.
    suspicious = forbidden_character(text) is not None  # one scan of the file; cells are checked only if needed
    character_errors = csv_header_errors(reader.fieldnames or []) if suspicious else {}
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in ROSTER_REQUIRED_COLUMNS if c not in columns]
    if missing and not character_errors:
        message = f"The CSV header lacks: {', '.join(missing)}."
        raise ApplicationError("invalid_file", message, fields={"file": [message]})
    reader.fieldnames = columns
    rows = []
    try:
        for line_number, row in enumerate(reader, start=2):  # line 1 is the header
            if len(rows) >= settings.ROSTER_IMPORT_MAX_ROWS:
                message = f"A roster may have at most {settings.ROSTER_IMPORT_MAX_ROWS} rows."
                raise ApplicationError("too_many_rows", message, fields={"file": [message]})
            if suspicious:
                character_errors.update(csv_cell_errors(line_number, row))  # before trimming, which hides some
            rows.append({"_line": line_number, **{k: (v or "").strip() for k, v in row.items() if k}})
    except csv.Error as exc:
        raise ApplicationError("invalid_file", f"The CSV could not be read: {exc}",
                               fields={"file": [f"The CSV could not be read: {exc}"]}) from exc
    if character_errors:
        raise ApplicationError("roster_invalid", f"{len(character_errors)} problem(s) in the roster; nothing was "
                               "imported.", fields=character_errors)
    if not rows:
        raise ApplicationError("empty_file", "The roster has no rows.", fields={"file": ["The roster has no rows."]})
    return rows


def _roster_row_clean(row: dict, default_state: str) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    clean = {"state": (row.get("state") or default_state).upper()}
    for name in ("license_number", "first_name", "last_name", "rank", "email"):
        value = row.get(name, "")
        if name in ROSTER_REQUIRED_COLUMNS and not value:
            errors[name] = "This field is required."
        elif len(value) > _MAX_LENGTHS[name]:
            errors[name] = f"At most {_MAX_LENGTHS[name]} characters."
        clean[name] = value
    if clean["state"] not in US_STATE_CODES:
        errors["state"] = f"Unknown state code {clean['state']!r}."
    if clean["email"] and not _EMAIL_RE.match(clean["email"]):
        errors["email"] = "Not a valid e-mail address."
    for name in ("hire_date", "date_of_birth"):
        value = row.get(name, "")
        clean[name] = None
        if value:
            try:
                clean[name] = date.fromisoformat(value)
            except ValueError:
                errors[name] = "Use the date format YYYY-MM-DD."
    return clean, errors


def roster_import(*, agency: Agency, actor, raw: bytes, allow_transfers: bool = False) -> RosterImportResult:
    """Validate every row, then write all of them in bulk, or write nothing.

    Rows are matched to existing officers by their current (state, licence number): re-importing a roster updates
    rank, hire date and e-mail. Identity (name, date of birth) of an existing officer is never changed by an import
    (staff correct it, with a reason); a licence held before by another record, or a new person who looks like a
    permanently ineligible officer, refuses the whole file with 409 — the latter also queues the row for staff. A row
    whose officer is currently at another agency is a transfer, which only certification staff may make.
    """
    rows = roster_parse_csv(raw)
    result = RosterImportResult()
    cleaned: dict[tuple[str, str], dict] = {}
    for row in rows:
        clean, errors = _roster_row_clean(row, agency.state)
        key = (clean["state"], license_key(clean["license_number"]))
        if not errors and key in cleaned:
            errors["license_number"] = f"Duplicate of line {cleaned[key]['_line']} (the same licence)."
        for name, message in errors.items():
            result.errors.setdefault(f"rows.{row['_line']}.{name}", []).append(message)
        if not errors:
            cleaned[key] = {**clean, "_line": row["_line"]}
    if result.errors:
        return result

    existing, held_elsewhere = _officers_by_license_history(cleaned.keys())
    _roster_rules_check(agency=agency, actor=actor, cleaned=cleaned, existing=existing,
                        held_elsewhere=held_elsewhere, allow_transfers=allow_transfers)
    for key, other in existing.items():
        if other.agency_id != agency.pk and not allow_transfers:
            result.errors[f"rows.{cleaned[key]['_line']}.license_number"] = [
                "This licence belongs to an officer of another agency; certification staff record transfers."
            ]
    if result.errors:
        return result

    today = timezone.localdate()
    new_officers, changed, transfers = [], [], []
    for key, clean in cleaned.items():
        officer = existing.get(key)
        values = {k: v for k, v in clean.items() if not k.startswith("_")}
        if officer is None:
            new_officers.append(Officer(agency=agency, **values))
            continue
        values = {k: v for k, v in values.items() if k in OFFICER_EDITABLE_FIELDS}
        is_transfer = officer.agency_id != agency.pk
        if is_transfer:
            transfers.append(officer)
            officer.agency = agency
        if is_transfer or any(getattr(officer, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(officer, k, v)
            changed.append(officer)
        else:
            result.unchanged += 1

    now = timezone.now()
    try:
        with transaction.atomic():
            _officers_insert_with_employment(new_officers, agency=agency, now=now, today=today,
                                             recorded_by=_actor_label(actor))
            for officer in changed:
                officer.updated_at = now
            Officer.objects.bulk_update(
                changed, fields=[*OFFICER_EDITABLE_FIELDS, "agency", "updated_at"], batch_size=1000
            )
            if transfers:
                EmploymentRecord.objects.filter(officer__in=transfers, ended_on__isnull=True).update(ended_on=today)
                EmploymentRecord.objects.bulk_create(
                    [EmploymentRecord(officer=o, agency=agency, rank=o.rank, started_on=today) for o in transfers],
                    batch_size=2000,
                )
            result.created, result.updated, result.transferred = len(new_officers), len(changed), len(transfers)
            # One audit entry per import (with the file's digest), not per row: a 100k-row roster must stay fast.
            audit_record(actor=actor, action="officer.roster_imported", target=agency, data={
                "sha256": hashlib.sha256(raw).hexdigest(), "rows": len(cleaned), "created": result.created,
                "updated": result.updated, "unchanged": result.unchanged, "transferred": result.transferred,
            })
    except IntegrityError:
        # A parallel request (a create, another import) took one of these licences meanwhile; nothing was written.
        raise ApplicationError("license_taken", "A licence in this roster was taken by another officer record "
                               "meanwhile; nothing was imported. Reload and retry.", status_code=409,
                               fields={"file": ["A licence was taken meanwhile."]}) from None
    return result


_RULE_PRIORITY = ("license_decertified", "identity_review_required", "license_taken", "identity_frozen")


def _roster_rules_check(*, agency: Agency, actor, cleaned: dict, existing: dict, held_elsewhere: dict,
                        allow_transfers: bool) -> None:
    """The rules that keep the registry's word about a person, applied to a whole file: refuse (409, nothing
    imported) if any row would reuse a licence another record held, change an existing officer's identity, or —
    for anyone but staff — add a person who looks like a permanently ineligible officer (queued for staff)."""
    refusals: dict[str, list[str]] = {}
    codes = set()

    def refuse(line, name, error: ApplicationError):
        codes.add(error.code)
        refusals.setdefault(f"rows.{line}.{name}", []).append(error.message)

    for key, clean in cleaned.items():
        line = clean["_line"]
        holder = held_elsewhere.get(key)
        if holder is not None:
            refuse(line, "license_number",
                   license_refusal(holder=holder, state=key[0], license_number=clean["license_number"]))
            continue
        officer = existing.get(key)
        if officer is not None and officer.agency_id != agency.pk and officer.permanently_ineligible_at is not None:
            # Another agency's decertified officer: say so, rather than "staff record transfers".
            refuse(line, "license_number",
                   license_refusal(holder=officer, state=key[0], license_number=clean["license_number"]))
            continue
        if officer is not None and officer.agency_id != agency.pk and not allow_transfers:
            continue  # another agency's officer: refused below as a transfer only staff may record
        if officer is not None:
            frozen = [f for f in ("first_name", "last_name") if clean[f] != getattr(officer, f)]
            if clean["date_of_birth"] is not None and clean["date_of_birth"] != officer.date_of_birth:
                frozen.append("date_of_birth")
            for name in frozen:
                refuse(line, name, identity_change_refusal([name]))
    new_rows = [c for k, c in cleaned.items() if k not in existing and k not in held_elsewhere]
    if new_rows and not _is_staff(actor):
        lookalikes = _ineligible_lookalikes_bulk(new_rows)
        for clean in new_rows:
            matches = lookalikes.get(clean["_line"], [])
            if matches:
                proposed = {k: v for k, v in clean.items() if not k.startswith("_")}
                reviews = [_identity_review_request(actor=actor, agency=agency, matched=m, proposed=proposed,
                                                    source="roster_import") for m in matches]
                refuse(clean["_line"], "first_name", identity_review_refusal(reviews))
    if refusals:
        code = next(c for c in _RULE_PRIORITY if c in codes)
        raise ApplicationError(code, f"{len(refusals)} row(s) break the registry's identity rules; nothing was "
                               "imported.", status_code=409, fields=refusals)


def _ineligible_lookalikes_bulk(new_rows: list[dict]) -> dict[int, list[Officer]]:
    """For each new row (by line), the permanently ineligible officers it looks like (see ineligible_lookalikes),
    found with one query per 5,000 last names rather than one per row."""
    from django.db.models.functions import Lower

    last_names = sorted({c["last_name"].strip().lower() for c in new_rows})
    candidates: dict[tuple[str, str], list[Officer]] = {}
    for start in range(0, len(last_names), 5000):
        qs = (Officer.objects.filter(permanently_ineligible_at__isnull=False)
              .annotate(last_lower=Lower("last_name")).filter(last_lower__in=last_names[start:start + 5000]))
        for officer in qs:
            candidates.setdefault((officer.first_name.strip().lower(), officer.last_lower.strip()), []).append(officer)
    found = {}
    for clean in new_rows:
        matches = [o for o in candidates.get((clean["first_name"].strip().lower(), clean["last_name"].strip().lower()),
                                             [])
                   if clean["date_of_birth"] is None or o.date_of_birth in (None, clean["date_of_birth"])]
        if matches:
            found[clean["_line"]] = matches
    return found


def _officers_insert_with_employment(officers: list[Officer], *, agency: Agency, now, today: date,
                                     recorded_by: str) -> None:
    """Insert new officers, each with its open employment record, in a fixed number of statements (whatever the
    count); the database writes each officer's first licence row (a statement-level trigger on PostgreSQL).

    PostgreSQL: one INSERT ... SELECT FROM unnest(<column arrays>) RETURNING id (set-based, COPY-class speed, and
    the ids come back, so nothing has to be looked up again), then one INSERT of the employment records from those
    ids. Elsewhere: bulk_create. Never a per-row save()."""
    if not officers:
        return
    if connection.vendor != "postgresql":
        for officer in officers:
            officer.created_at = officer.updated_at = now
        Officer.objects.bulk_create(officers, batch_size=2000)
        if not all(o.pk for o in officers):  # SQLite < 3.35 does not return ids
            ids = _officers_by_license({(o.state, o.license_number) for o in officers})
            for officer in officers:
                officer.pk = ids[(officer.state, officer.license_number)].pk
        new_ids = [o.pk for o in officers]
        for start in range(0, len(new_ids), 5000):  # stay under SQLite's bound-parameter limit
            OfficerLicense.objects.filter(officer_id__in=new_ids[start:start + 5000]).update(
                recorded_by=recorded_by[:150], reason="roster import")
        EmploymentRecord.objects.bulk_create(
            [EmploymentRecord(officer=o, agency=agency, rank=o.rank, started_on=o.hire_date or today)
             for o in officers],
            batch_size=2000,
        )
        return
    columns = {name: [getattr(o, name) for o in officers]
               for name in ("first_name", "last_name", "state", "license_number", "rank", "hire_date", "email",
                            "date_of_birth")}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO agencies_officer (agency_id, first_name, last_name, state, license_number, rank, hire_date,"
            " email, date_of_birth, ineligibility_reason, created_at, updated_at)"
            " SELECT %s, f, l, s, n, r, h, e, b, '', %s, %s"
            " FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::date[], %s::text[],"
            " %s::date[]) AS t(f, l, s, n, r, h, e, b) RETURNING id, rank, hire_date, state, license_number",
            [agency.pk, now, now, *columns.values()])
        inserted = cursor.fetchall()
        # The insert trigger wrote each first licence row; one statement says who imported them.
        cursor.execute("UPDATE agencies_officerlicense SET recorded_by = %s, reason = 'roster import'"
                       " WHERE officer_id = ANY(%s::bigint[])", [recorded_by[:150], [row[0] for row in inserted]])
        cursor.execute(
            "INSERT INTO agencies_employmentrecord (officer_id, agency_id, rank, started_on, ended_on)"
            " SELECT i, %s, r, COALESCE(h, %s), NULL FROM unnest(%s::bigint[], %s::text[], %s::date[]) AS t(i, r, h)",
            [agency.pk, today, [row[0] for row in inserted], [row[1] for row in inserted],
             [row[2] for row in inserted]])


def _officers_by_license(keys) -> dict[tuple[str, str], Officer]:
    """Officers whose *current* licence is one of `keys`."""
    by_state: dict[str, list[str]] = {}
    for state, license_number in keys:
        by_state.setdefault(state, []).append(license_number)
    found = {}
    for state, numbers in by_state.items():
        for start in range(0, len(numbers), 5000):  # stay under SQLite's bound-parameter limit
            for officer in Officer.objects.filter(state=state, license_number__in=numbers[start:start + 5000]):
                found[(officer.state, officer.license_number)] = officer
    return found


def _officers_by_license_history(keys) -> tuple[dict[tuple[str, str], Officer], dict[tuple[str, str], Officer]]:
    """Keys are (state, licence key). Returns (officers whose current licence is a key, officers who held a key
    before but hold another now)."""
    by_state: dict[str, list[str]] = {}
    for state, key in keys:
        by_state.setdefault(state, []).append(key)
    current, earlier = {}, {}
    for state, numbers in by_state.items():
        for start in range(0, len(numbers), 5000):  # stay under SQLite's bound-parameter limit
            held = (OfficerLicense.objects.filter(state=state, license_key__in=numbers[start:start + 5000],
                                                  recorded_in_error=False).select_related("officer"))
            for row in held:
                key = (row.state, row.license_key)
                officer = row.officer
                if (officer.state, license_key(officer.license_number)) == key:
                    current[key] = officer
                else:
                    earlier[key] = officer
    return current, earlier
