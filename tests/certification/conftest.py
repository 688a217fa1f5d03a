"""Certification fixtures: the demo programme's checklist and a second staff member (two-person rule). The
credit, checklist and certified-agency builders live in tests/support/builders.py."""

import pytest

from agencies.models import Role
from demo.data.certification import programme_ensure
from tests.conftest import jwt_client
from tests.factories import UserFactory


@pytest.fixture
def staff2(db):
    return UserFactory(username="staff2", role=Role.CERTIFICATION_STAFF, is_staff=True)


@pytest.fixture
def staff2_client(staff2):
    return jwt_client(staff2)


@pytest.fixture
def staff3(db):
    return UserFactory(username="staff3", role=Role.CERTIFICATION_STAFF, is_staff=True)


@pytest.fixture
def programme(db):
    return programme_ensure(actor="test")[0]


def ids(response):
    return {row["id"] for row in response.json()["results"]}
