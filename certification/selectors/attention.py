"""List filters for "what needs doing" (issue #14): certificates about to end and findings waiting past their date.

Each takes a queryset already scoped by its `*_visible_to` selector and only narrows it. "Today" is the server's
local date, as for the expiry sweep and plaque due dates; a certificate is valid through its `valid_until` day.
"""

from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import (
    AgencyCertification,
    AgencyCertificationStatus,
    Finding,
    FindingStatus,
    OfficerCertification,
    OfficerCertificationStatus,
)


def agency_certifications_expiring_filter(qs: QuerySet[AgencyCertification], *, within_days: int | None,
                                          today: date | None = None) -> QuerySet[AgencyCertification]:
    """Issued certificates whose last valid day is today or within the next `within_days` days."""
    if within_days is None:
        return qs
    today = today or timezone.localdate()
    return qs.filter(status=AgencyCertificationStatus.ISSUED, valid_until__gte=today,
                     valid_until__lte=today + timedelta(days=within_days))


def officer_certifications_lapsing_filter(qs: QuerySet[OfficerCertification], *, within_days: int | None,
                                          today: date | None = None) -> QuerySet[OfficerCertification]:
    """Active certifications whose cycle ends today or within the next `within_days` days (renew before then)."""
    if within_days is None:
        return qs
    today = today or timezone.localdate()
    return qs.filter(status=OfficerCertificationStatus.ACTIVE, valid_until__gte=today,
                     valid_until__lte=today + timedelta(days=within_days))


def findings_response_overdue_filter(qs: QuerySet[Finding], *, overdue: bool | None,
                                     today: date | None = None) -> QuerySet[Finding]:
    """Overdue: the notice went out, no response was recorded and the response date has passed (true); or every
    other finding (false)."""
    if overdue is None:
        return qs
    late = Q(status=FindingStatus.NOTICED, response_due_on__lt=today or timezone.localdate())
    return qs.filter(late) if overdue else qs.exclude(late)
