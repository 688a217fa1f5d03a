"""Token revocation and pinning, through HTTP, beyond tests/agencies/test_auth.py.

Revocation: every way an account's tokens must die (password change, log out everywhere, deactivation by service or
by a bulk update such as an admin action) kills every older access AND refresh token on the very next request,
including tokens minted by a refresh and tokens of other devices.

Pinning: forged tokens are made from a REAL login token (session fingerprint included), changing one property at a
time, and a control re-signs the unchanged payload to prove the forging harness itself produces accepted tokens. So
each refusal below is due to exactly the property under test, not to a missing claim.
"""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import User
from agencies.services import user_set_active
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "fields"}
REFUSAL_CODES = {"token_not_valid", "token_revoked", "authentication_failed", "user_inactive", "user_not_found"}
NEW_PASSWORD = "an-entirely-new-passphrase-77"


def login(username="admin_a", password=TEST_PASSWORD):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def tokens_of(username="admin_a") -> dict:
    response = login(username)
    assert response.status_code == 200, response.content
    return response.json()


def me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/me/")


def refresh(token: str):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def assert_refused(response):
    assert response.status_code == 401, (response.status_code, response.content)
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["code"] in REFUSAL_CODES, body


# --- revocation ------------------------------------------------------------------------------------------------

def _change_password(user, sessions):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sessions[0]['access']}")
    response = client.post("/api/v1/me/password/", {"current_password": TEST_PASSWORD,
                                                    "new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 204, response.content


def _logout_everywhere(user, sessions):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sessions[-1]['access']}")
    assert client.post("/api/v1/auth/logout-all/").status_code == 204


def _deactivate_by_service(user, sessions):
    user_set_active(user=user, is_active=False, actor="staff-console")


def _deactivate_by_bulk_update(user, sessions):
    # What the admin's bulk actions and a support script do: no save(), no service.
    User.objects.filter(pk=user.pk).update(is_active=False)


REVOCATIONS = {
    "password-change": (_change_password, NEW_PASSWORD),
    "logout-everywhere": (_logout_everywhere, TEST_PASSWORD),
    "deactivation-service": (_deactivate_by_service, None),
    "deactivation-bulk-update": (_deactivate_by_bulk_update, None),
}


@pytest.mark.parametrize("how", list(REVOCATIONS))
def test_revocation_kills_every_older_access_and_refresh_token_on_the_next_request(admin_a, how):
    revoke, password_after = REVOCATIONS[how]
    phone = tokens_of()
    laptop = tokens_of()
    rotated = refresh(laptop["refresh"]).json()  # a pair minted by the refresh endpoint, not by login
    sessions = [phone, rotated]
    for session in sessions:
        assert me(session["access"]).status_code == 200

    revoke(admin_a, sessions)

    for session in sessions:
        assert_refused(me(session["access"]))
        assert_refused(refresh(session["refresh"]))
    # The refused refresh did not mint anything usable either.
    assert_refused(refresh(phone["refresh"]))
    if password_after is None:
        assert login().status_code == 401
    else:
        fresh = login(password=password_after)
        assert fresh.status_code == 200
        assert me(fresh.json()["access"]).status_code == 200


def test_password_change_through_the_api_also_refuses_the_old_password_at_login(admin_a):
    _change_password(admin_a, [tokens_of()])
    assert login(password=TEST_PASSWORD).status_code == 401


def test_tokens_revoked_by_deactivation_stay_dead_after_reactivation(admin_a):
    """Deactivation must revoke, not suspend: re-enabling the account must not bring old tokens back to life
    (someone who copied a token before the account was locked must not regain access when it is unlocked)."""
    before = tokens_of()
    user_set_active(user=admin_a, is_active=False, actor="staff-console")
    assert_refused(me(before["access"]))
    user_set_active(user=admin_a, is_active=True, actor="staff-console")
    assert_refused(me(before["access"]))
    assert_refused(refresh(before["refresh"]))
    assert me(tokens_of()["access"]).status_code == 200  # a new login works


# --- pinning: forged tokens ----------------------------------------------------------------------------------

def _payload(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _sign(payload: dict, *, key=None, algorithm="HS256", headers=None) -> str:
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"] if key is None else key, algorithm=algorithm,
                      headers=headers)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _tampered(token: str, **changes) -> str:
    """Change claims in the payload segment and keep the original header and signature."""
    header, _, signature = token.split(".")
    return ".".join([header, _b64({**_payload(token), **changes}), signature])


def _now() -> int:
    return int(timezone.now().timestamp())


FORGERIES = {
    # name: (token, context) -> forged token
    "alg-none": lambda t, ctx: jwt.encode(_payload(t), None, algorithm="none"),
    "alg-none-capitalised-header": lambda t, ctx: ".".join(
        [_b64({"alg": "None", "typ": "JWT"}), jwt.encode(_payload(t), None, algorithm="none").split(".")[1], ""]),
    "another-algorithm-HS512-same-key": lambda t, ctx: _sign(_payload(t), algorithm="HS512"),
    "another-key": lambda t, ctx: _sign(_payload(t), key="a-different-signing-key-" * 3),
    "another-audience": lambda t, ctx: _sign({**_payload(t), "aud": "someone-else"}),
    "audience-missing": lambda t, ctx: _sign({k: v for k, v in _payload(t).items() if k != "aud"}),
    "another-issuer": lambda t, ctx: _sign({**_payload(t), "iss": "someone-else"}),
    "issuer-missing": lambda t, ctx: _sign({k: v for k, v in _payload(t).items() if k != "iss"}),
    "expired": lambda t, ctx: _sign({**_payload(t), "iat": _now() - 7200, "exp": _now() - 60}),
    "not-yet-valid": lambda t, ctx: _sign({**_payload(t), "nbf": _now() + 3600}),
    "tampered-user-id": lambda t, ctx: _tampered(t, user_id=str(ctx["other_user_id"])),
    "tampered-role": lambda t, ctx: _tampered(t, role="staff"),
    "tampered-expiry": lambda t, ctx: _tampered(t, exp=_now() + 86400 * 365),
    "truncated-signature": lambda t, ctx: t[:-4],
    "session-fingerprint-removed": lambda t, ctx: _sign({k: v for k, v in _payload(t).items() if k != "sfp"}),
    "session-fingerprint-of-another-user": lambda t, ctx: _sign({**_payload(t), "sfp": ctx["other_sfp"]}),
}


@pytest.fixture
def forge_context(admin_a, admin_b):
    other = tokens_of("admin_b")
    return {"other_user_id": admin_b.pk, "other_sfp": _payload(other["access"])["sfp"]}


def test_the_forging_harness_produces_accepted_tokens(admin_a):
    """Control: re-signing an unchanged payload with the real key and algorithm is accepted, so every refusal
    below comes from the one property each forgery changes."""
    tokens = tokens_of()
    assert me(_sign(_payload(tokens["access"]))).status_code == 200
    assert refresh(_sign(_payload(tokens["refresh"]))).status_code == 200


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_forged_access_token_is_refused(admin_a, forge_context, forgery):
    forged = FORGERIES[forgery](tokens_of()["access"], forge_context)
    assert_refused(me(forged))


@pytest.mark.parametrize("forgery", [f for f in FORGERIES if f != "tampered-role"])
def test_forged_refresh_token_is_refused(admin_a, forge_context, forgery):
    tokens = tokens_of()
    forged = FORGERIES[forgery](tokens["refresh"], forge_context)
    assert_refused(refresh(forged))
    assert me(tokens["access"]).status_code == 200  # the genuine session is untouched


def test_a_refresh_token_is_not_an_access_token_and_vice_versa(admin_a):
    tokens = tokens_of()
    assert_refused(me(tokens["refresh"]))
    assert_refused(refresh(tokens["access"]))


def test_token_of_a_deleted_user_is_refused(admin_a):
    tokens = tokens_of()
    User.objects.filter(pk=admin_a.pk).delete()
    assert_refused(me(tokens["access"]))
    assert_refused(refresh(tokens["refresh"]))


def test_access_token_lifetime_is_enforced_without_leeway(admin_a):
    payload = _payload(tokens_of()["access"])
    assert settings.SIMPLE_JWT["LEEWAY"] == 0
    assert payload["exp"] - payload["iat"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    just_expired = _sign({**payload, "exp": _now() - 1})
    assert_refused(me(just_expired))
    assert timedelta(seconds=payload["exp"] - payload["iat"]) <= timedelta(minutes=15)
