"""Server-rendered public registry pages for people (the API under /api/v1/public/ serves machines)."""

from django.http import Http404
from django.shortcuts import render

from core.client import client_address
from core.ratelimit import rate_limit_consume

from . import selectors
from .public_apis import PUBLIC_WINDOW_SECONDS


def _throttled(request) -> bool:
    from django.conf import settings

    limit = getattr(settings, "PUBLIC_REGISTRY_REQUESTS_PER_MINUTE", 120)
    return not rate_limit_consume(scope="public-registry", key=client_address(request), limit=limit,
                                  window_seconds=PUBLIC_WINDOW_SECONDS)


def registry(request):
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    q = request.GET.get("q", "").strip()[:100]
    min_length = selectors.PUBLIC_QUERY_MIN_LENGTH
    context = {"q": q, "searched": len(q) >= min_length, "min_length": min_length,
               "too_short": 0 < len(q) < min_length}
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    if context["searched"]:
        context["page"] = page
        context["officers"], context["officers_more"] = selectors.public_officer_search(
            q=q, page=page, page_size=selectors.PUBLIC_PAGE_SIZE_MAX)
        context["agencies"], context["agencies_truncated"] = selectors.public_agency_search(q=q)
    return render(request, "certification/registry.html", context)


def agency_certificate(request, certificate_number: str):
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    certificate = selectors.public_agency_certificate(certificate_number=certificate_number[:64])
    if certificate is None:
        raise Http404("No certificate has this number.")
    return render(request, "certification/agency_certificate.html", {"certificate": certificate})
