"""/me/data/ and /me/export.json|.pdf: the officer's own data, downloaded with a session sign-in."""

from django.urls import path

from . import officer_pages

urlpatterns = [
    path("data/", officer_pages.officer_data, name="officer-data"),
    path("export.json", officer_pages.officer_export_json, name="officer-export-json"),
    path("export.pdf", officer_pages.officer_export_pdf_download, name="officer-export-pdf"),
]
