"""Reads with access rules, and the loading of plain data for the matcher.

- Coach profiles: staff see all; a coach sees their own; an agency administrator sees active coaches (the API
  shows them only the public fields) so they can request coaching.
- Coachees and needs assessments: staff see all; an agency administrator those of their agency.
- Agreements: staff see all; a coach their own; an agency administrator those their agency sponsors.
- Session logs follow the agreement; the coach's private notes are only ever serialised for that coach.
A row the user may not see gives the same 404 as a missing one.
"""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from core.access import field_error, scope_to_agency
from core.exceptions import ApplicationError

from . import matching
from .models import (
    RUNNING_AGREEMENT_STATUSES,
    Agreement,
    Coachee,
    CoachingSession,
    CoachProfile,
    NeedPriority,
    NeedsAssessment,
    NeedsAssessmentStatus,
)

COHORT_MAX_ASSESSMENTS = 1000


def coach_profile_visible_to(user) -> QuerySet[CoachProfile]:
    qs = CoachProfile.objects.select_related("user", "former_agency").annotate(
        places_taken=Count("agreements", filter=Q(agreements__status__in=RUNNING_AGREEMENT_STATUSES)),
    ).order_by("user__last_name", "user__first_name", "id")  # Meta.ordering is not applied to aggregations
    if not user.is_authenticated:
        return qs.none()
    if user.is_certification_staff:
        return qs
    if user.is_agency_admin:
        return qs.filter(active=True)
    return qs.filter(user=user)


def coach_profile_get_for_user(*, user, coach_id) -> CoachProfile:
    return get_object_or_404(coach_profile_visible_to(user), pk=coach_id)


def coachee_visible_to(user) -> QuerySet[Coachee]:
    return scope_to_agency(Coachee.objects.select_related("agency", "officer"), user)


def coachee_get_for_user(*, user, coachee_id) -> Coachee:
    return get_object_or_404(coachee_visible_to(user), pk=coachee_id)


def needs_assessment_visible_to(user) -> QuerySet[NeedsAssessment]:
    qs = NeedsAssessment.objects.select_related("coachee__agency", "created_by").prefetch_related(
        Prefetch("priorities", queryset=NeedPriority.objects.order_by("area")),
        Prefetch("conflicts", queryset=CoachProfile.objects.only("id")),
    )
    return scope_to_agency(qs, user, agency_field="coachee__agency_id")


def needs_assessment_get_for_user(*, user, assessment_id) -> NeedsAssessment:
    return get_object_or_404(needs_assessment_visible_to(user), pk=assessment_id)


def agreement_visible_to(user) -> QuerySet[Agreement]:
    qs = Agreement.objects.select_related("coach__user", "coachee", "sponsor_agency")
    # Anybody else who is signed in sees the agreements they coach (none unless they are a coach).
    return scope_to_agency(qs, user, agency_field="sponsor_agency_id", others=qs.filter(coach__user_id=user.pk))


def agreement_get_for_user(*, user, agreement_id) -> Agreement:
    return get_object_or_404(agreement_visible_to(user), pk=agreement_id)


def coaching_sessions_of(*, agreement: Agreement) -> QuerySet[CoachingSession]:
    return CoachingSession.objects.filter(agreement=agreement).order_by("-held_on", "-id")


def agreement_party(*, agreement: Agreement, user) -> str | None:
    """"coach" for the agreement's coach; "sponsor" for staff or the sponsoring agency's administrator (who act
    for the coachee); None for anybody else."""
    if agreement.coach.user_id == user.pk:
        return "coach"
    if user.is_certification_staff or (user.is_agency_admin and user.agency_id == agreement.sponsor_agency_id):
        return "sponsor"
    return None


# --- data for the matcher ---------------------------------------------------------------------------------


def coach_running_load(coach_id: int) -> int:
    return Agreement.objects.filter(coach_id=coach_id, status__in=RUNNING_AGREEMENT_STATUSES).count()


def coach_candidate(coach: CoachProfile, *, load: int) -> matching.CoachCandidate:
    return matching.CoachCandidate(
        id=coach.pk, name=coach.display_name, years_in_leadership=coach.years_in_leadership,
        expertise_areas=frozenset(coach.expertise_areas), states=frozenset(coach.states),
        languages=frozenset(coach.languages), former_agency_id=coach.former_agency_id,
        free_slots=max(coach.capacity - load, 0),
    )


def coach_candidates_load() -> list[matching.CoachCandidate]:
    """Every active coach with their free slots, in one query."""
    coaches = (CoachProfile.objects.filter(active=True).select_related("user")
               .annotate(load=Count("agreements", filter=Q(agreements__status__in=RUNNING_AGREEMENT_STATUSES)))
               .order_by("id"))
    return [coach_candidate(coach, load=coach.load) for coach in coaches]


def needs_data(assessment: NeedsAssessment) -> matching.CoacheeNeeds:
    """Expects `priorities` and `conflicts` prefetched and `coachee__agency` selected (as the selectors do)."""
    return matching.CoacheeNeeds(
        id=assessment.pk, agency_id=assessment.coachee.agency_id, agency_state=assessment.coachee.agency.state,
        priorities={p.area: p.priority for p in assessment.priorities.all()},
        languages=tuple(assessment.languages), states=frozenset(assessment.states),
        remote_only=assessment.remote_only, conflict_coach_ids=frozenset(c.pk for c in assessment.conflicts.all()),
    )


def needs_assessment_matches(*, assessment: NeedsAssessment, limit: int = 5) -> list[matching.Match]:
    return matching.rank(needs_data(assessment), coach_candidates_load(), limit=limit)


@dataclass(frozen=True)
class CohortOutcome:
    result: matching.CohortResult
    assessments: dict[int, NeedsAssessment]
    not_open: list[NeedsAssessment]


def cohort_match(*, user, assessment_ids: list[int]) -> CohortOutcome:
    """Load the cohort (visible to `user`) and the coaches, then solve. Read-only: staff confirm afterwards."""
    ids = list(dict.fromkeys(assessment_ids))
    if not ids or len(ids) > COHORT_MAX_ASSESSMENTS:
        message = f"Give 1 to {COHORT_MAX_ASSESSMENTS} needs assessment ids."
        raise ApplicationError("validation_error", message, fields={"needs_assessment_ids": [message]})
    found = {a.pk: a for a in needs_assessment_visible_to(user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise field_error("needs_assessment_ids",
                          f"Unknown needs assessments: {', '.join(map(str, missing[:20]))}.")
    open_ones = [found[i] for i in ids if found[i].status == NeedsAssessmentStatus.OPEN]
    not_open = [found[i] for i in ids if found[i].status != NeedsAssessmentStatus.OPEN]
    result = matching.cohort_assign([needs_data(a) for a in open_ones], coach_candidates_load())
    return CohortOutcome(result=result, assessments=found, not_open=not_open)
