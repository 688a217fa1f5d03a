from django.urls import path

from . import apis
from .apis.exports import CompletionExportApi

urlpatterns = [
    path("courses/", apis.CourseListCreateApi.as_view(), name="training-course-list"),
    path("courses/<int:course_id>/", apis.CourseDetailApi.as_view(), name="training-course-detail"),
    path("courses/<int:course_id>/accreditations/<str:state>/", apis.CourseAccreditationApi.as_view(),
         name="training-course-accreditation"),
    path("courses/<int:course_id>/resources/", apis.CourseResourceListCreateApi.as_view(),
         name="training-course-resources"),
    path("resources/<int:resource_id>/", apis.ResourceDetailApi.as_view(), name="training-resource-detail"),
    path("resources/<int:resource_id>/download/", apis.ResourceDownloadApi.as_view(),
         name="training-resource-download"),
    path("sessions/", apis.SessionListCreateApi.as_view(), name="training-session-list"),
    path("sessions/<int:session_id>/", apis.SessionDetailUpdateApi.as_view(), name="training-session-detail"),
    path("sessions/<int:session_id>/cancel/", apis.SessionCancelApi.as_view(), name="training-session-cancel"),
    path("sessions/<int:session_id>/instructors/", apis.SessionInstructorAssignApi.as_view(),
         name="training-session-instructors"),
    path("sessions/<int:session_id>/enrollments/", apis.SessionEnrollmentApi.as_view(),
         name="training-session-enrollments"),
    path("sessions/<int:session_id>/attendance/", apis.SessionAttendanceApi.as_view(),
         name="training-session-attendance"),
    path("instructor-qualifications/", apis.QualificationListCreateApi.as_view(),
         name="training-qualification-list"),
    path("instructor-qualifications/<int:qualification_id>/revoke/", apis.QualificationRevokeApi.as_view(),
         name="training-qualification-revoke"),
    path("enrollments/<int:enrollment_id>/cancel/", apis.EnrollmentCancelApi.as_view(),
         name="training-enrollment-cancel"),
    path("completions/", apis.CompletionListApi.as_view(), name="training-completion-list"),
    path("completions/import/", apis.CreditImportApi.as_view(), name="training-credit-import"),
    path("completions/export.csv", CompletionExportApi.as_view(), name="training-completion-export"),
    path("completions/<int:completion_id>/certificate.pdf", apis.CompletionCertificateApi.as_view(),
         name="training-completion-certificate"),
    path("officers/<int:officer_id>/transcript/", apis.OfficerTranscriptApi.as_view(),
         name="training-officer-transcript"),
    path("reports/state-roster.csv", apis.StateRosterExportApi.as_view(), name="training-state-roster"),
]
