"""Every write in training, by aggregate. Each runs in one transaction together with its audit entry.

`from training import services; services.name` keeps working: every public name (and the private ones tests and
other modules reach) is re-exported here."""

from .catalogue import (
    COURSE_EDITABLE_FIELDS,
    TOOLKIT_TYPES,
    accreditation_set,
    course_create,
    course_update,
    instructor_account_link,
    instructor_designate,
    toolkit_resource_delete,
    toolkit_resource_upload,
)
from .credits import (
    CREDIT_IMPORT_OPTIONAL_COLUMNS,
    CREDIT_IMPORT_REQUIRED_COLUMNS,
    CreditImportResult,
    credits_import,
    credits_parse_csv,
)
from .enrollments import (
    ENROLLMENT_ALLOWED,
    ENROLLMENT_LIFECYCLE,
    ENROLLMENT_VERBS,
    MARKABLE,
    MAX_OFFICERS_PER_REQUEST,
    AttendanceOutcome,
    EnrollmentOutcome,
    _transition,
    attendance_record,
    completion_certificate_data,
    enrollment_cancel,
    enrollments_create,
)
from .qualifications import qualification_record, qualification_revoke
from .session_changes import SESSION_LIFECYCLE, session_cancel, session_update
from .sessions import session_create, session_instructor_assign, session_local_date, zone_get

__all__ = [
    "COURSE_EDITABLE_FIELDS", "CREDIT_IMPORT_OPTIONAL_COLUMNS", "CREDIT_IMPORT_REQUIRED_COLUMNS", "ENROLLMENT_ALLOWED",
    "ENROLLMENT_LIFECYCLE", "ENROLLMENT_VERBS", "MARKABLE", "MAX_OFFICERS_PER_REQUEST", "TOOLKIT_TYPES",
    "AttendanceOutcome", "CreditImportResult", "EnrollmentOutcome", "_transition", "accreditation_set",
    "attendance_record", "completion_certificate_data", "course_create", "course_update", "credits_import",
    "credits_parse_csv", "enrollment_cancel", "enrollments_create", "instructor_account_link",
    "instructor_designate", "session_create", "session_instructor_assign", "session_local_date",
    "toolkit_resource_delete", "toolkit_resource_upload", "zone_get",
    "SESSION_LIFECYCLE", "session_cancel", "session_update", "qualification_record", "qualification_revoke",
]
