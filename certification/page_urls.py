from django.urls import path

from . import pages

urlpatterns = [
    path("registry/", pages.registry, name="certification-registry"),
    path("registry/agencies/<str:certificate_number>/", pages.agency_certificate,
         name="certification-registry-agency-certificate"),
]
