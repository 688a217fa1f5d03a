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
    path("cycles/<int:cycle_id>/report/", apis.ReportApi.as_view(), name="evaluations-report"),
    path("cycles/<int:cycle_id>/report.pdf", apis.ReportPdfApi.as_view(), name="evaluations-report-pdf"),
    path("cycles/<int:cycle_id>/report/release/", apis.ReportReleaseApi.as_view(), name="evaluations-report-release"),
]
