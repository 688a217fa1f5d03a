"""Who reads which answer to a finding (issue #18), and an officer's own findings.

- Staff read every answer, the officer's and the agency's, side by side, and the officer's representative.
- The agency administrator reads the agency's own answers only: the officer's answer is the officer's voice, not
  the employer's (it may be about the employer), and staff decide what to disclose; nor do they see the officer's
  representative.
- The officer reads their own answers and the agency's: the agency's answer is made about the officer, to the body
  that decides about them, and due process means knowing what is said against you and being able to answer it.
  An officer reads only findings about their own record, from the notice on (before it, staff are still assessing),
  never another officer's (the same 404 as a missing one).
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from agencies.selectors import officer_of_account

from ..models import (
    Determination,
    Finding,
    FindingResponse,
    FindingResponseAuthor,
    FindingResponseDocument,
    FindingStatus,
)

FINDING_RESPONSES_PREFETCH = Prefetch(
    "responses", queryset=FindingResponse.objects.prefetch_related("documents").order_by("received_at", "id"))


def finding_response_kinds_visible_to(user) -> frozenset[str]:
    """The answers (by author kind) this user may read on a finding they can see."""
    if getattr(user, "is_certification_staff", False) or getattr(user, "is_officer", False):
        return frozenset(FindingResponseAuthor.values)
    if getattr(user, "is_agency_admin", False):
        return frozenset({FindingResponseAuthor.AGENCY})
    return frozenset()


def finding_responses_for(*, user, finding: Finding, author_kind: str) -> list[FindingResponse] | None:
    """The answers of one party that `user` may read (from the prefetch when present); None: not disclosed."""
    if author_kind not in finding_response_kinds_visible_to(user):
        return None
    return [r for r in finding.responses.all() if r.author_kind == author_kind]


def finding_representative_visible(*, user, finding: Finding):
    """The officer's representative, for staff and the officer (None for everybody else or when none is named)."""
    if not (getattr(user, "is_certification_staff", False) or getattr(user, "is_officer", False)):
        return None
    return getattr(finding, "representative", None)


def officer_own_findings(*, user) -> QuerySet[Finding]:
    """The findings about the signed-in officer's own record, from the notice on; nothing for any other account."""
    officer = officer_of_account(user)
    if officer is None:
        return Finding.objects.none()
    return (Finding.objects.filter(officer_id=officer.pk).exclude(status=FindingStatus.RECORDED)
            .select_related("officer", "agency", "representative").prefetch_related(FINDING_RESPONSES_PREFETCH)
            .order_by("-noticed_at", "-id"))


def officer_own_finding_get(*, user, finding_id) -> Finding:
    return get_object_or_404(officer_own_findings(user=user), pk=finding_id)


def finding_response_document_get_for_user(*, user, document_id, finding_visible) -> FindingResponseDocument:
    """A document of an answer the user may read, on a finding they can see (`finding_visible`); else 404."""
    document = (FindingResponseDocument.objects.select_related("response")
                .filter(pk=document_id, response__finding__in=finding_visible.values("pk")).first())
    if document is None or document.response.author_kind not in finding_response_kinds_visible_to(user):
        raise Http404
    return document


class EligibilityEffect:
    """What a finding means for the officer's eligibility for the Good Officer Certification, by where it stands."""

    NONE = "none"
    PENDING = "pending"
    AWAITING_VERIFICATION = "awaiting_verification"
    PERMANENTLY_INELIGIBLE = "permanently_ineligible"
    CHOICES = [
        (NONE, "No effect on your eligibility"),
        (PENDING, "No effect unless it is determined sustained and verified"),
        (AWAITING_VERIFICATION, "Sustained: takes effect only once a second staff member verifies it"),
        (PERMANENTLY_INELIGIBLE, "Verified: your certification is revoked and you are permanently ineligible"),
    ]
    TEXT = dict(CHOICES)

    @classmethod
    def of(cls, finding: Finding) -> str:
        if finding.status == FindingStatus.VERIFIED:
            return cls.PERMANENTLY_INELIGIBLE
        if finding.status == FindingStatus.DETERMINED:
            return cls.AWAITING_VERIFICATION if finding.determination == Determination.SUSTAINED else cls.NONE
        return cls.PENDING
ELIGIBILITY_EFFECT_CHOICES = EligibilityEffect.CHOICES  # the OpenAPI enum (SPECTACULAR_SETTINGS)
