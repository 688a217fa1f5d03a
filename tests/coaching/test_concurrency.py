"""Capacity under concurrent confirmations, and the raw-SQL constraints, on PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agencies.models import Role
from coaching import services
from coaching.models import Agreement, AgreementStatus
from core.audit import audit_chain_verify
from core.exceptions import ApplicationError
from tests.factories import UserFactory
from tests.support.races import run_each_together

from .factories import AgreementFactory, CoacheeFactory, CoachProfileFactory, NeedsAssessmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20


def outcomes_together(work, items):
    """work(item) for every item, all released at once (tests/support/races.py): (item, result or refusal code)."""
    def attempt(item):
        try:
            return item, work(item)
        except ApplicationError as exc:
            return item, exc.code
        except IntegrityError:
            return item, "integrity_error"

    race = run_each_together(items, attempt)
    assert race.errors == [], race.errors
    return race.results


def test_concurrent_confirmations_never_exceed_a_coachs_capacity():
    staff = UserFactory(role=Role.CERTIFICATION_STAFF)
    coach = CoachProfileFactory(capacity=3)
    assessments = [NeedsAssessmentFactory(coachee=CoacheeFactory()) for _ in range(THREADS)]
    start = timezone.localdate()

    def confirm(assessment):
        return services.agreement_propose(assessment=assessment, coach=coach, actor=staff, start_date=start,
                                          end_date=start + timedelta(days=120)).pk

    results = outcomes_together(confirm, assessments)
    codes = [outcome for _, outcome in results]
    assert sum(isinstance(o, int) for o in codes) == 3
    assert codes.count("coach_at_capacity") == THREADS - 3
    assert Agreement.objects.filter(coach=coach, status=AgreementStatus.PROPOSED).count() == 3
    assert audit_chain_verify().ok


def test_concurrent_confirmations_of_one_assessment_make_one_agreement():
    staff = UserFactory(role=Role.CERTIFICATION_STAFF)
    assessment = NeedsAssessmentFactory()
    coaches = [CoachProfileFactory() for _ in range(THREADS)]
    start = timezone.localdate()

    def confirm(coach):
        return services.agreement_propose(assessment=assessment, coach=coach, actor=staff, start_date=start,
                                          end_date=start + timedelta(days=120)).pk

    results = outcomes_together(confirm, coaches)
    assert sum(isinstance(outcome, int) for _, outcome in results) == 1
    assert Agreement.objects.filter(coachee=assessment.coachee).count() == 1


def test_both_parties_accepting_at_once_activate_the_agreement():
    agreement = AgreementFactory()
    admin = UserFactory(role=Role.AGENCY_ADMIN, agency=agreement.sponsor_agency)
    outcomes_together(lambda actor: services.agreement_accept(agreement=agreement, actor=actor).pk,
                 [agreement.coach.user, admin])
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE


@pytest.mark.parametrize(("days", "ok"), [(88, False), (89, True), (184, True), (185, False)])
def test_raw_sql_cannot_store_an_agreement_outside_3_to_6_months(days, ok):
    agreement = AgreementFactory()
    statement = "UPDATE coaching_agreement SET end_date = start_date + %s WHERE id = %s"
    if ok:
        with connection.cursor() as cursor:
            cursor.execute(statement, [days, agreement.pk])
    else:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [days, agreement.pk])
