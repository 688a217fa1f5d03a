"""/api/v1/me/officer/...: an officer's own certification standing (officer accounts only)."""

from django.urls import path

from .apis import officer_findings, officer_self

urlpatterns = [
    path("credits/", officer_self.OfficerOwnCreditsApi.as_view(), name="me-officer-credits"),
    path("certification/", officer_self.OfficerOwnCertificationApi.as_view(), name="me-officer-certification"),
    # Due process on findings about the officer (issue #18).
    path("findings/", officer_findings.OfficerOwnFindingListApi.as_view(), name="me-officer-findings"),
    path("findings/<int:finding_id>/", officer_findings.OfficerOwnFindingDetailApi.as_view(),
         name="me-officer-finding"),
    path("findings/<int:finding_id>/response/", officer_findings.OfficerOwnFindingResponseApi.as_view(),
         name="me-officer-finding-response"),
    path("findings/<int:finding_id>/representative/", officer_findings.OfficerOwnFindingRepresentativeApi.as_view(),
         name="me-officer-finding-representative"),
    path("findings/<int:finding_id>/documents/<int:document_id>/download/",
         officer_findings.OfficerOwnFindingDocumentDownloadApi.as_view(), name="me-officer-finding-document"),
]
