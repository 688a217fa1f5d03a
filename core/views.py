from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import StrictCharField

from .exceptions import error_body
from .models import Heartbeat


def home(request):
    return render(request, "home.html")


@csrf_exempt  # an unknown API path must answer 404 JSON for POST/PATCH too, not a CSRF page
def json_not_found(request, exception=None):
    """Unknown URLs under /api/ answer in the API's error shape; pages get Django's HTML 404."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Something went wrong on our side; it was logged."), status=500)
    from django.views.defaults import server_error

    return server_error(request)


class HealthApi(APIView):
    """Liveness for operators: the database answers, and when the Celery worker last beat."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses=inline_serializer("Health", fields={
            "database": StrictCharField(), "worker_heartbeat": serializers.DateTimeField(allow_null=True),
            "time": serializers.DateTimeField(),
        }),
        tags=["system"],
        summary="Check the service's health",
    )
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat = Heartbeat.objects.filter(name="celery-worker").values_list("beat_at", flat=True).first()
        return Response({"database": "ok", "worker_heartbeat": beat, "time": timezone.now()})
