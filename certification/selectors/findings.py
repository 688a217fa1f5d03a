"""Findings, as each user may see them."""


from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from core.access import scope_to_agency

from ..models import (
    Finding,
)
from .finding_responses import FINDING_RESPONSES_PREFETCH

# --- findings ----------------------------------------------------------------------------------------------

def finding_visible_to(user) -> QuerySet[Finding]:
    """Agency administrators see findings about their officers (recorded against their agency, or about an officer
    now on their roster)."""
    qs = (Finding.objects.select_related("officer", "agency", "recorded_by", "determined_by", "verified_by",
                                         "representative")
          .prefetch_related(FINDING_RESPONSES_PREFETCH))  # each party's answers (finding_responses.py)
    if getattr(user, "is_authenticated", False) and user.is_agency_admin and not user.is_certification_staff:
        # The one place the agency's rows follow two links (the finding's agency, the officer's current agency).
        return qs.filter(Q(agency_id=user.agency_id) | Q(officer__agency_id=user.agency_id))
    return scope_to_agency(qs, user)  # staff all, anyone else none


def finding_get_for_user(*, user, finding_id) -> Finding:
    return get_object_or_404(finding_visible_to(user), pk=finding_id)
