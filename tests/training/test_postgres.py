"""Races on PostgreSQL: capacity, duplicates and credits hold with ~20 concurrent requests."""

import pytest

from tests.factories import OfficerFactory
from tests.support.races import run_together
from training import services
from training.models import Completion, Enrollment

from .factories import started_session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_capacity_holds_under_concurrent_enrolment(course, agency_a, staff_user):
    session = started_session(course=course, capacity=5)
    officers = [OfficerFactory(agency=agency_a) for _ in range(20)]
    race = run_together(20, lambda i: services.enrollments_create(
        session=session, officer_ids=[officers[i].pk], actor=staff_user)[0].result)
    assert race.errors == []
    assert sorted(race.results).count("enrolled") == 5 and race.results.count("waitlisted") == 15
    assert Enrollment.objects.filter(session=session, status="enrolled").count() == 5


def test_same_officer_enrolled_concurrently_once(course, officer_a, staff_user):
    session = started_session(course=course, capacity=5)
    race = run_together(20, lambda i: services.enrollments_create(
        session=session, officer_ids=[officer_a.pk], actor=staff_user)[0].result)
    assert race.errors == []
    assert race.results.count("enrolled") == 1 and race.results.count("refused") == 19
    assert Enrollment.objects.filter(session=session).count() == 1


def test_concurrent_completion_awards_credit_once(course, officer_a, staff_user):
    session = started_session(course=course, capacity=5)
    services.enrollments_create(session=session, officer_ids=[officer_a.pk], actor=staff_user)
    race = run_together(20, lambda i: services.attendance_record(
        session=session, records=[(officer_a.pk, "completed")], actor=staff_user)[0].changed)
    assert race.errors == []
    assert race.results.count(True) == 1
    assert Completion.objects.filter(officer=officer_a).count() == 1


def test_concurrent_cancellations_promote_exactly_the_freed_seats(course, agency_a, staff_user):
    from datetime import timedelta

    from django.utils import timezone

    session = started_session(course=course, capacity=5)
    session.starts_at = timezone.now() + timedelta(days=1)
    session.ends_at = session.starts_at + timedelta(hours=8)
    session.save(update_fields=["starts_at", "ends_at"])
    officers = [OfficerFactory(agency=agency_a) for _ in range(15)]
    outcomes = services.enrollments_create(session=session, officer_ids=[o.pk for o in officers], actor=staff_user)
    seated = [o.enrollment for o in outcomes if o.result == "enrolled"]
    race = run_together(5, lambda i: services.enrollment_cancel(enrollment=seated[i], actor=staff_user))
    assert race.errors == []
    assert Enrollment.objects.filter(session=session, status="enrolled").count() == 5
    promoted = set(Enrollment.objects.filter(session=session, status="enrolled").values_list("officer_id", flat=True))
    assert promoted == {o.pk for o in officers[5:10]}  # first come, first served
