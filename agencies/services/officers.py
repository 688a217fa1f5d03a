"""Officers: identity (licence history, corrections, look-alikes, links), ineligibility and transfers."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.access import require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.services import model_update_prepare

from ..models import (
    Agency,
    EmploymentRecord,
    IdentityReview,
    IdentityReviewStatus,
    Officer,
    OfficerLicense,
    User,
    license_key,
)

# What an agency may change on an existing officer record (identity fields are staff corrections, see below).
OFFICER_EDITABLE_FIELDS = ("rank", "hire_date", "email")


# --- officers ---------------------------------------------------------------------------------------------

# Who the officer is. An agency administrator sets them once, when the record is created; after that they are
# corrected only by certification staff, with a reason (officer_identity_correct), because an interested party
# that could rename or re-licence a record could detach a person from their decertification.
IDENTITY_FIELDS = ("first_name", "last_name", "state", "license_number", "date_of_birth")


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return f"system:{actor}"
    return actor.get_username()


def actor_is_staff(actor) -> bool:
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


def identity_review_request(*, actor, agency: Agency, matched: Officer, proposed: dict, source: str) -> IdentityReview:
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
    if lookalikes and not identity_reviewed and not actor_is_staff(actor):
        proposed = {"first_name": first_name, "last_name": last_name, "state": officer.state,
                    "license_number": license_number, "date_of_birth": date_of_birth, "rank": rank,
                    "hire_date": hire_date, "email": email}
        reviews = [identity_review_request(actor=actor, agency=agency, matched=m, proposed=proposed, source=source)
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
        recorded_by=actor_label(actor)[:150], reason=reason[:500])


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
