"""Eligibility gates of a promotability report: each answers "yes", "no" or "unknown".

Certification and training are read only through their public selectors; if one fails at run time, the gate says
"unknown" rather than guessing (and the failure is logged), so a broken dependency never stops a report. The one fact
this app holds itself - an officer marked permanently ineligible - answers the certification gate with "no".
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from certification.selectors import officer_eligibility_summary
from training.selectors import officer_ce_hours

logger = logging.getLogger(__name__)

YES, NO, UNKNOWN = "yes", "no", "unknown"


def officer_eligibility_gates(*, officer, today: date | None = None) -> dict:
    """{"certification": {...}, "findings": {...}, "ce_hours": {...}}, each {"answer", "detail"}."""
    today = today or timezone.localdate()
    gates = {}
    summary = None
    try:
        summary = officer_eligibility_summary(officer_id=officer.pk)
    except Exception:  # a failing dependency must not stop the report; the gate says it does not know
        logger.exception("officer_eligibility_summary failed for officer %s", officer.pk)

    if officer.permanently_ineligible_at is not None or (summary is not None and summary.permanently_ineligible):
        gates["certification"] = {"answer": NO, "detail": "The officer is permanently ineligible."}
    elif summary is None:
        gates["certification"] = {"answer": UNKNOWN, "detail": "Certification records are not available."}
    elif summary.certification_status == "active" and (
        summary.certification_valid_until is None or summary.certification_valid_until >= today
    ):
        until = summary.certification_valid_until
        gates["certification"] = {"answer": YES, "detail": "Active officer certification"
                                  + (f" valid until {until.isoformat()}." if until else ".")}
    else:
        status = summary.certification_status or "none"
        gates["certification"] = {"answer": NO, "detail": f"No active officer certification (status: {status})."}

    if summary is None:
        gates["findings"] = {"answer": UNKNOWN, "detail": "Finding records are not available."}
    elif summary.open_findings or summary.sustained_findings:
        gates["findings"] = {"answer": NO, "detail": f"{summary.open_findings} open and "
                             f"{summary.sustained_findings} sustained excessive-force finding(s)."}
    else:
        gates["findings"] = {"answer": YES, "detail": "No open or sustained excessive-force finding."}

    required = Decimal(str(settings.OFFICER_CE_HOURS_PER_CYCLE))
    hours = None
    try:
        # CE is counted for the officer's licensing state: that is where the certification applies.
        hours = Decimal(str(officer_ce_hours(officer_id=officer.pk, start=today - timedelta(days=365), end=today,
                                             state=officer.state)))
    except Exception:
        logger.exception("officer_ce_hours failed for officer %s", officer.pk)
    if hours is None:
        gates["ce_hours"] = {"answer": UNKNOWN, "detail": "Training records are not available."}
    else:
        gates["ce_hours"] = {
            "answer": YES if hours >= required else NO,
            "detail": f"{hours.normalize():f} of {required.normalize():f} CE hours in the last 365 days.",
        }
    return gates
