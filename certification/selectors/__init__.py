"""Reads with access rules, the checklist evaluation, the cross-app eligibility contract and the public registry,
by aggregate: `eligibility` (what other apps read), `agency_certifications` (programmes, checklist, certifications,
plaques), `officer_certifications`, `findings`, `ledger`, `public`.

Staff see everything. An agency administrator sees their agency's certifications, plaques, officer certifications
and the findings about their officers (core.access.scope_to_agency). Other roles see none of it. A row the user
may not see gives the same 404 as a missing one.
"""

from .agency_certifications import (
    RequirementEvaluation,
    TrainedShare,
    agency_certification_get_for_user,
    agency_certification_requirements_evaluate,
    agency_certification_visible_to,
    agency_trained_share,
    plaque_get_for_user,
    plaque_visible_to,
    plaques_overdue_filter,
    programme_get_for_user,
    programme_requirement_get_for_staff,
    programme_visible_to,
    requirement_document_get_for_user,
    requirement_status_get_for_user,
)
from .eligibility import (
    FINDING_OPEN_STATUSES,
    OfficerEligibility,
    officer_certification_effective_status,
    officer_eligibility_summary,
)
from .findings import (
    finding_get_for_user,
    finding_visible_to,
)
from .ledger import (
    LEDGER_ACTION_PREFIXES,
    ledger_visible_to,
)
from .officer_certifications import (
    officer_ce_hours_between,
    officer_certification_get_for_user,
    officer_certification_visible_to,
)
from .public import (
    INELIGIBLE_STATUS,
    PUBLIC_PAGE_SIZE_MAX,
    PUBLIC_QUERY_MIN_LENGTH,
    PUBLIC_RESULTS_MAX,
    REVOCATION_EXPORT_COLUMNS,
    REVOKED_CATEGORY_DEFAULT,
    public_agency_certificate,
    public_agency_search,
    public_employment_eligibility,
    public_metrics,
    public_officer_search,
    public_officers,
    public_revocations_export,
)

__all__ = [
    "FINDING_OPEN_STATUSES",
    "INELIGIBLE_STATUS",
    "LEDGER_ACTION_PREFIXES",
    "OfficerEligibility",
    "PUBLIC_PAGE_SIZE_MAX",
    "PUBLIC_QUERY_MIN_LENGTH",
    "PUBLIC_RESULTS_MAX",
    "REVOCATION_EXPORT_COLUMNS",
    "REVOKED_CATEGORY_DEFAULT",
    "RequirementEvaluation",
    "TrainedShare",
    "agency_certification_get_for_user",
    "agency_certification_requirements_evaluate",
    "agency_certification_visible_to",
    "agency_trained_share",
    "finding_get_for_user",
    "finding_visible_to",
    "ledger_visible_to",
    "officer_ce_hours_between",
    "officer_certification_effective_status",
    "officer_certification_get_for_user",
    "officer_certification_visible_to",
    "officer_eligibility_summary",
    "plaque_get_for_user",
    "plaque_visible_to",
    "plaques_overdue_filter",
    "programme_get_for_user",
    "programme_requirement_get_for_staff",
    "programme_visible_to",
    "public_agency_certificate",
    "public_agency_search",
    "public_employment_eligibility",
    "public_metrics",
    "public_officer_search",
    "public_officers",
    "public_revocations_export",
    "requirement_document_get_for_user",
    "requirement_status_get_for_user",
]
