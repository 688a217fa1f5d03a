from django.urls import path

from . import public_apis

urlpatterns = [
    path("officers/", public_apis.PublicOfficerSearchApi.as_view(), name="certification-public-officers"),
    path("agencies/", public_apis.PublicAgencySearchApi.as_view(), name="certification-public-agencies"),
    path("agency-certificates/<str:certificate_number>/", public_apis.PublicAgencyCertificateApi.as_view(),
         name="certification-public-agency-certificate"),
    path("eligibility/", public_apis.PublicEligibilityApi.as_view(), name="certification-public-eligibility"),
    path("metrics/", public_apis.PublicMetricsApi.as_view(), name="certification-public-metrics"),
    path("revocations.csv", public_apis.PublicRevocationsCsvApi.as_view(), name="certification-public-revocations"),
]
