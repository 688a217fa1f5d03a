"""/me/login/ and /me/logout/: the officer's own site's session (the pages themselves live with their data)."""

from django.urls import path

from . import officer_pages

urlpatterns = [
    path("login/", officer_pages.officer_login, name="officer-login"),
    path("logout/", officer_pages.officer_logout, name="officer-logout"),
]
