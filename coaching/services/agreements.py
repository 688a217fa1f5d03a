"""Agreements between a coach and a coachee: proposed -> active (both accepted) -> completed, or terminated."""

import calendar
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from core.access import field_error, require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.transitions import Lifecycle
from evaluations.selectors import cycle_subject_id
from evaluations.services import cycle_create_follow_up

from .. import matching
from ..models import Agreement, AgreementStatus, Cadence, CoachProfile, NeedsAssessment, NeedsAssessmentStatus
from ..selectors import agreement_party, coach_candidate, coach_running_load, needs_data
from .needs import _needs_assessment_transition, _require_open

DEFAULT_CONFIDENTIALITY_TERMS = (
    "What the coachee says in sessions stays between coach and coachee. The sponsoring agency learns the dates, "
    "durations and topics of sessions and the outcome ratings, never their content. The coach's notes are the "
    "coach's alone. Exceptions: a risk of serious harm to anyone, or what the law requires to be reported."
)


def months_after(start: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to that month's last day (31 Jan + 1 -> 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def agreement_dates_validate(*, start_date: date, end_date: date) -> None:
    """3 to 6 calendar months (settings.COACHING_AGREEMENT_MIN_MONTHS/MAX_MONTHS); the database holds the same
    bounds in days (models.AGREEMENT_MIN_DAYS/MAX_DAYS)."""
    low = months_after(start_date, settings.COACHING_AGREEMENT_MIN_MONTHS)
    high = months_after(start_date, settings.COACHING_AGREEMENT_MAX_MONTHS)
    if not low <= end_date <= high:
        message = (f"An agreement lasts {settings.COACHING_AGREEMENT_MIN_MONTHS} to "
                   f"{settings.COACHING_AGREEMENT_MAX_MONTHS} months: from {start_date} it ends between {low} and "
                   f"{high}.")
        raise field_error("end_date", message, code="invalid_agreement_length", summary=message)


AGREEMENT_ALLOWED = {
    AgreementStatus.PROPOSED: {AgreementStatus.ACTIVE, AgreementStatus.TERMINATED},
    AgreementStatus.ACTIVE: {AgreementStatus.COMPLETED, AgreementStatus.TERMINATED},
}
AGREEMENT_VERBS = {AgreementStatus.ACTIVE: "activated", AgreementStatus.COMPLETED: "completed",
                   AgreementStatus.TERMINATED: "terminated"}
AGREEMENT_LIFECYCLE = Lifecycle(model=Agreement, allowed=AGREEMENT_ALLOWED, verbs=AGREEMENT_VERBS, noun="agreement")


def _agreement_transition(*, agreement: Agreement, to: str, actor, reason: str = "",
                          fields: dict | None = None) -> None:
    """The only place an agreement's status changes; stamps the time of each step in the same UPDATE. The ledger
    entry carries the caller's `fields` (an outcome rating) besides from/to/reason."""
    now = timezone.now()
    stamps = {"updated_at": now}
    if to == AgreementStatus.ACTIVE:
        stamps["activated_at"] = now
    if to in (AgreementStatus.COMPLETED, AgreementStatus.TERMINATED):
        stamps["ended_at"] = now
    if to == AgreementStatus.TERMINATED:
        stamps["termination_reason"] = reason
    AGREEMENT_LIFECYCLE.transition(obj=agreement, to=to, actor=actor, reason=reason,
                                   fields={**stamps, **(fields or {})}, data=fields)


def agreement_propose(*, assessment: NeedsAssessment, coach: CoachProfile, actor, start_date: date,
                      end_date: date, cadence: str = Cadence.BIWEEKLY, goals: str = "",
                      confidentiality_terms: str = "", baseline_cycle_id: int | None = None) -> Agreement:
    """Staff confirm a match: the agreement is proposed to both parties and the coach's place is reserved.

    Capacity holds under concurrent confirmations: the coach's row is locked (SELECT ... FOR UPDATE) before their
    running agreements are counted, so a second confirmation for the same coach waits and then counts the first.
    """
    require_staff(actor, "confirm a coaching match")
    if start_date < timezone.localdate():
        raise field_error("start_date", "An agreement cannot start in the past.")
    agreement_dates_validate(start_date=start_date, end_date=end_date)
    if baseline_cycle_id is not None:
        _baseline_cycle_check(cycle_id=baseline_cycle_id, coachee=assessment.coachee, field="baseline_cycle_id")
    with transaction.atomic():
        coach = CoachProfile.objects.select_for_update().select_related("user").get(pk=coach.pk)
        # Lock the assessment too, so that of parallel confirmations of one assessment (with different coaches)
        # the first wins and the others see it matched: a clean 409, not a constraint error.
        assessment = NeedsAssessment.objects.select_for_update().select_related("coachee__agency").get(
            pk=assessment.pk)
        if not coach.active:
            raise ApplicationError("coach_inactive", "This coach is not taking coachees.", status_code=409)
        load = coach_running_load(coach.pk)
        if load >= coach.capacity:
            raise ApplicationError("coach_at_capacity", f"This coach already has {load} of {coach.capacity} "
                                   "places taken.", status_code=409)
        _require_open(assessment)
        reason = matching.exclusion_reason(needs_data(assessment), coach_candidate(coach, load=load))
        if reason:
            raise ApplicationError("coach_not_eligible", f"This coach cannot be matched: "
                                   f"{matching.EXCLUSION_TEXT[reason]}.", status_code=409,
                                   fields={"coach": [reason]})
        agreement = Agreement(
            coach=coach, coachee=assessment.coachee, sponsor_agency=assessment.coachee.agency,
            needs_assessment=assessment, start_date=start_date, end_date=end_date, cadence=cadence,
            goals=goals or assessment.goals, confidentiality_terms=confidentiality_terms
            or DEFAULT_CONFIDENTIALITY_TERMS, status=AgreementStatus.PROPOSED, proposed_by=actor,
            baseline_cycle_id=baseline_cycle_id,
        )
        _needs_assessment_transition(assessment=assessment, to=NeedsAssessmentStatus.MATCHED, actor=actor)
        full_clean_or_raise(agreement)
        agreement.save()
        audit_record(actor=actor, action="agreement.proposed", target=agreement, data={
            "coach": coach.pk, "coachee": agreement.coachee_id, "sponsor_agency": agreement.sponsor_agency_id,
            "needs_assessment": assessment.pk, "start_date": start_date, "end_date": end_date, "cadence": cadence,
            "baseline_cycle_id": baseline_cycle_id})
    return agreement


def _baseline_cycle_check(*, cycle_id: int, coachee, field: str) -> None:
    """A baseline 360 cycle must exist and evaluate this coachee (the officer they are linked to)."""
    if coachee.officer_id is None or cycle_subject_id(cycle_id=cycle_id) != coachee.officer_id:
        raise field_error(field, f"No 360 cycle {cycle_id} evaluates this coachee.")


def _party_or_403(agreement: Agreement, actor) -> str:
    party = agreement_party(agreement=agreement, user=actor)
    if party is None:
        raise ApplicationError("permission_denied", "Only the coach, the sponsoring agency or certification staff "
                               "may do this.", status_code=403)
    return party


def agreement_accept(*, agreement: Agreement, actor) -> Agreement:
    """The coach, or the sponsor (its agency administrator, or staff for the coachee), accepts; when both have,
    the agreement becomes active."""
    party = _party_or_403(agreement, actor)
    with transaction.atomic():
        # Lock the row so that two parties accepting at once do not both miss the other's acceptance.
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status != AgreementStatus.PROPOSED:
            raise ApplicationError("agreement_not_proposed", f"This agreement is {locked.status}.", status_code=409)
        now = timezone.now()
        if party == "coach":
            if locked.coach_accepted_at:
                raise ApplicationError("already_accepted", "The coach has already accepted.", status_code=409)
            locked.coach_accepted_at = now
            locked.save(update_fields=["coach_accepted_at", "updated_at"])
        else:
            if locked.sponsor_accepted_at:
                raise ApplicationError("already_accepted", "The sponsor has already accepted.", status_code=409)
            locked.sponsor_accepted_at, locked.sponsor_accepted_by = now, actor
            locked.save(update_fields=["sponsor_accepted_at", "sponsor_accepted_by", "updated_at"])
        audit_record(actor=actor, action="agreement.accepted", target=locked, data={"party": party})
        if locked.coach_accepted_at and locked.sponsor_accepted_at:
            _agreement_transition(agreement=locked, to=AgreementStatus.ACTIVE, actor=actor)
    return locked


def agreement_terminate(*, agreement: Agreement, actor, reason: str) -> Agreement:
    """Either party or staff ends a proposed (declined) or active agreement early, saying why. Declining a
    proposal gives the coachee their open needs assessment back (unless they have opened another meanwhile)."""
    _party_or_403(agreement, actor)
    if not reason.strip():
        raise field_error("reason", "Say why the agreement ends.")
    with transaction.atomic():
        was_proposed = agreement.status == AgreementStatus.PROPOSED
        _agreement_transition(agreement=agreement, to=AgreementStatus.TERMINATED, actor=actor, reason=reason)
        assessment = agreement.needs_assessment
        if (was_proposed and assessment is not None and assessment.status == NeedsAssessmentStatus.MATCHED
                and not NeedsAssessment.objects.filter(coachee_id=agreement.coachee_id,
                                                       status=NeedsAssessmentStatus.OPEN).exists()):
            _needs_assessment_transition(assessment=assessment, to=NeedsAssessmentStatus.OPEN, actor=actor,
                                         reason="agreement declined")
    return agreement


def _rating_field(party: str) -> str:
    return "coach_outcome_rating" if party == "coach" else "sponsor_outcome_rating"


def _rating_check(rating) -> None:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise field_error("rating", "An outcome rating is a whole number from 1 to 5.")


def agreement_complete(*, agreement: Agreement, actor, rating: int, follow_up_opens_at: datetime | None = None,
                       follow_up_closes_at: datetime | None = None) -> Agreement:
    """Close an active agreement with the caller's outcome rating (the other side adds theirs with
    `agreement_outcome_record`); optionally start the follow-up mini-360 in the same transaction."""
    party = _party_or_403(agreement, actor)
    _rating_check(rating)
    if agreement.start_date > timezone.localdate():
        raise ApplicationError("agreement_not_started", "An agreement that has not started cannot be completed.",
                               status_code=409)
    with transaction.atomic():
        _agreement_transition(agreement=agreement, to=AgreementStatus.COMPLETED, actor=actor,
                              fields={_rating_field(party): rating})
        if follow_up_opens_at is not None or follow_up_closes_at is not None:
            agreement_follow_up_start(agreement=agreement, actor=actor, opens_at=follow_up_opens_at,
                                      closes_at=follow_up_closes_at)
    return agreement


def agreement_outcome_record(*, agreement: Agreement, actor, rating: int) -> Agreement:
    """The other side's outcome rating (1-5) of a completed agreement; each side rates once."""
    party = _party_or_403(agreement, actor)
    _rating_check(rating)
    if agreement.status != AgreementStatus.COMPLETED:
        raise ApplicationError("agreement_not_completed", "Outcomes are rated once the agreement is completed.",
                               status_code=409)
    field = _rating_field(party)
    with transaction.atomic():
        written = Agreement.objects.filter(pk=agreement.pk, status=AgreementStatus.COMPLETED,
                                           **{f"{field}__isnull": True}).update(**{field: rating},
                                                                                updated_at=timezone.now())
        if not written:
            raise ApplicationError("outcome_already_recorded", "This side has already rated the outcome.",
                                   status_code=409)
        setattr(agreement, field, rating)
        audit_record(actor=actor, action="agreement.outcome_recorded", target=agreement,
                     data={"party": party, "rating": rating})
    return agreement


def agreement_follow_up_start(*, agreement: Agreement, actor, opens_at: datetime | None,
                              closes_at: datetime | None, source_cycle_id: int | None = None) -> Agreement:
    """Start the follow-up mini-360 of a completed agreement: a new draft cycle with the same rater groups as the
    baseline cycle, created by evaluations' own service."""
    if agreement_party(agreement=agreement, user=actor) != "sponsor":
        raise ApplicationError("permission_denied", "The sponsoring agency or certification staff start a "
                               "follow-up 360.", status_code=403)
    if agreement.status != AgreementStatus.COMPLETED:
        raise ApplicationError("agreement_not_completed", "A follow-up 360 starts once the agreement is completed.",
                               status_code=409)
    errors = {}
    if opens_at is None:
        errors["opens_at"] = ["This field is required."]
    if closes_at is None:
        errors["closes_at"] = ["This field is required."]
    elif opens_at is not None and closes_at <= opens_at:
        errors["closes_at"] = ["The follow-up must close after it opens."]
    if source_cycle_id and source_cycle_id != agreement.baseline_cycle_id and not actor.is_certification_staff:
        # evaluations' service applies no access rule to the source cycle: only staff may name another one.
        raise ApplicationError("permission_denied", "Only certification staff choose another baseline 360 cycle.",
                               status_code=403)
    source = source_cycle_id or agreement.baseline_cycle_id
    if source is None:
        errors["source_cycle_id"] = ["No baseline 360 cycle is recorded for this agreement; name one."]
    if errors:
        raise ApplicationError("validation_error", "The request is not valid.", fields=errors)
    # Whoever names it, the baseline must evaluate this coachee: the follow-up copies its subject and raters.
    _baseline_cycle_check(cycle_id=source, coachee=agreement.coachee, field="source_cycle_id")
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.follow_up_cycle_id is not None:
            raise ApplicationError("follow_up_already_started", "This agreement's follow-up 360 already exists.",
                                   status_code=409)
        try:
            cycle = cycle_create_follow_up(source_cycle_id=source, actor=actor, opens_at=opens_at,
                                           closes_at=closes_at)
        except ObjectDoesNotExist as exc:
            raise field_error("source_cycle_id", f"Unknown 360 cycle {source}.") from exc
        Agreement.objects.filter(pk=agreement.pk).update(baseline_cycle_id=source, follow_up_cycle_id=cycle.pk,
                                                         updated_at=timezone.now())
        agreement.baseline_cycle_id, agreement.follow_up_cycle_id = source, cycle.pk
        audit_record(actor=actor, action="agreement.follow_up_started", target=agreement,
                     data={"baseline_cycle_id": source, "follow_up_cycle_id": cycle.pk, "opens_at": opens_at,
                           "closes_at": closes_at})
    return agreement


