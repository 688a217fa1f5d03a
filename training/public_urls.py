from django.urls import path

from . import apis

urlpatterns = [
    path("verify/<str:code>/", apis.PublicVerifyApi.as_view(), name="training-public-verify"),
]
