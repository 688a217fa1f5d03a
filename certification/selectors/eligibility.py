"""The contract other apps use: an officer's certification standing."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone

from agencies.models import Officer

from ..models import (
    Determination,
    FindingStatus,
    OfficerCertificationStatus,
)

# --- the contract other apps use ---------------------------------------------------------------------------

FINDING_OPEN_STATUSES = [FindingStatus.RECORDED, FindingStatus.NOTICED, FindingStatus.RESPONDED]


@dataclass(frozen=True)
class OfficerEligibility:
    certification_status: str | None  # "active", "lapsed", "revoked", or None if never certified
    certification_valid_until: date | None
    permanently_ineligible: bool
    open_findings: int  # recorded but not yet determined
    sustained_findings: int


def officer_certification_effective_status(status: str | None, valid_until: date | None,
                                           today: date | None = None) -> str | None:
    """An active certification whose cycle has ended is lapsed, even before the daily sweep writes it."""
    today = today or timezone.localdate()
    if status == OfficerCertificationStatus.ACTIVE and valid_until is not None and valid_until < today:
        return OfficerCertificationStatus.LAPSED
    return status


def officer_eligibility_summary(*, officer_id: int) -> OfficerEligibility:
    """The officer's certification standing, in one query. Raises Officer.DoesNotExist for an unknown id."""
    row = (
        Officer.objects.filter(pk=officer_id)
        .annotate(
            open_n=Count("findings", filter=Q(findings__status__in=FINDING_OPEN_STATUSES)),
            sustained_n=Count("findings", filter=Q(findings__determination=Determination.SUSTAINED)),
        )
        .values("permanently_ineligible_at", "good_officer_certification__status",
                "good_officer_certification__valid_until", "open_n", "sustained_n")
        .first()
    )
    if row is None:
        raise Officer.DoesNotExist(f"No officer {officer_id}.")
    valid_until = row["good_officer_certification__valid_until"]
    return OfficerEligibility(
        certification_status=officer_certification_effective_status(row["good_officer_certification__status"],
                                                                     valid_until),
        certification_valid_until=valid_until,
        permanently_ineligible=row["permanently_ineligible_at"] is not None,
        open_findings=row["open_n"],
        sustained_findings=row["sustained_n"],
    )
