"""Reviewer feedback behind the secret link (no account): resolve the link, save a draft, submit once; at close,
pool the held answers into the anonymous tables."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import ratelimit
from core.audit import audit_record
from core.exceptions import ApplicationError

from ..models import Cycle, CycleStatus, FeedbackResponse, Instrument, Invitation, ItemScore, OpenTextAnswer
from ._common import NOT_OBSERVED, REVIEWER, TOKEN_GUESS_SCOPE
from .instruments import instrument_structure
from .invitations import token_hash


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
        raise ApplicationError("validation_error", message, fields={k: [v] for k, v in errors.items()})
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
