from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from coaching import services
from core.exceptions import ApplicationError

from .factories import CoacheeFactory, CoachProfileFactory, NeedsAssessmentFactory


@pytest.fixture
def coach_profile(coach_user):
    """The shared `coach_user` (with `coach_client`) as a coach of leadership and de-escalation in CA."""
    coach_user.first_name, coach_user.last_name = "Morgan", "Reyes"
    coach_user.save(update_fields=["first_name", "last_name"])
    return CoachProfileFactory(user=coach_user, years_in_leadership=20, expertise_areas=["leadership",
                               "de_escalation", "community_engagement"], states=["CA"], languages=["en", "es"])


@pytest.fixture
def coachee_a(agency_a):
    return CoacheeFactory(agency=agency_a, first_name="Lena", last_name="Park")


@pytest.fixture
def assessment_a(coachee_a, admin_a):
    return NeedsAssessmentFactory(coachee=coachee_a, created_by=admin_a,
                                  priorities={"leadership": 3, "de_escalation": 2, "budgeting": 1})


@pytest.fixture
def dates():
    start = timezone.localdate() + timedelta(days=1)
    return {"start_date": start, "end_date": start + timedelta(days=120)}


@contextmanager
def raises(code):
    with pytest.raises(ApplicationError) as info:
        yield info
    assert info.value.code == code, info.value.message


def propose(assessment, coach, actor, dates, **extra):
    return services.agreement_propose(assessment=assessment, coach=coach, actor=actor, **dates, **extra)


@pytest.fixture
def proposed(staff_user, assessment_a, coach_profile, dates):
    return propose(assessment_a, coach_profile, staff_user, {"start_date": timezone.localdate(),
                                                             "end_date": timezone.localdate() + timedelta(120)})


@pytest.fixture
def active(proposed, coach_user, admin_a):
    services.agreement_accept(agreement=proposed, actor=coach_user)
    return services.agreement_accept(agreement=proposed, actor=admin_a)
