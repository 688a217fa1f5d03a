"""What a JWT request costs the database: the session binding is one query (the user row, loaded with precompiled
SQL), checked in Python; revocation still shows on the very next request because that row is read every time."""

import pytest
from rest_framework.test import APIClient

from agencies.models import User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

# The user row (binding), then the officer row, its employment history and its licences.
OFFICER_DETAIL_QUERIES = 4


def _logged_in(username: str) -> APIClient:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": TEST_PASSWORD},
                                format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def test_officer_detail_with_a_jwt_costs_four_queries(admin_a, officer_a, django_assert_num_queries):
    client = _logged_in("admin_a")
    with django_assert_num_queries(OFFICER_DETAIL_QUERIES) as captured:
        response = client.get(f"/api/v1/officers/{officer_a.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["license_number"] == officer_a.license_number
    user_queries = [q["sql"] for q in captured.captured_queries if '"agencies_user"' in q["sql"].split(" FROM ")[1]]
    assert len(user_queries) == 1


def test_the_binding_loads_the_user_as_the_orm_would(admin_a):
    from rest_framework_simplejwt.tokens import AccessToken

    from agencies.auth import LoginSerializer, SessionBoundJWTAuthentication

    token = AccessToken(str(LoginSerializer.get_token(admin_a).access_token))
    loaded = SessionBoundJWTAuthentication().get_user(token)
    expected = User.objects.get(pk=admin_a.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded._state.adding is False and loaded._state.db == "default"


def test_a_bulk_deactivation_between_two_requests_refuses_the_second(admin_a, officer_a):
    client = _logged_in("admin_a")
    assert client.get(f"/api/v1/officers/{officer_a.pk}/").status_code == 200
    User.objects.filter(pk=admin_a.pk).update(is_active=False)  # no signal, no service: only the row changed
    refused = client.get(f"/api/v1/officers/{officer_a.pk}/")
    assert refused.status_code == 401
    assert set(refused.json()) == {"code", "message", "fields"}


def test_a_password_hash_changed_in_the_database_refuses_the_next_request(admin_a, officer_a):
    client = _logged_in("admin_a")
    assert client.get(f"/api/v1/officers/{officer_a.pk}/").status_code == 200
    User.objects.filter(pk=admin_a.pk).update(password="pbkdf2_sha256$1$changed$elsewhere")
    refused = client.get(f"/api/v1/officers/{officer_a.pk}/")
    assert refused.status_code == 401
    assert set(refused.json()) == {"code", "message", "fields"}


def test_a_token_for_a_deleted_user_or_a_non_numeric_id_is_refused_not_a_500(admin_a):
    import jwt
    from django.conf import settings

    from agencies.auth import LoginSerializer

    token = LoginSerializer.get_token(admin_a).access_token
    signing = settings.SIMPLE_JWT.get("SIGNING_KEY") or settings.SECRET_KEY
    algorithm = settings.SIMPLE_JWT.get("ALGORITHM", "HS256")
    for user_id in (999_999, "not-a-number"):
        payload = {**token.payload, "user_id": user_id}
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwt.encode(payload, signing, algorithm=algorithm)}")
        response = client.get("/api/v1/me/")
        assert response.status_code == 401, (user_id, response.content)
        assert set(response.json()) == {"code", "message", "fields"}
