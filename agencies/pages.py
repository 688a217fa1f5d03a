"""The page behind the e-mailed one-time link: choose a password (server-rendered, CSRF-protected, no script).
Same service as `POST /api/v1/auth/password/set/`."""

from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from core.client import client_address
from core.exceptions import ApplicationError

from . import services


def _private(response):
    # The token is in the URL: never cache the page, never send it to another site in a Referer header.
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["GET", "POST"])
def password_set_page(request, uidb64: str, token: str):
    user = services.account_link_user(uidb64=uidb64, token=token)
    if user is None:
        return _private(render(request, "accounts/link_invalid.html", status=400))
    context = {"username": user.username, "errors": []}
    if request.method == "POST":
        password, again = request.POST.get("password", ""), request.POST.get("password_again", "")
        if password != again:
            context["errors"] = ["The two passwords do not match."]
        else:
            try:
                services.password_set_with_link(uidb64=uidb64, token=token, password=password,
                                                address=client_address(request))
            except ApplicationError as exc:
                context["errors"] = [m for messages in exc.fields.values() for m in messages] or [exc.message]
            else:
                return _private(render(request, "accounts/password_set_done.html", {"username": user.username}))
        return _private(render(request, "accounts/set_password.html", context, status=400))
    return _private(render(request, "accounts/set_password.html", context))
