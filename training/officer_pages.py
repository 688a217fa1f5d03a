"""The officer's own site (issue #18), training side: `/me/training/` (completions with their certificates,
enrolments, and the sessions their agency could enrol them in) and the certificate PDF behind a session sign-in.
Officer accounts only (agencies.officer_pages.officer_page); the same selectors as /api/v1/me/officer/, so another
officer's completion is the same 404 as a missing one."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agencies.officer_pages import officer_page

from . import selectors, services
from .pdf import render_completion_certificate

OPEN_SESSIONS_SHOWN = 25


@require_GET
@officer_page
def officer_training(request):
    sessions = list(selectors.sessions_open_to_officer(request.user)[:OPEN_SESSIONS_SHOWN + 1])
    return render(request, "officer/training.html", {
        "completions": selectors.completion_own(request.user),
        "enrollments": selectors.enrollment_own(request.user),
        "sessions": sessions[:OPEN_SESSIONS_SHOWN], "sessions_more": len(sessions) > OPEN_SESSIONS_SHOWN,
        "sessions_shown": OPEN_SESSIONS_SHOWN,
    })


@require_GET
@officer_page
def officer_certificate(request, completion_id: int):
    completion = selectors.completion_own_get(user=request.user, completion_id=completion_id)
    pdf = render_completion_certificate(services.completion_certificate_data(completion=completion))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{completion.verification_code}.pdf"'
    return response
