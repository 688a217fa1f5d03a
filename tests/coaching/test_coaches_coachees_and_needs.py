"""Coach profiles, coachees and needs assessments through the services: who may write them, and their rules."""

import pytest

from agencies.models import Role
from coaching import services
from core.models import AuditEvent
from tests.factories import UserFactory

from .conftest import raises

pytestmark = pytest.mark.django_db



def test_coach_creates_own_profile_but_not_for_others(coach_user):
    profile = services.coach_profile_create(actor=coach_user, user=coach_user, years_in_leadership=12,
                                            highest_rank="Deputy Chief", expertise_areas=["budgeting"])
    assert profile.languages == ["en"]
    assert AuditEvent.objects.filter(action="coach_profile.created", target_id=str(profile.pk)).exists()
    other = UserFactory(role=Role.COACH)
    with raises("permission_denied"):
        services.coach_profile_create(actor=coach_user, user=other, years_in_leadership=1, highest_rank="Sgt")


def test_profile_needs_the_coach_role(staff_user, admin_a):
    with raises("validation_error"):
        services.coach_profile_create(actor=staff_user, user=admin_a, years_in_leadership=1, highest_rank="Sgt")


def test_coach_cannot_change_their_former_agency_or_activity(coach_profile, coach_user, agency_a, staff_user):
    with raises("permission_denied"):
        services.coach_profile_update(profile=coach_profile, actor=coach_user, data={"active": False})
    services.coach_profile_update(profile=coach_profile, actor=coach_user, data={"capacity": 5, "bio": "Hi"})
    services.coach_profile_update(profile=coach_profile, actor=staff_user, data={"former_agency": agency_a})
    coach_profile.refresh_from_db()
    assert (coach_profile.capacity, coach_profile.former_agency_id) == (5, agency_a.pk)
    assert AuditEvent.objects.filter(action="coach_profile.updated").count() == 2


def test_invalid_expertise_area_is_a_field_error(coach_profile, staff_user):
    with raises("validation_error") as exc:
        services.coach_profile_update(profile=coach_profile, actor=staff_user, data={"expertise_areas": ["karate"]})
    assert "expertise_areas" in exc.value.fields


def test_coachee_officer_must_serve_the_agency(admin_a, agency_a, officer_b):
    with raises("validation_error"):
        services.coachee_create(actor=admin_a, agency=agency_a, coachee_type="police_leader", officer=officer_b)


def test_coachee_from_an_officer_takes_their_name(admin_a, agency_a, officer_a):
    coachee = services.coachee_create(actor=admin_a, agency=agency_a, coachee_type="police_leader",
                                      officer=officer_a)
    assert (coachee.first_name, coachee.last_name) == (officer_a.first_name, officer_a.last_name)


def test_needs_assessment_validates_priorities_and_conflicts(admin_a, coachee_a):
    with raises("validation_error") as exc:
        services.needs_assessment_create(actor=admin_a, coachee=coachee_a, priorities={"karate": 2, "leadership": 4})
    assert set(exc.value.fields) == {"priorities.karate", "priorities.leadership"}
    with raises("validation_error"):
        services.needs_assessment_create(actor=admin_a, coachee=coachee_a, conflicts=[999999])
    with raises("validation_error"):
        services.needs_assessment_create(actor=admin_a, coachee=coachee_a, languages=[])


def test_a_second_open_assessment_is_a_field_error(admin_a, assessment_a):
    with raises("validation_error"):
        services.needs_assessment_create(actor=admin_a, coachee=assessment_a.coachee)


def test_needs_assessment_update_replaces_priorities(admin_a, assessment_a, coach_profile):
    services.needs_assessment_update(assessment=assessment_a, actor=admin_a,
                                     data={"priorities": {"budgeting": 3}, "conflicts": [coach_profile.pk],
                                           "remote_only": True})
    assert {p.area: p.priority for p in assessment_a.priorities.all()} == {"budgeting": 3}
    assert list(assessment_a.conflicts.all()) == [coach_profile]
    assert AuditEvent.objects.get(action="needs_assessment.updated").data["remote_only"] == {"from": False,
                                                                                             "to": True}


def test_withdrawn_assessment_cannot_change(admin_a, assessment_a):
    services.needs_assessment_withdraw(assessment=assessment_a, actor=admin_a, reason="promoted elsewhere")
    with raises("needs_assessment_not_open"):
        services.needs_assessment_update(assessment=assessment_a, actor=admin_a, data={"goals": "x"})
    with raises("invalid_transition"):
        services.needs_assessment_withdraw(assessment=assessment_a, actor=admin_a)


def test_prefill_needs_a_coachee_on_the_roster(admin_a, assessment_a):
    with raises("coachee_not_an_officer"):
        services.needs_assessment_prefill_from_360(assessment=assessment_a, actor=admin_a)


@pytest.mark.parametrize(("position", "priority"), [(0, 3), (1, 3), (2, 2), (3, 2), (4, 1), (9, 1)])
def test_prefill_priority_by_position(position, priority):
    assert services.prefill_priority(position) == priority
