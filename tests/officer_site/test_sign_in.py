"""Officer sign-in and sign-out (/me/login/, /me/logout/): a Django session for active officer accounts only, CSRF on
both forms, the failed-login budget shared with the API and /admin/, and the guard on every /me/ page."""

import pytest
from django.conf import settings
from django.test import Client, override_settings

from agencies.models import Role
from agencies.services import user_logout_everywhere
from tests.factories import TEST_PASSWORD, UserFactory

from .conftest import sign_in

pytestmark = pytest.mark.django_db

PAGES = ["/me/", "/me/training/", "/me/findings/", "/me/data/", "/me/export.json", "/me/export.pdf"]


def test_an_officer_signs_in_reaches_their_record_and_signs_out(officer_world):
    client = Client()
    form = client.get("/me/login/")
    assert form.status_code == 200 and b'name="csrfmiddlewaretoken"' in form.content
    assert b'autocomplete="current-password"' in form.content
    response = sign_in(client, "maria")
    assert response.status_code == 302 and response["Location"] == "/me/"
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == settings.SESSION_COOKIE_SAMESITE
    home = client.get("/me/")
    assert home.status_code == 200 and b"Maria Alvarez" in home.content
    assert "no-store" in home["Cache-Control"]

    assert client.get("/me/logout/").status_code == 405  # sign-out is a POST (a link cannot sign anyone out)
    out = client.post("/me/logout/", follow=True)
    assert out.redirect_chain[-1][0] == "/me/login/" and b"You are signed out." in out.content
    assert client.get("/me/")["Location"] == "/me/login/?next=/me/"


def test_sign_in_and_sign_out_refuse_a_post_without_the_csrf_token(officer_world):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "maria").status_code == 403
    client.get("/me/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert sign_in(client, "maria", csrfmiddlewaretoken=token).status_code == 302
    assert client.post("/me/logout/").status_code == 403
    assert client.get("/me/").status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_and_back(officer_world, path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"] == f"/me/login/?next={path}"


def test_after_sign_in_the_visitor_returns_to_the_page_asked_for_but_never_off_the_site(officer_world):
    client = Client()
    assert sign_in(client, "maria", next="/me/training/")["Location"] == "/me/training/"
    other = Client()
    assert sign_in(other, "maria", next="https://evil.example.org/me/")["Location"] == "/me/"
    assert sign_in(Client(), "maria", next="/admin/")["Location"] == "/me/"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(officer_world):
    wrong = sign_in(Client(), "maria", password="not-my-password")  # noqa: S106 - a wrong test password
    unknown = sign_in(Client(), "nobody-here")
    assert wrong.status_code == unknown.status_code == 400
    assert b"The username or password is not correct" in wrong.content
    assert b"not correct" in unknown.content
    empty = sign_in(Client(), "", password="")
    assert empty.status_code == 400 and b"Enter your username." in empty.content and b"aria-invalid" in empty.content


def test_an_inactive_officer_account_cannot_sign_in(officer_world):
    account = officer_world["x_account"]
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert sign_in(Client(), "maria").status_code == 400


@pytest.mark.parametrize("role", [Role.CERTIFICATION_STAFF, Role.AGENCY_ADMIN, Role.NONE])
def test_other_roles_are_told_to_use_the_api_or_admin_and_get_no_session(officer_world, agency_a, role):
    UserFactory(username="someone", role=role, agency=agency_a if role == Role.AGENCY_ADMIN else None)
    client = Client()
    response = sign_in(client, "someone")
    assert response.status_code == 403
    assert b"/api/docs/" in response.content and b"/admin/" in response.content
    assert client.get("/me/").status_code == 302  # no session was opened


@pytest.mark.parametrize("path", PAGES)
def test_a_staff_member_signed_in_elsewhere_gets_the_forbidden_page(officer_world, path):
    client = Client()
    client.force_login(officer_world["staff"])
    response = client.get(path)
    assert response.status_code == 403 and b"For officers only" in response.content


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3)
def test_failed_sign_ins_spend_the_same_budget_as_the_api_and_admin(officer_world):
    for _ in range(2):
        assert sign_in(Client(), "maria", password="guess").status_code == 400  # noqa: S106
    api = Client().post("/api/v1/auth/token/", {"username": "maria", "password": "guess"},
                        content_type="application/json")
    assert api.status_code == 401
    refused = sign_in(Client(), "maria")  # the right password, but the account's budget is spent
    assert refused.status_code == 429 and b"Too many login attempts" in refused.content
    assert Client().post("/api/v1/auth/token/", {"username": "maria", "password": TEST_PASSWORD},
                         content_type="application/json").status_code == 429


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3)
def test_a_successful_sign_in_gives_the_failed_attempts_back(officer_world):
    for _ in range(2):
        sign_in(Client(), "maria", password="guess")  # noqa: S106
    assert sign_in(Client(), "maria").status_code == 302
    for _ in range(2):
        sign_in(Client(), "maria", password="guess")  # noqa: S106
    assert sign_in(Client(), "maria").status_code == 302


def test_log_out_everywhere_and_a_password_change_end_the_page_session(officer_world, x_client):
    account = officer_world["x_account"]
    user_logout_everywhere(user=account)
    assert x_client.get("/me/")["Location"] == "/me/login/?next=/me/"
    client = Client()
    sign_in(client, "maria")
    account.refresh_from_db()
    account.set_password("A new harbour lantern 2026")
    account.save(update_fields=["password"])
    assert client.get("/me/").status_code == 302
