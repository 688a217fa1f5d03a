from django.urls import path

from . import apis

urlpatterns = [
    path("instruments/", apis.InstrumentListCreateApi.as_view(), name="evaluations-instrument-list"),
    path("instruments/<int:instrument_id>/", apis.InstrumentDetailApi.as_view(),
         name="evaluations-instrument-detail"),
    path("cycles/", apis.CycleListCreateApi.as_view(), name="evaluations-cycle-list"),
    path("cycles/<int:cycle_id>/", apis.CycleDetailApi.as_view(), name="evaluations-cycle-detail"),
    path("cycles/<int:cycle_id>/open/", apis.CycleOpenApi.as_view(), name="evaluations-cycle-open"),
    path("cycles/<int:cycle_id>/close/", apis.CycleCloseApi.as_view(), name="evaluations-cycle-close"),
    path("cycles/<int:cycle_id>/follow-up/", apis.CycleFollowUpApi.as_view(), name="evaluations-cycle-follow-up"),
    path("cycles/<int:cycle_id>/invitations/", apis.InvitationListCreateApi.as_view(),
         name="evaluations-invitation-list"),
    path("cycles/<int:cycle_id>/invitations/<int:invitation_id>/", apis.InvitationDetailApi.as_view(),
         name="evaluations-invitation-detail"),
    path("cycles/<int:cycle_id>/invitations/<int:invitation_id>/refuse/", apis.InvitationRefuseApi.as_view(),
         name="evaluations-invitation-refuse"),
    path("cycles/<int:cycle_id>/invitations/<int:invitation_id>/resend/", apis.InvitationResendApi.as_view(),
         name="evaluations-invitation-resend"),
    path("cycles/<int:cycle_id>/raters/approve/", apis.RatersApproveApi.as_view(), name="evaluations-raters-approve"),
    path("cycles/<int:cycle_id>/raters/refuse/", apis.RatersRefuseApi.as_view(), name="evaluations-raters-refuse"),
    path("cycles/<int:cycle_id>/report/", apis.ReportApi.as_view(), name="evaluations-report"),
    path("cycles/<int:cycle_id>/report.pdf", apis.ReportPdfApi.as_view(), name="evaluations-report-pdf"),
    path("cycles/<int:cycle_id>/report/release/", apis.ReportReleaseApi.as_view(), name="evaluations-report-release"),
    path("cycles/<int:cycle_id>/report/review/", apis.ReportReviewApi.as_view(), name="evaluations-report-review"),
    path("cycles/<int:cycle_id>/report/use-builtin/", apis.ReportUseBuiltinApi.as_view(),
         name="evaluations-report-use-builtin"),
]
