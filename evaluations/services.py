"""Every write of the 360 evaluations. Each business action runs in one transaction with its audit entry.

Lifecycle of a cycle (one `_transition`, compare-and-swap): draft -> open -> closed -> report_ready -> released.
Closing starts the report pipeline: aggregate -> summarise -> render -> notify, one Celery task per step. Each step
first claims its `PipelineStep` row with a conditional UPDATE (so a task delivered twice does the work once; a claim
older than PIPELINE_STALE_AFTER is considered abandoned and may be claimed again by the beat sweep).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from agencies.selectors import agency_roster_names
from core import ratelimit
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.notifications import email_send_on_commit
from core.vocabulary import COMPETENCIES, COMPETENCY_KEYS

from .eligibility import officer_eligibility_gates
from .models import (
    ANONYMOUS_GROUPS,
    PIPELINE_ORDER,
    Competency,
    Cycle,
    CycleStatus,
    FeedbackResponse,
    Instrument,
    Invitation,
    InvitationReminder,
    Item,
    ItemScore,
    OpenTextAnswer,
    PipelineStep,
    PipelineStepName,
    Question,
    RatersStatus,
    ReadinessBand,
    Relationship,
    Report,
    Summariser,
)
from .raters import email_normalise
from .redaction import Redactor
from .scoring import cycle_aggregates_fetch, development_areas_compute, readiness_band_compute, report_content_build

logger = logging.getLogger(__name__)
DEFAULT_INSTRUMENT_KEY = "peace-officer-leadership-360"
NOT_OBSERVED = "not_observed"
PIPELINE_STALE_AFTER = timedelta(minutes=15)
TOKEN_GUESS_SCOPE = "evaluations.feedback-token"  # noqa: S105 - a rate-limit scope name, not a secret
SCHEDULER = "evaluations-scheduler"
REVIEWER = "feedback-link"

# --- the default instrument --------------------------------------------------------------------------------

DEFAULT_ITEMS = {
    "community_engagement": [
        "Builds relationships with residents and community groups beyond enforcement contacts.",
        "Involves the community in identifying and solving local problems.",
        "Is visible and approachable in the community.",
    ],
    "de_escalation": [
        "Uses time, distance and communication to calm tense situations.",
        "Chooses the least intrusive effective option.",
        "Coaches others to slow situations down.",
    ],
    "cultural_competency": [
        "Treats people of every background with respect.",
        "Adapts their approach to language and cultural differences.",
        "Recognises and addresses bias in themself and the team.",
    ],
    "procedural_justice": [
        "Explains decisions and the reasons for them.",
        "Gives people a voice before deciding.",
        "Treats people with dignity, including when enforcing the law.",
    ],
    "integrity_accountability": [
        "Acts honestly and ethically when nobody is watching.",
        "Owns mistakes and reports problems.",
        "Holds others accountable consistently and fairly.",
    ],
    "communication": [
        "Communicates clearly and in time.",
        "Listens actively and checks understanding.",
        "Keeps the team and partners informed.",
    ],
    "decision_making": [
        "Makes sound decisions under pressure.",
        "Weighs evidence, risks and community impact.",
        "Decides at the right time and explains the trade-offs.",
    ],
    "leadership": [
        "Sets a clear direction and example.",
        "Builds trust and morale in the team.",
        "Delegates and supports people in their work.",
    ],
    "developing_others": [
        "Gives useful, timely feedback.",
        "Creates opportunities for others to learn and grow.",
        "Mentors and coaches colleagues.",
    ],
}
DEFAULT_QUESTIONS = [
    ("What should this person keep doing?", False),
    ("What should this person start or do differently?", False),
    ("Anything else the report should consider?", False),
]


def _invalid(fields: dict, message: str = "The request is not valid.", code: str = "validation_error"):
    return ApplicationError(code, message, fields={k: v if isinstance(v, list) else [v] for k, v in fields.items()})


# --- instruments -------------------------------------------------------------------------------------------

def _instrument_content_write(*, instrument: Instrument, competencies: list[dict], questions: list[dict]) -> None:
    errors = {}
    keys = [c["key"] for c in competencies]
    if not competencies:
        errors["competencies"] = "An instrument needs at least one competency."
    for index, spec in enumerate(competencies):
        if spec["key"] not in COMPETENCY_KEYS:
            errors[f"competencies.{index}.key"] = f"Unknown competency {spec['key']!r}."
        elif keys.count(spec["key"]) > 1:
            errors[f"competencies.{index}.key"] = "Each competency appears once."
        if not spec.get("items"):
            errors[f"competencies.{index}.items"] = "A competency needs at least one item."
    if errors:
        raise _invalid(errors)
    for position, spec in enumerate(competencies):
        competency = Competency.objects.create(instrument=instrument, key=spec["key"], position=position)
        Item.objects.bulk_create([Item(competency=competency, text=text, position=i)
                                  for i, text in enumerate(spec["items"])])
    Question.objects.bulk_create([Question(instrument=instrument, text=q["text"], required=q.get("required", False),
                                           position=i) for i, q in enumerate(questions)])


def instrument_create(*, actor, key: str, title: str, competencies: list[dict], questions: list[dict],
                      description: str = "") -> Instrument:
    with transaction.atomic():
        latest = Instrument.objects.filter(key=key).order_by("-version").first()
        if latest is not None:
            raise _invalid({"key": "An instrument with this key exists; edit it to make a new version."},
                           code="instrument_exists")
        instrument = full_clean_or_raise(Instrument(key=key, version=1, title=title, description=description))
        instrument.save()
        _instrument_content_write(instrument=instrument, competencies=competencies, questions=questions)
        audit_record(actor=actor, action="evaluation_instrument.created", target=instrument,
                     data={"key": key, "version": 1, "competencies": [c["key"] for c in competencies]})
    return instrument


def instrument_update(*, instrument: Instrument, actor, title: str, competencies: list[dict],
                      questions: list[dict], description: str = "") -> tuple[Instrument, bool]:
    """Replace an instrument's content. Unused: edited in place. Used by a cycle (frozen): a new version is made
    and the old one stays exactly as the cycles that used it saw it. Returns (instrument, created_new_version)."""
    with transaction.atomic():
        # Lock: a cycle freezing this instrument at the same moment must not see half an edit.
        instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
        if instrument.frozen_at is None:
            instrument.title, instrument.description = title, description
            full_clean_or_raise(instrument)
            instrument.save(update_fields=["title", "description"])
            instrument.competencies.all().delete()
            instrument.questions.all().delete()
            _instrument_content_write(instrument=instrument, competencies=competencies, questions=questions)
            audit_record(actor=actor, action="evaluation_instrument.updated", target=instrument,
                         data={"version": instrument.version})
            return instrument, False
        latest_version = Instrument.objects.filter(key=instrument.key).order_by("-version").values_list(
            "version", flat=True).first()
        new = full_clean_or_raise(Instrument(key=instrument.key, version=latest_version + 1, title=title,
                                    description=description))
        new.save()
        _instrument_content_write(instrument=new, competencies=competencies, questions=questions)
        audit_record(actor=actor, action="evaluation_instrument.versioned", target=new,
                     data={"from_instrument": instrument.pk, "version": new.version})
        return new, True


def instrument_default_ensure(*, actor="evaluations-setup") -> tuple[Instrument, bool]:
    """The default instrument (the programme's competencies); created if missing. Returns (instrument, created)."""
    existing = Instrument.objects.filter(key=DEFAULT_INSTRUMENT_KEY).order_by("-version").first()
    if existing is not None:
        return existing, False
    instrument = instrument_create(
        actor=actor, key=DEFAULT_INSTRUMENT_KEY, title="Peace Officer leadership 360",
        description="The programme's default 360 instrument: nine competencies, three behaviours each.",
        competencies=[{"key": key, "items": DEFAULT_ITEMS[key]} for key, _ in COMPETENCIES],
        questions=[{"text": text, "required": required} for text, required in DEFAULT_QUESTIONS],
    )
    return instrument, True


def instrument_default() -> Instrument:
    return instrument_default_ensure()[0]


# --- cycles ------------------------------------------------------------------------------------------------

ALLOWED = {
    CycleStatus.DRAFT: {CycleStatus.OPEN},
    CycleStatus.OPEN: {CycleStatus.CLOSED},
    CycleStatus.CLOSED: {CycleStatus.REPORT_READY},
    CycleStatus.REPORT_READY: {CycleStatus.RELEASED},
}
_STAMP = {CycleStatus.OPEN: "opened_at", CycleStatus.CLOSED: "closed_at", CycleStatus.REPORT_READY: "report_ready_at",
          CycleStatus.RELEASED: "released_at"}
_PAST = {CycleStatus.OPEN: "opened", CycleStatus.CLOSED: "closed", CycleStatus.REPORT_READY: "report_ready",
         CycleStatus.RELEASED: "released"}


def _transition(*, cycle: Cycle, to: str, actor, reason: str = "", data: dict | None = None) -> Cycle:
    if to not in ALLOWED.get(cycle.status, ()):
        raise ApplicationError("invalid_transition", f"A cycle cannot go from {cycle.status} to {to}.",
                               status_code=409)
    now = timezone.now()
    # Compare-and-swap: if another request moved the cycle first, this one changes nothing.
    moved = Cycle.objects.filter(pk=cycle.pk, status=cycle.status).update(status=to, **{_STAMP[to]: now})
    if moved != 1:
        raise ApplicationError("concurrent_change", "This cycle changed meanwhile; reload and retry.", status_code=409)
    previous = cycle.status
    cycle.status = to
    setattr(cycle, _STAMP[to], now)
    audit_record(actor=actor, action=f"evaluation_cycle.{_PAST[to]}", target=cycle,
                 data={"from": previous, "to": to, "reason": reason, **(data or {})})
    return cycle


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
        raise _invalid(errors)
    return clean


def cycle_create(*, actor, subject, agency, target_position: str, opens_at: datetime, closes_at: datetime,
                 instrument: Instrument | None = None, minimums: dict | None = None,
                 follow_up_of: Cycle | None = None) -> Cycle:
    if closes_at <= opens_at:
        raise _invalid({"closes_at": "The cycle must close after it opens."})
    if closes_at <= timezone.now():
        raise _invalid({"closes_at": "The closing time must be in the future."})
    clean = _minimums_clean(minimums)
    with transaction.atomic():
        instrument = instrument or instrument_default()
        cycle = Cycle(subject=subject, agency=agency, instrument=instrument, target_position=target_position,
                      opens_at=opens_at, closes_at=closes_at, follow_up_of=follow_up_of,
                      created_by=actor if getattr(actor, "pk", None) else None,
                      **{f"min_{g}": v for g, v in clean.items()})
        full_clean_or_raise(cycle, exclude=["created_by"])
        cycle.save()
        # A cycle now uses the instrument: freeze it (edits from here on make a new version).
        Instrument.objects.filter(pk=instrument.pk, frozen_at__isnull=True).update(frozen_at=timezone.now())
        audit_record(actor=actor, action="evaluation_cycle.created", target=cycle, data={
            "subject": subject.pk, "agency": agency.pk, "instrument": instrument.pk, "minimums": clean,
            "follow_up_of": follow_up_of.pk if follow_up_of else None})
    return cycle


def _open_checks(cycle: Cycle) -> None:
    """What must hold before a cycle opens (the caller holds the cycle row's lock, so the list cannot change)."""
    if cycle.status == CycleStatus.DRAFT and cycle.closes_at <= timezone.now():
        raise ApplicationError("cycle_window_passed", "The closing time has passed; this cycle cannot open.",
                               status_code=409)
    if cycle.status != CycleStatus.DRAFT:
        return  # _transition answers the invalid transition
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
                _transition(cycle=locked, to=CycleStatus.OPEN, actor=actor)
        except IntegrityError:  # evaluations_cycle_one_open_per_subject: another cycle of this subject opened
            raise ApplicationError("subject_has_open_cycle", "This officer already has an open 360 cycle; close "
                                   "it first.", status_code=409) from None
        cycle.status, cycle.opened_at = locked.status, locked.opened_at
        _invitations_send_approved(cycle=locked, actor=actor)
    return cycle


def _invitations_send_approved(*, cycle: Cycle, actor) -> int:
    """E-mail the links of an open cycle's approved list that were not sent yet (never a refused one)."""
    sent = 0
    for invitation in (cycle.invitations.filter(sent_at__isnull=True, refused_at__isnull=True)
                       .select_related("cycle__subject")):
        _invitation_send(invitation=invitation, actor=actor)
        sent += 1
    return sent


def cycle_close(*, cycle: Cycle, actor, reason: str = "") -> Cycle:
    """Close feedback (sponsor, staff or the deadline) and start the report pipeline (after the commit; see
    report_pipeline_start: the caller never waits for it)."""
    with transaction.atomic():
        _transition(cycle=cycle, to=CycleStatus.CLOSED, actor=actor, reason=reason)
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
                             minimums={g: source.group_minimum(g) for g in Relationship.values})
        # Refused raters stay out; the new list goes through staff review again (it is a new cycle).
        raters = list(source.invitations.filter(refused_at__isnull=True).order_by("id").values(
            "rater_name", "rater_email", "rater_email_normalized", "relationship"))
        Invitation.objects.bulk_create([Invitation(cycle=cycle, **r) for r in raters])
        audit_record(actor=actor, action="evaluation_cycle.follow_up_created", target=cycle,
                     data={"source": source.pk, "invitations": len(raters)})
    return cycle


# --- invitations -------------------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feedback_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/feedback/{token}/"


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)  # 256 random bits
    return token, token_hash(token)


def _sponsor_mailboxes(*, cycle: Cycle, actor) -> set[str]:
    """Mailboxes that may not rate: the sponsoring agency's administrators (active or not) and whoever invites."""
    emails = list(cycle.agency.administrators.exclude(email="").values_list("email", flat=True))
    if getattr(actor, "email", ""):
        emails.append(actor.email)
    return {email_normalise(e) for e in emails}


def _raters_changed(*, cycle: Cycle) -> None:
    """The sponsor changed the list: it needs staff review again, and an approval of an older version fails."""
    Cycle.objects.filter(pk=cycle.pk).update(raters_status=RatersStatus.NEEDS_APPROVAL,
                                             raters_version=F("raters_version") + 1)
    cycle.raters_status, cycle.raters_version = RatersStatus.NEEDS_APPROVAL, cycle.raters_version + 1


def invitation_create(*, cycle: Cycle, actor, rater_name: str, rater_email: str, relationship: str) -> Invitation:
    """Add a rater. Nothing is e-mailed here: links go out only once staff approved the list and the cycle is open
    (otherwise a rater staff then refuse would already hold a working link)."""
    email = rater_email.strip().lower()
    mailbox = email_normalise(email)
    with transaction.atomic():
        # Lock the cycle row: opening, approving and other list changes of this cycle wait for this one.
        cycle = Cycle.objects.select_for_update().select_related("agency", "subject").get(pk=cycle.pk)
        if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
            raise ApplicationError("cycle_not_accepting_invitations", "Raters can be invited only before the cycle "
                                   "closes.", status_code=409)
        if cycle.invitations.filter(rater_email_normalized=mailbox).exists():
            raise _invalid({"rater_email": "This person is already invited to this cycle (addresses are compared "
                                           "without case, +tags, and dots at Gmail)."}, code="already_invited")
        if mailbox in _sponsor_mailboxes(cycle=cycle, actor=actor):
            raise _invalid({"rater_email": "The sponsoring agency's administrators cannot rate a cycle their agency "
                                           "runs."}, code="rater_is_sponsor")
        if relationship == Relationship.SELF and cycle.invitations.filter(relationship=Relationship.SELF).exists():
            raise _invalid({"relationship": "The subject's self-rating is already invited."}, code="already_invited")
        invitation = full_clean_or_raise(Invitation(cycle=cycle, rater_name=rater_name.strip(), rater_email=email,
                                                    rater_email_normalized=mailbox, relationship=relationship))
        invitation.save()
        _raters_changed(cycle=cycle)
        audit_record(actor=actor, action="evaluation_invitation.created", target=invitation,
                     data={"cycle": cycle.pk, "relationship": relationship, "raters_version": cycle.raters_version})
    return invitation


def _invitation_send(*, invitation: Invitation, actor) -> None:
    """Make the secret link (only its hash is kept) and e-mail it after commit."""
    token, digest = _new_token()
    # A new link replaces every older one (the invitation's and a reminder's): a re-sent link kills the old ones.
    invitation.token_hash, invitation.reminder_token_hash = digest, None
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["token_hash", "reminder_token_hash", "sent_at"])
    cycle = invitation.cycle
    subject = cycle.subject.full_name
    body = (
        f"Dear {invitation.rater_name},\n\n"
        f"You are invited to give feedback on {subject}, a candidate for {cycle.target_position}, as their "
        f"{invitation.get_relationship_display().lower()}.\n\n"
        f"Your personal link (do not forward it): {feedback_url(token)}\n\n"
        f"You can save a draft and come back until {cycle.closes_at:%Y-%m-%d %H:%M %Z}; you can submit once.\n"
        "Your answers are stored without your name and reported only as group averages once enough people in "
        "your group have answered (the supervisor group is named as such).\n"
    )
    email_send_on_commit(to=[invitation.rater_email], subject=f"Your feedback on {subject} is requested", body=body)
    audit_record(actor=actor, action="evaluation_invitation.sent", target=invitation, data={"cycle": cycle.pk})


def invitation_delete(*, invitation: Invitation, actor) -> None:
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=invitation.cycle_id)
        if cycle.status != CycleStatus.DRAFT:
            raise ApplicationError("cycle_not_draft", "Invitations can be withdrawn only while the cycle is a "
                                   "draft.", status_code=409)
        if invitation.refused_at is not None:
            # A refused row stays as the record of the refusal (and keeps its mailbox from being invited again).
            raise ApplicationError("invitation_refused", "Staff refused this rater; the refusal stays on record.",
                                   status_code=409)
        _raters_changed(cycle=cycle)
        audit_record(actor=actor, action="evaluation_invitation.withdrawn", target=invitation,
                     data={"cycle": invitation.cycle_id, "relationship": invitation.relationship,
                           "raters_version": cycle.raters_version})
        invitation.delete()


# --- staff review of the rater list -----------------------------------------------------------------------------

def _require_staff(actor, what: str) -> None:
    if not getattr(actor, "is_certification_staff", False):
        raise ApplicationError("permission_denied", f"Only certification staff {what}.", status_code=403)


def _raters_reviewable(cycle: Cycle) -> None:
    if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ApplicationError("invalid_transition", "The rater list of a closed cycle cannot be reviewed.",
                               status_code=409)


def raters_approve(*, cycle: Cycle, actor, version: int) -> Cycle:
    """Staff approve the rater list as they read it (`version`). In an open cycle the approved, unsent invitations
    are e-mailed now. Compare-and-swap on (status, version): a list changed since it was read is not approved."""
    _require_staff(actor, "approve rater lists")
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        _raters_reviewable(locked)
        if locked.raters_version != version:
            raise ApplicationError("concurrent_change", "The rater list changed since you read it; reload and "
                                   "review it again.", status_code=409,
                                   fields={"version": [f"The current version is {locked.raters_version}."]})
        if locked.raters_status == RatersStatus.APPROVED:
            raise ApplicationError("invalid_transition", "This rater list is already approved.", status_code=409)
        now = timezone.now()
        moved = Cycle.objects.filter(pk=locked.pk, raters_status=locked.raters_status, raters_version=version).update(
            raters_status=RatersStatus.APPROVED, raters_reviewed_by=actor, raters_reviewed_at=now,
            raters_refusal_reason="")
        if moved != 1:
            raise ApplicationError("concurrent_change", "This cycle changed meanwhile; reload and retry.",
                                   status_code=409)
        counts = {}
        for relationship in locked.invitations.filter(refused_at__isnull=True).values_list("relationship",
                                                                                           flat=True):
            counts[relationship] = counts.get(relationship, 0) + 1
        audit_record(actor=actor, action="evaluation_raters.approved", target=locked,
                     data={"from": locked.raters_status, "version": version, "invitations": counts})
        locked.raters_status, locked.raters_reviewed_by, locked.raters_reviewed_at = RatersStatus.APPROVED, actor, now
        locked.raters_refusal_reason = ""
        if locked.status == CycleStatus.OPEN:
            _invitations_send_approved(cycle=locked, actor=actor)
    return locked


def raters_refuse(*, cycle: Cycle, actor, reason: str, version: int) -> Cycle:
    """Staff refuse the whole list (with the reason the sponsor will read); any change by the sponsor puts it back
    to review. Only before the cycle opens: an open cycle's raters are refused one by one."""
    _require_staff(actor, "refuse rater lists")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise _invalid({"reason": "Give the sponsor a reason (10 characters or more)."}, code="reason_required")
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if locked.status != CycleStatus.DRAFT:
            raise ApplicationError("invalid_transition", "Only the rater list of a draft cycle can be refused as a "
                                   "whole; refuse single raters of an open cycle.", status_code=409)
        if locked.raters_version != version:
            raise ApplicationError("concurrent_change", "The rater list changed since you read it; reload and "
                                   "review it again.", status_code=409,
                                   fields={"version": [f"The current version is {locked.raters_version}."]})
        if locked.raters_status == RatersStatus.REFUSED:
            raise ApplicationError("invalid_transition", "This rater list is already refused.", status_code=409)
        now = timezone.now()
        moved = Cycle.objects.filter(pk=locked.pk, raters_status=locked.raters_status, raters_version=version).update(
            raters_status=RatersStatus.REFUSED, raters_reviewed_by=actor, raters_reviewed_at=now,
            raters_refusal_reason=reason)
        if moved != 1:
            raise ApplicationError("concurrent_change", "This cycle changed meanwhile; reload and retry.",
                                   status_code=409)
        audit_record(actor=actor, action="evaluation_raters.refused", target=locked,
                     data={"from": locked.raters_status, "version": version, "reason": reason})
        locked.raters_status, locked.raters_reviewed_by, locked.raters_reviewed_at = RatersStatus.REFUSED, actor, now
        locked.raters_refusal_reason = reason
    return locked


def invitation_refuse(*, invitation: Invitation, actor, reason: str) -> Invitation:
    """Staff refuse one rater (a sponsor's second address, a relative, ...). The invitation is never sent; a link
    already sent dies; answers already submitted are discarded (they are held until close, so this is still
    possible). The row stays, so the same mailbox cannot be invited again."""
    _require_staff(actor, "refuse raters")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise _invalid({"reason": "Give the sponsor a reason (10 characters or more)."}, code="reason_required")
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=invitation.cycle_id)
        _raters_reviewable(cycle)
        discarded = Invitation.objects.filter(pk=invitation.pk, held_answers__isnull=False).exists()
        refused = Invitation.objects.filter(pk=invitation.pk, refused_at__isnull=True).update(
            refused_at=timezone.now(), refusal_reason=reason, token_hash=None, reminder_token_hash=None,
            draft=None, draft_saved_at=None, held_answers=None)
        if not refused:
            raise ApplicationError("invalid_transition", "This rater is already refused.", status_code=409)
        # The audit names who was refused and why, never anything they answered.
        audit_record(actor=actor, action="evaluation_invitation.refused", target=invitation,
                     data={"cycle": cycle.pk, "relationship": invitation.relationship, "reason": reason,
                           "answers_discarded": discarded})
        invitation.refresh_from_db()
    return invitation


def invitation_resend(*, invitation: Invitation, actor) -> Invitation:
    """Re-send (remind) one rater with a new link; the old links stop working. Open cycles, unanswered, approved
    and already sent invitations only."""
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("subject").get(pk=invitation.cycle_id)
        if cycle.status != CycleStatus.OPEN or cycle.closes_at <= timezone.now():
            raise ApplicationError("cycle_not_open", "Links can be re-sent only while the cycle is open.",
                                   status_code=409)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.refused_at is not None:
            raise ApplicationError("invitation_refused", "Staff refused this rater.", status_code=409)
        if invitation.submitted_at is not None:
            raise ApplicationError("feedback_already_submitted", "This rater already answered.", status_code=409)
        if invitation.sent_at is None:
            raise ApplicationError("invitation_not_sent", "This rater waits for staff approval of the list; the link "
                                   "is sent when staff approve it.", status_code=409)
        invitation.cycle = cycle
        _invitation_send(invitation=invitation, actor=actor)
        audit_record(actor=actor, action="evaluation_invitation.resent", target=invitation,
                     data={"cycle": cycle.pk})
    return invitation


def invitation_reminders_send(*, now: datetime | None = None) -> int:
    """Send each configured reminder (hours before close) once to raters who have not submitted."""
    now = now or timezone.now()
    sent = 0
    for hours in sorted(set(settings.EVALUATION_REMINDER_HOURS_BEFORE_CLOSE)):
        due = (Invitation.objects.filter(cycle__status=CycleStatus.OPEN, submitted_at__isnull=True,
                                         sent_at__isnull=False, refused_at__isnull=True, cycle__closes_at__gt=now,
                                         cycle__closes_at__lte=now + timedelta(hours=hours))
               .exclude(reminders__hours_before=hours)
               # A reminder only makes sense if the invitation went out before the reminder point.
               .filter(sent_at__lt=F("cycle__closes_at") - timedelta(hours=hours))
               .select_related("cycle__subject"))
        for invitation in due:
            try:
                with transaction.atomic():
                    # The insert is the claim: a concurrent sweep hits the unique constraint and sends nothing.
                    InvitationReminder.objects.create(invitation=invitation, hours_before=hours, sent_at=now)
                    _reminder_send(invitation=invitation, hours=hours)
                sent += 1
            except IntegrityError:
                continue
    return sent


def _reminder_send(*, invitation: Invitation, hours: int) -> None:
    # The original token is not stored, so the reminder carries a second link; both work until close.
    token, digest = _new_token()
    Invitation.objects.filter(pk=invitation.pk).update(reminder_token_hash=digest)
    cycle = invitation.cycle
    body = (
        f"Dear {invitation.rater_name},\n\nA reminder: feedback on {cycle.subject.full_name} closes at "
        f"{cycle.closes_at:%Y-%m-%d %H:%M %Z} (in about {hours} hours).\n\nYour personal link: "
        f"{feedback_url(token)}\n(The link in your invitation e-mail also still works.)\n"
    )
    email_send_on_commit(to=[invitation.rater_email], subject=f"Reminder: feedback on {cycle.subject.full_name}",
                         body=body)
    audit_record(actor=SCHEDULER, action="evaluation_invitation.reminded", target=invitation,
                 data={"hours_before": hours})


# --- reviewer feedback (secret link, no account) -------------------------------------------------------------

def feedback_invitation_resolve(*, token: str, address: str) -> Invitation:
    """The invitation behind a secret link, or an ApplicationError with a clear code.

    Only unknown links count against the address (EVALUATION_TOKEN_GUESSES_PER_ADDRESS per hour, an atomic
    counter, so N parallel guesses get exactly that many 404s and the rest 429). A valid link always works,
    whatever its address has counted: a scanner or a colleague's mistyped links behind the same office address
    must not lock reviewers out. The link's protection is its 256 random bits; the budget turns scanners away.
    """
    invitation = None
    if token and len(token) <= 100:
        digest = token_hash(token)
        invitation = (Invitation.objects.select_related("cycle__subject", "cycle__agency", "cycle__instrument")
                      .filter(Q(token_hash=digest) | Q(reminder_token_hash=digest)).first())
    if invitation is None:
        if not ratelimit.rate_limit_consume(scope=TOKEN_GUESS_SCOPE, key=address or "unknown",
                                            limit=settings.EVALUATION_TOKEN_GUESSES_PER_ADDRESS, window_seconds=3600):
            raise ApplicationError("too_many_requests", "Too many unknown links were tried from your address; try "
                                   "again in an hour.", status_code=429)
        raise ApplicationError("feedback_link_unknown", "This feedback link is not valid. Check that you copied the "
                               "whole link from your e-mail.", status_code=404)
    if invitation.submitted_at is not None:
        raise ApplicationError("feedback_already_submitted", "Feedback for this link was already submitted. Thank "
                               "you.", status_code=409)
    cycle = invitation.cycle
    if cycle.status != CycleStatus.OPEN or cycle.closes_at <= timezone.now():
        raise ApplicationError("feedback_link_expired", "This feedback link has expired: the evaluation closed on "
                               f"{cycle.closes_at:%Y-%m-%d %H:%M %Z}.", status_code=410)
    return invitation


def instrument_structure(instrument: Instrument) -> tuple[dict[int, Item], dict[int, Question]]:
    items = {i.pk: i for i in Item.objects.filter(competency__instrument=instrument)}
    questions = {q.pk: q for q in instrument.questions.all()}
    return items, questions


def feedback_answers_clean(*, instrument: Instrument, scores: dict, comments: dict, complete: bool) -> dict:
    """Validate answers against the instrument. Returns {"scores": {item_id: 1-5 or None}, "comments": {...}}.

    `None` in the result means "not observed". With complete=True every item needs a rating or "not observed"
    and every required question an answer."""
    items, questions = instrument_structure(instrument)
    errors: dict[str, str] = {}
    clean_scores: dict[int, int | None] = {}
    for raw_key, value in (scores or {}).items():
        item_id = int(raw_key) if str(raw_key).isdigit() else None
        if item_id not in items:
            errors[f"scores.{raw_key}"] = "Unknown item."
        elif value is None or value == "":
            continue  # unanswered
        elif value == NOT_OBSERVED:
            clean_scores[item_id] = None
        elif isinstance(value, int | str) and not isinstance(value, bool) and str(value).isdigit() \
                and 1 <= int(value) <= 5:
            clean_scores[item_id] = int(value)
        else:
            errors[f"scores.{raw_key}"] = 'Choose a rating from 1 to 5 or "not observed".'
    clean_comments: dict[int, str] = {}
    for raw_key, value in (comments or {}).items():
        question_id = int(raw_key) if str(raw_key).isdigit() else None
        if question_id not in questions:
            errors[f"comments.{raw_key}"] = "Unknown question."
        elif not isinstance(value, str):
            errors[f"comments.{raw_key}"] = "Write text."
        elif len(value) > 4000:
            errors[f"comments.{raw_key}"] = "At most 4000 characters."
        elif value.strip():
            clean_comments[question_id] = value.strip()
    if complete and not errors:
        for item_id in items:
            if item_id not in clean_scores:
                errors[f"scores.{item_id}"] = 'Choose a rating from 1 to 5 or "not observed".'
        for question_id, question in questions.items():
            if question.required and question_id not in clean_comments:
                errors[f"comments.{question_id}"] = "This question needs an answer."
    if errors:
        message = "Some answers are missing or not valid." if complete else "Some answers are not valid."
        raise _invalid(errors, message=message)
    return {"scores": clean_scores, "comments": clean_comments}


def _draft_merge(invitation: Invitation, scores: dict | None, comments: dict | None) -> tuple[dict, dict]:
    draft = invitation.draft or {}
    merged_scores = {**draft.get("scores", {}), **{str(k): v for k, v in (scores or {}).items()}}
    merged_comments = {**draft.get("comments", {}), **{str(k): v for k, v in (comments or {}).items()}}
    return merged_scores, merged_comments


def feedback_draft_save(*, invitation: Invitation, scores: dict | None = None,
                        comments: dict | None = None) -> Invitation:
    merged_scores, merged_comments = _draft_merge(invitation, scores, comments)
    clean = feedback_answers_clean(instrument=invitation.cycle.instrument, scores=merged_scores,
                                   comments=merged_comments, complete=False)
    draft = {"scores": {str(k): (NOT_OBSERVED if v is None else v) for k, v in clean["scores"].items()},
             "comments": {str(k): v for k, v in clean["comments"].items()}}
    with transaction.atomic():
        now = timezone.now()
        saved = Invitation.objects.filter(pk=invitation.pk, submitted_at__isnull=True).update(
            draft=draft, draft_saved_at=now)
        if not saved:
            raise ApplicationError("feedback_already_submitted", "Feedback for this link was already submitted.",
                                   status_code=409)
        invitation.draft, invitation.draft_saved_at = draft, now
        audit_record(actor=REVIEWER, action="evaluation_invitation.draft_saved", target=invitation)
    return invitation


def feedback_submit(*, invitation: Invitation, scores: dict | None = None, comments: dict | None = None) -> None:
    """Submit once. The answers are held on the invitation until the cycle closes (see models.py): writing them to
    the anonymous tables now would let row order and the transaction id tell whose they are."""
    merged_scores, merged_comments = _draft_merge(invitation, scores, comments)
    clean = feedback_answers_clean(instrument=invitation.cycle.instrument, scores=merged_scores,
                                   comments=merged_comments, complete=True)
    with transaction.atomic():
        # Lock the cycle row: closing (an UPDATE of that row) waits for this submission, or this one sees it closed.
        cycle = Cycle.objects.select_for_update().get(pk=invitation.cycle_id)
        if cycle.status != CycleStatus.OPEN or cycle.closes_at <= timezone.now():
            raise ApplicationError("feedback_link_expired", "This evaluation has closed.", status_code=410)
        held = {"scores": {str(k): v for k, v in clean["scores"].items()},
                "comments": {str(k): v for k, v in clean["comments"].items()}}
        claimed = Invitation.objects.filter(pk=invitation.pk, submitted_at__isnull=True,
                                            refused_at__isnull=True).update(
            submitted_at=timezone.now(), draft=None, draft_saved_at=None, held_answers=held)
        if not claimed:
            raise ApplicationError("feedback_already_submitted", "Feedback for this link was already submitted.",
                                   status_code=409)
        # The audit names the invitation (who submitted) but nothing about the response (what was said).
        audit_record(actor=REVIEWER, action="evaluation_invitation.submitted", target=invitation,
                     data={"cycle": cycle.pk})


def cycle_answers_pool(*, cycle: Cycle) -> int:
    """At close, inside the closing transaction: write every held answer set of the cycle to the anonymous tables
    in random order (responses, scores and comments each shuffled with the system's CSPRNG), and erase the held
    copies. Every row gets the same transaction id as the cycle and invitation updates, and UUID keys, so nothing
    orders or dates one answer set against another. Returns the number of answer sets pooled."""
    held = list(Invitation.objects.filter(cycle=cycle, held_answers__isnull=False, refused_at__isnull=True)
                .values_list("relationship", "held_answers"))
    rng = secrets.SystemRandom()
    rng.shuffle(held)
    responses = [FeedbackResponse(cycle=cycle, relationship=relationship) for relationship, _ in held]
    FeedbackResponse.objects.bulk_create(responses)
    scores, comments = [], []
    for response, (relationship, answers) in zip(responses, held, strict=True):
        scores += [ItemScore(response=response, cycle=cycle, relationship=relationship, item_id=int(item_id),
                             score=score) for item_id, score in answers.get("scores", {}).items()]
        comments += [OpenTextAnswer(response=response, cycle=cycle, relationship=relationship,
                                    question_id=int(question_id), text=text)
                     for question_id, text in answers.get("comments", {}).items()]
    rng.shuffle(scores)
    rng.shuffle(comments)
    ItemScore.objects.bulk_create(scores)
    OpenTextAnswer.objects.bulk_create(comments)
    Invitation.objects.filter(cycle=cycle, held_answers__isnull=False).update(held_answers=None)
    return len(responses)


# --- report pipeline ---------------------------------------------------------------------------------------

def _step_claim(*, cycle_id: int, name: str, task_id: str = "") -> bool:
    """Claim a pipeline step: the previous step must be finished and this one unclaimed, abandoned (stale), or
    claimed by this very task before its worker died (a redelivery carries the same task id)."""
    position = PIPELINE_ORDER.index(name)
    if position and not PipelineStep.objects.filter(cycle_id=cycle_id, name=PIPELINE_ORDER[position - 1],
                                                    finished_at__isnull=False).exists():
        return False
    now = timezone.now()
    claimable = Q(started_at__isnull=True) | Q(started_at__lt=now - PIPELINE_STALE_AFTER)
    if task_id:
        claimable |= Q(claimed_by_task=task_id)
    return PipelineStep.objects.filter(cycle_id=cycle_id, name=name, finished_at__isnull=True).filter(
        claimable
    ).update(started_at=now, attempts=F("attempts") + 1, claimed_by_task=task_id) == 1


def _step_finish(*, cycle_id: int, name: str) -> None:
    PipelineStep.objects.filter(cycle_id=cycle_id, name=name, finished_at__isnull=True).update(
        finished_at=timezone.now())


def _known_names(cycle: Cycle) -> list[str]:
    """The subject's and every invited rater's names: redacted in any case and any part."""
    names = [cycle.subject.full_name, cycle.subject.first_name, cycle.subject.last_name]
    names += list(cycle.invitations.values_list("rater_name", flat=True))
    return [n for n in names if n]


def _roster_names(cycle: Cycle) -> list[str]:
    """Every officer on the sponsoring agency's roster (and the subject's own agency's): redacted when capitalised."""
    agencies = {cycle.agency_id, cycle.subject.agency_id}
    return sorted({name for agency_id in agencies for name in agency_roster_names(agency_id=agency_id)})


def comments_redact(comments: list[dict], *, names: list[str], roster: list[str]) -> list[dict]:
    """Redact every comment, then order them by question and by the redacted text (the original text must not
    decide the order: sorted by it, a comment starting with a name would sit where that name sorts) and number
    them c1, c2, ... in that order."""
    redactor = Redactor(names=names, roster=roster)
    question_order: dict[str, int] = {}
    for comment in comments:
        question_order.setdefault(comment["question"], len(question_order))
    redacted = [{**c, "text": redactor.redact(c["text"])} for c in comments]
    redacted.sort(key=lambda c: (question_order[c["question"]], c["text"]))
    for index, comment in enumerate(redacted, start=1):
        comment["id"] = f"c{index}"
    return redacted


def report_pipeline_start(cycle_id: int) -> None:
    """Hand the report pipeline over once the closing transaction commits. With a broker: a Celery task. Without
    one (eager Celery, `make run`): a background thread, so the request that closed the cycle answers at once and
    never waits for a slow model (EVALUATION_PIPELINE_IN_BACKGROUND; the timeline shows the steps' progress)."""
    from celery import current_app

    from .tasks import report_aggregate

    if current_app.conf.task_always_eager and settings.EVALUATION_PIPELINE_IN_BACKGROUND:
        transaction.on_commit(lambda: _pipeline_thread_start(cycle_id))
    else:
        report_aggregate.delay_on_commit(cycle_id)


PIPELINE_THREADS: list[threading.Thread] = []


def _pipeline_thread_start(cycle_id: int) -> threading.Thread:
    # Not a daemon: a process shutting down waits for the pipeline (bounded by LLM_OVERALL_DEADLINE_SECONDS).
    thread = threading.Thread(target=_pipeline_run, args=(cycle_id,), name=f"report-pipeline-{cycle_id}")
    thread.start()
    PIPELINE_THREADS[:] = [t for t in PIPELINE_THREADS if t.is_alive()] + [thread]
    return thread


def _pipeline_run(cycle_id: int) -> None:
    from django.db import connections

    from .tasks import report_aggregate

    try:
        report_aggregate.delay(cycle_id)  # eager: runs every step in turn, here
    except Exception:
        logger.exception("The report pipeline of cycle %s failed in the background.", cycle_id)
    finally:
        connections.close_all()


def report_aggregate(*, cycle_id: int, task_id: str = "") -> bool:
    """Step 1: scores and comments (anonymity rules applied, comments redacted), band, eligibility gates."""
    from .tasks import report_summarise

    if not _step_claim(cycle_id=cycle_id, name=PipelineStepName.AGGREGATE, task_id=task_id):
        return False
    with transaction.atomic():
        cycle = Cycle.objects.select_related("subject", "instrument").get(pk=cycle_id)
        content = report_content_build(cycle_aggregates_fetch(cycle=cycle))
        # Redacted before anything is stored, sent to a model or sorted.
        content["comments"] = comments_redact(content["comments"], names=_known_names(cycle),
                                              roster=_roster_names(cycle))
        band = readiness_band_compute(content)
        report, _ = Report.objects.update_or_create(cycle=cycle, defaults={
            "content": content, "band_computed": band, "development_areas": development_areas_compute(content),
            "eligibility": officer_eligibility_gates(officer=cycle.subject)})
        audit_record(actor=SCHEDULER, action="evaluation_report.aggregated", target=report,
                     data={"cycle": cycle.pk, "band_computed": band,
                           "groups_shown": [g["relationship"] for g in content["groups"] if g["shown"]]})
        _step_finish(cycle_id=cycle_id, name=PipelineStepName.AGGREGATE)
        report_summarise.delay_on_commit(cycle_id)
    return True


def _builtin_fields(report: Report) -> dict:
    import time

    from .summary import BUILTIN_MODEL, BUILTIN_VERSION, builtin_summarise

    started = time.monotonic()
    summary = builtin_summarise(report.content)
    return {"summary": summary, "summariser": Summariser.BUILTIN, "llm_model": BUILTIN_MODEL,
            "prompt_version": BUILTIN_VERSION, "latency_ms": int((time.monotonic() - started) * 1000)}


def report_summarise(*, cycle_id: int, task_id: str = "") -> bool:
    """Step 2: the narrative, by the configured language model (when enough comments are shown) or the built-in
    summariser. `llm_error` says why the built-in one wrote it, as a category and our own words: never the model's
    answer or the server's message."""
    from . import llm
    from .tasks import report_render

    if not _step_claim(cycle_id=cycle_id, name=PipelineStepName.SUMMARISE, task_id=task_id):
        return False
    report = Report.objects.select_related("cycle__subject").get(cycle_id=cycle_id)
    payload = llm.llm_input_build(report.content, development_areas=report.development_areas)
    fields = {"input_hash": llm.input_hash(payload), "llm_error": "", "prompt_tokens": None,
              "completion_tokens": None}
    shown = len(report.content["comments"])
    minimum = settings.EVALUATION_LLM_MIN_COMMENTS
    # The model call happens outside any transaction: it may take seconds and holds no locks.
    result = None
    if not llm.llm_configured():
        fields["llm_error"] = "not_configured: no language model is configured (LLM_BASE_URL is empty)"
    elif shown < minimum:
        fields["llm_error"] = (f"too_few_comments: {shown} comment(s) shown; the language model is used from "
                               f"{minimum} (EVALUATION_LLM_MIN_COMMENTS)")
    else:
        try:
            result = llm.llm_summarise(payload=payload, names=_known_names(report.cycle),
                                       roster=_roster_names(report.cycle),
                                       competency_keys=[c["key"] for c in report.content["competencies"]],
                                       development_areas=report.development_areas)
        except llm.LlmFailed as exc:
            fields.update(llm_error=f"{exc.category}: {exc.reason}", prompt_tokens=exc.prompt_tokens,
                          completion_tokens=exc.completion_tokens)
    if result is not None:
        fields.update(summary=result.summary, summariser=Summariser.LLM, llm_model=result.model,
                      prompt_version=llm.PROMPT_VERSION, prompt_tokens=result.prompt_tokens,
                      completion_tokens=result.completion_tokens, latency_ms=result.latency_ms)
    else:
        fields.update(_builtin_fields(report))
    with transaction.atomic():
        for name, value in fields.items():
            setattr(report, name, value)
        report.save(update_fields=list(fields))
        audit_record(actor=SCHEDULER, action="evaluation_report.summarised", target=report, data={
            "summariser": report.summariser, "model": report.llm_model, "prompt_version": report.prompt_version,
            "input_hash": report.input_hash, "comments_shown": shown,
            "fallback": fallback_category(report.llm_error), "error": report.llm_error[:300]})
        _step_finish(cycle_id=cycle_id, name=PipelineStepName.SUMMARISE)
        report_render.delay_on_commit(cycle_id)
    return True


def fallback_category(llm_error: str) -> str:
    """not_configured, too_few_comments, rejected, failed, deadline, replaced_by_reviewer, or "" (model used)."""
    return llm_error.split(":", 1)[0].strip() if llm_error else ""


def report_pdf_data(report: Report):
    from .pdf import ReportPdfData, report_notice

    cycle = report.cycle
    return ReportPdfData(
        cycle_id=cycle.pk, subject_name=cycle.subject.full_name, agency_name=cycle.agency.name,
        target_position=cycle.target_position, closed_on=f"{cycle.closed_at:%Y-%m-%d}" if cycle.closed_at else "",
        content=report.content, eligibility=report.eligibility, summary=report.summary or {},
        ai_assisted=report.summariser == Summariser.LLM, summariser_label=report.get_summariser_display(),
        model=report.llm_model, prompt_version=report.prompt_version, input_hash=report.input_hash,
        band_computed=report.band_computed, band_final=report.band_final,
        band_override_reason=report.band_override_reason,
        released_by=(report.released_by.get_full_name() or report.released_by.get_username())
        if report.released_by else "",
        released_on=f"{report.released_at:%Y-%m-%d}" if report.released_at else "",
        development_areas=list(report.development_areas),
        notice=report_notice(summariser=report.summariser, fallback=fallback_category(report.llm_error),
                             review_action=(report.review or {}).get("action", "")),
    )


def report_render(*, cycle_id: int, task_id: str = "") -> bool:
    """Step 3: the PDF (a draft until release; release renders it again with the sign-off)."""
    from .pdf import report_pdf_render
    from .tasks import report_notify

    if not _step_claim(cycle_id=cycle_id, name=PipelineStepName.RENDER, task_id=task_id):
        return False
    report = Report.objects.select_related("cycle__subject", "cycle__agency", "released_by").get(cycle_id=cycle_id)
    pdf = report_pdf_render(report_pdf_data(report))
    with transaction.atomic():
        report.pdf = pdf
        report.save(update_fields=["pdf"])
        audit_record(actor=SCHEDULER, action="evaluation_report.rendered", target=report,
                     data={"sha256": hashlib.sha256(pdf).hexdigest(), "bytes": len(pdf)})
        _step_finish(cycle_id=cycle_id, name=PipelineStepName.RENDER)
        report_notify.delay_on_commit(cycle_id)
    return True


def report_notify(*, cycle_id: int, task_id: str = "") -> bool:
    """Step 4: the report is ready for staff review; the cycle becomes report_ready."""
    from agencies.models import Role, User

    if not _step_claim(cycle_id=cycle_id, name=PipelineStepName.NOTIFY, task_id=task_id):
        return False
    with transaction.atomic():
        cycle = Cycle.objects.select_related("subject").get(pk=cycle_id)
        _transition(cycle=cycle, to=CycleStatus.REPORT_READY, actor=SCHEDULER)
        staff = list(User.objects.filter(Q(role=Role.CERTIFICATION_STAFF) | Q(is_superuser=True), is_active=True)
                     .exclude(email="").values_list("email", flat=True))
        email_send_on_commit(
            to=staff, subject=f"360 report ready for review: {cycle.subject.full_name}",
            body=f"The promotability report of cycle {cycle.pk} ({cycle.subject.full_name}, "
                 f"{cycle.target_position}) is ready for staff review and sign-off:\n"
                 f"{settings.PUBLIC_BASE_URL}/api/v1/evaluations/cycles/{cycle.pk}/report/\n",
        )
        _step_finish(cycle_id=cycle_id, name=PipelineStepName.NOTIFY)
    return True


STEP_SERVICES = {
    PipelineStepName.AGGREGATE: report_aggregate,
    PipelineStepName.SUMMARISE: report_summarise,
    PipelineStepName.RENDER: report_render,
    PipelineStepName.NOTIFY: report_notify,
}


def report_pipelines_resume(*, now: datetime | None = None) -> int:
    """Re-run steps whose worker died (claimed long ago, never finished) or that were never started although
    the step before them finished. Called by the beat sweep; each step's claim keeps this safe."""
    now = now or timezone.now()
    resumed = 0
    stuck = PipelineStep.objects.filter(cycle__status=CycleStatus.CLOSED, finished_at__isnull=True).filter(
        Q(started_at__lt=now - PIPELINE_STALE_AFTER) | Q(started_at__isnull=True)).order_by("cycle_id", "position")
    seen = set()
    for step in stuck:
        if step.cycle_id in seen:
            continue
        seen.add(step.cycle_id)
        if STEP_SERVICES[step.name](cycle_id=step.cycle_id):
            resumed += 1
    return resumed


REVIEW_RULES = {
    "schema": "Too long or malformed (narrative at most 4000 characters; at most 10 themes, each with a title of at "
              "most 120 and a summary of at most 600 characters, citing at most 20 comment ids).",
    "unknown_comment_id": "Cites a comment id that is not in this report.",
    "personal_data": "Contains personal data (a name, e-mail, phone, id or licence number, address, age or date of "
                     "birth).",
    "link": "Contains a link.",
    "readiness_claim": "Claims readiness, promotion or eligibility: the readiness band and the eligibility gates "
                       "state those, by rule.",
}


def _report_for_review(*, cycle: Cycle, actor) -> Report:
    _require_staff(actor, "review reports")
    report = Report.objects.select_for_update().select_related("cycle__subject", "cycle__agency").filter(
        cycle=cycle).first()
    current = Cycle.objects.filter(pk=cycle.pk).values_list("status", flat=True).first()
    if report is None or current != CycleStatus.REPORT_READY:
        raise ApplicationError("report_not_ready", "Only a report that is ready and not yet released can be "
                               "reviewed.", status_code=409)
    return report


def _review_stamp(actor, action: str, fields: list[str]) -> dict:
    return {"action": action, "fields": fields, "by": actor.get_full_name() or actor.get_username(),
            "by_id": actor.pk, "at": timezone.now().isoformat()}


def _review_save(report: Report, *, fields: list[str]) -> None:
    from .pdf import report_pdf_render

    # The draft PDF shows what will be released.
    report.pdf = report_pdf_render(report_pdf_data(report))
    report.save(update_fields=[*fields, "review", "pdf"])


def report_review_edit(*, cycle: Cycle, actor, narrative: str | None = None,
                       themes: list[dict] | None = None) -> Report:
    """Staff edit the narrative and/or themes before release. The edit passes the same rules as a model's answer
    (lengths, cited ids, no personal data, links or readiness claims); before and after go to the audit ledger."""
    from .summary import SummaryRejected, summary_validate

    edited = [name for name, value in (("narrative", narrative), ("themes", themes)) if value is not None]
    if not edited:
        raise _invalid({"narrative": "Give the narrative, the themes or both."})
    with transaction.atomic():
        report = _report_for_review(cycle=cycle, actor=actor)
        before = report.summary or {"strengths": [], "development_areas": [], "themes": [], "narrative": ""}
        after = {**before, **({"narrative": narrative} if narrative is not None else {}),
                 **({"themes": themes} if themes is not None else {})}
        check = {"comment_ids": {c["id"] for c in report.content["comments"]},
                 "names": _known_names(report.cycle), "roster": _roster_names(report.cycle),
                 "competency_keys": [c["key"] for c in report.content["competencies"]]}
        errors = {}
        for name in edited:
            probe = {"strengths": [], "development_areas": [], "themes": after["themes"] if name == "themes" else [],
                     "narrative": after["narrative"] if name == "narrative" else "-"}
            try:
                summary_validate(probe, **check)
            except SummaryRejected as exc:
                errors[name] = REVIEW_RULES.get(exc.category, exc.category)
        if errors:
            raise _invalid(errors, "The edited summary breaks a rule.", code="review_text_rejected")
        try:
            after = summary_validate(after, **check, development_areas=report.development_areas)
        except SummaryRejected as exc:
            raise _invalid({edited[0]: REVIEW_RULES.get(exc.category, exc.category)},
                           "The edited summary breaks a rule.", code="review_text_rejected") from None
        report.summary = after
        report.review = _review_stamp(actor, "edited", edited)
        _review_save(report, fields=["summary"])
        audit_record(actor=actor, action="evaluation_report.summary_edited", target=report, data={
            "fields": edited, "before": {k: before.get(k) for k in edited}, "after": {k: after[k] for k in edited}})
    return report


def report_review_use_builtin(*, cycle: Cycle, actor) -> Report:
    """Staff replace the summary (the model's, or an edited one) with the built-in deterministic summary."""
    with transaction.atomic():
        report = _report_for_review(cycle=cycle, actor=actor)
        before = report.summary
        fields = _builtin_fields(report)
        if report.summariser == Summariser.LLM:
            fields["llm_error"] = "replaced_by_reviewer: a staff reviewer replaced the model's summary with the " \
                                  "built-in one"
        for name, value in fields.items():
            setattr(report, name, value)
        report.review = _review_stamp(actor, "builtin", ["narrative", "themes", "strengths", "development_areas"])
        _review_save(report, fields=list(fields))
        audit_record(actor=actor, action="evaluation_report.summary_replaced", target=report, data={
            "before": before, "after": report.summary, "summariser": report.summariser})
    return report


def report_release(*, cycle: Cycle, actor, band: str | None = None, reason: str = "") -> Report:
    """A named staff reviewer signs the report off, optionally overriding the band with a written reason."""
    from .pdf import report_pdf_render

    if not getattr(actor, "is_certification_staff", False):
        raise ApplicationError("permission_denied", "Only certification staff release reports.", status_code=403)
    reason = (reason or "").strip()
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("cycle__subject", "cycle__agency").get(
            cycle=cycle)
        final = band or report.band_computed
        if final not in ReadinessBand.values:
            raise _invalid({"band": "Unknown readiness band."})
        if final != report.band_computed and len(reason) < 10:
            raise _invalid({"reason": "Overriding the computed band needs a written reason (10 characters or "
                                      "more)."}, code="override_reason_required")
        _transition(cycle=cycle, to=CycleStatus.RELEASED, actor=actor,
                    data={"band_computed": report.band_computed, "band_final": final})
        report.band_final, report.released_by, report.released_at = final, actor, cycle.released_at
        report.band_override_reason = reason if final != report.band_computed else ""
        # The release records who reviewed: the releasing staff member, next to any earlier edit's author.
        report.review = {**(report.review or {}), "released_by": actor.get_full_name() or actor.get_username(),
                         "released_by_id": actor.pk, "released_at": cycle.released_at.isoformat()}
        report.pdf = report_pdf_render(report_pdf_data(report))
        report.save(update_fields=["band_final", "band_override_reason", "released_by", "released_at", "review",
                                   "pdf"])
        if final != report.band_computed:
            audit_record(actor=actor, action="evaluation_report.band_overridden", target=report,
                         data={"from": report.band_computed, "to": final, "reason": reason})
        audit_record(actor=actor, action="evaluation_report.released", target=report,
                     data={"band_final": final, "reviewer": actor.get_username(), "reviewer_id": actor.pk,
                           "summariser": report.summariser, "summary_review": report.review})
        admins = list(cycle.agency.administrators.filter(is_active=True).exclude(email="")
                      .values_list("email", flat=True))
        email_send_on_commit(
            to=admins, subject=f"360 report released: {report.cycle.subject.full_name}",
            body=f"The promotability report of cycle {cycle.pk} was reviewed and released. It is advisory; the "
                 f"decision rests with the agency.\n{settings.PUBLIC_BASE_URL}/api/v1/evaluations/cycles/"
                 f"{cycle.pk}/report/\n",
        )
    return report
