"""What several aggregates of the evaluations services share: actor names, limits, and the cycle lifecycle (used by
cycles, the pipeline's notify step and the release)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.access import require_staff
from core.exceptions import ApplicationError
from core.transitions import Lifecycle

from ..models import Cycle, CycleStatus

NOT_OBSERVED = "not_observed"
PIPELINE_STALE_AFTER = timedelta(minutes=15)
TOKEN_GUESS_SCOPE = "evaluations.feedback-token"  # noqa: S105 - a rate-limit scope name, not a secret
SCHEDULER = "evaluations-scheduler"
REVIEWER = "feedback-link"

# --- the cycle lifecycle ---------------------------------------------------------------------------------------

CYCLE_ALLOWED = {
    CycleStatus.DRAFT: {CycleStatus.OPEN},
    CycleStatus.OPEN: {CycleStatus.CLOSED},
    CycleStatus.CLOSED: {CycleStatus.REPORT_READY},
    CycleStatus.REPORT_READY: {CycleStatus.RELEASED},
}
CYCLE_VERBS = {CycleStatus.OPEN: "opened", CycleStatus.CLOSED: "closed", CycleStatus.REPORT_READY: "report_ready",
               CycleStatus.RELEASED: "released"}
_CYCLE_STAMP = {CycleStatus.OPEN: "opened_at", CycleStatus.CLOSED: "closed_at",
                CycleStatus.REPORT_READY: "report_ready_at", CycleStatus.RELEASED: "released_at"}

CYCLE_LIFECYCLE = Lifecycle(model=Cycle, allowed=CYCLE_ALLOWED, verbs=CYCLE_VERBS, noun="evaluation_cycle")


def _cycle_transition(*, cycle: Cycle, to: str, actor, reason: str = "", data: dict | None = None) -> Cycle:
    """Move the cycle (compare-and-swap) and stamp when it reached `to` in the same UPDATE."""
    return CYCLE_LIFECYCLE.transition(obj=cycle, to=to, actor=actor, reason=reason, data=data,
                                      fields={_CYCLE_STAMP[to]: timezone.now()})


def _require_staff_member(actor, what: str) -> None:
    """A named staff member, never a system job: rater-list review and the report's sign-off are decisions a person
    signs (core's `require_staff` lets a job named by a string act as staff, which is right for sweeps, not here)."""
    if isinstance(actor, str):
        raise ApplicationError("permission_denied", f"Only certification staff {what}.", status_code=403)
    require_staff(actor, what)
