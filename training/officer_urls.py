"""/api/v1/me/officer/...: an officer's own training record (officer accounts only)."""

from django.urls import path

from .apis import officer_self

urlpatterns = [
    path("completions/", officer_self.OfficerOwnCompletionListApi.as_view(), name="me-officer-completions"),
    path("completions/<int:completion_id>/certificate.pdf", officer_self.OfficerOwnCertificateApi.as_view(),
         name="me-officer-certificate"),
    path("transcript/", officer_self.OfficerOwnTranscriptApi.as_view(), name="me-officer-transcript"),
    path("enrollments/", officer_self.OfficerOwnEnrollmentListApi.as_view(), name="me-officer-enrollments"),
    path("sessions/", officer_self.OfficerOpenSessionListApi.as_view(), name="me-officer-sessions"),
]
