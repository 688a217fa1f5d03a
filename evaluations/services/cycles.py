"""Cycles: create, open, close (which pools the answers and starts the report pipeline), the beat's due sweeps and
follow-ups. Every status change goes through `CYCLE_LIFECYCLE` (see _common)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.access import field_error
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise

from ..models import (
    ANONYMOUS_GROUPS,
    PIPELINE_ORDER,
    Cycle,
    CycleStatus,
    Instrument,
    Invitation,
    PipelineStep,
    RatersStatus,
    Relationship,
)
from ._common import SCHEDULER, _cycle_transition
from .feedback import cycle_answers_pool
from .instruments import instrument_default
from .invitations import _invitations_send_approved
from .pipeline import report_pipeline_start


def _minimums_clean(minimums: dict | None) -> dict[str, int]:
    floor = settings.EVALUATION_ANONYMOUS_GROUP_MINIMUM
    clean = {"self": 1, "supervisor": 1, **{g: floor for g in ANONYMOUS_GROUPS}}
    errors = {}
    for group, value in (minimums or {}).items():
        if group not in clean:
            errors[f"minimums.{group}"] = "Unknown group."
        elif group == Relationship.SELF and value != 1:
            errors["minimums.self"] = "The self-rating is one response."
        elif group in ANONYMOUS_GROUPS and value < floor:
            errors[f"minimums.{group}"] = f"Anonymous groups need at least {floor} responses to be shown."
        elif value < 1:
            errors[f"minimums.{group}"] = "At least 1."
        else:
            clean[group] = value
    if errors:
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={k: [v] for k, v in errors.items()})
    return clean


def cycle_create(*, actor, subject, agency, target_position: str, opens_at: datetime, closes_at: datetime,
                 instrument: Instrument | None = None, minimums: dict | None = None,
                 follow_up_of: Cycle | None = None, release_to_subject: bool = True) -> Cycle:
    if closes_at <= opens_at:
        raise field_error("closes_at", "The cycle must close after it opens.")
    if closes_at <= timezone.now():
        raise field_error("closes_at", "The closing time must be in the future.")
    clean = _minimums_clean(minimums)
    with transaction.atomic():
        instrument = instrument or instrument_default()
        cycle = Cycle(subject=subject, agency=agency, instrument=instrument, target_position=target_position,
                      opens_at=opens_at, closes_at=closes_at, follow_up_of=follow_up_of,
                      release_to_subject=release_to_subject,
                      created_by=actor if getattr(actor, "pk", None) else None,
                      **{f"min_{g}": v for g, v in clean.items()})
        full_clean_or_raise(cycle, exclude=["created_by"])
        cycle.save()
        # A cycle now uses the instrument: freeze it (edits from here on make a new version).
        Instrument.objects.filter(pk=instrument.pk, frozen_at__isnull=True).update(frozen_at=timezone.now())
        audit_record(actor=actor, action="evaluation_cycle.created", target=cycle, data={
            "subject": subject.pk, "agency": agency.pk, "instrument": instrument.pk, "minimums": clean,
            "follow_up_of": follow_up_of.pk if follow_up_of else None, "release_to_subject": release_to_subject})
    return cycle


def _open_checks(cycle: Cycle) -> None:
    """What must hold before a cycle opens (the caller holds the cycle row's lock, so the list cannot change)."""
    if cycle.status == CycleStatus.DRAFT and cycle.closes_at <= timezone.now():
        raise ApplicationError("cycle_window_passed", "The closing time has passed; this cycle cannot open.",
                               status_code=409)
    if cycle.status != CycleStatus.DRAFT:
        return  # the cycle lifecycle answers the invalid transition
    counts = {}
    for relationship in cycle.invitations.filter(refused_at__isnull=True).values_list("relationship", flat=True):
        counts[relationship] = counts.get(relationship, 0) + 1
    if not counts:
        raise ApplicationError("no_invitations", "Invite at least one rater before opening the cycle.",
                               status_code=409)
    if cycle.raters_status != RatersStatus.APPROVED:
        raise ApplicationError("raters_not_approved", "Certification staff must approve the rater list before the "
                               "cycle opens.", status_code=409, fields={"raters_status": [cycle.raters_status]})
    # A group invited below its minimum could never be shown; worse, a group one invitation short invites the
    # sponsor to make up the difference. Zero invited is fine: the group is simply not part of this cycle.
    short = {g: counts[g] for g in ANONYMOUS_GROUPS if 0 < counts.get(g, 0) < cycle.group_minimum(g)}
    if short:
        raise ApplicationError(
            "group_below_minimum",
            "These anonymous groups are invited below their minimum: " + ", ".join(
                f"{Relationship(g).label.lower()} ({n} of {cycle.group_minimum(g)})" for g, n in short.items()),
            status_code=409,
            fields={f"invitations.{g}": [f"{n} invited; at least {cycle.group_minimum(g)} needed."]
                    for g, n in short.items()})
    if Cycle.objects.filter(subject_id=cycle.subject_id, status=CycleStatus.OPEN).exclude(pk=cycle.pk).exists():
        raise ApplicationError("subject_has_open_cycle", "This officer already has an open 360 cycle; close it "
                               "first.", status_code=409)


def cycle_open(*, cycle: Cycle, actor) -> Cycle:
    with transaction.atomic():
        # Lock the row: invitations added, withdrawn or refused meanwhile wait for this decision.
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        _open_checks(locked)
        try:
            with transaction.atomic():
                _cycle_transition(cycle=locked, to=CycleStatus.OPEN, actor=actor)
        except IntegrityError:  # evaluations_cycle_one_open_per_subject: another cycle of this subject opened
            raise ApplicationError("subject_has_open_cycle", "This officer already has an open 360 cycle; close "
                                   "it first.", status_code=409) from None
        cycle.status, cycle.opened_at = locked.status, locked.opened_at
        _invitations_send_approved(cycle=locked, actor=actor)
    return cycle


def cycle_close(*, cycle: Cycle, actor, reason: str = "") -> Cycle:
    """Close feedback (sponsor, staff or the deadline) and start the report pipeline (after the commit; see
    report_pipeline_start: the caller never waits for it)."""
    with transaction.atomic():
        _cycle_transition(cycle=cycle, to=CycleStatus.CLOSED, actor=actor, reason=reason)
        # Unsubmitted drafts are discarded: they must not outlive the cycle next to the rater's identity.
        Invitation.objects.filter(cycle=cycle, submitted_at__isnull=True).update(draft=None, draft_saved_at=None)
        cycle_answers_pool(cycle=cycle)
        PipelineStep.objects.bulk_create([PipelineStep(cycle=cycle, name=name, position=i)
                                          for i, name in enumerate(PIPELINE_ORDER)])
        report_pipeline_start(cycle.pk)
    return cycle


def cycles_open_due(*, now: datetime | None = None) -> int:
    """Open draft cycles whose opening time has come (with a rater list approved by staff)."""
    now = now or timezone.now()
    opened = 0
    due = Cycle.objects.filter(status=CycleStatus.DRAFT, opens_at__lte=now, closes_at__gt=now,
                               raters_status=RatersStatus.APPROVED, invitations__isnull=False).distinct()
    for cycle in due:
        try:
            cycle_open(cycle=cycle, actor=SCHEDULER)
            opened += 1
        except ApplicationError:  # opened meanwhile, or cannot open (a short group, another open cycle)
            continue
    return opened


def cycles_close_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    closed = 0
    for cycle in Cycle.objects.filter(status=CycleStatus.OPEN, closes_at__lte=now):
        try:
            cycle_close(cycle=cycle, actor=SCHEDULER, reason="deadline")
            closed += 1
        except ApplicationError:  # closed by its sponsor meanwhile
            continue
    return closed


def cycle_create_follow_up(*, source_cycle_id: int, actor, opens_at: datetime, closes_at: datetime) -> Cycle:
    """A new draft cycle for the same subject, agency, position and instrument, marked as a follow-up of the
    source, with the same raters and relationships invited again (new links, e-mailed when the cycle opens)."""
    with transaction.atomic():
        source = Cycle.objects.select_related("subject", "agency", "instrument").get(pk=source_cycle_id)
        cycle = cycle_create(actor=actor, subject=source.subject, agency=source.agency,
                             target_position=source.target_position, opens_at=opens_at, closes_at=closes_at,
                             instrument=source.instrument, follow_up_of=source,
                             minimums={g: source.group_minimum(g) for g in Relationship.values},
                             release_to_subject=source.release_to_subject)
        # Refused raters stay out; the new list goes through staff review again (it is a new cycle).
        raters = list(source.invitations.filter(refused_at__isnull=True).order_by("id").values(
            "rater_name", "rater_email", "rater_email_normalized", "relationship"))
        Invitation.objects.bulk_create([Invitation(cycle=cycle, **r) for r in raters])
        audit_record(actor=actor, action="evaluation_cycle.follow_up_created", target=cycle,
                     data={"source": source.pk, "invitations": len(raters)})
    return cycle
