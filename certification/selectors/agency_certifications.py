"""Agency certification reads: programmes, the checklist and its evaluation, certifications, plaques."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from agencies.models import Officer
from core.access import scope_to_agency
from training.models import Course
from training.selectors import agency_officers_completed_any_course_count

from ..models import (
    AgencyCertification,
    CertificationProgramme,
    ComputedRule,
    Plaque,
    PlaqueStatus,
    ProgrammeRequirement,
    RequirementKind,
    RequirementState,
    RequirementStatus,
)

# --- checklist evaluation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequirementEvaluation:
    status_id: int
    requirement_id: int
    code: str
    title: str
    kind: str
    state: str
    met: bool
    detail: str


@dataclass(frozen=True)
class TrainedShare:
    completed: int
    denominator: int
    percent_required: int
    course_codes: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return self.denominator > 0 and self.completed * 100 >= self.percent_required * self.denominator


def agency_trained_share(*, agency, requirement: ProgrammeRequirement | None = None) -> TrainedShare:
    """Live from training: how many of the agency's officers completed any of the requirement's courses (data staff
    maintain, `ProgrammeRequirement.courses`), against its sworn headcount (or, when that is 0, its roster). Without
    a requirement: the courses every active trained-share requirement names."""
    if requirement is not None:
        courses = list(requirement.courses.order_by("code").values_list("pk", "code"))
    else:
        courses = list(Course.objects.filter(
            programme_requirements__computed_rule=ComputedRule.TRAINED_SHARE,
            programme_requirements__is_active=True).distinct().order_by("code").values_list("pk", "code"))
    completed = agency_officers_completed_any_course_count(agency_id=agency.pk,
                                                           course_ids=[pk for pk, _ in courses])
    denominator = agency.sworn_headcount or Officer.objects.filter(agency_id=agency.pk).count()
    return TrainedShare(completed=completed, denominator=denominator,
                        percent_required=settings.AGENCY_TRAINED_SHARE_PERCENT,
                        course_codes=tuple(code for _, code in courses))


def _computed_evaluation(requirement, agency, cache: dict) -> tuple[bool, str]:
    if requirement.computed_rule == ComputedRule.TRAINED_SHARE:
        key = ("trained_share", requirement.pk)
        if key not in cache:
            cache[key] = agency_trained_share(agency=agency, requirement=requirement)
        share = cache[key]
        if not share.course_codes:
            return False, "No course is named for this requirement yet; certification staff set its courses."
        named = " or ".join(share.course_codes)
        return share.met, (f"{share.completed} of {share.denominator} sworn officers completed {named}; "
                           f"{share.percent_required}% required.")
    return False, f"Unknown rule {requirement.computed_rule!r}."


def agency_certification_requirements_evaluate(*, certification: AgencyCertification) -> list[RequirementEvaluation]:
    """The certification's checklist with every item's standing; computed items are evaluated now."""
    cache: dict = {}
    evaluations = []
    statuses = certification.requirements.select_related("requirement").order_by("requirement__position",
                                                                                  "requirement_id")
    for status in statuses:
        requirement = status.requirement
        if requirement.kind == RequirementKind.COMPUTED:
            met, detail = _computed_evaluation(requirement, certification.agency, cache)
            state = RequirementState.MET if met else RequirementState.PENDING
        else:
            met, state, detail = status.state == RequirementState.MET, status.state, status.note
        evaluations.append(RequirementEvaluation(
            status_id=status.pk, requirement_id=requirement.pk, code=requirement.code, title=requirement.title,
            kind=requirement.kind, state=state, met=met, detail=detail,
        ))
    return evaluations


# --- programmes --------------------------------------------------------------------------------------------

def programme_visible_to(user) -> QuerySet[CertificationProgramme]:
    qs = CertificationProgramme.objects.prefetch_related(
        Prefetch("requirements", queryset=ProgrammeRequirement.objects.order_by("position", "id")
                 .prefetch_related("courses"))
    )
    if not user.is_authenticated:
        return qs.none()
    if user.is_certification_staff or user.is_agency_admin:
        return qs
    return qs.none()


def programme_get_for_user(*, user, programme_id) -> CertificationProgramme:
    return get_object_or_404(programme_visible_to(user), pk=programme_id)


def programme_requirement_get_for_staff(*, user, requirement_id) -> ProgrammeRequirement:
    qs = ProgrammeRequirement.objects.select_related("programme")
    if not (user.is_authenticated and user.is_certification_staff):
        qs = qs.none()
    return get_object_or_404(qs, pk=requirement_id)


# --- agency certifications ---------------------------------------------------------------------------------

def agency_certification_visible_to(user) -> QuerySet[AgencyCertification]:
    return scope_to_agency(AgencyCertification.objects.select_related("agency", "programme", "plaque"), user)


def agency_certification_get_for_user(*, user, certification_id) -> AgencyCertification:
    return get_object_or_404(agency_certification_visible_to(user), pk=certification_id)


def requirement_status_get_for_user(*, user, status_id) -> RequirementStatus:
    qs = RequirementStatus.objects.select_related("requirement", "certification", "certification__agency")
    return get_object_or_404(scope_to_agency(qs, user, agency_field="certification__agency_id"), pk=status_id)


def requirement_document_get_for_user(*, user, status_id) -> RequirementStatus:
    """The checklist line whose uploaded document the user may download: staff, or an administrator of the agency
    that uploaded it. Another agency's line, a line without a document and a missing line are the same 404."""
    status = requirement_status_get_for_user(user=user, status_id=status_id)
    if not status.document:
        raise Http404("No document.")
    return status


# --- plaques -----------------------------------------------------------------------------------------------

def plaque_visible_to(user) -> QuerySet[Plaque]:
    qs = Plaque.objects.select_related("certification", "certification__agency", "certification__programme")
    return scope_to_agency(qs, user, agency_field="certification__agency_id")


def plaques_overdue_filter(qs: QuerySet[Plaque], *, overdue: bool | None, today: date | None = None):
    """Overdue: not delivered and past the date the programme promised (PLAQUE_DUE_DAYS after issue)."""
    if overdue is None:
        return qs
    late = Q(due_on__lt=today or timezone.localdate()) & ~Q(status=PlaqueStatus.DELIVERED)
    return qs.filter(late) if overdue else qs.exclude(late)


def plaque_get_for_user(*, user, plaque_id) -> Plaque:
    return get_object_or_404(plaque_visible_to(user), pk=plaque_id)
