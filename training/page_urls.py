from django.urls import path

from . import views

urlpatterns = [
    path("verify/<str:code>/", views.certificate_verify_page, name="training-verify-page"),
]
