from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    """The floor: the cheapest Django view that returns JSON. Every HTTP figure is a ratio to this."""
    return JsonResponse({"status": "ok", "service": "peacecert"})


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("config.urls")),
]
