"""Good Officer Certification: CE hours from training, findings, annual cycles, lapse, and revocation that no
path can undo (services here; raw SQL on PostgreSQL below)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from agencies.services import officer_mark_permanently_ineligible
from certification import services
from certification.models import (
    Determination,
    Finding,
    FindingSource,
    FindingStatus,
    OfficerCertification,
    OfficerCertificationCycle,
    OfficerCertificationStatus,
    RevocationCategory,
)
from certification.selectors import OfficerEligibility, officer_eligibility_summary
from core.exceptions import ApplicationError
from core.models import AuditEvent
from tests.support.builders import credits_record
from tests.support.constraints import database_and_full_clean_refuse
from tests.support.races import run_each_together

pytestmark = pytest.mark.django_db
S = OfficerCertificationStatus


def certified(officer, staff, *, earned_days_ago=30):
    credits_record([officer], on=timezone.localdate() - timedelta(days=earned_days_ago))
    return services.officer_certification_grant(actor=staff, officer=officer)


def sustained_finding(officer, recorder, determiner=None):
    """A finding taken to a sustained determination (the response window closed without a response)."""
    finding = services.finding_record(actor=recorder, officer=officer, incident_date=date(2025, 3, 1),
                                      summary="Excessive force during arrest", source=FindingSource.COMPLAINT)
    services.finding_notice(actor=recorder, finding=finding)
    services.finding_response_record(actor=recorder, finding=finding, text="The officer disputes it.")
    return services.finding_determine(actor=determiner or recorder, finding=finding,
                                      determination=Determination.SUSTAINED, reason="Video evidence")


def test_grant_with_enough_ce_hours_starts_an_annual_cycle(officer_a, staff_user):
    certification = certified(officer_a, staff_user)
    today = timezone.localdate()
    assert certification.status == S.ACTIVE
    assert certification.cycle_start == today
    assert certification.valid_until == date(today.year + 1, today.month, today.day) - timedelta(days=1) \
        if (today.month, today.day) != (2, 29) else True
    cycle = OfficerCertificationCycle.objects.get(certification=certification)
    assert cycle.ce_hours == Decimal("8.00")
    event = AuditEvent.objects.get(action="officer_certification.granted")
    assert event.data["ce_hours"] == "8.00" and event.actor_label == "staff"


def test_grant_without_enough_ce_hours_is_refused(officer_a, staff_user):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=5), hours="4")
    with pytest.raises(ApplicationError) as exc:
        services.officer_certification_grant(actor=staff_user, officer=officer_a)
    assert exc.value.code == "insufficient_ce_hours" and exc.value.status_code == 409
    assert exc.value.fields == {"ce_hours": ["4.00 of 8.0 required."]}
    assert not OfficerCertification.objects.exists()


def test_hours_older_than_the_cycle_do_not_count(officer_a, staff_user):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=400))
    with pytest.raises(ApplicationError) as exc:
        services.officer_certification_grant(actor=staff_user, officer=officer_a)
    assert exc.value.code == "insufficient_ce_hours"


@override_settings(OFFICER_CE_HOURS_PER_CYCLE=12.0)
def test_required_hours_are_a_setting(officer_a, staff_user):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=5))
    with pytest.raises(ApplicationError):
        services.officer_certification_grant(actor=staff_user, officer=officer_a)


def test_only_staff_grant(officer_a, admin_a):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=5))
    with pytest.raises(ApplicationError) as exc:
        services.officer_certification_grant(actor=admin_a, officer=officer_a)
    assert exc.value.status_code == 403


def test_sustained_finding_blocks_grant_even_before_verification(officer_a, staff_user):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=5))
    sustained_finding(officer_a, staff_user)
    with pytest.raises(ApplicationError) as exc:
        services.officer_certification_grant(actor=staff_user, officer=officer_a)
    assert exc.value.code == "sustained_finding"


def test_permanently_ineligible_officer_is_never_granted(officer_a, staff_user):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=5))
    officer_mark_permanently_ineligible(officer=officer_a, actor=staff_user, reason="finding verified")
    with pytest.raises(ApplicationError) as exc:
        services.officer_certification_grant(actor=staff_user, officer=officer_a)
    assert exc.value.code == "officer_permanently_ineligible"


def test_grant_twice_points_to_renewal(officer_a, staff_user):
    certified(officer_a, staff_user)
    with pytest.raises(ApplicationError) as exc:
        services.officer_certification_grant(actor=staff_user, officer=officer_a)
    assert exc.value.code == "already_certified"


def test_renewal_needs_the_hours_of_the_current_cycle(officer_a, staff_user):
    certification = certified(officer_a, staff_user, earned_days_ago=30)
    # The 8 hours that granted it were earned before this cycle started: they do not renew it.
    with pytest.raises(ApplicationError) as exc:
        services.officer_certification_renew(actor=staff_user, certification=certification)
    assert exc.value.code == "insufficient_ce_hours"
    credits_record([officer_a], on=timezone.localdate())
    old_end = certification.valid_until
    services.officer_certification_renew(actor=staff_user, certification=certification)
    certification.refresh_from_db()
    assert certification.cycle_start == old_end + timedelta(days=1)
    assert certification.valid_until > old_end
    assert certification.cycles.count() == 2
    assert AuditEvent.objects.filter(action="officer_certification.renewed").count() == 1
    # The next cycle has not started: nothing was earned in it yet, so a second renewal is refused.
    with pytest.raises(ApplicationError):
        services.officer_certification_renew(actor=staff_user, certification=certification)


def test_lapse_sweep_lapses_ended_cycles_in_one_update(officer_a, officer_b, staff_user):
    from django.test.utils import CaptureQueriesContext

    ended = certified(officer_a, staff_user)
    current = certified(officer_b, staff_user)
    today = timezone.localdate()
    OfficerCertification.objects.filter(pk=ended.pk).update(cycle_start=today - timedelta(days=366),
                                                            valid_until=today - timedelta(days=1))
    with CaptureQueriesContext(connection) as ctx:
        assert services.officer_certifications_lapse_due(today=today) == [ended.pk]
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]) == 1
    ended.refresh_from_db()
    current.refresh_from_db()
    assert (ended.status, current.status) == (S.LAPSED, S.ACTIVE)
    assert AuditEvent.objects.get(action="officer_certification.lapsed").data["ids"] == [ended.pk]
    assert services.officer_certifications_lapse_due(today=today) == []


def test_lapsed_certification_is_granted_again_with_fresh_hours(officer_a, staff_user):
    certification = certified(officer_a, staff_user)
    today = timezone.localdate()
    OfficerCertification.objects.filter(pk=certification.pk).update(cycle_start=today - timedelta(days=400),
                                                                     valid_until=today - timedelta(days=35))
    certification.cycles.update(cycle_start=today - timedelta(days=400), cycle_end=today - timedelta(days=35))
    services.officer_certifications_lapse_due(today=today)
    certification.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        services.officer_certification_renew(actor=staff_user, certification=certification)
    assert exc.value.code == "not_renewable"
    again = services.officer_certification_grant(actor=staff_user, officer=officer_a)  # hours 30 days ago count
    assert again.pk == certification.pk and again.status == S.ACTIVE and again.cycle_start == today
    assert AuditEvent.objects.filter(action="officer_certification.regranted").exists()


def test_eligibility_summary_contract(officer_a, staff_user, staff2):
    assert officer_eligibility_summary(officer_id=officer_a.pk) == OfficerEligibility(
        certification_status=None, certification_valid_until=None, permanently_ineligible=False, open_findings=0,
        sustained_findings=0)
    certification = certified(officer_a, staff_user)
    services.finding_record(actor=staff_user, officer=officer_a, incident_date=date(2025, 1, 1), summary="x",
                            source=FindingSource.MEDIA)
    summary = officer_eligibility_summary(officer_id=officer_a.pk)
    assert summary == OfficerEligibility(certification_status="active",
                                         certification_valid_until=certification.valid_until,
                                         permanently_ineligible=False, open_findings=1, sustained_findings=0)
    finding = sustained_finding(officer_a, staff_user)
    services.finding_verify(actor=staff2, finding=finding)
    summary = officer_eligibility_summary(officer_id=officer_a.pk)
    assert (summary.certification_status, summary.permanently_ineligible, summary.open_findings,
            summary.sustained_findings) == ("revoked", True, 1, 1)
    with pytest.raises(AttributeError):
        summary.open_findings = 0  # frozen


def test_eligibility_summary_reports_an_ended_cycle_as_lapsed_before_the_sweep(officer_a, staff_user):
    certification = certified(officer_a, staff_user)
    today = timezone.localdate()
    OfficerCertification.objects.filter(pk=certification.pk).update(cycle_start=today - timedelta(days=366),
                                                                     valid_until=today - timedelta(days=1))
    assert officer_eligibility_summary(officer_id=officer_a.pk).certification_status == "lapsed"


def test_eligibility_summary_is_one_query(officer_a, staff_user, django_assert_num_queries):
    certified(officer_a, staff_user)
    with django_assert_num_queries(1):
        officer_eligibility_summary(officer_id=officer_a.pk)


def test_eligibility_summary_of_unknown_officer_raises(db):
    from agencies.models import Officer

    with pytest.raises(Officer.DoesNotExist):
        officer_eligibility_summary(officer_id=999999)


def test_revoked_certification_is_never_granted_again(officer_a, staff_user, staff2):
    certification = certified(officer_a, staff_user)
    services.finding_verify(actor=staff2, finding=sustained_finding(officer_a, staff_user))
    certification.refresh_from_db()
    assert (certification.status, certification.revocation_category) == (S.REVOKED,
                                                                          RevocationCategory.SUSTAINED_FINDING)
    for attempt in (lambda: services.officer_certification_grant(actor=staff2, officer=officer_a),
                    lambda: services.officer_certification_renew(actor=staff2, certification=certification)):
        with pytest.raises(ApplicationError):
            attempt()
    with pytest.raises(ApplicationError) as exc:
        services._officer_certification_transition(certification=certification, to=S.ACTIVE, actor=staff2)
    assert exc.value.code == "invalid_transition"
    certification.refresh_from_db()
    assert certification.status == S.REVOKED


def test_model_constraints_on_officer_certification(officer_a):
    today = timezone.localdate()
    bad = OfficerCertification(officer=officer_a, status=S.REVOKED, cycle_start=today,
                               valid_until=today + timedelta(days=1), granted_at=timezone.now())
    database_and_full_clean_refuse(bad)  # revoked without a date and category
    with pytest.raises(IntegrityError), transaction.atomic():
        OfficerCertification.objects.create(officer=officer_a, cycle_start=today, valid_until=today,
                                            granted_at=timezone.now())


# --- PostgreSQL: the trigger holds for every client ---------------------------------------------------------

def _insert_active_sql(officer_id):
    return ("INSERT INTO certification_officercertification (officer_id, status, cycle_start, valid_until, "
            "granted_at, revocation_category) VALUES (%s, 'active', CURRENT_DATE, CURRENT_DATE + 365, now(), '')",
            [officer_id])


@pytest.mark.postgres
def test_raw_insert_of_active_certification_for_ineligible_officer_is_refused(officer_a, staff_user):
    officer_mark_permanently_ineligible(officer=officer_a, actor=staff_user, reason="finding verified")
    sql, params = _insert_active_sql(officer_a.pk)
    with pytest.raises(Exception, match="permanently ineligible"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    assert not OfficerCertification.objects.exists()


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE certification_officercertification SET status = 'active' WHERE id = %s",
    "UPDATE certification_officercertification SET status = 'lapsed' WHERE id = %s",
    "DELETE FROM certification_officercertification WHERE id = %s",
])
def test_raw_sql_cannot_undo_a_revocation(officer_a, staff_user, staff2, statement):
    certification = certified(officer_a, staff_user)
    services.finding_verify(actor=staff2, finding=sustained_finding(officer_a, staff_user))
    with pytest.raises(Exception, match="revoked|ineligible"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, [certification.pk])
    certification.refresh_from_db()
    assert certification.status == S.REVOKED


@pytest.mark.postgres
def test_raw_update_cannot_activate_a_lapsed_certification_of_an_ineligible_officer(officer_a, staff_user):
    certification = certified(officer_a, staff_user)
    OfficerCertification.objects.filter(pk=certification.pk).update(status=S.LAPSED)
    officer_mark_permanently_ineligible(officer=officer_a, actor=staff_user, reason="finding verified")
    with pytest.raises(Exception, match="permanently ineligible"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE certification_officercertification SET status = 'active' WHERE id = %s",
                    [certification.pk])
    certification.refresh_from_db()
    assert certification.status == S.LAPSED


@pytest.mark.postgres
def test_orm_update_cannot_bypass_the_trigger(officer_a, staff_user, staff2):
    certification = certified(officer_a, staff_user)
    services.finding_verify(actor=staff2, finding=sustained_finding(officer_a, staff_user))
    with pytest.raises(IntegrityError), transaction.atomic():
        OfficerCertification.objects.filter(pk=certification.pk).update(status=S.ACTIVE)


@pytest.mark.postgres
def test_raw_sql_still_works_for_eligible_officers(officer_a):
    sql, params = _insert_active_sql(officer_a.pk)
    with connection.cursor() as cur:
        cur.execute(sql, params)
    assert OfficerCertification.objects.get(officer=officer_a).status == S.ACTIVE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verifications_revoke_exactly_once(agency_a):
    from agencies.models import Role
    from tests.factories import OfficerFactory, UserFactory

    recorder = UserFactory(username="rec", role=Role.CERTIFICATION_STAFF)
    verifiers = [UserFactory(username=f"ver{i}", role=Role.CERTIFICATION_STAFF) for i in range(20)]
    officer = OfficerFactory(agency=agency_a)
    certified(officer, recorder)
    finding_id = sustained_finding(officer, recorder).pk

    def verify(user):
        try:
            services.finding_verify(actor=user, finding=Finding.objects.get(pk=finding_id))
            return "ok"
        except ApplicationError as exc:
            return exc.code

    race = run_each_together(verifiers, verify)
    assert race.errors == []
    outcomes = race.results
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"concurrent_change", "invalid_transition"}
    assert AuditEvent.objects.filter(action="officer_certification.revoked").count() == 1
    assert AuditEvent.objects.filter(action="finding.verified").count() == 1
    assert AuditEvent.objects.filter(action="officer.permanently_ineligible").count() == 1
    assert Finding.objects.get(pk=finding_id).status == FindingStatus.VERIFIED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_raw_activation_racing_a_verification_never_leaves_an_active_certification(agency_a, round_):
    """Whichever commits first, the officer ends revoked: a raw activation either commits before the verification
    (which then revokes it) or waits and then sees the mark (the trigger refuses it). Released at the same moment
    they never deadlock: the verification takes the certification rows before the officer row, as the trigger does."""
    from agencies.models import Role
    from tests.factories import OfficerFactory, UserFactory

    recorder = UserFactory(username="rec", role=Role.CERTIFICATION_STAFF)
    verifier = UserFactory(username="ver", role=Role.CERTIFICATION_STAFF)
    officer = OfficerFactory(agency=agency_a)
    certification = certified(officer, recorder)
    OfficerCertification.objects.filter(pk=certification.pk).update(status=S.LAPSED)
    finding = sustained_finding(officer, recorder)

    def activate():
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("UPDATE certification_officercertification SET status = 'active' WHERE id = %s",
                            [certification.pk])
            return "activated"
        except IntegrityError:  # the trigger's refusal is the expected outcome; a deadlock would fail the test
            return "refused"

    def verify():
        services.finding_verify(actor=verifier, finding=Finding.objects.get(pk=finding.pk))
        return "verified"

    race = run_each_together([verify, activate] if round_ % 2 else [activate, verify], lambda call: call())
    assert race.errors == []
    outcomes = set(race.results)
    assert "verified" in outcomes
    certification.refresh_from_db()
    assert certification.status == S.REVOKED
