"""/api/v1/accounts/: onboarding (see training/apis/accounts.py for why it lives in training)."""

from django.urls import path

from .apis.accounts import AccountDeactivateApi, AccountDetailApi, AccountListCreateApi, AccountReactivateApi

urlpatterns = [
    path("", AccountListCreateApi.as_view(), name="account-list"),
    path("<int:account_id>/", AccountDetailApi.as_view(), name="account-detail"),
    path("<int:account_id>/deactivate/", AccountDeactivateApi.as_view(), name="account-deactivate"),
    path("<int:account_id>/reactivate/", AccountReactivateApi.as_view(), name="account-reactivate"),
]
