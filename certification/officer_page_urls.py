"""/me/ and /me/findings/...: the officer's own site, certification side (agencies.officer_page_urls signs in)."""

from django.urls import path

from . import officer_pages

urlpatterns = [
    path("", officer_pages.officer_home, name="officer-home"),
    path("findings/", officer_pages.officer_findings, name="officer-findings"),
    path("findings/<int:finding_id>/", officer_pages.officer_finding, name="officer-finding"),
    path("findings/<int:finding_id>/documents/<int:document_id>/", officer_pages.officer_finding_document,
         name="officer-finding-document"),
]
