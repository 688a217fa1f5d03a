"""Good Officer Certification reads, and the CE hours the services check."""

from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from core.access import scope_to_agency
from training.selectors import officer_ce_hours

from ..models import (
    OfficerCertification,
    OfficerCertificationCycle,
)

# --- officer certifications --------------------------------------------------------------------------------

def officer_certification_visible_to(user) -> QuerySet[OfficerCertification]:
    return scope_to_agency(OfficerCertification.objects.select_related("officer", "officer__agency"), user,
                           agency_field="officer__agency_id")


def officer_certification_get_for_user(*, user, certification_id) -> OfficerCertification:
    cycles = OfficerCertificationCycle.objects.order_by("-cycle_start")
    qs = officer_certification_visible_to(user).prefetch_related(Prefetch("cycles", queryset=cycles))
    return get_object_or_404(qs, pk=certification_id)


# --- helpers shared with services --------------------------------------------------------------------------

def officer_ce_hours_between(*, officer_id: int, start: date, end: date) -> Decimal:
    """CE hours from training for the window."""
    return Decimal(officer_ce_hours(officer_id=officer_id, start=start, end=end))
