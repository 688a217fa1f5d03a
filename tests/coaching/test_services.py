"""Coaching services: every rule, every transition, the audit entries."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from coaching import services
from coaching.models import Agreement, AgreementStatus, NeedsAssessmentStatus
from core.models import AuditEvent

from .conftest import propose, raises
from .factories import AgreementFactory, CoachProfileFactory

pytestmark = pytest.mark.django_db


# --- dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "ok"), [
    (date(2026, 1, 31), date(2026, 4, 30), True),   # 3 months, clamped to the month's end
    (date(2026, 1, 31), date(2026, 4, 29), False),
    (date(2026, 3, 15), date(2026, 9, 15), True),   # 6 months
    (date(2026, 3, 15), date(2026, 9, 16), False),
])
def test_agreement_lasts_3_to_6_calendar_months(start, end, ok):
    if ok:
        services.agreement_dates_validate(start_date=start, end_date=end)
    else:
        with raises("invalid_agreement_length"):
            services.agreement_dates_validate(start_date=start, end_date=end)


@override_settings(COACHING_AGREEMENT_MIN_MONTHS=4)
def test_agreement_length_follows_the_settings():
    with raises("invalid_agreement_length"):
        services.agreement_dates_validate(start_date=date(2026, 1, 1), end_date=date(2026, 4, 15))


# --- proposing (confirming a match) -----------------------------------------------------------------------


def test_staff_confirm_proposes_an_agreement_and_marks_the_assessment_matched(staff_user, assessment_a,
                                                                               coach_profile, dates):
    agreement = propose(assessment_a, coach_profile, staff_user, dates)
    assert agreement.status == AgreementStatus.PROPOSED
    assert (agreement.coachee, agreement.sponsor_agency_id) == (assessment_a.coachee, assessment_a.coachee.agency_id)
    assert agreement.goals == assessment_a.goals and agreement.confidentiality_terms
    assessment_a.refresh_from_db()
    assert assessment_a.status == NeedsAssessmentStatus.MATCHED
    event = AuditEvent.objects.get(action="agreement.proposed")
    assert event.data["coach"] == coach_profile.pk and event.actor_label == staff_user.username
    assert AuditEvent.objects.filter(action="needs_assessment.matched", target_id=str(assessment_a.pk)).exists()


def test_only_staff_confirm(admin_a, assessment_a, coach_profile, dates):
    with raises("permission_denied"):
        propose(assessment_a, coach_profile, admin_a, dates)
    assert not Agreement.objects.exists()


def test_agreement_cannot_start_in_the_past(staff_user, assessment_a, coach_profile):
    yesterday = timezone.localdate() - timedelta(days=1)
    with raises("validation_error"):
        propose(assessment_a, coach_profile, staff_user,
                {"start_date": yesterday, "end_date": yesterday + timedelta(days=120)})


def test_confirm_refuses_a_too_long_agreement(staff_user, assessment_a, coach_profile, dates):
    with raises("invalid_agreement_length"):
        propose(assessment_a, coach_profile, staff_user, {**dates, "end_date": dates["start_date"] + timedelta(200)})
    assert not Agreement.objects.exists()


def test_coach_at_capacity_is_refused(staff_user, assessment_a, coach_profile, dates):
    coach_profile.capacity = 1
    coach_profile.save(update_fields=["capacity"])
    AgreementFactory(coach=coach_profile, status=AgreementStatus.PROPOSED)
    with raises("coach_at_capacity"):
        propose(assessment_a, coach_profile, staff_user, dates)
    assessment_a.refresh_from_db()
    assert assessment_a.status == NeedsAssessmentStatus.OPEN


def test_finished_agreements_free_the_place(staff_user, assessment_a, coach_profile, dates):
    coach_profile.capacity = 1
    coach_profile.save(update_fields=["capacity"])
    AgreementFactory(coach=coach_profile, status=AgreementStatus.TERMINATED, termination_reason="declined")
    assert propose(assessment_a, coach_profile, staff_user, dates).status == AgreementStatus.PROPOSED


def test_inactive_coach_is_refused(staff_user, assessment_a, coach_profile, dates):
    coach_profile.active = False
    coach_profile.save(update_fields=["active"])
    with raises("coach_inactive"):
        propose(assessment_a, coach_profile, staff_user, dates)


def test_coach_from_the_coachees_agency_is_refused(staff_user, assessment_a, coach_profile, dates, agency_a):
    coach_profile.former_agency = agency_a
    coach_profile.save(update_fields=["former_agency"])
    with raises("coach_not_eligible") as exc:
        propose(assessment_a, coach_profile, staff_user, dates)
    assert exc.value.fields == {"coach": ["own_agency"]}


def test_declared_conflict_is_refused(staff_user, assessment_a, coach_profile, dates):
    assessment_a.conflicts.add(coach_profile)
    with raises("coach_not_eligible") as exc:
        propose(assessment_a, coach_profile, staff_user, dates)
    assert exc.value.fields == {"coach": ["declared_conflict"]}


def test_a_matched_assessment_cannot_be_confirmed_again(staff_user, assessment_a, coach_profile, dates):
    propose(assessment_a, coach_profile, staff_user, dates)
    with raises("needs_assessment_not_open"):
        propose(assessment_a, CoachProfileFactory(), staff_user, dates)


# --- acceptance and the lifecycle -------------------------------------------------------------------------


def test_agreement_is_active_only_once_both_parties_accept(proposed, coach_user, admin_a):
    services.agreement_accept(agreement=proposed, actor=coach_user)
    proposed.refresh_from_db()
    assert proposed.status == AgreementStatus.PROPOSED and proposed.coach_accepted_at
    services.agreement_accept(agreement=proposed, actor=admin_a)
    proposed.refresh_from_db()
    assert proposed.status == AgreementStatus.ACTIVE and proposed.activated_at
    assert proposed.sponsor_accepted_by == admin_a
    assert list(AuditEvent.objects.filter(target_id=str(proposed.pk), target_type="coaching.agreement")
                .values_list("action", flat=True)) == ["agreement.proposed", "agreement.accepted",
                                                       "agreement.accepted", "agreement.activated"]


def test_staff_accept_on_behalf_of_the_coachee(proposed, coach_user, staff_user):
    services.agreement_accept(agreement=proposed, actor=staff_user)
    services.agreement_accept(agreement=proposed, actor=coach_user)
    proposed.refresh_from_db()
    assert proposed.status == AgreementStatus.ACTIVE


def test_a_party_accepts_once(proposed, coach_user):
    services.agreement_accept(agreement=proposed, actor=coach_user)
    with raises("already_accepted"):
        services.agreement_accept(agreement=proposed, actor=coach_user)


def test_other_agencies_and_other_coaches_cannot_accept(proposed, admin_b):
    with raises("permission_denied"):
        services.agreement_accept(agreement=proposed, actor=admin_b)
    with raises("permission_denied"):
        services.agreement_accept(agreement=proposed, actor=CoachProfileFactory().user)


def test_declining_a_proposal_reopens_the_needs_assessment(proposed, coach_user, assessment_a):
    services.agreement_terminate(agreement=proposed, actor=coach_user, reason="No time this quarter.")
    proposed.refresh_from_db()
    assessment_a.refresh_from_db()
    assert proposed.status == AgreementStatus.TERMINATED and proposed.termination_reason == "No time this quarter."
    assert assessment_a.status == NeedsAssessmentStatus.OPEN
    assert AuditEvent.objects.filter(action="needs_assessment.reopened").exists()


def test_termination_needs_a_reason(active, admin_a):
    with raises("validation_error"):
        services.agreement_terminate(agreement=active, actor=admin_a, reason="  ")
    active.refresh_from_db()
    assert active.status == AgreementStatus.ACTIVE


def test_terminating_an_active_agreement_keeps_the_assessment_matched(active, admin_a, assessment_a):
    services.agreement_terminate(agreement=active, actor=admin_a, reason="Coachee left the agency.")
    assessment_a.refresh_from_db()
    assert assessment_a.status == NeedsAssessmentStatus.MATCHED
    event = AuditEvent.objects.get(action="agreement.terminated")
    assert event.data["reason"] == "Coachee left the agency." and event.data["from"] == "active"


def test_terminal_states_stay_terminal(active, admin_a, coach_user):
    services.agreement_complete(agreement=active, actor=coach_user, rating=5)
    with raises("invalid_transition"):
        services.agreement_terminate(agreement=active, actor=admin_a, reason="too late")
    with raises("agreement_not_proposed"):
        services.agreement_accept(agreement=active, actor=admin_a)


def test_a_stale_copy_cannot_move_the_agreement(active, admin_a, coach_user):
    stale = Agreement.objects.get(pk=active.pk)
    services.agreement_terminate(agreement=active, actor=admin_a, reason="ended early")
    with raises("concurrent_change"):
        services.agreement_complete(agreement=stale, actor=coach_user, rating=4)
    assert Agreement.objects.get(pk=active.pk).status == AgreementStatus.TERMINATED


def test_a_proposed_agreement_cannot_be_completed(proposed, coach_user):
    with raises("invalid_transition"):
        services.agreement_complete(agreement=proposed, actor=coach_user, rating=4)


def test_completion_records_both_sides_outcome(active, coach_user, admin_a):
    services.agreement_complete(agreement=active, actor=coach_user, rating=4)
    services.agreement_outcome_record(agreement=active, actor=admin_a, rating=5)
    active.refresh_from_db()
    assert active.status == AgreementStatus.COMPLETED and active.ended_at
    assert (active.coach_outcome_rating, active.sponsor_outcome_rating) == (4, 5)
    assert AuditEvent.objects.get(action="agreement.outcome_recorded").data == {"party": "sponsor", "rating": 5}
    with raises("outcome_already_recorded"):
        services.agreement_outcome_record(agreement=active, actor=coach_user, rating=1)


@pytest.mark.parametrize("rating", [0, 6, True])
def test_outcome_rating_is_1_to_5(active, coach_user, rating):
    with raises("validation_error"):
        services.agreement_complete(agreement=active, actor=coach_user, rating=rating)


def test_outcome_needs_a_completed_agreement(active, admin_a):
    with raises("agreement_not_completed"):
        services.agreement_outcome_record(agreement=active, actor=admin_a, rating=3)


def test_follow_up_360_needs_a_baseline_cycle(active, coach_user, admin_a):
    services.agreement_complete(agreement=active, actor=coach_user, rating=4)
    now = timezone.now()
    with raises("validation_error") as exc:
        services.agreement_follow_up_start(agreement=active, actor=admin_a, opens_at=now,
                                           closes_at=now + timedelta(days=14))
    assert "source_cycle_id" in exc.value.fields


def test_only_the_sponsor_starts_the_follow_up_360(active, coach_user):
    services.agreement_complete(agreement=active, actor=coach_user, rating=4)
    now = timezone.now()
    with raises("permission_denied"):
        services.agreement_follow_up_start(agreement=active, actor=coach_user, opens_at=now,
                                           closes_at=now + timedelta(days=14), source_cycle_id=1)


# --- the baseline 360 cycle ------------------------------------------------------------------------------------


def _cycle_of(officer):
    from tests.evaluations.factories import cycle_make

    return cycle_make(subject=officer)


def test_baseline_cycle_must_evaluate_the_coachee(staff_user, officer_a, officer_b, coach_profile, dates):
    from .factories import CoacheeFactory, NeedsAssessmentFactory

    coachee = CoacheeFactory(agency=officer_a.agency, officer=officer_a)
    assessment = NeedsAssessmentFactory(coachee=coachee, priorities={"leadership": 3})
    foreign = _cycle_of(officer_b)  # another agency's candidate: copying it would expose their raters
    for cycle_id in (999999999, foreign.pk):
        with raises("validation_error"):
            propose(assessment, coach_profile, staff_user, dates, baseline_cycle_id=cycle_id)
    assert not Agreement.objects.exists()
    own = _cycle_of(officer_a)
    agreement = propose(assessment, coach_profile, staff_user, dates, baseline_cycle_id=own.pk)
    assert agreement.baseline_cycle_id == own.pk


def test_coachee_without_an_officer_has_no_baseline_cycle(staff_user, assessment_a, officer_a, coach_profile, dates):
    with raises("validation_error"):
        propose(assessment_a, coach_profile, staff_user, dates, baseline_cycle_id=_cycle_of(officer_a).pk)
