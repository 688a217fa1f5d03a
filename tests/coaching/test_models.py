"""The database holds coaching's rules: full_clean() reports them, a raw create() is refused."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import Role
from coaching.models import (
    AGREEMENT_MAX_DAYS,
    AGREEMENT_MIN_DAYS,
    AgreementStatus,
    Coachee,
    CoacheeType,
    CoachingSession,
    CoachProfile,
    NeedPriority,
    NeedsAssessment,
)
from tests.factories import UserFactory
from tests.support.constraints import database_and_full_clean_refuse

from .factories import AgreementFactory, CoacheeFactory, CoachProfileFactory, NeedsAssessmentFactory

pytestmark = pytest.mark.django_db


def agreement_build(**fields):
    """An unsaved agreement whose related rows exist."""
    coachee = fields.pop("coachee", None) or CoacheeFactory()
    return AgreementFactory.build(coach=fields.pop("coach", None) or CoachProfileFactory(), coachee=coachee,
                                  sponsor_agency=coachee.agency, proposed_by=UserFactory(), **fields)


@pytest.mark.parametrize("days", [AGREEMENT_MIN_DAYS - 1, AGREEMENT_MAX_DAYS + 1, -10])
def test_agreement_length_outside_3_to_6_months_is_refused(days):
    database_and_full_clean_refuse(
        agreement_build(start_date=date(2026, 1, 1),
                        end_date=date(2026, 1, 1) + timedelta(days=days)))


@pytest.mark.parametrize("days", [AGREEMENT_MIN_DAYS, AGREEMENT_MAX_DAYS])
def test_agreement_length_at_the_bounds_is_accepted(days):
    agreement = AgreementFactory(start_date=date(2026, 2, 1), end_date=date(2026, 2, 1) + timedelta(days=days))
    agreement.full_clean()


def test_one_running_agreement_per_coachee():
    first = AgreementFactory()
    database_and_full_clean_refuse(
        agreement_build(coach=first.coach, coachee=first.coachee, status=AgreementStatus.ACTIVE,
                        coach_accepted_at=timezone.now(), sponsor_accepted_at=timezone.now()))


def test_a_finished_agreement_does_not_block_a_new_one():
    first = AgreementFactory(status=AgreementStatus.TERMINATED, termination_reason="declined")
    AgreementFactory(coach=first.coach, coachee=first.coachee).full_clean()


def test_active_agreement_needs_both_acceptances():
    database_and_full_clean_refuse(agreement_build(status=AgreementStatus.ACTIVE, coach_accepted_at=timezone.now()))


@pytest.mark.parametrize("rating", [0, 6])
def test_outcome_rating_is_1_to_5(rating):
    database_and_full_clean_refuse(
        agreement_build(status=AgreementStatus.COMPLETED,
                        coach_accepted_at=timezone.now(), sponsor_accepted_at=timezone.now(),
                        coach_outcome_rating=rating))


def test_outcome_ratings_only_on_completed_agreements():
    database_and_full_clean_refuse(agreement_build(sponsor_outcome_rating=4))


def test_termination_needs_a_reason():
    database_and_full_clean_refuse(agreement_build(status=AgreementStatus.TERMINATED))


@pytest.mark.parametrize("priority", [4, 9])
def test_need_priority_is_0_to_3(priority):
    assessment = NeedsAssessmentFactory(priorities={})
    database_and_full_clean_refuse(NeedPriority(assessment=assessment, area="leadership", priority=priority))


def test_need_area_must_be_in_the_vocabulary():
    assessment = NeedsAssessmentFactory(priorities={})
    database_and_full_clean_refuse(NeedPriority(assessment=assessment, area="karate", priority=2))


def test_one_priority_per_area():
    assessment = NeedsAssessmentFactory(priorities={"leadership": 1})
    database_and_full_clean_refuse(NeedPriority(assessment=assessment, area="leadership", priority=2))


def test_one_open_needs_assessment_per_coachee():
    first = NeedsAssessmentFactory()
    database_and_full_clean_refuse(
        NeedsAssessment(coachee=first.coachee, languages=["en"], created_by=first.created_by))


def test_city_manager_cannot_be_linked_to_an_officer(officer_a):
    database_and_full_clean_refuse(
        Coachee(coachee_type=CoacheeType.CITY_MANAGER, agency=officer_a.agency, officer=officer_a,
                first_name="A", last_name="B"))


def test_coach_capacity_is_bounded():
    database_and_full_clean_refuse(
        CoachProfile(user=UserFactory(role=Role.COACH), years_in_leadership=5, highest_rank="Chief",
                     capacity=21))


def test_session_duration_is_bounded():
    agreement = AgreementFactory()
    database_and_full_clean_refuse(
        CoachingSession(agreement=agreement, held_on=agreement.start_date, duration_minutes=600))


@pytest.mark.parametrize(("field", "value"), [
    ("expertise_areas", ["karate"]),
    ("states", ["ZZ"]),
    ("languages", ["English"]),
    ("expertise_areas", ["leadership", "leadership"]),
    ("states", "CA"),
])
def test_coach_vocabulary_lists_are_validated(field, value):
    profile = CoachProfileFactory.build(user=CoachProfileFactory().user, **{field: value})
    with pytest.raises(ValidationError) as exc:
        profile.full_clean(exclude=["user"])
    assert field in exc.value.message_dict
