from decimal import Decimal

import pytest

from tests.factories import OfficerFactory
from training.models import Course, CourseKind

from .factories import AccreditationFactory, SessionFactory, assign, designate, started_session


@pytest.fixture
def course(db):
    # PO-101 arrives by data migration (training 0002): take that row, with the values these tests expect.
    course, _ = Course.objects.update_or_create(code="PO-101", defaults={
        "title": "Peace Officer", "ce_hours": Decimal("8.00"), "offered_in_person": True, "offered_virtual": True,
        "kind": CourseKind.STANDARD, "qualifies_for": None, "is_active": True, "description": ""})
    AccreditationFactory(course=course, state="CA", hours_accepted=Decimal("8.00"), state_course_number="POST-1")
    AccreditationFactory(course=course, state="OH", hours_accepted=Decimal("6.00"), state_course_number="OH-9")
    return course


@pytest.fixture
def qualified_instructor(instructor_user, course):
    designate(instructor_user, course)
    return instructor_user


@pytest.fixture
def upcoming(course, qualified_instructor):
    session = SessionFactory(course=course, capacity=2)
    assign(session, qualified_instructor)
    return session


@pytest.fixture
def running(course, qualified_instructor):
    session = started_session(course=course, capacity=5)
    assign(session, qualified_instructor)
    return session


@pytest.fixture
def officers_a(agency_a):
    return [OfficerFactory(agency=agency_a) for _ in range(3)]
