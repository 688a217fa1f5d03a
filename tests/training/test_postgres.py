"""Races on PostgreSQL: capacity, duplicates and credits hold with ~20 concurrent requests."""

import threading

import pytest
from django.db import connection

from tests.factories import OfficerFactory
from training import services
from training.models import Completion, Enrollment

from .factories import started_session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_parallel(n, work):
    barrier = threading.Barrier(n)
    outcomes, errors = [], []

    def target(i):
        try:
            barrier.wait()
            outcomes.append(work(i))
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


def test_capacity_holds_under_concurrent_enrolment(course, agency_a, staff_user):
    session = started_session(course=course, capacity=5)
    officers = [OfficerFactory(agency=agency_a) for _ in range(20)]
    outcomes, errors = run_parallel(20, lambda i: services.enrollments_create(
        session=session, officer_ids=[officers[i].pk], actor=staff_user)[0].result)
    assert errors == []
    assert sorted(outcomes).count("enrolled") == 5 and outcomes.count("waitlisted") == 15
    assert Enrollment.objects.filter(session=session, status="enrolled").count() == 5


def test_same_officer_enrolled_concurrently_once(course, officer_a, staff_user):
    session = started_session(course=course, capacity=5)
    outcomes, errors = run_parallel(20, lambda i: services.enrollments_create(
        session=session, officer_ids=[officer_a.pk], actor=staff_user)[0].result)
    assert errors == []
    assert outcomes.count("enrolled") == 1 and outcomes.count("refused") == 19
    assert Enrollment.objects.filter(session=session).count() == 1


def test_concurrent_completion_awards_credit_once(course, officer_a, staff_user):
    session = started_session(course=course, capacity=5)
    services.enrollments_create(session=session, officer_ids=[officer_a.pk], actor=staff_user)
    outcomes, errors = run_parallel(20, lambda i: services.attendance_record(
        session=session, records=[(officer_a.pk, "completed")], actor=staff_user)[0].changed)
    assert errors == []
    assert outcomes.count(True) == 1
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
    _, errors = run_parallel(5, lambda i: services.enrollment_cancel(enrollment=seated[i], actor=staff_user))
    assert errors == []
    assert Enrollment.objects.filter(session=session, status="enrolled").count() == 5
    promoted = set(Enrollment.objects.filter(session=session, status="enrolled").values_list("officer_id", flat=True))
    assert promoted == {o.pk for o in officers[5:10]}  # first come, first served
