"""The certification events in the audit ledger (staff only)."""


from django.db.models import Q, QuerySet

from core.models import AuditEvent

# --- ledger ------------------------------------------------------------------------------------------------

# The audit chain is the ledger (core/audit.py); these are the certification events in it.
LEDGER_ACTION_PREFIXES = ("certification_programme.", "programme_requirement.", "agency_certification.",
                          "requirement_status.", "plaque.", "officer_certification.", "finding.",
                          # Identity events: who a decertified person is stays on the certification record too.
                          "officer.permanently_ineligible", "officer.identity_", "officer.linked_same_person")


def ledger_visible_to(user) -> QuerySet[AuditEvent]:
    if not (user.is_authenticated and user.is_certification_staff):
        return AuditEvent.objects.none()
    condition = Q()
    for prefix in LEDGER_ACTION_PREFIXES:
        condition |= Q(action__startswith=prefix)
    return AuditEvent.objects.filter(condition).order_by("-sequence")
