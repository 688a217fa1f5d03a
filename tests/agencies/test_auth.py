"""Login, refresh, logout and the revocation rules simplejwt alone does not give."""

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.auth import login_attempt_reserve
from agencies.services import user_set_active
from core.exceptions import ApplicationError
from tests.factories import TEST_PASSWORD
from tests.support.races import run_together

pytestmark = pytest.mark.django_db


def login(client, username, password=TEST_PASSWORD):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_login_returns_tokens_that_open_me(admin_a):
    response = login(APIClient(), "admin_a")
    assert response.status_code == 200
    me = bearer(response.json()["access"]).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {
        "id": admin_a.pk, "username": "admin_a", "email": admin_a.email, "first_name": "", "last_name": "",
        "role": "agency_admin", "is_certification_staff": False, "agency": admin_a.agency_id,
    }


def test_wrong_password_is_401_in_the_error_shape(admin_a):
    response = login(APIClient(), "admin_a", "nope-nope-nope")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert set(response.json()) == {"code", "message", "fields"}


def test_me_without_token_is_401(anon_client):
    response = anon_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_superuser_counts_as_certification_staff(django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", TEST_PASSWORD)
    assert root.is_certification_staff
    access = login(APIClient(), "root").json()["access"]
    assert bearer(access).get("/api/v1/me/").json()["role"] == "staff"


def test_refresh_rotates_and_the_old_refresh_token_is_blacklisted(admin_a):
    tokens = login(APIClient(), "admin_a").json()
    first = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    assert {"access", "refresh"} <= set(first.json())
    again = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"


def test_logout_blacklists_the_refresh_token(admin_a):
    tokens = login(APIClient(), "admin_a").json()
    assert APIClient().post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code == 204
    refreshed = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_logout_with_garbage_token_is_401_not_500(db):
    response = APIClient().post("/api/v1/auth/logout/", {"refresh": "not-a-token"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def _assert_both_tokens_dead(tokens):
    assert bearer(tokens["access"]).get("/api/v1/me/").status_code == 401
    refreshed = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_password_change_revokes_existing_access_and_refresh_tokens(admin_a):
    tokens = login(APIClient(), "admin_a").json()
    changed = bearer(tokens["access"]).post(
        "/api/v1/me/password/", {"current_password": TEST_PASSWORD, "new_password": "a-brand-new-passphrase-42"},
        format="json",
    )
    assert changed.status_code == 204
    _assert_both_tokens_dead(tokens)
    assert login(APIClient(), "admin_a", "a-brand-new-passphrase-42").status_code == 200


def test_password_set_outside_the_api_also_revokes_tokens(admin_a):
    tokens = login(APIClient(), "admin_a").json()
    admin_a.set_password("reset-by-staff-in-admin-1")
    admin_a.save(update_fields=["password"])
    _assert_both_tokens_dead(tokens)


def test_weak_new_password_is_refused_with_field_error(admin_a_client):
    response = admin_a_client.post("/api/v1/me/password/",
                                   {"current_password": TEST_PASSWORD, "new_password": "123"}, format="json")
    assert response.status_code == 400
    assert "new_password" in response.json()["fields"]


def test_deactivation_revokes_existing_tokens(admin_a, staff_user):
    tokens = login(APIClient(), "admin_a").json()
    user_set_active(user=admin_a, is_active=False, actor=staff_user)
    _assert_both_tokens_dead(tokens)


def test_logout_everywhere_revokes_every_token(admin_a):
    phone = login(APIClient(), "admin_a").json()
    laptop = login(APIClient(), "admin_a").json()
    assert bearer(laptop["access"]).post("/api/v1/auth/logout-all/").status_code == 204
    _assert_both_tokens_dead(phone)
    _assert_both_tokens_dead(laptop)


def _forge(payload, key=None, algorithm="HS256"):
    return jwt.encode(payload, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)


def _claims(user, **overrides):
    now = timezone.now()
    claims = {
        "token_type": "access", "user_id": str(user.pk), "jti": "x" * 32,
        "iat": int(now.timestamp()), "exp": int((now + timedelta(minutes=5)).timestamp()),
        "aud": settings.SIMPLE_JWT["AUDIENCE"], "iss": settings.SIMPLE_JWT["ISSUER"],
    }
    claims.update(overrides)
    return claims


def test_token_signed_with_alg_none_is_refused(admin_a):
    token = jwt.encode(_claims(admin_a), key=None, algorithm="none")
    assert bearer(token).get("/api/v1/me/").status_code == 401


def test_token_signed_with_another_key_is_refused(admin_a):
    assert bearer(_forge(_claims(admin_a), key="another-key-" * 4)).get("/api/v1/me/").status_code == 401


def test_token_for_another_audience_or_issuer_is_refused(admin_a):
    assert bearer(_forge(_claims(admin_a, aud="someone-else"))).get("/api/v1/me/").status_code == 401
    assert bearer(_forge(_claims(admin_a, iss="someone-else"))).get("/api/v1/me/").status_code == 401


def test_correctly_signed_token_without_session_fingerprint_is_refused(admin_a):
    # Even with our key, a token not minted by the login flow carries no fingerprint and is refused.
    assert bearer(_forge(_claims(admin_a))).get("/api/v1/me/").status_code == 401


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3)
def test_login_attempts_are_limited_per_account(admin_a):
    client = APIClient()
    statuses = [login(client, "admin_a", "wrong-password-x").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    blocked = login(client, "admin_a")  # even the right password, once the account's window is used up
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_login_attempts"


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=100, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=4)
def test_login_attempts_are_limited_per_address(admin_a, admin_b):
    client = APIClient()
    for username in ["admin_a", "admin_b", "admin_a", "nobody"]:
        assert login(client, username, "wrong-password-x").status_code == 401
    assert login(client, "admin_b").status_code == 429


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=7, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=1000)
def test_parallel_login_attempts_let_exactly_the_limit_through():
    def attempt(_):
        try:
            login_attempt_reserve(username="target", address="203.0.113.9")
            return True
        except ApplicationError:
            return False

    race = run_together(100, attempt, threads=20)
    assert race.errors == []
    allowed = sum(race.results)
    assert allowed == 7


def test_successful_login_resets_the_account_counter(admin_a):
    client = APIClient()
    with override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3):
        assert login(client, "admin_a", "wrong-password-x").status_code == 401
        assert login(client, "admin_a", "wrong-password-x").status_code == 401
        assert login(client, "admin_a").status_code == 200
        assert login(client, "admin_a", "wrong-password-x").status_code == 401
        assert login(client, "admin_a").status_code == 200


def test_reactivation_does_not_revive_tokens_revoked_by_deactivation(admin_a, staff_user):
    tokens = login(APIClient(), "admin_a").json()
    user_set_active(user=admin_a, is_active=False, actor=staff_user)
    user_set_active(user=admin_a, is_active=True, actor=staff_user)
    _assert_both_tokens_dead(tokens)
    assert login(APIClient(), "admin_a").status_code == 200


@pytest.mark.postgres
def test_raw_deactivation_and_reactivation_do_not_revive_tokens_on_postgres(admin_a, django_user_model):
    tokens = login(APIClient(), "admin_a").json()
    django_user_model.objects.filter(pk=admin_a.pk).update(is_active=False)
    django_user_model.objects.filter(pk=admin_a.pk).update(is_active=True)
    _assert_both_tokens_dead(tokens)
