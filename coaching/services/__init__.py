"""Every write in coaching, one module per aggregate. Each business action runs in one transaction together with
its audit entry. `from coaching import services; services.agreement_propose(...)` keeps working: every public name
(and the private ones other modules use) is re-exported here."""

from .agreements import (
    AGREEMENT_ALLOWED,
    AGREEMENT_LIFECYCLE,
    AGREEMENT_VERBS,
    DEFAULT_CONFIDENTIALITY_TERMS,
    _agreement_transition,
    agreement_accept,
    agreement_complete,
    agreement_dates_validate,
    agreement_follow_up_start,
    agreement_outcome_record,
    agreement_propose,
    agreement_terminate,
    months_after,
)
from .coaches import COACH_FIELDS, COACH_STAFF_ONLY_FIELDS, coach_profile_create, coach_profile_update
from .needs import (
    ASSESSMENT_FIELDS,
    NEEDS_ASSESSMENT_ALLOWED,
    NEEDS_ASSESSMENT_LIFECYCLE,
    NEEDS_ASSESSMENT_VERBS,
    _needs_assessment_transition,
    coachee_create,
    needs_assessment_create,
    needs_assessment_prefill_from_360,
    needs_assessment_update,
    needs_assessment_withdraw,
    prefill_priority,
)
from .sessions import coaching_session_record

__all__ = [
    "AGREEMENT_ALLOWED", "AGREEMENT_LIFECYCLE", "AGREEMENT_VERBS", "ASSESSMENT_FIELDS", "COACH_FIELDS",
    "COACH_STAFF_ONLY_FIELDS", "DEFAULT_CONFIDENTIALITY_TERMS", "NEEDS_ASSESSMENT_ALLOWED",
    "NEEDS_ASSESSMENT_LIFECYCLE", "NEEDS_ASSESSMENT_VERBS", "_agreement_transition", "_needs_assessment_transition",
    "agreement_accept", "agreement_complete", "agreement_dates_validate", "agreement_follow_up_start",
    "agreement_outcome_record", "agreement_propose", "agreement_terminate", "coach_profile_create",
    "coach_profile_update", "coachee_create", "coaching_session_record", "months_after", "needs_assessment_create",
    "needs_assessment_prefill_from_360", "needs_assessment_update", "needs_assessment_withdraw", "prefill_priority",
]
