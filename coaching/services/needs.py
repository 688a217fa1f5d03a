"""Coachees and their needs assessments (open -> matched / withdrawn; a declined proposal reopens it)."""

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Officer
from core.access import field_error
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.services import model_update_prepare
from core.transitions import Lifecycle
from core.vocabulary import COACHING_AREA_KEYS
from evaluations.selectors import officer_released_development_areas

from ..models import Coachee, CoachProfile, NeedPriority, NeedsAssessment, NeedsAssessmentStatus

ASSESSMENT_FIELDS = ("goals", "languages", "states", "remote_only")


def coachee_create(*, actor, agency: Agency, coachee_type: str, officer: Officer | None = None, first_name: str = "",
                   last_name: str = "", title: str = "", email: str = "") -> Coachee:
    if officer is not None:
        if officer.agency_id != agency.pk:
            raise field_error("officer", "This officer does not serve the coachee's agency.")
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
        raise field_error("conflicts", f"Unknown coaches: {', '.join(map(str, unknown))}.")
    return found


def _require_languages(languages) -> None:
    if not languages:
        raise field_error("languages", "Name at least one language the coachee is coached in.")


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


NEEDS_ASSESSMENT_ALLOWED = {
    NeedsAssessmentStatus.OPEN: {NeedsAssessmentStatus.MATCHED, NeedsAssessmentStatus.WITHDRAWN},
    # A proposed agreement that is declined gives the coachee their open request back.
    NeedsAssessmentStatus.MATCHED: {NeedsAssessmentStatus.OPEN},
}
NEEDS_ASSESSMENT_VERBS = {NeedsAssessmentStatus.OPEN: "reopened", NeedsAssessmentStatus.MATCHED: "matched",
                          NeedsAssessmentStatus.WITHDRAWN: "withdrawn"}
NEEDS_ASSESSMENT_LIFECYCLE = Lifecycle(model=NeedsAssessment, allowed=NEEDS_ASSESSMENT_ALLOWED,
                                       verbs=NEEDS_ASSESSMENT_VERBS, noun="needs_assessment")


def _needs_assessment_transition(*, assessment: NeedsAssessment, to: str, actor, reason: str = "") -> None:
    NEEDS_ASSESSMENT_LIFECYCLE.transition(obj=assessment, to=to, actor=actor, reason=reason,
                                          fields={"updated_at": timezone.now()})


def needs_assessment_withdraw(*, assessment: NeedsAssessment, actor, reason: str = "") -> NeedsAssessment:
    with transaction.atomic():
        _needs_assessment_transition(assessment=assessment, to=NeedsAssessmentStatus.WITHDRAWN, actor=actor,
                                     reason=reason)
    return assessment

