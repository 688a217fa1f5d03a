"""Server-rendered public registry pages for people (the API under /api/v1/public/ serves machines)."""

from django.http import Http404
from django.shortcuts import redirect, render

from core.client import client_address
from core.codes import verification_code_normalise
from core.ratelimit import rate_limit_consume
from training.selectors import completion_by_code

from . import selectors
from .public_apis import PUBLIC_WINDOW_SECONDS
from .selectors import public_site


def _throttled(request) -> bool:
    from django.conf import settings

    limit = getattr(settings, "PUBLIC_REGISTRY_REQUESTS_PER_MINUTE", 120)
    return not rate_limit_consume(scope="public-registry", key=client_address(request), limit=limit,
                                  window_seconds=PUBLIC_WINDOW_SECONDS)


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


def registry(request):
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    q = request.GET.get("q", "").strip()[:100]
    min_length = selectors.PUBLIC_QUERY_MIN_LENGTH
    context = {"q": q, "searched": len(q) >= min_length, "min_length": min_length,
               "too_short": 0 < len(q) < min_length}
    page = _page_number(request)
    if context["searched"]:
        context["page"] = page
        context["officers"], context["officers_more"] = selectors.public_officer_search(
            q=q, page=page, page_size=selectors.PUBLIC_PAGE_SIZE_MAX, with_ids=True)
        context["agencies"], context["agencies_truncated"] = selectors.public_agency_search(q=q, with_ids=True)
    return render(request, "certification/registry.html", context)


def agency_certificate(request, certificate_number: str):
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    certificate = selectors.public_agency_certificate(certificate_number=certificate_number[:64])
    if certificate is None:
        raise Http404("No certificate has this number.")
    return render(request, "certification/agency_certificate.html", {"certificate": certificate})


def officer_page(request, officer_id: int):
    """What the registry shows about one officer: status, dates, agency, a revocation's date and category."""
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    officer = public_site.public_officer_get(officer_id=officer_id)
    if officer is None:
        raise Http404("No public officer has this number.")
    return render(request, "certification/officer.html", {"officer": officer})


def agency_page(request, agency_id: int):
    if _throttled(request):
        return render(request, "certification/registry.html", {"throttled": True}, status=429)
    agency = public_site.public_agency_get(agency_id=agency_id, page=_page_number(request))
    if agency is None:
        raise Http404("No agency has this number.")
    return render(request, "certification/agency.html", {"agency": agency})


def verify(request):
    """The certificate check: a code typed from paper leads to the training certificate's or the agency
    certificate's verification page; an unknown code is said so next to the field."""
    code = request.GET.get("code", "").strip()[:64]
    context = {"code": code, "not_found": False}
    if code:
        if _throttled(request):
            return render(request, "certification/verify_form.html", {**context, "throttled": True}, status=429)
        normalised = verification_code_normalise(code)
        if completion_by_code(code=normalised) is not None:
            return redirect("training-verify-page", code=normalised)
        if selectors.public_agency_certificate(certificate_number=normalised) is not None:
            return redirect("certification-registry-agency-certificate", certificate_number=normalised)
        context["not_found"] = True
    return render(request, "certification/verify_form.html", context)
