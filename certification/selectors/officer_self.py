"""An officer's own standing (issue #18, /me/officer/): their Good Officer Certification with its history, and
their CE credits per certification cycle and per state with what is still needed. Only the signed-in officer's
own record: every other account gets nothing (the API answers 403 before asking)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from agencies.models import Officer
from agencies.selectors import officer_of_account
from training.selectors import officer_transcript

from ..models import OfficerCertification, OfficerCertificationStatus
from .eligibility import officer_certification_effective_status, officer_eligibility_summary


@dataclass(frozen=True)
class CreditWindow:
    label: str  # "cycle" (hours that qualified a past cycle), "renewal" or "certification" (what counts now)
    start: date
    end: date
    hours: Decimal
    hours_by_state: dict
    required_hours: Decimal
    still_needed: Decimal


@dataclass(frozen=True)
class OwnStanding:
    officer: Officer
    certification: OfficerCertification | None
    status: str | None
    permanently_ineligible: bool
    sustained_findings: int
    blocked_by: list[str]
    current: CreditWindow | None
    cycles: list = field(default_factory=list)


def _own_officer(user) -> Officer:
    officer = officer_of_account(user)
    if officer is None:
        raise Http404
    return officer


def _window(officer: Officer, label: str, start: date, end: date) -> CreditWindow:
    transcript = officer_transcript(officer=officer, start=start, end=end)
    required = Decimal(str(settings.OFFICER_CE_HOURS_PER_CYCLE))
    return CreditWindow(label=label, start=start, end=end, hours=transcript.total_hours,
                        hours_by_state=transcript.hours_by_state, required_hours=required,
                        still_needed=max(Decimal("0.00"), required - transcript.total_hours))


def officer_own_standing(*, user, today: date | None = None) -> OwnStanding:
    """The signed-in officer's certification, its cycles with the CE hours per state that qualified each, and the
    window that counts now: the current cycle (for renewal) or the last twelve months (to be certified)."""
    officer = _own_officer(user)
    today = today or timezone.localdate()
    summary = officer_eligibility_summary(officer_id=officer.pk)
    certification = (OfficerCertification.objects.filter(officer=officer).prefetch_related("cycles").first())
    status = officer_certification_effective_status(certification.status, certification.valid_until, today) \
        if certification else None
    blocked = []
    if summary.permanently_ineligible:
        blocked.append("permanently_ineligible")
    if summary.sustained_findings:
        blocked.append("sustained_finding")
    if status == OfficerCertificationStatus.REVOKED:
        blocked.append("revoked")
    current = None
    if not blocked:
        if status == OfficerCertificationStatus.ACTIVE:
            current = _window(officer, "renewal", certification.cycle_start, certification.valid_until)
        else:
            current = _window(officer, "certification", today - timedelta(days=365), today)
    cycles = []
    if certification:
        for cycle in sorted(certification.cycles.all(), key=lambda c: c.cycle_start, reverse=True):
            cycles.append({"cycle_start": cycle.cycle_start, "cycle_end": cycle.cycle_end,
                           "granted_at": cycle.granted_at, "qualifying_hours": cycle.ce_hours,
                           "credits": _window(officer, "cycle", cycle.ce_window_start, cycle.ce_window_end)})
    return OwnStanding(officer=officer, certification=certification, status=status,
                       permanently_ineligible=summary.permanently_ineligible,
                       sustained_findings=summary.sustained_findings, blocked_by=blocked, current=current,
                       cycles=cycles)
