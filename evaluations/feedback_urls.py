from django.urls import path

from . import apis

# Mounted at /api/v1/feedback/: reviewers have no account; the secret token in the path is the credential.
urlpatterns = [
    path("<str:token>/", apis.FeedbackApi.as_view(), name="evaluations-feedback-api"),
]
