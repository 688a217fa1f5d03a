"""Server-rendered public registry pages for people (the API under /api/v1/public/ serves machines)."""

from django.http import Http404
from django.shortcuts import render

from core.ratelimit import rate_limit_consume

from . import selectors
from .public_apis import PUBLIC_WINDOW_SECONDS


def _throttled(request) -> bool:
    from django.conf import settings

    limit = getattr(settings, "PUBLIC_REGISTRY_REQUESTS_PER_MINUTE", 120)
    return not rate_limit_consume(scope="public-registry", key=request.META.get("REMOTE_ADDR", ""), limit=limit,
                                  window_seconds=PUBLIC_WINDOW_SECONDS)


def registry(request):
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    q = request.GET.get("q", "").strip()[:100]
    context = {"q": q, "searched": len(q) >= 2}
    if context["searched"]:
        context["officers"], context["officers_truncated"] = selectors.public_officer_search(q=q)
        context["agencies"], context["agencies_truncated"] = selectors.public_agency_search(q=q)
    return render(request, "certification/registry.html", context)


def agency_certificate(request, certificate_number: str):
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    certificate = selectors.public_agency_certificate(certificate_number=certificate_number[:64])
    if certificate is None:
        raise Http404("No certificate has this number.")
    return render(request, "certification/agency_certificate.html", {"certificate": certificate})
