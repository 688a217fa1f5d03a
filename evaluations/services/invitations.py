"""Raters: invitations and their secret links, staff review of the rater list (`RATERS_LIFECYCLE`), refusals,
re-sends and reminders."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.access import field_error
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.notifications import email_send_on_commit
from core.transitions import Lifecycle

from ..models import Cycle, CycleStatus, Invitation, InvitationReminder, RatersStatus, Relationship
from ..raters import email_normalise
from ._common import SCHEDULER, _require_staff_member


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


# The rater list's review state (Cycle.raters_status). Any change by the sponsor puts the list back to review (from
# every state, itself included: each change is a new version); staff approve or refuse what they read.
RATERS_ALLOWED = {
    RatersStatus.NEEDS_APPROVAL: {RatersStatus.APPROVED, RatersStatus.REFUSED, RatersStatus.NEEDS_APPROVAL},
    RatersStatus.APPROVED: {RatersStatus.REFUSED, RatersStatus.NEEDS_APPROVAL},
    RatersStatus.REFUSED: {RatersStatus.APPROVED, RatersStatus.NEEDS_APPROVAL},
}
RATERS_VERBS = {RatersStatus.APPROVED: "approved", RatersStatus.REFUSED: "refused",
                RatersStatus.NEEDS_APPROVAL: "changed"}
RATERS_LIFECYCLE = Lifecycle(model=Cycle, allowed=RATERS_ALLOWED, verbs=RATERS_VERBS, noun="evaluation_raters",
                             status_field="raters_status")


def _raters_changed(*, cycle: Cycle, actor) -> None:
    """The sponsor changed the list: it needs staff review again, and an approval of an older version fails. The
    caller holds the cycle row's lock (so the version read is current) and audits the change itself (the
    invitation's entry carries the new version)."""
    RATERS_LIFECYCLE.transition(obj=cycle, to=RatersStatus.NEEDS_APPROVAL, actor=actor, audit=False,
                                fields={"raters_version": cycle.raters_version + 1})


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
            raise field_error("rater_email", "This person is already invited to this cycle (addresses are compared "
                                             "without case, +tags, and dots at Gmail).", code="already_invited")
        if mailbox in _sponsor_mailboxes(cycle=cycle, actor=actor):
            raise field_error("rater_email", "The sponsoring agency's administrators cannot rate a cycle their "
                                             "agency runs.", code="rater_is_sponsor")
        if relationship == Relationship.SELF and cycle.invitations.filter(relationship=Relationship.SELF).exists():
            raise field_error("relationship", "The subject's self-rating is already invited.", code="already_invited")
        invitation = full_clean_or_raise(Invitation(cycle=cycle, rater_name=rater_name.strip(), rater_email=email,
                                                    rater_email_normalized=mailbox, relationship=relationship))
        invitation.save()
        _raters_changed(cycle=cycle, actor=actor)
        audit_record(actor=actor, action="evaluation_invitation.created", target=invitation,
                     data={"cycle": cycle.pk, "relationship": relationship, "raters_version": cycle.raters_version})
    return invitation


def _invitation_email(*, invitation: Invitation, link: str) -> tuple[str, str]:
    """The invitation's body and subject. Honest about who can see what: the self-rating is shown as the subject's
    own (not anonymous), the supervisor group is named as such, the other groups only as group results."""
    cycle = invitation.cycle
    subject = cycle.subject.full_name
    closes = f"{cycle.closes_at:%Y-%m-%d %H:%M %Z}"
    if invitation.relationship == Relationship.SELF:
        return (
            f"Dear {invitation.rater_name},\n\n"
            f"As a candidate for {cycle.target_position}, you are invited to complete your self-assessment: you rate "
            "yourself on the same behaviours your colleagues rate you on.\n\n"
            f"Your personal link (do not forward it): {link}\n\n"
            f"You can save a draft and come back until {closes}; you can submit once.\n"
            "Your self-assessment is not anonymous: the report shows your answers as your self-rating, next to how "
            "others see you.\n",
            "Your self-assessment is requested",
        )
    if invitation.relationship == Relationship.SUPERVISOR:
        privacy = ("Your answers are stored without your name, but the report names the supervisor group: with one "
                   f"supervisor, {subject} may be able to tell they are yours.\n")
    else:
        privacy = ("Your answers are stored without your name and reported only as group results once enough people "
                   "in your group have answered.\n")
    return (
        f"Dear {invitation.rater_name},\n\n"
        f"You are invited to give feedback on {subject}, a candidate for {cycle.target_position}, as their "
        f"{invitation.get_relationship_display().lower()}.\n\n"
        f"Your personal link (do not forward it): {link}\n\n"
        f"You can save a draft and come back until {closes}; you can submit once.\n" + privacy,
        f"Your feedback on {subject} is requested",
    )


def _invitation_send(*, invitation: Invitation, actor) -> None:
    """Make the secret link (only its hash is kept) and e-mail it after commit."""
    token, digest = _new_token()
    # A new link replaces every older one (the invitation's and a reminder's): a re-sent link kills the old ones.
    invitation.token_hash, invitation.reminder_token_hash = digest, None
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["token_hash", "reminder_token_hash", "sent_at"])
    cycle = invitation.cycle
    body, mail_subject = _invitation_email(invitation=invitation, link=feedback_url(token))
    email_send_on_commit(to=[invitation.rater_email], subject=mail_subject, body=body)
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
        _raters_changed(cycle=cycle, actor=actor)
        audit_record(actor=actor, action="evaluation_invitation.withdrawn", target=invitation,
                     data={"cycle": invitation.cycle_id, "relationship": invitation.relationship,
                           "raters_version": cycle.raters_version})
        invitation.delete()


def _invitations_send_approved(*, cycle: Cycle, actor) -> int:
    """E-mail the links of an open cycle's approved list that were not sent yet (never a refused one)."""
    sent = 0
    for invitation in (cycle.invitations.filter(sent_at__isnull=True, refused_at__isnull=True)
                       .select_related("cycle__subject")):
        _invitation_send(invitation=invitation, actor=actor)
        sent += 1
    return sent


# --- staff review of the rater list -----------------------------------------------------------------------------

def _raters_reviewable(cycle: Cycle) -> None:
    if cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ApplicationError("invalid_transition", "The rater list of a closed cycle cannot be reviewed.",
                               status_code=409)


def raters_approve(*, cycle: Cycle, actor, version: int) -> Cycle:
    """Staff approve the rater list as they read it (`version`). In an open cycle the approved, unsent invitations
    are e-mailed now. Under the cycle row's lock: a list changed since it was read (`version`) is not approved."""
    _require_staff_member(actor, "approve rater lists")
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        _raters_reviewable(locked)
        if locked.raters_version != version:
            raise ApplicationError("concurrent_change", "The rater list changed since you read it; reload and "
                                   "review it again.", status_code=409,
                                   fields={"version": [f"The current version is {locked.raters_version}."]})
        counts = {}
        for relationship in locked.invitations.filter(refused_at__isnull=True).values_list("relationship",
                                                                                           flat=True):
            counts[relationship] = counts.get(relationship, 0) + 1
        RATERS_LIFECYCLE.transition(obj=locked, to=RatersStatus.APPROVED, actor=actor, data={
            "version": version, "invitations": counts}, fields={
            "raters_reviewed_by": actor, "raters_reviewed_at": timezone.now(), "raters_refusal_reason": ""})
        if locked.status == CycleStatus.OPEN:
            _invitations_send_approved(cycle=locked, actor=actor)
    return locked


def raters_refuse(*, cycle: Cycle, actor, reason: str, version: int) -> Cycle:
    """Staff refuse the whole list (with the reason the sponsor will read); any change by the sponsor puts it back
    to review. Only before the cycle opens: an open cycle's raters are refused one by one."""
    _require_staff_member(actor, "refuse rater lists")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise field_error("reason", "Give the sponsor a reason (10 characters or more).", code="reason_required")
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if locked.status != CycleStatus.DRAFT:
            raise ApplicationError("invalid_transition", "Only the rater list of a draft cycle can be refused as a "
                                   "whole; refuse single raters of an open cycle.", status_code=409)
        if locked.raters_version != version:
            raise ApplicationError("concurrent_change", "The rater list changed since you read it; reload and "
                                   "review it again.", status_code=409,
                                   fields={"version": [f"The current version is {locked.raters_version}."]})
        RATERS_LIFECYCLE.transition(obj=locked, to=RatersStatus.REFUSED, actor=actor, reason=reason,
                                    data={"version": version}, fields={
                                        "raters_reviewed_by": actor, "raters_reviewed_at": timezone.now(),
                                        "raters_refusal_reason": reason})
    return locked


def invitation_refuse(*, invitation: Invitation, actor, reason: str) -> Invitation:
    """Staff refuse one rater (a sponsor's second address, a relative, ...). The invitation is never sent; a link
    already sent dies; answers already submitted are discarded (they are held until close, so this is still
    possible). The row stays, so the same mailbox cannot be invited again."""
    _require_staff_member(actor, "refuse raters")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise field_error("reason", "Give the sponsor a reason (10 characters or more).", code="reason_required")
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
    what = ("your self-assessment" if invitation.relationship == Relationship.SELF
            else f"feedback on {cycle.subject.full_name}")
    body = (
        f"Dear {invitation.rater_name},\n\nA reminder: {what} closes at "
        f"{cycle.closes_at:%Y-%m-%d %H:%M %Z} (in about {hours} hours).\n\nYour personal link: "
        f"{feedback_url(token)}\n(The link in your invitation e-mail also still works.)\n"
    )
    email_send_on_commit(to=[invitation.rater_email], subject=f"Reminder: {what}", body=body)
    audit_record(actor=SCHEDULER, action="evaluation_invitation.reminded", target=invitation,
                 data={"hours_before": hours})
