"""Bulk import of historical completions (CE credits) from CSV."""

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.selectors import officers_by_any_license
from agencies.states import US_STATE_CODES
from core.audit import audit_record
from core.codes import verification_code_new
from core.exceptions import ApplicationError
from core.text import csv_cell_errors, csv_header_errors, forbidden_character

from ..models import (
    MAX_CE_HOURS,
    Completion,
    CompletionSource,
    Course,
    CourseKind,
    CreditImport,
    InstructorQualification,
)
from .enrollments import _trainer_qualification_for

# --- bulk credit import -------------------------------------------------------------------------------------

CREDIT_IMPORT_REQUIRED_COLUMNS = ("state", "license_number", "course_code", "completed_on")
CREDIT_IMPORT_OPTIONAL_COLUMNS = ("ce_hours",)


def _credit_import_max_rows() -> int:
    return getattr(settings, "TRAINING_CREDIT_IMPORT_MAX_ROWS", 200_000)


@dataclass
class CreditImportResult:
    created: int = 0
    qualifications: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)
    credit_import: CreditImport | None = None


def _identity(iterable, **_kwargs):
    return iterable


def credits_parse_csv(raw: bytes) -> list[dict]:
    def refuse(code, message):
        raise ApplicationError(code, message, fields={"file": [message]})

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        refuse("invalid_file", "The file must be a UTF-8 CSV file.")
    reader = csv.DictReader(io.StringIO(text))
    # The JSON API's rule for text (core.text): no NUL or other control characters, row-numbered like every error.
    suspicious = forbidden_character(text) is not None  # one scan of the file; cells are checked only if needed
    character_errors = csv_header_errors(reader.fieldnames or []) if suspicious else {}
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in CREDIT_IMPORT_REQUIRED_COLUMNS if c not in columns]
    if missing and not character_errors:
        refuse("invalid_file", f"The CSV header lacks: {', '.join(missing)}.")
    reader.fieldnames = columns
    rows, limit = [], _credit_import_max_rows()
    try:
        for line_number, row in enumerate(reader, start=2):  # line 1 is the header
            if len(rows) >= limit:
                refuse("too_many_rows", f"An import may have at most {limit} rows.")
            if suspicious:
                character_errors.update(csv_cell_errors(line_number, row))  # before trimming, which hides some
            rows.append({"_line": line_number, **{k: (v or "").strip() for k, v in row.items()
                                                  if isinstance(k, str)}})
    except csv.Error as exc:
        refuse("invalid_file", f"The CSV could not be read: {exc}")
    if character_errors:
        raise ApplicationError("credits_invalid", f"{len(character_errors)} problem(s) in the file; nothing was "
                               "imported.", fields=character_errors)
    if not rows:
        refuse("empty_file", "The file has no rows.")
    return rows


def credits_import(*, raw: bytes, actor, progress: Callable = _identity) -> CreditImportResult:
    """Import historical completions: every row is checked first (row-numbered errors, nothing written on any
    error), then all are written with bulk inserts and ONE audit entry. `progress(iterable, total=, desc=)` wraps
    the loops (the management command passes tqdm)."""
    rows = credits_parse_csv(raw)
    result = CreditImportResult()
    today = timezone.localdate()
    courses = {c.code.upper(): c for c in Course.objects.all()}
    # Any licence the person ever held resolves to them (and only them): a credit naming an old licence can never
    # attach to a record that took the number over — no record ever can.
    officers = officers_by_any_license({(r.get("state", "").upper(), r.get("license_number", "")) for r in rows})
    seen: dict[tuple[int, int, date], int] = {}
    cleaned: list[dict] = []
    for row in progress(rows, total=len(rows), desc="validating"):
        line, errors = row["_line"], {}
        state = row.get("state", "").upper()
        for column in CREDIT_IMPORT_REQUIRED_COLUMNS:
            if not row.get(column):
                errors[column] = "This field is required."
        if state and state not in US_STATE_CODES:
            errors["state"] = f"Unknown state code {state!r}."
        officer = officers.get((state, row.get("license_number", "")))
        if officer is None and "state" not in errors and "license_number" not in errors:
            errors["license_number"] = f"No officer with licence {row['license_number']!r} in {state}."
        course = courses.get(row.get("course_code", "").upper())
        if course is None and "course_code" not in errors:
            errors["course_code"] = f"Unknown course {row['course_code']!r}."
        completed_on = None
        if row.get("completed_on"):
            try:
                completed_on = date.fromisoformat(row["completed_on"])
            except ValueError:
                errors["completed_on"] = "Use the date format YYYY-MM-DD."
            else:
                if completed_on > today:
                    errors["completed_on"] = "A completion cannot be in the future."
        hours = course.ce_hours if course else None
        if row.get("ce_hours"):
            try:
                hours = Decimal(row["ce_hours"])
                if not (hours.is_finite() and Decimal("0") < hours <= MAX_CE_HOURS) or hours != hours.quantize(
                        Decimal("0.01")):
                    raise InvalidOperation
            except InvalidOperation:
                errors["ce_hours"] = f"A number of hours above 0, at most {MAX_CE_HOURS}, with two decimals."
        if not errors:
            key = (officer.pk, course.pk, completed_on)
            if key in seen:
                errors["completed_on"] = f"Duplicate of line {seen[key]}."
            else:
                seen[key] = line
                cleaned.append({"line": line, "officer": officer, "course": course, "completed_on": completed_on,
                                "ce_hours": hours})
        for column, message in errors.items():
            result.errors.setdefault(f"rows.{line}.{column}", []).append(message)
    if result.errors:
        return result
    for row in _already_recorded(cleaned):
        result.errors[f"rows.{row['line']}.completed_on"] = ["This completion is already recorded."]
    if result.errors:
        return result

    with transaction.atomic():
        batch = CreditImport.objects.create(
            sha256=hashlib.sha256(raw).hexdigest(), rows=len(cleaned),
            imported_by=actor if getattr(actor, "pk", None) else None,
            actor_label=actor.get_username() if getattr(actor, "pk", None) else f"system:{actor or 'system'}")
        recorded_by = actor if getattr(actor, "pk", None) else None
        completions = [
            Completion(officer=row["officer"], course=row["course"], source=CompletionSource.IMPORT,
                       credit_import=batch, completed_on=row["completed_on"], ce_hours=row["ce_hours"],
                       verification_code=verification_code_new(), recorded_by=recorded_by)
            for row in progress(cleaned, total=len(cleaned), desc="preparing")
        ]
        Completion.objects.bulk_create(completions, batch_size=2000)
        if not all(c.pk for c in completions):  # backends that do not return ids from bulk inserts
            ids = dict(Completion.objects.filter(credit_import=batch).values_list("verification_code", "pk"))
            for completion in completions:
                completion.pk = ids[completion.verification_code]
        qualifications = [_trainer_qualification_for(c, c.course) for c in completions
                          if c.course.kind == CourseKind.TRAIN_THE_TRAINER]
        InstructorQualification.objects.bulk_create(qualifications, batch_size=2000)
        result.created, result.qualifications, result.credit_import = len(completions), len(qualifications), batch
        # One audit entry per import (with the file's digest), not per row: a large history must stay fast.
        audit_record(actor=actor, action="completion.credits_imported", target=batch, data={
            "sha256": batch.sha256, "rows": len(cleaned), "created": result.created,
            "qualifications": result.qualifications})
    return result


def _already_recorded(cleaned: list[dict]) -> list[dict]:
    by_officer: dict[int, list[dict]] = {}
    for row in cleaned:
        by_officer.setdefault(row["officer"].pk, []).append(row)
    existing = set()
    officer_ids = list(by_officer)
    for start in range(0, len(officer_ids), 5000):
        existing.update(Completion.objects.filter(officer_id__in=officer_ids[start:start + 5000])
                        .values_list("officer_id", "course_id", "completed_on"))
    return [row for row in cleaned if (row["officer"].pk, row["course"].pk, row["completed_on"]) in existing]
