"""/me/training/...: the officer's own site, training side (agencies.officer_page_urls signs in)."""

from django.urls import path

from . import officer_pages

urlpatterns = [
    path("training/", officer_pages.officer_training, name="officer-training"),
    path("training/certificates/<int:completion_id>.pdf", officer_pages.officer_certificate,
         name="officer-certificate"),
]
