"""Shared fixtures: the programme's roles, each with an API client holding a real signed JWT."""

import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from agencies.auth import LoginSerializer
from agencies.models import Role

from .factories import AgencyFactory, OfficerFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_broker = bool(getattr(settings, "CELERY_BROKER_URL_FOR_WORKER_TESTS", ""))
    for item in items:
        if "browser" in item.keywords and not CHROMIUM:
            item.add_marker(pytest.mark.skip(reason="needs Debian's chromium (apt-get install -y chromium)"))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)"))
        if "broker" in item.keywords and not (has_broker and on_postgres):
            item.add_marker(pytest.mark.skip(reason="needs CELERY_BROKER_URL and PostgreSQL (CI sets both)"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before a transactional test's flush: empty the append-only audit table the only way PostgreSQL allows,
    as its owner with the triggers disabled (the trigger then lets the flush's TRUNCATE of an empty table pass)."""
    marker = item.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")) or connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM core_auditevent")
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
    except RuntimeError:
        return  # skipped before its database was set up: pytest-django blocks access, and there is nothing to empty


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache (Redis in CI): no test may inherit another's attempts.
    cache.clear()
    yield
    cache.clear()


def jwt_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {LoginSerializer.get_token(user).access_token}")
    client.user = user
    return client


@pytest.fixture
def agency_a(db):
    return AgencyFactory(name="Agency A Police", state="CA")


@pytest.fixture
def agency_b(db):
    return AgencyFactory(name="Agency B Sheriff", state="OH", agency_type="sheriff")


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staff", role=Role.CERTIFICATION_STAFF, is_staff=True)


@pytest.fixture
def admin_a(agency_a):
    return UserFactory(username="admin_a", role=Role.AGENCY_ADMIN, agency=agency_a)


@pytest.fixture
def admin_b(agency_b):
    return UserFactory(username="admin_b", role=Role.AGENCY_ADMIN, agency=agency_b)


@pytest.fixture
def instructor_user(db):
    return UserFactory(username="instructor", role=Role.INSTRUCTOR)


@pytest.fixture
def coach_user(db):
    return UserFactory(username="coach", role=Role.COACH)


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def staff_client(staff_user):
    return jwt_client(staff_user)


@pytest.fixture
def admin_a_client(admin_a):
    return jwt_client(admin_a)


@pytest.fixture
def admin_b_client(admin_b):
    return jwt_client(admin_b)


@pytest.fixture
def instructor_client(instructor_user):
    return jwt_client(instructor_user)


@pytest.fixture
def coach_client(coach_user):
    return jwt_client(coach_user)


@pytest.fixture
def officer_a(agency_a):
    return OfficerFactory(agency=agency_a)


@pytest.fixture
def officer_b(agency_b):
    return OfficerFactory(agency=agency_b)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium (Playwright's own browser download is not available)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }
