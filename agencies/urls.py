from django.urls import path

from . import apis

auth_urlpatterns = [
    path("token/", apis.LoginView.as_view(), name="token-obtain"),
    path("token/refresh/", apis.RefreshView.as_view(), name="token-refresh"),
    path("logout/", apis.LogoutView.as_view(), name="logout"),
    path("logout-all/", apis.LogoutEverywhereView.as_view(), name="logout-all"),
]

urlpatterns = [
    path("me/", apis.MeView.as_view(), name="me"),
    path("me/password/", apis.PasswordChangeView.as_view(), name="me-password"),
    path("agencies/", apis.AgencyListCreateApi.as_view(), name="agency-list"),
    path("agencies/<int:agency_id>/", apis.AgencyDetailApi.as_view(), name="agency-detail"),
    path("officers/", apis.OfficerListCreateApi.as_view(), name="officer-list"),
    path("officers/import/", apis.OfficerRosterImportApi.as_view(), name="officer-import"),
    path("officers/<int:officer_id>/", apis.OfficerDetailApi.as_view(), name="officer-detail"),
    path("officers/<int:officer_id>/identity-corrections/", apis.OfficerIdentityCorrectionApi.as_view(),
         name="officer-identity-correction"),
    path("identity-reviews/", apis.IdentityReviewListApi.as_view(), name="identity-review-list"),
    path("identity-reviews/<int:review_id>/", apis.IdentityReviewDetailApi.as_view(), name="identity-review-detail"),
    path("identity-reviews/<int:review_id>/decide/", apis.IdentityReviewDecideApi.as_view(),
         name="identity-review-decide"),
]
