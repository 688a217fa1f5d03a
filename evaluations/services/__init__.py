"""Every write of the 360 evaluations. Each business action runs in one transaction with its audit entry.

One module per aggregate: instruments, cycles (lifecycle draft -> open -> closed -> report_ready -> released, one
`Lifecycle` in _common), invitations (raters, their links and the staff review of the list), feedback (the secret
link's questionnaire and the pooling at close), pipeline (aggregate -> summarise -> render -> notify, one Celery task
per step, each claiming its step first), review (staff edit and the signed release). Callers import from here.
"""

from ..eligibility import officer_eligibility_gates
from ._common import (
    CYCLE_ALLOWED,
    CYCLE_LIFECYCLE,
    CYCLE_VERBS,
    NOT_OBSERVED,
    PIPELINE_STALE_AFTER,
    REVIEWER,
    SCHEDULER,
    TOKEN_GUESS_SCOPE,
    _cycle_transition,
)
from .cycles import (
    cycle_close,
    cycle_create,
    cycle_create_follow_up,
    cycle_open,
    cycles_close_due,
    cycles_open_due,
)
from .feedback import (
    cycle_answers_pool,
    feedback_answers_clean,
    feedback_draft_save,
    feedback_invitation_resolve,
    feedback_submit,
)
from .instruments import (
    DEFAULT_INSTRUMENT_KEY,
    DEFAULT_ITEMS,
    DEFAULT_QUESTIONS,
    instrument_create,
    instrument_default,
    instrument_default_ensure,
    instrument_structure,
    instrument_update,
)
from .invitations import (
    RATERS_ALLOWED,
    RATERS_LIFECYCLE,
    RATERS_VERBS,
    feedback_url,
    invitation_create,
    invitation_delete,
    invitation_refuse,
    invitation_reminders_send,
    invitation_resend,
    raters_approve,
    raters_refuse,
    token_hash,
)
from .pipeline import (
    PIPELINE_THREADS,
    STEP_SERVICES,
    _step_claim,
    comments_redact,
    fallback_category,
    report_aggregate,
    report_notify,
    report_pdf_data,
    report_pipeline_start,
    report_pipelines_resume,
    report_render,
    report_summarise,
)
from .review import REVIEW_RULES, report_release, report_review_edit, report_review_use_builtin

__all__ = [
    "CYCLE_ALLOWED", "CYCLE_LIFECYCLE", "CYCLE_VERBS", "DEFAULT_INSTRUMENT_KEY", "DEFAULT_ITEMS", "DEFAULT_QUESTIONS",
    "NOT_OBSERVED", "PIPELINE_STALE_AFTER", "PIPELINE_THREADS", "RATERS_ALLOWED", "RATERS_LIFECYCLE", "RATERS_VERBS",
    "REVIEWER", "REVIEW_RULES", "SCHEDULER", "STEP_SERVICES", "TOKEN_GUESS_SCOPE", "_cycle_transition", "_step_claim",
    "comments_redact", "cycle_answers_pool", "cycle_close", "cycle_create", "cycle_create_follow_up", "cycle_open",
    "cycles_close_due", "cycles_open_due", "fallback_category", "feedback_answers_clean", "feedback_draft_save",
    "feedback_invitation_resolve", "feedback_submit", "feedback_url", "instrument_create", "instrument_default",
    "instrument_default_ensure", "instrument_structure", "instrument_update", "invitation_create", "invitation_delete",
    "invitation_refuse", "invitation_reminders_send", "invitation_resend", "officer_eligibility_gates",
    "raters_approve", "raters_refuse", "report_aggregate", "report_notify", "report_pdf_data", "report_pipeline_start",
    "report_pipelines_resume", "report_release", "report_render", "report_review_edit", "report_review_use_builtin",
    "report_summarise", "token_hash",
]
