"""Reads with access rules.

Staff see every cycle; an agency administrator sees the cycles their agency sponsors; nobody else sees any. The
report is visible to staff once the pipeline produced it, and to the sponsoring agency only after release: before
that it is the same 404 as a missing one. No selector returns anything that joins a rater to their answers.
"""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from core.access import scope_to_agency

from .models import Competency, Cycle, CycleStatus, Instrument, Invitation, Item, PipelineStep, Report


def instrument_visible_to(user) -> QuerySet[Instrument]:
    qs = Instrument.objects.all()
    if not user.is_authenticated or not (user.is_certification_staff or user.is_agency_admin):
        return qs.none()
    items = Item.objects.order_by("position", "id")
    return qs.prefetch_related(
        Prefetch("competencies", queryset=Competency.objects.order_by("position", "id").prefetch_related(
            Prefetch("items", queryset=items))),
        "questions",
    ).order_by("key", "-version")


def instrument_get_for_user(*, user, instrument_id: int) -> Instrument:
    return get_object_or_404(instrument_visible_to(user), pk=instrument_id)


def cycle_visible_to(user) -> QuerySet[Cycle]:
    qs = Cycle.objects.select_related("subject", "agency", "instrument", "raters_reviewed_by").annotate(
        # Refused raters do not count: they are never sent and their answers (if any) were discarded.
        invitations_total=Count("invitations", filter=Q(invitations__refused_at__isnull=True), distinct=True),
        invitations_submitted=Count("invitations", filter=Q(invitations__submitted_at__isnull=False,
                                                            invitations__refused_at__isnull=True), distinct=True),
    ).order_by("-created_at", "-id")  # explicit: Meta.ordering does not apply to aggregated querysets
    return scope_to_agency(qs, user)


def cycle_get_for_user(*, user, cycle_id: int) -> Cycle:
    qs = cycle_visible_to(user).prefetch_related(
        Prefetch("pipeline_steps", queryset=PipelineStep.objects.order_by("position")))
    return get_object_or_404(qs, pk=cycle_id)


def cycle_invitations(*, cycle: Cycle) -> QuerySet[Invitation]:
    return cycle.invitations.order_by("relationship", "id")


def invitation_get_for_user(*, user, cycle_id: int, invitation_id: int) -> Invitation:
    cycle = cycle_get_for_user(user=user, cycle_id=cycle_id)
    return get_object_or_404(Invitation.objects.select_related("cycle"), cycle=cycle, pk=invitation_id)


def report_get_for_user(*, user, cycle_id: int) -> Report:
    cycle = cycle_get_for_user(user=user, cycle_id=cycle_id)
    visible = {CycleStatus.REPORT_READY, CycleStatus.RELEASED} if user.is_certification_staff \
        else {CycleStatus.RELEASED}
    qs = Report.objects.select_related("cycle__subject", "cycle__agency", "released_by").filter(
        cycle=cycle, cycle__status__in=visible)
    return get_object_or_404(qs)


def cycle_subject_id(*, cycle_id: int) -> int | None:
    """The officer a 360 cycle evaluates, or None when there is no such cycle. Other apps use it to check that a
    cycle they are given belongs to their person (coaching's baseline cycle)."""
    return Cycle.objects.filter(pk=cycle_id).values_list("subject_id", flat=True).first()


def officer_released_development_areas(*, officer_id: int) -> list[str] | None:
    """Competency keys of the development areas in the officer's most recent released report, most needed first;
    None when the officer has no released report. (For coaching's needs assessment; no access rule: the caller
    applies its own.)"""
    report = (Report.objects.filter(cycle__subject_id=officer_id, cycle__status=CycleStatus.RELEASED,
                                    released_at__isnull=False)
              .order_by("-released_at", "-id").values_list("development_areas", flat=True).first())
    if report is None:
        return None
    return list(report)


# --- the subject's own account (/me/officer/reports/) --------------------------------------------------------

def report_released_to_subject(user) -> QuerySet[Report]:
    """Released reports about the signed-in officer whose cycle releases them to the subject (none for any other
    account). The report holds only anonymised groups: the subject never learns who said what."""
    officer_id = user.officer_id if getattr(user, "is_authenticated", False) and user.is_officer else None
    qs = Report.objects.select_related("cycle__subject", "cycle__agency", "released_by").order_by(
        "-released_at", "-id")
    if not officer_id:
        return qs.none()
    return qs.filter(cycle__subject_id=officer_id, cycle__release_to_subject=True,
                     cycle__status=CycleStatus.RELEASED, released_at__isnull=False)


def report_released_to_subject_get(*, user, cycle_id: int) -> Report:
    return get_object_or_404(report_released_to_subject(user), cycle_id=cycle_id)
