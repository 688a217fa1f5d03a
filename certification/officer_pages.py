"""The officer's own site (issue #18), certification side: `/me/` (their record, Good Officer Certification and CE
credits) and `/me/findings/` (findings about them, the determination and its reasons, their answers, and the form to
answer). Officer accounts only (agencies.officer_pages.officer_page); every read goes through the same selectors
as the /api/v1/me/officer/ API, so another officer's finding or document is the same 404 as a missing one."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from agencies.officer_pages import officer_page
from agencies.selectors import officer_own_detail
from core.exceptions import ApplicationError
from core.uploads import file_download_response

from . import services
from .models import FindingResponseAuthor
from .selectors.finding_responses import (
    EligibilityEffect,
    finding_representative_visible,
    finding_response_document_get_for_user,
    finding_responses_for,
    officer_own_finding_get,
    officer_own_findings,
)
from .selectors.officer_self import officer_own_standing

BLOCKED_LABELS = {
    "permanently_ineligible": "You are permanently ineligible for the Good Officer Certification.",
    "sustained_finding": "A sustained finding about you stops CE hours from certifying you.",
    "revoked": "Your certification was revoked.",
}
WINDOW_LABELS = {
    "renewal": "Towards renewing your current certification",
    "certification": "Towards certification (CE hours of the last twelve months)",
    "cycle": "Hours that qualified this cycle",
}


@require_GET
@officer_page
def officer_home(request):
    standing = officer_own_standing(user=request.user)
    context = {"record": officer_own_detail(user=request.user), "standing": standing,
               "blocked": [BLOCKED_LABELS.get(code, code) for code in standing.blocked_by],
               "window_label": WINDOW_LABELS.get(standing.current.label, "") if standing.current else ""}
    return render(request, "officer/home.html", context)


def _window_open(finding) -> bool:
    return finding.status in services.finding_responses.RESPONSE_OPEN_STATUSES and (
        finding.response_due_on is None or timezone.localdate() <= finding.response_due_on)


@require_GET
@officer_page
def officer_findings(request):
    findings = [{"finding": f, "effect": EligibilityEffect.TEXT[EligibilityEffect.of(f)], "open": _window_open(f)}
                for f in officer_own_findings(user=request.user)]
    return render(request, "officer/findings.html", {"findings": findings})


def _finding_context(request, finding, **extra) -> dict:
    user = request.user
    return {"finding": finding, "effect": EligibilityEffect.TEXT[EligibilityEffect.of(finding)],
            "open": _window_open(finding), "max_files": services.RESPONSE_MAX_FILES,
            "max_megabytes": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
            "own_answers": finding_responses_for(user=user, finding=finding, author_kind=FindingResponseAuthor.OFFICER),
            "agency_answers": finding_responses_for(user=user, finding=finding,
                                                    author_kind=FindingResponseAuthor.AGENCY),
            "representative": finding_representative_visible(user=user, finding=finding),
            "text": "", "errors": {}, "form_error": "", **extra}


def _uploads(request) -> list:
    uploads = request.FILES.getlist("files")
    if len(uploads) > services.RESPONSE_MAX_FILES:  # refused before any is read into memory
        raise ApplicationError("validation_error", f"At most {services.RESPONSE_MAX_FILES} documents per answer.",
                               fields={"files": [f"Choose at most {services.RESPONSE_MAX_FILES} files."]})
    files = []
    for upload in uploads:
        if upload.size > settings.MAX_UPLOAD_BYTES:  # refused before it is read into memory
            raise ApplicationError("file_too_large", f"{upload.name} is larger than the upload limit.",
                                   status_code=413, fields={"files": [f"{upload.name} is too large."]})
        files.append((upload.name, upload.read(), upload.content_type or ""))
    return files


@csrf_protect
@require_http_methods(["GET", "POST"])
@officer_page
def officer_finding(request, finding_id: int):
    finding = officer_own_finding_get(user=request.user, finding_id=finding_id)
    if request.method == "GET":
        return render(request, "officer/finding.html", _finding_context(request, finding))
    text = request.POST.get("text", "")
    try:
        files = _uploads(request)
        services.finding_response_add(actor=request.user, finding=finding, author_kind=FindingResponseAuthor.OFFICER,
                                      text=text, files=files, staff_may_file_late=False)
    except ApplicationError as exc:
        # The upload check names its field "file"; on this form it is "files".
        fields = {("files" if name == "file" else name): " ".join(str(m) for m in msgs)
                  for name, msgs in (exc.fields or {}).items()}
        context = _finding_context(request, officer_own_finding_get(user=request.user, finding_id=finding_id),
                                   text=text, errors=fields, form_error=exc.message)
        return render(request, "officer/finding.html", context, status=exc.status_code)
    messages.success(request, "Your answer was received and added to the finding.")
    return redirect(f"/me/findings/{finding.pk}/#answers")


@require_GET
@officer_page
def officer_finding_document(request, finding_id: int, document_id: int):
    finding = officer_own_finding_get(user=request.user, finding_id=finding_id)
    document = finding_response_document_get_for_user(
        user=request.user, document_id=document_id,
        finding_visible=officer_own_findings(user=request.user).filter(pk=finding.pk))
    return file_download_response(document.file, filename=document.name, content_type=document.content_type)
