"""Constraints hold in the database, and full_clean() reports them before a write."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.support.constraints import database_and_full_clean_refuse
from training.models import (
    Course,
    CourseStateAccreditation,
    Enrollment,
    InstructorQualification,
    TrainingSession,
)

from .factories import CourseFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kwargs", [
    {"ce_hours": Decimal("0")},
    {"ce_hours": Decimal("800")},
    {"offered_in_person": False, "offered_virtual": False},
    {"kind": "train_the_trainer"},  # without qualifies_for
    {"kind": "bogus"},
])
def test_course_constraints(kwargs):
    database_and_full_clean_refuse(Course(**{"code": "X", "title": "X", "ce_hours": Decimal("8"), **kwargs}))


@pytest.mark.parametrize("kwargs", [
    {"accepted": False, "hours_accepted": Decimal("4")},
    {"accepted": True, "hours_accepted": Decimal("0")},
])
def test_accreditation_hours_match_acceptance(kwargs):
    database_and_full_clean_refuse(CourseStateAccreditation(course=CourseFactory(), state="CA", **kwargs))


def test_one_accreditation_per_course_and_state():
    course = CourseFactory()
    CourseStateAccreditation.objects.create(course=course, state="CA", accepted=True, hours_accepted=8)
    database_and_full_clean_refuse(CourseStateAccreditation(course=course, state="CA", accepted=True, hours_accepted=4))


@pytest.mark.parametrize("kwargs", [
    {"ends_offset": timedelta(hours=-1)},
    {"capacity": 0},
    {"mode": "virtual", "meeting_url": ""},
    {"mode": "in_person", "location": ""},
])
def test_session_constraints(kwargs):
    start = timezone.now()
    values = {"course": CourseFactory(), "starts_at": start, "ends_at": start + kwargs.pop("ends_offset",
              timedelta(hours=2)), "mode": "in_person", "location": "Hall", "capacity": 5, **kwargs}
    database_and_full_clean_refuse(TrainingSession(**values))


def test_one_live_enrolment_per_officer_and_session(officer_a):
    session = SessionFactory()
    Enrollment.objects.create(session=session, officer=officer_a, status="enrolled")
    database_and_full_clean_refuse(Enrollment(session=session, officer=officer_a, status="waitlisted"))
    Enrollment.objects.filter(session=session).update(status="cancelled")
    Enrollment.objects.create(session=session, officer=officer_a, status="enrolled")  # after a cancellation: fine


def test_enrolment_status_must_be_known(officer_a):
    database_and_full_clean_refuse(Enrollment(session=SessionFactory(), officer=officer_a, status="maybe"))


def test_designated_qualification_needs_a_user_and_dates_in_order(officer_a):
    course = CourseFactory()
    database_and_full_clean_refuse(
        InstructorQualification(course=course, source="designated", officer=officer_a,
                                valid_from=date(2025, 1, 1)))
    database_and_full_clean_refuse(
        InstructorQualification(course=course, source="trainer_graduate", officer=officer_a,
                                valid_from=date(2025, 1, 1), valid_until=date(2026, 1, 1)))
