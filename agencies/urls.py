from django.urls import path

from . import account_apis, apis, export_apis

auth_urlpatterns = [
    path("token/", apis.LoginApi.as_view(), name="token-obtain"),
    path("token/refresh/", apis.TokenRefreshApi.as_view(), name="token-refresh"),
    path("logout/", apis.LogoutApi.as_view(), name="logout"),
    path("logout-all/", apis.LogoutEverywhereApi.as_view(), name="logout-all"),
    path("password/set/", account_apis.PasswordSetApi.as_view(), name="password-set"),
    path("password/forgot/", account_apis.PasswordForgotApi.as_view(), name="password-forgot"),
]

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="me"),
    path("me/password/", apis.PasswordChangeApi.as_view(), name="me-password"),
    path("me/officer/", account_apis.OfficerSelfApi.as_view(), name="me-officer"),
    path("agencies/", apis.AgencyListCreateApi.as_view(), name="agency-list"),
    path("agencies/<int:agency_id>/", apis.AgencyDetailApi.as_view(), name="agency-detail"),
    path("officers/", apis.OfficerListCreateApi.as_view(), name="officer-list"),
    path("officers/import/", apis.OfficerRosterImportApi.as_view(), name="officer-import"),
    path("officers/export.csv", export_apis.OfficerRosterExportApi.as_view(), name="officer-export"),
    path("officers/<int:officer_id>/", apis.OfficerDetailApi.as_view(), name="officer-detail"),
    path("officers/<int:officer_id>/identity-corrections/", apis.OfficerIdentityCorrectionApi.as_view(),
         name="officer-identity-correction"),
    path("identity-reviews/", apis.IdentityReviewListApi.as_view(), name="identity-review-list"),
    path("identity-reviews/<int:review_id>/", apis.IdentityReviewDetailApi.as_view(), name="identity-review-detail"),
    path("identity-reviews/<int:review_id>/decide/", apis.IdentityReviewDecideApi.as_view(),
         name="identity-review-decide"),
]
