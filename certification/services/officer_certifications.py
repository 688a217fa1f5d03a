"""The Good Officer Certification aggregate: grant, renew, lapse, revoke."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Officer
from core.access import require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError
from core.transitions import Lifecycle

from ..models import (
    Determination,
    Finding,
    OfficerCertification,
    OfficerCertificationCycle,
    OfficerCertificationStatus,
    RevocationCategory,
)
from ..selectors import officer_ce_hours_between
from ._common import _one_year_cycle, _user_or_none

# --- officer certification (Good Officer Certification) -----------------------------------------------------

OCS = OfficerCertificationStatus
OFFICER_CERTIFICATION_ALLOWED = {
    OCS.ACTIVE: {OCS.LAPSED, OCS.REVOKED},
    OCS.LAPSED: {OCS.ACTIVE, OCS.REVOKED},
    # OCS.REVOKED: nothing, ever (PostgreSQL's trigger holds this for every client).
}
OFFICER_CERTIFICATION_VERBS = {OCS.ACTIVE: "regranted", OCS.LAPSED: "lapsed", OCS.REVOKED: "revoked"}


OFFICER_CERTIFICATION_LIFECYCLE = Lifecycle(model=OfficerCertification, allowed=OFFICER_CERTIFICATION_ALLOWED,
                                            verbs=OFFICER_CERTIFICATION_VERBS, noun="officer_certification")


def _officer_certification_transition(*, certification, to, actor, reason="", fields=None, data=None):
    return OFFICER_CERTIFICATION_LIFECYCLE.transition(obj=certification, to=to, actor=actor, reason=reason,
                                                      fields=fields, data=data)


def _officer_may_be_certified(officer: Officer) -> Officer:
    """Lock the officer row (a racing verification marks it first) and check the permanent rules."""
    locked = Officer.objects.select_for_update().get(pk=officer.pk)
    if locked.permanently_ineligible_at is not None:
        raise ApplicationError("officer_permanently_ineligible", "This officer's certification was revoked after a "
                               "verified finding; they can never be certified again.", status_code=409)
    if Finding.objects.filter(officer_id=officer.pk, determination=Determination.SUSTAINED).exists():
        raise ApplicationError("sustained_finding", "This officer has a sustained excessive-force finding.",
                               status_code=409)
    return locked


def _ce_hours_check(*, officer: Officer, start: date, end: date) -> Decimal:
    hours = officer_ce_hours_between(officer_id=officer.pk, start=start, end=end)
    required = Decimal(str(settings.OFFICER_CE_HOURS_PER_CYCLE))
    if hours < required:
        raise ApplicationError("insufficient_ce_hours",
                               f"{hours} CE hours between {start} and {end}; {required} are required.",
                               status_code=409, fields={"ce_hours": [f"{hours} of {required} required."]})
    return hours


def officer_certification_grant(*, actor, officer: Officer, today: date | None = None) -> OfficerCertification:
    """Grant the Good Officer Certification (or grant it again after it lapsed) for a cycle starting today. The
    officer needs the CE hours in the twelve months up to today and no sustained finding."""
    require_staff(actor, "may grant certifications")
    today = today or timezone.localdate()
    window_start, window_end = today - timedelta(days=365), today
    now = timezone.now()
    with transaction.atomic():
        officer = _officer_may_be_certified(officer)
        existing = OfficerCertification.objects.select_for_update().filter(officer=officer).first()
        if existing is not None and existing.status == OCS.REVOKED:
            raise ApplicationError("certification_revoked", "This officer's certification was revoked; revocation "
                                   "is final.", status_code=409)
        if existing is not None and existing.status == OCS.ACTIVE:
            raise ApplicationError("already_certified", "This officer is certified; renew the certification "
                                   "instead.", status_code=409)
        hours = _ce_hours_check(officer=officer, start=window_start, end=window_end)
        cycle = {"cycle_start": today, "valid_until": _one_year_cycle(today)}
        data = {"ce_hours": hours, "ce_window": [window_start, window_end], **cycle}
        if existing is None:
            certification = OfficerCertification.objects.create(officer=officer, granted_at=now, **cycle)
            audit_record(actor=actor, action="officer_certification.granted", target=certification, data=data)
        else:
            certification = _officer_certification_transition(certification=existing, to=OCS.ACTIVE, actor=actor,
                                                              fields={**cycle, "granted_at": now, "lapsed_at": None},
                                                              data=data)
        OfficerCertificationCycle.objects.create(
            certification=certification, cycle_start=today, cycle_end=cycle["valid_until"], ce_hours=hours,
            ce_window_start=window_start, ce_window_end=window_end, granted_at=now, granted_by=_user_or_none(actor))
    return certification


def officer_certification_renew(*, actor, certification: OfficerCertification) -> OfficerCertification:
    """Renew an active certification for the next cycle, with the CE hours earned in the current one."""
    require_staff(actor, "may renew certifications")
    if certification.status != OCS.ACTIVE:
        raise ApplicationError("not_renewable", f"A {certification.status} certification cannot be renewed"
                               + ("; grant it again." if certification.status == OCS.LAPSED else "."),
                               status_code=409)
    start, end = certification.cycle_start, certification.valid_until
    next_start = end + timedelta(days=1)
    next_end = _one_year_cycle(next_start)
    now = timezone.now()
    with transaction.atomic():
        officer = _officer_may_be_certified(certification.officer)
        hours = _ce_hours_check(officer=officer, start=start, end=end)
        # Compare-and-swap on the cycle: two renewals of the same cycle cannot both move it. (Not a status change.)
        moved = OfficerCertification.objects.filter(pk=certification.pk, status=OCS.ACTIVE, cycle_start=start) \
            .update(cycle_start=next_start, valid_until=next_end, renewed_at=now)
        if moved != 1:
            raise ApplicationError("concurrent_change", "This certification changed meanwhile; reload and retry.",
                                   status_code=409)
        certification.cycle_start, certification.valid_until, certification.renewed_at = next_start, next_end, now
        OfficerCertificationCycle.objects.create(
            certification=certification, cycle_start=next_start, cycle_end=next_end, ce_hours=hours,
            ce_window_start=start, ce_window_end=end, granted_at=now, granted_by=_user_or_none(actor))
        audit_record(actor=actor, action="officer_certification.renewed", target=certification,
                     data={"ce_hours": hours, "ce_window": [start, end], "cycle_start": next_start,
                           "valid_until": next_end})
    return certification


def officer_certifications_lapse_due(*, today: date | None = None,
                                     actor="officer-certification-lapse-sweep") -> list[int]:
    """Daily sweep: active certifications whose cycle ended unrenewed become lapsed, in one UPDATE."""
    today = today or timezone.localdate()
    with transaction.atomic():
        return OFFICER_CERTIFICATION_LIFECYCLE.bulk_transition(
            queryset=OfficerCertification.objects.filter(valid_until__lt=today),
            from_status=OCS.ACTIVE, to=OCS.LAPSED, actor=actor, fields={"lapsed_at": timezone.now()},
            reason="cycle ended without renewal",
        )


def _officer_certifications_revoke(*, officer: Officer, actor, now, reason: str, finding: Finding | None) -> list[int]:
    revoked = []
    for certification in OfficerCertification.objects.select_for_update().filter(
            officer=officer, status__in=[OCS.ACTIVE, OCS.LAPSED]):
        _officer_certification_transition(
            certification=certification, to=OCS.REVOKED, actor=actor, reason=reason,
            fields={"revoked_at": now, "revocation_category": RevocationCategory.SUSTAINED_FINDING,
                    "revoked_by_finding": finding},
            data={"finding": finding.pk if finding else None})
        revoked.append(certification.pk)
    return revoked
