"""Every certification write, by aggregate: programmes and their requirements (`programmes`), agency
certification and its checklist (`agency_certifications`), plaques (`plaques`), the Good Officer Certification
(`officer_certifications`), findings and linked officer records (`findings`). Each write runs in one transaction
together with its ledger entry (core.audit).

Lifecycles (agency certification, plaque, officer certification, finding) each move through ONE `core.transitions`
`Lifecycle` (a module constant with its allowed map and a compare-and-swap update); nothing else sets their `status`.
The daily sweeps are the set-based form of the same transitions (`Lifecycle.bulk_transition`): one UPDATE per sweep.
"""

from ._common import (
    agency_certificate_public_url,
)
from .agency_certifications import (
    AGENCY_CERTIFICATION_ALLOWED,
    AGENCY_CERTIFICATION_LIFECYCLE,
    AGENCY_CERTIFICATION_VERBS,
    agency_certification_apply,
    agency_certification_issue,
    agency_certification_reminders_send,
    agency_certification_renew,
    agency_certification_revoke,
    agency_certification_submit,
    agency_certifications_expire_due,
    requirement_attest,
    requirement_document_upload,
    requirement_status_mark,
)
from .finding_responses import (
    RESPONSE_MAX_FILES,
    finding_officer_notify,
    finding_representative_set,
    finding_response_add,
)
from .findings import (
    EVIDENCE_MAX_ITEMS,
    FINDING_ALLOWED,
    FINDING_LIFECYCLE,
    FINDING_VERBS,
    finding_determine,
    finding_notice,
    finding_record,
    finding_response_record,
    finding_verify,
    officer_records_link,
)
from .officer_certifications import (
    OFFICER_CERTIFICATION_ALLOWED,
    OFFICER_CERTIFICATION_LIFECYCLE,
    OFFICER_CERTIFICATION_VERBS,
    _officer_certification_transition,
    officer_certification_grant,
    officer_certification_renew,
    officer_certifications_lapse_due,
)
from .plaques import (
    PLAQUE_ALLOWED,
    PLAQUE_LIFECYCLE,
    PLAQUE_VERBS,
    PlaqueData,
    plaque_advance,
    plaque_pdf_data,
    plaques_overdue_digest_send,
)
from .programmes import (
    REQUIREMENT_EDITABLE_FIELDS,
    certification_programme_create,
    programme_requirement_create,
    programme_requirement_update,
)

__all__ = [
    "AGENCY_CERTIFICATION_ALLOWED",
    "AGENCY_CERTIFICATION_LIFECYCLE",
    "AGENCY_CERTIFICATION_VERBS",
    "EVIDENCE_MAX_ITEMS",
    "FINDING_ALLOWED",
    "FINDING_LIFECYCLE",
    "FINDING_VERBS",
    "OFFICER_CERTIFICATION_ALLOWED",
    "OFFICER_CERTIFICATION_LIFECYCLE",
    "OFFICER_CERTIFICATION_VERBS",
    "PLAQUE_ALLOWED",
    "PLAQUE_LIFECYCLE",
    "PLAQUE_VERBS",
    "PlaqueData",
    "REQUIREMENT_EDITABLE_FIELDS",
    "RESPONSE_MAX_FILES",
    "_officer_certification_transition",
    "agency_certificate_public_url",
    "finding_officer_notify",
    "finding_representative_set",
    "finding_response_add",
    "agency_certification_apply",
    "agency_certification_issue",
    "agency_certification_reminders_send",
    "agency_certification_renew",
    "agency_certification_revoke",
    "agency_certification_submit",
    "agency_certifications_expire_due",
    "certification_programme_create",
    "finding_determine",
    "finding_notice",
    "finding_record",
    "finding_response_record",
    "finding_verify",
    "officer_certification_grant",
    "officer_certification_renew",
    "officer_certifications_lapse_due",
    "officer_records_link",
    "plaque_advance",
    "plaque_pdf_data",
    "plaques_overdue_digest_send",
    "programme_requirement_create",
    "programme_requirement_update",
    "requirement_attest",
    "requirement_document_upload",
    "requirement_status_mark",
]
