"""Roster CSV import: everything validated first, then written in bulk, or nothing."""

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.audit import audit_record
from core.exceptions import ApplicationError

from ..models import (
    Agency,
    EmploymentRecord,
    Officer,
    OfficerLicense,
    license_key,
)
from ..states import US_STATE_CODES
from .officers import (
    OFFICER_EDITABLE_FIELDS,
    actor_is_staff,
    actor_label,
    identity_change_refusal,
    identity_review_refusal,
    identity_review_request,
    license_refusal,
)

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
            new_officers.append(values)  # plain values: 100k model instances were ~20% of a large import
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
                                             recorded_by=actor_label(actor))
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
    if new_rows and not actor_is_staff(actor):
        lookalikes = _ineligible_lookalikes_bulk(new_rows)
        for clean in new_rows:
            matches = lookalikes.get(clean["_line"], [])
            if matches:
                proposed = {k: v for k, v in clean.items() if not k.startswith("_")}
                reviews = [identity_review_request(actor=actor, agency=agency, matched=m, proposed=proposed,
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


def _officers_insert_with_employment(rows: list[dict], *, agency: Agency, now, today: date,
                                     recorded_by: str) -> None:
    """Insert new officers, each with its open employment record, in a fixed number of statements (whatever the
    count); the database writes each officer's first licence row (a statement-level trigger on PostgreSQL, which
    takes who and why from transaction-local settings: no second pass over the rows it wrote).

    PostgreSQL: one INSERT ... SELECT FROM unnest(<column arrays>) RETURNING id (set-based, COPY-class speed, and
    the ids come back, so nothing has to be looked up again), then one INSERT of the employment records from those
    ids. Elsewhere: bulk_create. Never a per-row save()."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        officers = [Officer(agency=agency, created_at=now, updated_at=now, **row) for row in rows]
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
    columns = {name: [row[name] for row in rows]
               for name in ("first_name", "last_name", "state", "license_number", "rank", "hire_date", "email",
                            "date_of_birth")}
    with connection.cursor() as cursor:
        # Who and why, for the history row the insert trigger writes (agencies 0007); local to this transaction.
        cursor.execute("SELECT set_config('peacecert.license_recorded_by', %s, true),"
                       " set_config('peacecert.license_reason', 'roster import', true)", [recorded_by[:150]])
        cursor.execute(
            "INSERT INTO agencies_officer (agency_id, first_name, last_name, state, license_number, rank, hire_date,"
            " email, date_of_birth, ineligibility_reason, created_at, updated_at)"
            " SELECT %s, f, l, s, n, r, h, e, b, '', %s, %s"
            " FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::date[], %s::text[],"
            " %s::date[]) AS t(f, l, s, n, r, h, e, b) RETURNING id, rank, hire_date, state, license_number",
            [agency.pk, now, now, *columns.values()])
        inserted = cursor.fetchall()
        cursor.execute("SELECT set_config('peacecert.license_recorded_by', '', true),"
                       " set_config('peacecert.license_reason', '', true)")
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
