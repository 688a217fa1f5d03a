"""Every write to people and agencies, by aggregate: users and agencies (`people`), officers and their identity
(`officers`), roster import (`roster`). Each write runs in one transaction with its audit entry."""

from .accounts import (
    ACCOUNT_ROLES,
    account_create,
    account_link,
    account_link_user,
    account_set_active,
    password_forgot,
    password_set_with_link,
)
from .officers import (
    IDENTITY_FIELDS,
    OFFICER_EDITABLE_FIELDS,
    identity_change_refusal,
    identity_review_decide,
    identity_review_refusal,
    ineligible_lookalikes,
    license_available_check,
    license_holder,
    license_refusal,
    officer_create,
    officer_identity_correct,
    officer_ineligibility_clear_refusal,
    officer_link_same_person,
    officer_mark_permanently_ineligible,
    officer_transfer,
    officer_update,
)
from .people import (
    AGENCY_EDITABLE_FIELDS,
    agency_create,
    agency_update,
    user_change_password,
    user_create,
    user_logout_everywhere,
    user_save,
    user_set_active,
)
from .roster import (
    ROSTER_OPTIONAL_COLUMNS,
    ROSTER_REQUIRED_COLUMNS,
    RosterImportResult,
    roster_import,
    roster_parse_csv,
)

__all__ = [
    "ACCOUNT_ROLES", "account_create", "account_link", "account_link_user", "account_set_active",
    "password_forgot", "password_set_with_link",
    "AGENCY_EDITABLE_FIELDS", "IDENTITY_FIELDS", "OFFICER_EDITABLE_FIELDS", "ROSTER_OPTIONAL_COLUMNS",
    "ROSTER_REQUIRED_COLUMNS", "RosterImportResult", "agency_create", "agency_update", "identity_change_refusal",
    "identity_review_decide", "identity_review_refusal", "ineligible_lookalikes", "license_available_check",
    "license_holder", "license_refusal", "officer_create", "officer_identity_correct",
    "officer_ineligibility_clear_refusal", "officer_link_same_person", "officer_mark_permanently_ineligible",
    "officer_transfer", "officer_update", "roster_import", "roster_parse_csv", "user_change_password", "user_create",
    "user_logout_everywhere", "user_save", "user_set_active",
]
