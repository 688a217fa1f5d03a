"""Coaching against real evaluations data: prefilling needs from a released 360, the follow-up mini-360."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coaching import services
from coaching.models import AgreementStatus, NeedPriority
from core.models import AuditEvent

from .factories import AgreementFactory, CoacheeFactory, NeedsAssessmentFactory

evaluations_models = pytest.importorskip("evaluations.models", reason="waits for evaluations")
pytestmark = pytest.mark.django_db


def released_cycle(officer, reviewer, development_areas):
    """A 360 cycle of `officer` whose report was released with these development areas, most needed first."""
    from tests.evaluations.factories import cycle_make, invite

    cycle = cycle_make(subject=officer)
    invite(cycle, "self")
    invite(cycle, "peer", 3)
    now = timezone.now()
    evaluations_models.Cycle.objects.filter(pk=cycle.pk).update(status=evaluations_models.CycleStatus.RELEASED,
                                                                released_at=now)
    evaluations_models.Report.objects.create(cycle=cycle, development_areas=development_areas,
                                             band_computed="ready_1_2_years", band_final="ready_1_2_years",
                                             released_by=reviewer, released_at=now)
    return cycle


def test_prefill_raises_priorities_from_the_released_report(admin_a_client, admin_a, officer_a, staff_user):
    released_cycle(officer_a, staff_user, ["communication", "budgeting", "de_escalation", "leadership",
                                           "decision_making"])
    coachee = CoacheeFactory(agency=officer_a.agency, officer=officer_a)
    assessment = NeedsAssessmentFactory(coachee=coachee, created_by=admin_a, priorities={"leadership": 3,
                                                                                         "budgeting": 1})
    response = admin_a_client.post(f"/api/v1/coaching/needs-assessments/{assessment.pk}/prefill-from-360/")
    assert response.status_code == 200, response.content
    assert response.json()["priorities"] == {"communication": 3, "budgeting": 3, "de_escalation": 2,
                                             "leadership": 3, "decision_making": 1}
    assert response.json()["prefilled_from_360_at"]
    assert AuditEvent.objects.filter(action="needs_assessment.prefilled_from_360").exists()


def test_prefill_without_a_released_report_is_409(admin_a_client, admin_a, officer_a):
    coachee = CoacheeFactory(agency=officer_a.agency, officer=officer_a)
    assessment = NeedsAssessmentFactory(coachee=coachee, created_by=admin_a, priorities={"budgeting": 2})
    response = admin_a_client.post(f"/api/v1/coaching/needs-assessments/{assessment.pk}/prefill-from-360/")
    assert response.status_code == 409 and response.json()["code"] == "no_released_report"
    assert list(NeedPriority.objects.filter(assessment=assessment).values_list("area", "priority")) == [
        ("budgeting", 2)]


@pytest.fixture
def completed_agreement(officer_a, coach_profile):
    now = timezone.now()
    coachee = CoacheeFactory(agency=officer_a.agency, officer=officer_a)
    return AgreementFactory(coach=coach_profile, coachee=coachee, status=AgreementStatus.COMPLETED,
                            coach_accepted_at=now, sponsor_accepted_at=now, ended_at=now)


def test_completion_starts_the_follow_up_mini_360_with_the_same_rater_groups(admin_a, officer_a, coach_profile,
                                                                             staff_user):
    baseline = released_cycle(officer_a, staff_user, ["leadership"])
    now = timezone.now()
    agreement = AgreementFactory(coach=coach_profile, coachee=CoacheeFactory(agency=officer_a.agency,
                                                                             officer=officer_a),
                                 status=AgreementStatus.ACTIVE, coach_accepted_at=now, sponsor_accepted_at=now,
                                 baseline_cycle_id=baseline.pk)
    services.agreement_complete(agreement=agreement, actor=admin_a, rating=4,
                                follow_up_opens_at=now + timedelta(days=1),
                                follow_up_closes_at=now + timedelta(days=15))
    agreement.refresh_from_db()
    follow_up = evaluations_models.Cycle.objects.get(pk=agreement.follow_up_cycle_id)
    assert follow_up.follow_up_of_id == baseline.pk and follow_up.status == evaluations_models.CycleStatus.DRAFT
    assert sorted(follow_up.invitations.values_list("relationship", flat=True)) == sorted(
        baseline.invitations.values_list("relationship", flat=True))
    assert agreement.sponsor_outcome_rating == 4
    assert AuditEvent.objects.filter(action="agreement.follow_up_started").exists()


def test_follow_up_over_http_once_only(admin_a_client, completed_agreement, officer_a, staff_user):
    baseline = released_cycle(officer_a, staff_user, ["leadership"])
    path = f"/api/v1/coaching/agreements/{completed_agreement.pk}/follow-up-360/"
    now = timezone.now()
    body = {"opens_at": (now + timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=10)).isoformat()}
    # An agency administrator may not point the follow-up at a cycle staff did not record as the baseline.
    assert admin_a_client.post(path, {**body, "source_cycle_id": baseline.pk}, format="json").status_code == 403
    type(completed_agreement).objects.filter(pk=completed_agreement.pk).update(baseline_cycle_id=baseline.pk)
    first = admin_a_client.post(path, body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["follow_up_cycle_id"]
    second = admin_a_client.post(path, body, format="json")
    assert second.status_code == 409 and second.json()["code"] == "follow_up_already_started"


def test_follow_up_from_an_unknown_cycle_is_400(staff_client, completed_agreement):
    now = timezone.now()
    response = staff_client.post(f"/api/v1/coaching/agreements/{completed_agreement.pk}/follow-up-360/", {
        "opens_at": (now + timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=10)).isoformat(),
        "source_cycle_id": 987654}, format="json")
    assert response.status_code == 400 and "source_cycle_id" in response.json()["fields"]
    completed_agreement.refresh_from_db()
    assert completed_agreement.follow_up_cycle_id is None
