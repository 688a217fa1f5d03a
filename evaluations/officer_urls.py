"""/api/v1/me/officer/reports/...: an officer's own released 360 reports (officer accounts only)."""

from django.urls import path

from .apis import officer_export, officer_self

urlpatterns = [
    path("reports/", officer_self.OfficerOwnReportListApi.as_view(), name="me-officer-reports"),
    path("reports/<int:cycle_id>/", officer_self.OfficerOwnReportApi.as_view(), name="me-officer-report"),
    # Everything PeaceCert holds about the officer (issue #18): the complete JSON and a readable PDF summary.
    path("export.json", officer_export.OfficerOwnExportJsonApi.as_view(), name="me-officer-export-json"),
    path("export.pdf", officer_export.OfficerOwnExportPdfApi.as_view(), name="me-officer-export-pdf"),
]
