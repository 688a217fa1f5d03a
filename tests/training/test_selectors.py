"""The contracts other apps rely on: exact names and behaviour."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.services import officer_transfer
from tests.factories import OfficerFactory, UserFactory
from training import models, selectors
from training.models import Completion, CompletionSource, CreditImport, InstructorAccount, InstructorQualification

from .factories import AccreditationFactory, CourseFactory, TrainerCourseFactory, designate

pytestmark = pytest.mark.django_db


def credit(officer, course, on, hours=None):
    batch = CreditImport.objects.create(sha256="0" * 64, rows=1, actor_label="test")
    return Completion.objects.create(officer=officer, course=course, source=CompletionSource.IMPORT,
                                     credit_import=batch, completed_on=on, ce_hours=hours or course.ce_hours,
                                     verification_code=f"CODE-{officer.pk}-{course.pk}-{on}")


def test_course_code_constants_have_the_agreed_values():
    assert models.PEACE_OFFICER_COURSE_CODE == "PO-101"
    assert models.TRAIN_THE_TRAINER_COURSE_CODE == "PO-TTT"


def test_officer_ce_hours_counts_completions_within_inclusive_range(officer_a, course):
    other = CourseFactory(ce_hours="4.50")
    credit(officer_a, course, date(2025, 1, 1))
    credit(officer_a, other, date(2025, 12, 31))
    credit(officer_a, course, date(2026, 1, 1))  # outside
    credit(OfficerFactory(), course, date(2025, 6, 1))  # someone else
    hours = selectors.officer_ce_hours(officer_id=officer_a.pk, start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert hours == Decimal("12.50")
    assert isinstance(hours, Decimal)


def test_officer_ce_hours_with_state_uses_the_accreditation_mapping(officer_a, course):
    unaccepted = CourseFactory(ce_hours="4.00")
    AccreditationFactory(course=unaccepted, state="OH", accepted=False, hours_accepted="0")
    unmapped = CourseFactory(ce_hours="3.00")
    for c in (course, unaccepted, unmapped):
        credit(officer_a, c, date(2025, 3, 1))
    credit(officer_a, course, date(2025, 4, 1))
    kwargs = {"officer_id": officer_a.pk, "start": date(2025, 1, 1), "end": date(2025, 12, 31)}
    assert selectors.officer_ce_hours(**kwargs, state="OH") == Decimal("12.00")  # 2 x 6 h accepted by OH
    assert selectors.officer_ce_hours(**kwargs, state="CA") == Decimal("16.00")
    assert selectors.officer_ce_hours(**kwargs, state="TX") == Decimal("0.00")
    assert selectors.officer_ce_hours(**kwargs) == Decimal("23.00")


def test_officer_ce_hours_is_zero_without_completions(officer_a):
    assert selectors.officer_ce_hours(officer_id=officer_a.pk, start=date(2000, 1, 1),
                                      end=date(2030, 1, 1)) == Decimal("0")


def test_agency_completed_count_counts_current_officers_once_in_one_query(agency_a, agency_b, course):
    first, second, never = (OfficerFactory(agency=agency_a) for _ in range(3))
    credit(first, course, date(2024, 1, 1))
    credit(first, course, date(2025, 1, 1))  # twice: still one officer
    credit(second, course, date(2025, 1, 1))
    credit(OfficerFactory(agency=agency_b), course, date(2025, 1, 1))
    with CaptureQueriesContext(connection) as ctx:
        count = selectors.agency_officers_completed_course_count(agency_id=agency_a.pk, course_code="PO-101")
    assert count == 2
    assert len(ctx.captured_queries) == 1
    officer_transfer(officer=second, to_agency=agency_b, actor=None)  # only CURRENT officers count
    assert selectors.agency_officers_completed_course_count(agency_id=agency_a.pk, course_code="PO-101") == 1
    assert selectors.agency_officers_completed_course_count(agency_id=agency_a.pk, course_code="NOPE") == 0


def test_instructor_is_qualified_by_staff_designation_within_its_dates(instructor_user, course):
    today = timezone.localdate()
    assert not selectors.instructor_is_qualified(user_id=instructor_user.pk, course_id=course.pk, on=today)
    designate(instructor_user, course, days_ago=10, valid_until=today + timedelta(days=5))
    assert selectors.instructor_is_qualified(user_id=instructor_user.pk, course_id=course.pk, on=today)
    assert not selectors.instructor_is_qualified(user_id=instructor_user.pk, course_id=course.pk,
                                                 on=today + timedelta(days=6))
    assert not selectors.instructor_is_qualified(user_id=instructor_user.pk, course_id=course.pk,
                                                 on=today - timedelta(days=11))
    assert not selectors.instructor_is_qualified(user_id=instructor_user.pk, course_id=CourseFactory().pk, on=today)


def test_instructor_is_qualified_as_trainer_graduate_through_linked_officer(instructor_user, officer_a):
    trainer = TrainerCourseFactory()
    completion = credit(officer_a, trainer, date(2025, 1, 10))
    InstructorQualification.objects.create(
        course=trainer.qualifies_for, source="trainer_graduate", officer=officer_a, completion=completion,
        valid_from=date(2025, 1, 10), valid_until=date(2027, 1, 10))
    target = trainer.qualifies_for.pk
    assert not selectors.instructor_is_qualified(user_id=instructor_user.pk, course_id=target, on=date(2025, 6, 1))
    InstructorAccount.objects.create(user=instructor_user, officer=officer_a)
    assert selectors.instructor_is_qualified(user_id=instructor_user.pk, course_id=target, on=date(2025, 6, 1))
    assert not selectors.instructor_is_qualified(user_id=instructor_user.pk, course_id=target, on=date(2027, 1, 11))
    assert not selectors.instructor_is_qualified(user_id=UserFactory().pk, course_id=target, on=date(2025, 6, 1))
