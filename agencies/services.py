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
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise

from .models import Agency, EmploymentRecord, Officer, Role, User
from .states import US_STATE_CODES

AGENCY_EDITABLE_FIELDS = ("name", "state", "county", "agency_type", "sworn_headcount")
OFFICER_EDITABLE_FIELDS = ("first_name", "last_name", "state", "license_number", "rank", "hire_date", "email")


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


def _apply_changes(instance, data: dict, allowed: tuple[str, ...]) -> dict:
    changes = {}
    for name, value in data.items():
        if name in allowed and getattr(instance, name) != value:
            changes[name] = {"from": getattr(instance, name), "to": value}
            setattr(instance, name, value)
    return changes


def agency_update(*, agency: Agency, actor, data: dict) -> Agency:
    changes = _apply_changes(agency, data, AGENCY_EDITABLE_FIELDS)
    if not changes:
        return agency
    full_clean_or_raise(agency)
    with transaction.atomic():
        agency.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="agency.updated", target=agency, data=changes)
    return agency


# --- officers ---------------------------------------------------------------------------------------------

def officer_create(*, actor, agency: Agency, first_name: str, last_name: str, license_number: str,
                   state: str = "", rank: str = "", hire_date: date | None = None, email: str = "") -> Officer:
    officer = full_clean_or_raise(Officer(agency=agency, first_name=first_name, last_name=last_name,
                                 license_number=license_number, state=state or agency.state, rank=rank,
                                 hire_date=hire_date, email=email))
    with transaction.atomic():
        officer.save()
        EmploymentRecord.objects.create(officer=officer, agency=agency, rank=rank,
                                        started_on=hire_date or timezone.localdate())
        audit_record(actor=actor, action="officer.created", target=officer,
                     data={"agency": agency.pk, "state": officer.state, "license_number": license_number})
    return officer


def officer_update(*, officer: Officer, actor, data: dict, to_agency: Agency | None = None) -> Officer:
    """Edit an officer's details and, if `to_agency` differs, transfer them — all or nothing."""
    changes = _apply_changes(officer, data, OFFICER_EDITABLE_FIELDS)
    if changes:
        full_clean_or_raise(officer)
    with transaction.atomic():
        if to_agency is not None:
            officer_transfer(officer=officer, to_agency=to_agency, actor=actor)
        if changes:
            officer.save(update_fields=[*changes, "updated_at"])
            audit_record(actor=actor, action="officer.updated", target=officer, data=changes)
    return officer


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


# --- roster import ----------------------------------------------------------------------------------------

ROSTER_REQUIRED_COLUMNS = ("license_number", "first_name", "last_name")
ROSTER_OPTIONAL_COLUMNS = ("state", "rank", "hire_date", "email")
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
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in ROSTER_REQUIRED_COLUMNS if c not in columns]
    if missing:
        message = f"The CSV header lacks: {', '.join(missing)}."
        raise ApplicationError("invalid_file", message, fields={"file": [message]})
    reader.fieldnames = columns
    rows = []
    try:
        for line_number, row in enumerate(reader, start=2):  # line 1 is the header
            if len(rows) >= settings.ROSTER_IMPORT_MAX_ROWS:
                message = f"A roster may have at most {settings.ROSTER_IMPORT_MAX_ROWS} rows."
                raise ApplicationError("too_many_rows", message, fields={"file": [message]})
            rows.append({"_line": line_number, **{k: (v or "").strip() for k, v in row.items() if k}})
    except csv.Error as exc:
        raise ApplicationError("invalid_file", f"The CSV could not be read: {exc}",
                               fields={"file": [f"The CSV could not be read: {exc}"]}) from exc
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
    hire_date = row.get("hire_date", "")
    clean["hire_date"] = None
    if hire_date:
        try:
            clean["hire_date"] = date.fromisoformat(hire_date)
        except ValueError:
            errors["hire_date"] = "Use the date format YYYY-MM-DD."
    return clean, errors


def roster_import(*, agency: Agency, actor, raw: bytes, allow_transfers: bool = False) -> RosterImportResult:
    """Validate every row, then write all of them in bulk, or write nothing.

    Rows are matched to existing officers by (state, licence number): re-importing a roster updates them. A row
    whose officer is currently at another agency is a transfer, which only certification staff may make.
    """
    rows = roster_parse_csv(raw)
    result = RosterImportResult()
    cleaned: dict[tuple[str, str], dict] = {}
    for row in rows:
        clean, errors = _roster_row_clean(row, agency.state)
        key = (clean["state"], clean["license_number"])
        if not errors and key in cleaned:
            errors["license_number"] = f"Duplicate of line {cleaned[key]['_line']}."
        for name, message in errors.items():
            result.errors.setdefault(f"rows.{row['_line']}.{name}", []).append(message)
        if not errors:
            cleaned[key] = {**clean, "_line": row["_line"]}
    if result.errors:
        return result

    existing = _officers_by_license(cleaned.keys())
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
    with transaction.atomic():
        _officers_insert_with_employment(new_officers, agency=agency, now=now, today=today)
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
    return result


def _officers_insert_with_employment(officers: list[Officer], *, agency: Agency, now, today: date) -> None:
    """Insert new officers, each with its open employment record, in two statements (whatever the count).

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
        EmploymentRecord.objects.bulk_create(
            [EmploymentRecord(officer=o, agency=agency, rank=o.rank, started_on=o.hire_date or today)
             for o in officers],
            batch_size=2000,
        )
        return
    columns = {name: [getattr(o, name) for o in officers]
               for name in ("first_name", "last_name", "state", "license_number", "rank", "hire_date", "email")}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO agencies_officer (agency_id, first_name, last_name, state, license_number, rank, hire_date,"
            " email, ineligibility_reason, created_at, updated_at)"
            " SELECT %s, f, l, s, n, r, h, e, '', %s, %s"
            " FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::date[], %s::text[])"
            " AS t(f, l, s, n, r, h, e) RETURNING id, rank, hire_date",
            [agency.pk, now, now, *columns.values()])
        inserted = cursor.fetchall()
        cursor.execute(
            "INSERT INTO agencies_employmentrecord (officer_id, agency_id, rank, started_on, ended_on)"
            " SELECT i, %s, r, COALESCE(h, %s), NULL FROM unnest(%s::bigint[], %s::text[], %s::date[]) AS t(i, r, h)",
            [agency.pk, today, [row[0] for row in inserted], [row[1] for row in inserted],
             [row[2] for row in inserted]])


def _officers_by_license(keys) -> dict[tuple[str, str], Officer]:
    by_state: dict[str, list[str]] = {}
    for state, license_number in keys:
        by_state.setdefault(state, []).append(license_number)
    found = {}
    for state, numbers in by_state.items():
        for start in range(0, len(numbers), 5000):  # stay under SQLite's bound-parameter limit
            for officer in Officer.objects.filter(state=state, license_number__in=numbers[start:start + 5000]):
                found[(officer.state, officer.license_number)] = officer
    return found
