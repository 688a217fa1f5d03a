"""Coaching uses the shared mechanisms of core (issue #17): one lifecycle, one access rule, one field error."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import Role
from coaching import selectors, services
from coaching.models import AgreementStatus, NeedsAssessmentStatus
from core.access import scope_to_agency
from core.exceptions import ApplicationError
from core.models import AuditEvent
from core.transitions import Lifecycle
from tests.factories import UserFactory

from .factories import AgreementFactory, CoacheeFactory

BASE = "/api/v1/coaching"


def test_agreement_and_needs_assessment_lifecycles_are_core_lifecycles():
    assert isinstance(services.AGREEMENT_LIFECYCLE, Lifecycle)
    assert isinstance(services.NEEDS_ASSESSMENT_LIFECYCLE, Lifecycle)
    assert services.AGREEMENT_LIFECYCLE.allowed.get(AgreementStatus.COMPLETED) is None  # terminal
    assert services.NEEDS_ASSESSMENT_LIFECYCLE.allowed.get(NeedsAssessmentStatus.WITHDRAWN) is None  # terminal


def test_agreement_ledger_entries_have_the_lifecycle_shape(coach_profile, coach_user, admin_a, agency_a):
    agreement = AgreementFactory(coach=coach_profile, coachee=CoacheeFactory(agency=agency_a))
    services.agreement_accept(agreement=agreement, actor=coach_user)
    agreement = services.agreement_accept(agreement=agreement, actor=admin_a)
    assert AuditEvent.objects.get(action="agreement.activated").data == {"from": "proposed", "to": "active"}
    services.agreement_complete(agreement=agreement, actor=coach_user, rating=4)
    assert AuditEvent.objects.get(action="agreement.completed").data == {
        "from": "active", "to": "completed", "coach_outcome_rating": 4}
    agreement.refresh_from_db()
    assert agreement.ended_at is not None and agreement.activated_at is not None


def test_withdrawing_twice_over_http_is_409_invalid_transition(admin_a_client, assessment_a):
    url = f"{BASE}/needs-assessments/{assessment_a.pk}/withdraw/"
    assert admin_a_client.post(url, {"reason": "promoted"}, format="json").status_code == 200
    again = admin_a_client.post(url, {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    event = AuditEvent.objects.get(action="needs_assessment.withdrawn")
    assert event.data == {"from": "open", "to": "withdrawn", "reason": "promoted"}


def test_agreements_are_scoped_like_every_agency_row_plus_the_coach_branch(coach_profile, coach_user, admin_a,
                                                                           admin_b, staff_user, agency_a):
    mine = AgreementFactory(coach=coach_profile, coachee=CoacheeFactory(agency=agency_a))
    other = AgreementFactory()
    other_coach = UserFactory(role=Role.COACH)
    assert set(selectors.agreement_visible_to(staff_user)) == {mine, other}
    assert set(selectors.agreement_visible_to(admin_a)) == {mine}
    assert set(selectors.agreement_visible_to(admin_b)) == set()
    assert set(selectors.agreement_visible_to(coach_user)) == {mine}
    assert set(selectors.agreement_visible_to(other_coach)) == set()
    coachees = selectors.coachee_visible_to(admin_a)
    assert set(coachees) == set(scope_to_agency(coachees.model.objects.all(), admin_a))
    assert not selectors.coachee_visible_to(coach_user).exists()


def test_a_foreign_coachee_and_a_missing_one_get_the_same_400(admin_a_client, agency_b):
    foreign = CoacheeFactory(agency=agency_b)
    answers = [admin_a_client.post(f"{BASE}/needs-assessments/", {"coachee": pk}, format="json")
               for pk in (foreign.pk, foreign.pk + 1000)]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json()["fields"] == {"coachee": [f"Unknown coachee {foreign.pk}."]}
    assert answers[1].json()["fields"] == {"coachee": [f"Unknown coachee {foreign.pk + 1000}."]}


def test_a_refused_staff_only_change_leaves_the_profile_untouched(coach_profile, coach_client, coach_user,
                                                                   staff_user, agency_a):
    refused = coach_client.patch(f"{BASE}/coaches/{coach_profile.pk}/", {"active": False, "bio": "x"},
                                 format="json")
    assert refused.status_code == 403
    coach_profile.refresh_from_db()
    assert coach_profile.active is True and coach_profile.bio != "x"
    services.coach_profile_update(profile=coach_profile, actor=staff_user, data={"former_agency": agency_a})
    # The ledger holds the agency's id, never a model instance.
    assert AuditEvent.objects.get(action="coach_profile.updated").data == {
        "former_agency": {"from": None, "to": agency_a.pk}}


def test_agreement_cannot_start_in_the_past_names_the_field(staff_user, assessment_a, coach_profile):
    start = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ApplicationError) as exc:
        services.agreement_propose(assessment=assessment_a, coach=coach_profile, actor=staff_user,
                                   start_date=start, end_date=start + timedelta(days=120))
    assert exc.value.code == "validation_error"
    assert exc.value.fields == {"start_date": ["An agreement cannot start in the past."]}
