"""Every write in coaching. Each business action runs in one transaction together with its audit entry."""

import calendar
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Officer, Role
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.services import model_update_prepare
from core.vocabulary import COACHING_AREA_KEYS
from evaluations.selectors import cycle_subject_id, officer_released_development_areas
from evaluations.services import cycle_create_follow_up

from . import matching
from .models import (
    Agreement,
    AgreementStatus,
    Cadence,
    Coachee,
    CoachingSession,
    CoachProfile,
    NeedPriority,
    NeedsAssessment,
    NeedsAssessmentStatus,
)
from .selectors import agreement_party, coach_candidate, coach_running_load, needs_data

COACH_FIELDS = ("years_in_leadership", "highest_rank", "former_agency", "former_agency_name", "expertise_areas",
                "states", "languages", "capacity", "active", "bio")
# A coach edits their own profile, but whether they are matchable at all and the agency whose people they must
# not coach (a conflict-of-interest rule) are the programme's call.
COACH_STAFF_ONLY_FIELDS = ("former_agency", "active")
ASSESSMENT_FIELDS = ("goals", "languages", "states", "remote_only")
DEFAULT_CONFIDENTIALITY_TERMS = (
    "What the coachee says in sessions stays between coach and coachee. The sponsoring agency learns the dates, "
    "durations and topics of sessions and the outcome ratings, never their content. The coach's notes are the "
    "coach's alone. Exceptions: a risk of serious harm to anyone, or what the law requires to be reported."
)


def _require_staff(actor, what: str) -> None:
    if not getattr(actor, "is_certification_staff", False):
        raise ApplicationError("permission_denied", f"Only certification staff {what}.", status_code=403)


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
        raise ApplicationError("invalid_agreement_length", message, fields={"end_date": [message]})


# --- coaches ----------------------------------------------------------------------------------------------


def coach_profile_create(*, actor, user, years_in_leadership: int, highest_rank: str,
                         former_agency: Agency | None = None, former_agency_name: str = "",
                         expertise_areas: list[str] | None = None, states: list[str] | None = None,
                         languages: list[str] | None = None, capacity: int = 3, active: bool = True,
                         bio: str = "") -> CoachProfile:
    """Staff create any coach's profile; a coach may create their own (but not choose staff-only fields)."""
    if not actor.is_certification_staff:
        if actor.pk != user.pk:
            raise ApplicationError("permission_denied", "Coaches create only their own profile.", status_code=403)
        if former_agency is not None or not active:
            raise ApplicationError("permission_denied", "Only certification staff set the former agency link or "
                                   "deactivate a coach.", status_code=403)
    if user.role != Role.COACH:
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"user": ["This user does not have the coach role."]})
    profile = CoachProfile(
        user=user, years_in_leadership=years_in_leadership, highest_rank=highest_rank, former_agency=former_agency,
        former_agency_name=former_agency_name or (former_agency.name if former_agency else ""),
        expertise_areas=expertise_areas or [], states=states or [], languages=languages or ["en"],
        capacity=capacity, active=active, bio=bio,
    )
    full_clean_or_raise(profile)
    with transaction.atomic():
        profile.save()
        audit_record(actor=actor, action="coach_profile.created", target=profile,
                     data={"user": user.pk, **{f: _plain(getattr(profile, f)) for f in COACH_FIELDS}})
    return profile


def _plain(value):
    return value.pk if hasattr(value, "pk") else value


def coach_profile_update(*, profile: CoachProfile, actor, data: dict) -> CoachProfile:
    is_owner = profile.user_id == actor.pk
    if not (actor.is_certification_staff or is_owner):
        raise ApplicationError("permission_denied", "Coaches edit only their own profile.", status_code=403)
    changes = {}
    for name, value in data.items():
        if name in COACH_FIELDS and _plain(getattr(profile, name)) != _plain(value):
            changes[name] = {"from": _plain(getattr(profile, name)), "to": _plain(value)}
    forbidden = [name for name in changes if name in COACH_STAFF_ONLY_FIELDS]
    if forbidden and not actor.is_certification_staff:
        raise ApplicationError("permission_denied", f"Only certification staff change {', '.join(forbidden)}.",
                               status_code=403)
    if not changes:
        return profile
    for name in changes:
        setattr(profile, name, data[name])
    full_clean_or_raise(profile)
    with transaction.atomic():
        profile.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="coach_profile.updated", target=profile, data=changes)
    return profile


# --- coachees and needs -----------------------------------------------------------------------------------


def coachee_create(*, actor, agency: Agency, coachee_type: str, officer: Officer | None = None, first_name: str = "",
                   last_name: str = "", title: str = "", email: str = "") -> Coachee:
    if officer is not None:
        if officer.agency_id != agency.pk:
            raise ApplicationError("validation_error", "The request is not valid.",
                                   fields={"officer": ["This officer does not serve the coachee's agency."]})
        first_name, last_name = first_name or officer.first_name, last_name or officer.last_name
        email = email or officer.email
    coachee = Coachee(coachee_type=coachee_type, agency=agency, officer=officer, first_name=first_name,
                      last_name=last_name, title=title, email=email)
    full_clean_or_raise(coachee)
    with transaction.atomic():
        coachee.save()
        audit_record(actor=actor, action="coachee.created", target=coachee,
                     data={"agency": agency.pk, "coachee_type": coachee_type,
                           "officer": officer.pk if officer else None})
    return coachee


def _priorities_clean(priorities: dict) -> dict[str, int]:
    errors = {}
    for area, value in priorities.items():
        if area not in COACHING_AREA_KEYS:
            errors[f"priorities.{area}"] = [f"Unknown coaching area {area!r}."]
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
            errors[f"priorities.{area}"] = ["A priority is a whole number from 0 to 3."]
    if errors:
        raise ApplicationError("validation_error", "The request is not valid.", fields=errors)
    return dict(priorities)


def _conflicts_resolve(conflict_ids) -> list[CoachProfile]:
    ids = list(dict.fromkeys(conflict_ids))
    found = list(CoachProfile.objects.filter(pk__in=ids))
    unknown = sorted(set(ids) - {c.pk for c in found})
    if unknown:
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"conflicts": [f"Unknown coaches: {', '.join(map(str, unknown))}."]})
    return found


def _require_languages(languages) -> None:
    if not languages:
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"languages": ["Name at least one language the coachee is coached in."]})


def needs_assessment_create(*, actor, coachee: Coachee, priorities: dict | None = None, goals: str = "",
                            languages: list[str] | None = None, states: list[str] | None = None,
                            remote_only: bool = False, conflicts: list[int] | None = None) -> NeedsAssessment:
    priorities = _priorities_clean(priorities or {})
    languages = ["en"] if languages is None else languages
    _require_languages(languages)
    conflict_coaches = _conflicts_resolve(conflicts or [])
    assessment = NeedsAssessment(coachee=coachee, goals=goals, languages=languages, states=states or [],
                                 remote_only=remote_only, created_by=actor)
    # Validates "one open assessment per coachee" too, as a field error instead of an IntegrityError.
    full_clean_or_raise(assessment)
    with transaction.atomic():
        assessment.save()
        NeedPriority.objects.bulk_create(
            [NeedPriority(assessment=assessment, area=a, priority=p) for a, p in priorities.items()])
        assessment.conflicts.set(conflict_coaches)
        audit_record(actor=actor, action="needs_assessment.created", target=assessment, data={
            "coachee": coachee.pk, "priorities": priorities, "languages": languages, "states": assessment.states,
            "remote_only": remote_only, "conflicts": sorted(c.pk for c in conflict_coaches)})
    return assessment


def _require_open(assessment: NeedsAssessment) -> None:
    if assessment.status != NeedsAssessmentStatus.OPEN:
        raise ApplicationError("needs_assessment_not_open",
                               f"This needs assessment is {assessment.status}; only an open one changes.",
                               status_code=409)


def needs_assessment_update(*, assessment: NeedsAssessment, actor, data: dict) -> NeedsAssessment:
    """Change fields of an open assessment; `priorities` and `conflicts`, when given, replace the whole set."""
    _require_open(assessment)
    changes = model_update_prepare(assessment, data, ASSESSMENT_FIELDS)
    if "languages" in changes:
        _require_languages(assessment.languages)
    priorities = _priorities_clean(data["priorities"]) if "priorities" in data else None
    conflict_coaches = _conflicts_resolve(data["conflicts"]) if "conflicts" in data else None
    full_clean_or_raise(assessment)
    with transaction.atomic():
        if changes:
            assessment.save(update_fields=[*changes, "updated_at"])
        if priorities is not None:
            _priorities_replace(assessment, priorities)
            changes["priorities"] = {"to": priorities}
        if conflict_coaches is not None:
            assessment.conflicts.set(conflict_coaches)
            changes["conflicts"] = {"to": sorted(c.pk for c in conflict_coaches)}
        if changes:
            audit_record(actor=actor, action="needs_assessment.updated", target=assessment, data=changes)
    return assessment


def _priorities_replace(assessment: NeedsAssessment, priorities: dict[str, int]) -> None:
    NeedPriority.objects.filter(assessment=assessment).delete()
    NeedPriority.objects.bulk_create(
        [NeedPriority(assessment=assessment, area=a, priority=p) for a, p in priorities.items()])


def prefill_priority(position: int) -> int:
    """Development areas come most needed first: the first two get priority 3, the next two 2, the rest 1."""
    return max(1, 3 - position // 2)


def needs_assessment_prefill_from_360(*, assessment: NeedsAssessment, actor) -> NeedsAssessment:
    """Raise priorities to what the coachee's released 360 report says they most need to develop.

    Never lowers a priority a person set (max of both), so re-running it or running it after manual edits is safe.
    """
    _require_open(assessment)
    coachee = assessment.coachee
    if coachee.officer_id is None:
        raise ApplicationError("coachee_not_an_officer", "Only a coachee linked to an officer on the roster has "
                               "360 reports.", status_code=409)
    areas = officer_released_development_areas(officer_id=coachee.officer_id)
    if areas is None:
        raise ApplicationError("no_released_report", "This coachee has no released 360 report to prefill from.",
                               status_code=409)
    current = {p.area: p.priority for p in NeedPriority.objects.filter(assessment=assessment)}
    suggested = {}
    for area in areas:
        if area in COACHING_AREA_KEYS and area not in suggested:
            suggested[area] = prefill_priority(len(suggested))
    merged = {**current, **{a: max(p, current.get(a, 0)) for a, p in suggested.items()}}
    with transaction.atomic():
        _priorities_replace(assessment, merged)
        now = timezone.now()
        NeedsAssessment.objects.filter(pk=assessment.pk).update(prefilled_from_360_at=now, updated_at=now)
        assessment.prefilled_from_360_at = now
        audit_record(actor=actor, action="needs_assessment.prefilled_from_360", target=assessment,
                     data={"development_areas": list(areas), "from": current, "to": merged})
    return assessment


NEEDS_ALLOWED = {
    NeedsAssessmentStatus.OPEN: {NeedsAssessmentStatus.MATCHED, NeedsAssessmentStatus.WITHDRAWN},
    # A proposed agreement that is declined gives the coachee their open request back.
    NeedsAssessmentStatus.MATCHED: {NeedsAssessmentStatus.OPEN},
}
_NEEDS_EVENT = {NeedsAssessmentStatus.OPEN: "reopened", NeedsAssessmentStatus.MATCHED: "matched",
                NeedsAssessmentStatus.WITHDRAWN: "withdrawn"}


def _needs_assessment_transition(*, assessment: NeedsAssessment, to: str, actor, reason: str = "") -> None:
    if to not in NEEDS_ALLOWED.get(assessment.status, ()):
        raise ApplicationError("invalid_transition", f"A needs assessment cannot go from {assessment.status} to "
                               f"{to}.", status_code=409)
    moved = NeedsAssessment.objects.filter(pk=assessment.pk, status=assessment.status).update(
        status=to, updated_at=timezone.now())
    if moved != 1:
        raise ApplicationError("concurrent_change", "This needs assessment changed meanwhile; reload and retry.",
                               status_code=409)
    previous, assessment.status = assessment.status, to
    audit_record(actor=actor, action=f"needs_assessment.{_NEEDS_EVENT[to]}", target=assessment,
                 data={"from": previous, "to": to, "reason": reason})


def needs_assessment_withdraw(*, assessment: NeedsAssessment, actor, reason: str = "") -> NeedsAssessment:
    with transaction.atomic():
        _needs_assessment_transition(assessment=assessment, to=NeedsAssessmentStatus.WITHDRAWN, actor=actor,
                                     reason=reason)
    return assessment


# --- agreements -------------------------------------------------------------------------------------------

AGREEMENT_ALLOWED = {
    AgreementStatus.PROPOSED: {AgreementStatus.ACTIVE, AgreementStatus.TERMINATED},
    AgreementStatus.ACTIVE: {AgreementStatus.COMPLETED, AgreementStatus.TERMINATED},
}
_AGREEMENT_EVENT = {AgreementStatus.ACTIVE: "activated", AgreementStatus.COMPLETED: "completed",
                    AgreementStatus.TERMINATED: "terminated"}


def _agreement_transition(*, agreement: Agreement, to: str, actor, reason: str = "",
                          fields: dict | None = None) -> None:
    """The only place an agreement's status changes (compare-and-swap on the status it was read with)."""
    if to not in AGREEMENT_ALLOWED.get(agreement.status, ()):
        raise ApplicationError("invalid_transition", f"An agreement cannot go from {agreement.status} to {to}.",
                               status_code=409)
    now = timezone.now()
    updates = {"status": to, "updated_at": now, **(fields or {})}
    if to == AgreementStatus.ACTIVE:
        updates["activated_at"] = now
    if to in (AgreementStatus.COMPLETED, AgreementStatus.TERMINATED):
        updates["ended_at"] = now
    if to == AgreementStatus.TERMINATED:
        updates["termination_reason"] = reason
    moved = Agreement.objects.filter(pk=agreement.pk, status=agreement.status).update(**updates)
    if moved != 1:
        raise ApplicationError("concurrent_change", "This agreement changed meanwhile; reload and retry.",
                               status_code=409)
    previous = agreement.status
    for name, value in updates.items():
        setattr(agreement, name, value)
    audit_record(actor=actor, action=f"agreement.{_AGREEMENT_EVENT[to]}", target=agreement,
                 data={"from": previous, "to": to, "reason": reason,
                       **{k: _plain(v) for k, v in (fields or {}).items()}})


def agreement_propose(*, assessment: NeedsAssessment, coach: CoachProfile, actor, start_date: date,
                      end_date: date, cadence: str = Cadence.BIWEEKLY, goals: str = "",
                      confidentiality_terms: str = "", baseline_cycle_id: int | None = None) -> Agreement:
    """Staff confirm a match: the agreement is proposed to both parties and the coach's place is reserved.

    Capacity holds under concurrent confirmations: the coach's row is locked (SELECT ... FOR UPDATE) before their
    running agreements are counted, so a second confirmation for the same coach waits and then counts the first.
    """
    _require_staff(actor, "confirm a coaching match")
    if start_date < timezone.localdate():
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"start_date": ["An agreement cannot start in the past."]})
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
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={field: [f"No 360 cycle {cycle_id} evaluates this coachee."]})


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
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"reason": ["Say why the agreement ends."]})
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
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"rating": ["An outcome rating is a whole number from 1 to 5."]})


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
            raise ApplicationError("validation_error", "The request is not valid.",
                                   fields={"source_cycle_id": [f"Unknown 360 cycle {source}."]}) from exc
        Agreement.objects.filter(pk=agreement.pk).update(baseline_cycle_id=source, follow_up_cycle_id=cycle.pk,
                                                         updated_at=timezone.now())
        agreement.baseline_cycle_id, agreement.follow_up_cycle_id = source, cycle.pk
        audit_record(actor=actor, action="agreement.follow_up_started", target=agreement,
                     data={"baseline_cycle_id": source, "follow_up_cycle_id": cycle.pk, "opens_at": opens_at,
                           "closes_at": closes_at})
    return agreement


# --- session log ------------------------------------------------------------------------------------------


def coaching_session_record(*, agreement: Agreement, actor, held_on: date, duration_minutes: int,
                            topics: list[str] | None = None, private_notes: str = "") -> CoachingSession:
    """The coach logs a session of an active agreement. The private notes never enter the audit trail (staff read
    it): only whether there are any."""
    if agreement.coach.user_id != actor.pk:
        raise ApplicationError("permission_denied", "Only the agreement's coach logs its sessions.", status_code=403)
    if agreement.status != AgreementStatus.ACTIVE:
        raise ApplicationError("agreement_not_active", "Sessions are logged for active agreements.",
                               status_code=409)
    if not agreement.start_date <= held_on <= min(agreement.end_date, timezone.localdate()):
        raise ApplicationError("validation_error", "The request is not valid.", fields={"held_on": [
            f"A session is held between the agreement's start ({agreement.start_date}) and today or its end."]})
    session = CoachingSession(agreement=agreement, held_on=held_on, duration_minutes=duration_minutes,
                              topics=topics or [], private_notes=private_notes)
    full_clean_or_raise(session)
    with transaction.atomic():
        session.save()
        audit_record(actor=actor, action="coaching_session.recorded", target=session, data={
            "agreement": agreement.pk, "held_on": held_on, "duration_minutes": duration_minutes,
            "topics": session.topics, "has_private_notes": bool(private_notes)})
    return session

