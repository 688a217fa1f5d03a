"""The reviewer's questionnaire as a server-rendered page: accessible (labels, fieldsets and legends, an error summary
linked to the fields), usable on a phone, CSRF-protected. Same services as the JSON API."""

import hashlib

from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from core.client import client_address
from core.exceptions import ApplicationError

from . import services
from .apis import SCALE, feedback_form_data
from .models import Relationship

_ERROR_TITLES = {
    404: "This link is not valid",
    409: "Feedback already submitted",
    410: "This link has expired",
    429: "Too many attempts",
}


def _private(response):
    # The token is in the URL: never cache the page, never send it to another site in a Referer header.
    # ("no-referrer" would be stricter, but Chromium then sends `Origin: null` with the form and CSRF refuses it.)
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "same-origin"
    return response


def _error_page(request, exc: ApplicationError):
    return _private(render(request, "evaluations/feedback_error.html",
                           {"title": _ERROR_TITLES.get(exc.status_code, "This link cannot be used"),
                            "message": exc.message, "code": exc.code}, status=exc.status_code))


def _posted_answers(post) -> tuple[dict, dict]:
    scores = {key.removeprefix("score-"): value for key, value in post.items() if key.startswith("score-")}
    comments = {key.removeprefix("comment-"): value for key, value in post.items() if key.startswith("comment-")}
    return scores, comments


def _form_context(invitation, *, scores: dict, comments: dict, errors: dict | None = None, saved: bool = False):
    data = feedback_form_data(invitation)
    errors = errors or {}
    summary = []
    competencies = []
    for competency in data["competencies"]:
        items = []
        for item in competency["items"]:
            key = str(item["id"])
            error = errors.get(f"scores.{key}")
            if error:
                summary.append({"href": f"#score-{key}-1", "text": f"{item['text']}: {error[0]}"})
            items.append({**item, "value": str(scores.get(key, "") or ""), "error": error[0] if error else ""})
        competencies.append({**competency, "items": items})
    questions = []
    for question in data["questions"]:
        key = str(question["id"])
        error = errors.get(f"comments.{key}")
        if error:
            summary.append({"href": f"#comment-{key}", "text": f"{question['text']}: {error[0]}"})
        questions.append({**question, "value": comments.get(key, ""), "error": error[0] if error else ""})
    choices = [(value, label) for value, label in SCALE.items()]
    items = [item for competency in competencies for item in competency["items"]]
    return {"form": data, "competencies": competencies, "questions": questions, "errors": summary,
            "choices": choices, "saved": saved, "relationship_label": invitation.get_relationship_display(),
            "answered": sum(1 for item in items if item["value"]), "total": len(items),
            "is_self": invitation.relationship == Relationship.SELF,
            "is_supervisor": invitation.relationship == Relationship.SUPERVISOR}


def _draft_key(token: str) -> str:
    """The browser-side draft's key: derived from the link, so the link itself is never written to storage."""
    return hashlib.sha256(f"peacecert-draft:{token}".encode()).hexdigest()[:32]


@require_http_methods(["GET", "POST"])
def feedback_form(request, token: str):
    try:
        invitation = services.feedback_invitation_resolve(token=token, address=client_address(request))
    except ApplicationError as exc:
        return _error_page(request, exc)
    draft = invitation.draft or {}
    if request.method == "GET":
        context = _form_context(invitation, scores=draft.get("scores", {}), comments=draft.get("comments", {}),
                                saved=request.GET.get("saved") == "1")
        context["draft_key"] = _draft_key(token)
        return _private(render(request, "evaluations/feedback_form.html", context))

    scores, comments = _posted_answers(request.POST)
    try:
        if request.POST.get("action") == "draft":
            services.feedback_draft_save(invitation=invitation, scores=scores, comments=comments)
            return _private(redirect(f"{request.path}?saved=1"))
        services.feedback_submit(invitation=invitation, scores=scores, comments=comments)
    except ApplicationError as exc:
        if exc.code != "validation_error":
            return _error_page(request, exc)
        merged = {**draft.get("scores", {}), **scores}
        merged_comments = {**draft.get("comments", {}), **comments}
        context = _form_context(invitation, scores=merged, comments=merged_comments, errors=exc.fields)
        context["draft_key"] = _draft_key(token)
        return _private(render(request, "evaluations/feedback_form.html", context, status=400))
    return _private(render(request, "evaluations/feedback_done.html",
                           {"subject": invitation.cycle.subject.full_name,
                            "is_self": invitation.relationship == Relationship.SELF,
                            "is_supervisor": invitation.relationship == Relationship.SUPERVISOR}))
