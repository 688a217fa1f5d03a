from django.urls import path

from . import pages

urlpatterns = [
    path("account/set-password/<str:uidb64>/<str:token>/", pages.password_set_page, name="account-set-password"),
]
