"""The officer's own site (issue #18): sign-in and sign-out for officer accounts, and the guard every /me/ page uses.

A Django session, not a JWT: the pages are server-rendered forms. The sign-in spends the same failed-login budget as
the API's token endpoint and /admin/ (agencies/auth.py: reserved before the password check, given back on success).
Only active officer accounts get a session here; staff and agency administrators are told to use the API or /admin/.
The session remembers the account's `session_version`, so "log out everywhere" ends it too (as it ends JWTs)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from core.client import client_address
from core.exceptions import ApplicationError

from .auth import login_attempt_reserve, login_attempt_succeeded

LOGIN_URL = "/me/login/"
HOME_URL = "/me/"
SESSION_VERSION_KEY = "officer_session_version"
NOT_AN_OFFICER = ("This sign-in is for officers. Staff and agency administrators use the API "
                  "(/api/v1/auth/token/, documented at /api/docs/) or the administration at /admin/.")


def _private(response):
    """Personal pages: never cached by a browser or a shared cache."""
    add_never_cache_headers(response)
    return response


def _session_current(request) -> bool:
    return request.session.get(SESSION_VERSION_KEY) == request.user.session_version


def officer_page(view):
    """Officer accounts only: anonymous -> the sign-in page (back here afterwards); any other account -> a 403 page.
    A session from before "log out everywhere" (or a password change: Django's own session hash) is ended."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.is_officer and not _session_current(request):
            logout(request)
        if not request.user.is_authenticated:
            return _private(redirect_to_login(request.get_full_path(), login_url=LOGIN_URL))
        if not request.user.is_officer:
            return _private(render(request, "officer/forbidden.html", {"message": NOT_AN_OFFICER}, status=403))
        return _private(view(request, *args, **kwargs))

    return guarded


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure())
    return target if safe and target.startswith(HOME_URL) and target != LOGIN_URL else HOME_URL


@csrf_protect
@require_http_methods(["GET", "POST"])
def officer_login(request):
    if request.user.is_authenticated and request.user.is_officer and _session_current(request):
        return _private(redirect(_next_url(request)))
    context = {"next": _next_url(request), "username": "", "errors": {}, "form_error": ""}
    if request.method == "GET":
        return _private(render(request, "officer/login.html", context))
    username, password = request.POST.get("username", "").strip(), request.POST.get("password", "")
    context["username"] = username[:150]
    if not username:
        context["errors"]["username"] = "Enter your username."
    if not password:
        context["errors"]["password"] = "Enter your password."  # noqa: S105 - a message, not a password
    if context["errors"]:
        return _private(render(request, "officer/login.html", context, status=400))
    address = client_address(request)
    try:
        login_attempt_reserve(username=username, address=address)
    except ApplicationError as exc:
        context["form_error"] = exc.message
        return _private(render(request, "officer/login.html", context, status=exc.status_code))
    user = authenticate(request, username=username, password=password)
    if user is None:  # a wrong password, an unknown or an inactive account: one answer for all
        context["form_error"] = "The username or password is not correct, or the account is not active."
        return _private(render(request, "officer/login.html", context, status=400))
    login_attempt_succeeded(username=username, address=address)  # the password was right: no failed guess
    if not user.is_officer:
        context["form_error"] = NOT_AN_OFFICER
        return _private(render(request, "officer/login.html", context, status=403))
    login(request, user)  # a new session key and CSRF token
    request.session[SESSION_VERSION_KEY] = user.session_version
    return _private(redirect(context["next"]))


@csrf_protect
@require_POST
def officer_logout(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return _private(redirect(LOGIN_URL))
