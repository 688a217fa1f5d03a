from django.urls import path

from . import pages, transparency_pages

urlpatterns = [
    path("registry/", pages.registry, name="certification-registry"),
    path("registry/officers/<int:officer_id>/", pages.officer_page, name="certification-registry-officer"),
    path("registry/agency/<int:agency_id>/", pages.agency_page, name="certification-registry-agency"),
    path("registry/agencies/<str:certificate_number>/", pages.agency_certificate,
         name="certification-registry-agency-certificate"),
    path("verify/", pages.verify, name="certificate-verify-form"),
    path("transparency/", transparency_pages.transparency, name="transparency"),
    path("transparency/<slug:metric>.csv", transparency_pages.transparency_csv, name="transparency-csv"),
]
