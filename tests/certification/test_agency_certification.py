"""Agency certification through the services: checklist, lifecycle, plaque ordering, renewal, expiry, reminders."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from agencies.models import Role
from certification import services
from certification.models import (
    AgencyCertification,
    AgencyCertificationReminder,
    AgencyCertificationStatus,
    Plaque,
    PlaqueStatus,
    RequirementKind,
    RequirementState,
)
from certification.selectors import agency_certification_requirements_evaluate, agency_trained_share
from core.exceptions import ApplicationError
from core.models import AuditEvent
from tests.factories import OfficerFactory, UserFactory
from tests.support.builders import agency_certification_ready, checklist_complete, credits_record

pytestmark = pytest.mark.django_db
S = AgencyCertificationStatus


def trained(agency, n, *, on=None):
    """n officers of the agency, each with a real Peace Officer course completion."""
    officers = [OfficerFactory(agency=agency) for _ in range(n)]
    credits_record(officers, on=on or timezone.localdate() - timedelta(days=10))
    return officers


def under_review(agency, programme, actor):
    certification = services.agency_certification_apply(actor=actor, agency=agency, programme=programme)
    return services.agency_certification_submit(actor=actor, certification=certification)


def test_applying_snapshots_the_active_checklist(agency_a, programme, admin_a):
    programme.requirements.filter(code="symbol_programme").update(is_active=False)
    certification = services.agency_certification_apply(actor=admin_a, agency=agency_a, programme=programme)
    codes = list(certification.requirements.values_list("requirement__code", flat=True))
    assert "symbol_programme" not in codes
    assert {"commitment", "trained_share", "promise_event", "chokehold_ban", "body_worn_camera"} <= set(codes)
    assert set(certification.requirements.values_list("state", flat=True)) == {RequirementState.PENDING}
    event = AuditEvent.objects.get(action="agency_certification.applied")
    assert (event.actor_label, event.target_id, event.data["requirements"]) == ("admin_a", str(certification.pk),
                                                                                 len(codes))


def test_second_open_application_is_refused(agency_a, programme, admin_a):
    services.agency_certification_apply(actor=admin_a, agency=agency_a, programme=programme)
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_apply(actor=admin_a, agency=agency_a, programme=programme)
    assert exc.value.code == "application_open" and exc.value.status_code == 409
    assert AgencyCertification.objects.count() == 1


def test_database_refuses_two_open_applications(agency_a, programme):
    AgencyCertification.objects.create(agency=agency_a, programme=programme, applied_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        AgencyCertification.objects.create(agency=agency_a, programme=programme, applied_at=timezone.now(),
                                           status=S.UNDER_REVIEW)


def test_inactive_programme_takes_no_applications(agency_a, programme, admin_a):
    programme.is_active = False
    programme.save(update_fields=["is_active"])
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_apply(actor=admin_a, agency=agency_a, programme=programme)
    assert exc.value.code == "programme_inactive"


def test_issue_is_refused_naming_every_unmet_requirement(agency_a, programme, admin_a, staff_user):
    certification = under_review(agency_a, programme, admin_a)
    services.requirement_status_mark(actor=staff_user, status=certification.requirements.get(
        requirement__code="promise_event"), state=RequirementState.MET)
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_issue(actor=staff_user, certification=certification)
    assert exc.value.code == "requirements_unmet" and exc.value.status_code == 409
    unmet = {line.split(":")[0] for line in exc.value.fields["requirements"]}
    assert unmet == {"commitment", "trained_share", "symbol_programme", "chokehold_ban", "body_worn_camera",
                     "policy_manual"}
    certification.refresh_from_db()
    assert certification.status == S.UNDER_REVIEW and not Plaque.objects.exists()
    assert not AuditEvent.objects.filter(action="agency_certification.issued").exists()


def test_issue_needs_the_application_under_review(agency_a, programme, staff_user):
    certification = services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_issue(actor=staff_user, certification=certification)
    assert exc.value.code == "invalid_transition"


def test_a_plaque_cannot_be_sent_back_to_ordered(agency_a, programme, staff_user):
    certification = services.agency_certification_issue(
        actor=staff_user, certification=agency_certification_ready(agency_a, programme, staff_user))
    with pytest.raises(ApplicationError) as exc:
        services.plaque_advance(actor=staff_user, plaque=certification.plaque, to=PlaqueStatus.ORDERED)
    assert (exc.value.code, exc.value.status_code) == ("invalid_transition", 409)  # the Lifecycle's answer
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="plaque.")] == ["plaque.ordered"]


def test_only_staff_issue(agency_a, programme, admin_a, staff_user):
    certification = agency_certification_ready(agency_a, programme, staff_user)
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_issue(actor=admin_a, certification=certification)
    assert exc.value.status_code == 403


def test_issue_with_every_requirement_met_orders_the_plaque(agency_a, programme, staff_user, admin_a,
                                                            django_capture_on_commit_callbacks):
    certification = agency_certification_ready(agency_a, programme, staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.agency_certification_issue(actor=staff_user, certification=certification)
    certification.refresh_from_db()
    today = timezone.localdate()
    assert certification.status == S.ISSUED
    assert certification.valid_from == today
    assert certification.valid_until == today + timedelta(days=730)
    assert len(certification.certificate_number) == 24
    plaque = Plaque.objects.get(certification=certification)
    assert (plaque.status, plaque.due_on) == (PlaqueStatus.ORDERED, today + timedelta(days=14))
    issued = AuditEvent.objects.get(action="agency_certification.issued")
    assert issued.data["requirements"]["trained_share"]["met"] is True
    assert issued.data["from"] == "under_review"
    assert AuditEvent.objects.filter(action="plaque.ordered", target_id=str(plaque.pk)).exists()
    assert any(admin_a.email in m.to and certification.certificate_number in m.body for m in mail.outbox)


@override_settings(AGENCY_CERTIFICATION_VALID_DAYS=365, PLAQUE_DUE_DAYS=7)
def test_validity_and_plaque_due_follow_settings(agency_a, programme, staff_user):
    certification = agency_certification_ready(agency_a, programme, staff_user)
    services.agency_certification_issue(actor=staff_user, certification=certification)
    today = timezone.localdate()
    assert certification.valid_until == today + timedelta(days=365)
    assert certification.plaque.due_on == today + timedelta(days=7)


def test_trained_share_uses_the_sworn_headcount(agency_a, programme, staff_user):
    agency_a.sworn_headcount = 10
    agency_a.save(update_fields=["sworn_headcount"])
    trained(agency_a, 7)
    share = agency_trained_share(agency=agency_a)
    assert (share.completed, share.denominator, share.met) == (7, 10, False)
    trained(agency_a, 1)
    assert agency_trained_share(agency=agency_a).met is True


def test_trained_share_falls_back_to_the_roster_without_a_headcount(agency_a, programme):
    agency_a.sworn_headcount = 0
    agency_a.save(update_fields=["sworn_headcount"])
    trained(agency_a, 4)
    OfficerFactory(agency=agency_a)
    share = agency_trained_share(agency=agency_a)
    assert (share.completed, share.denominator, share.met) == (4, 5, True)


@override_settings(AGENCY_TRAINED_SHARE_PERCENT=90)
def test_trained_share_threshold_is_a_setting(agency_a):
    agency_a.sworn_headcount = 10
    agency_a.save(update_fields=["sworn_headcount"])
    trained(agency_a, 8)
    assert agency_trained_share(agency=agency_a).met is False


def test_other_courses_do_not_count_towards_the_trained_share(agency_a):
    from training.services import course_create

    agency_a.sworn_headcount = 1
    agency_a.save(update_fields=["sworn_headcount"])
    course_create(actor="test", code="OTHER-1", title="Other", ce_hours="4")
    credits_record([OfficerFactory(agency=agency_a)], on=date(2025, 1, 1), course_code="OTHER-1")
    assert agency_trained_share(agency=agency_a).completed == 0


def test_computed_requirement_cannot_be_marked_by_hand(agency_a, programme, staff_user):
    certification = under_review(agency_a, programme, staff_user)
    line = certification.requirements.get(requirement__kind=RequirementKind.COMPUTED)
    with pytest.raises(ApplicationError) as exc:
        services.requirement_status_mark(actor=staff_user, status=line, state=RequirementState.MET)
    assert exc.value.code == "requirement_computed"


def test_agency_admin_cannot_mark_staff_verified_items(agency_a, programme, admin_a):
    certification = under_review(agency_a, programme, admin_a)
    line = certification.requirements.get(requirement__code="chokehold_ban")
    with pytest.raises(ApplicationError) as exc:
        services.requirement_status_mark(actor=admin_a, status=line, state=RequirementState.MET)
    assert exc.value.status_code == 403
    line.refresh_from_db()
    assert line.state == RequirementState.PENDING


def test_rejecting_an_item_needs_a_note(agency_a, programme, staff_user):
    certification = under_review(agency_a, programme, staff_user)
    line = certification.requirements.get(requirement__code="chokehold_ban")
    with pytest.raises(ApplicationError):
        services.requirement_status_mark(actor=staff_user, status=line, state=RequirementState.REJECTED)
    services.requirement_status_mark(actor=staff_user, status=line, state=RequirementState.REJECTED,
                                     note="Policy draft only")
    assert AuditEvent.objects.filter(action="requirement_status.rejected", target_id=str(line.pk)).exists()


def test_document_upload_is_submitted_for_review_with_its_digest(agency_a, programme, admin_a, staff_user):
    import hashlib

    certification = under_review(agency_a, programme, admin_a)
    line = certification.requirements.get(requirement__code="policy_manual")
    services.requirement_document_upload(actor=admin_a, status=line, name="manual.pdf", content=b"%PDF-1.4 manual")
    line.refresh_from_db()
    assert line.state == RequirementState.SUBMITTED
    assert line.document_sha256 == hashlib.sha256(b"%PDF-1.4 manual").hexdigest()
    evaluation = {e.code: e for e in agency_certification_requirements_evaluate(certification=certification)}
    assert evaluation["policy_manual"].met is False  # submitted is not met until staff review it


def test_document_and_attestation_go_only_to_their_kind(agency_a, programme, admin_a):
    certification = under_review(agency_a, programme, admin_a)
    staff_item = certification.requirements.get(requirement__code="chokehold_ban")
    with pytest.raises(ApplicationError) as exc:
        services.requirement_document_upload(actor=admin_a, status=staff_item, name="x.pdf", content=b"x")
    assert exc.value.code == "wrong_requirement_kind"
    with pytest.raises(ApplicationError):
        services.requirement_attest(actor=admin_a, status=staff_item, text="x", attested_by_name="y")


def test_attestation_meets_its_item(agency_a, programme, admin_a):
    certification = under_review(agency_a, programme, admin_a)
    line = certification.requirements.get(requirement__code="commitment")
    services.requirement_attest(actor=admin_a, status=line, text="We commit.", attested_by_name="Chief Ana Ruiz")
    line.refresh_from_db()
    assert (line.state, line.attested_by_name) == (RequirementState.MET, "Chief Ana Ruiz")


def test_checklist_is_closed_once_issued(agency_a, programme, staff_user):
    certification = agency_certification_ready(agency_a, programme, staff_user)
    services.agency_certification_issue(actor=staff_user, certification=certification)
    line = certification.requirements.get(requirement__code="chokehold_ban")
    with pytest.raises(ApplicationError) as exc:
        services.requirement_status_mark(actor=staff_user, status=line, state=RequirementState.PENDING)
    assert exc.value.code == "checklist_closed"


def test_revoke_needs_a_reason_and_is_terminal(agency_a, programme, staff_user):
    certification = agency_certification_ready(agency_a, programme, staff_user)
    services.agency_certification_issue(actor=staff_user, certification=certification)
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_revoke(actor=staff_user, certification=certification, reason="  ")
    assert exc.value.fields == {"reason": ["This field is required."]}
    services.agency_certification_revoke(actor=staff_user, certification=certification, reason="Policy rescinded")
    certification.refresh_from_db()
    assert (certification.status, certification.revocation_reason) == (S.REVOKED, "Policy rescinded")
    event = AuditEvent.objects.get(action="agency_certification.revoked")
    assert event.data == {"from": "issued", "to": "revoked", "reason": "Policy rescinded"}
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_renew(actor=staff_user, certification=certification)
    assert exc.value.code == "not_renewable"


def test_stale_object_loses_the_compare_and_swap(agency_a, programme, staff_user):
    certification = services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)
    stale = AgencyCertification.objects.get(pk=certification.pk)
    services.agency_certification_submit(actor=staff_user, certification=certification)
    stale.status = S.APPLIED
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_submit(actor=staff_user, certification=stale)
    assert exc.value.code == "concurrent_change"
    assert AuditEvent.objects.filter(action="agency_certification.submitted").count() == 1


def test_renewal_restarts_the_checklist_and_supersedes_on_issue(agency_a, programme, staff_user):
    first = agency_certification_ready(agency_a, programme, staff_user)
    services.agency_certification_issue(actor=staff_user, certification=first)
    renewal = services.agency_certification_renew(actor=staff_user, certification=first)
    assert renewal.previous_id == first.pk and renewal.status == S.APPLIED
    assert set(renewal.requirements.values_list("state", flat=True)) == {RequirementState.PENDING}
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_renew(actor=staff_user, certification=first)
    assert exc.value.code == "renewal_exists"
    services.agency_certification_submit(actor=staff_user, certification=renewal)
    checklist_complete(renewal, actor=staff_user)
    services.agency_certification_issue(actor=staff_user, certification=renewal)
    first.refresh_from_db()
    assert first.status == S.EXPIRED and first.expired_at is not None
    assert renewal.status == S.ISSUED and renewal.certificate_number != first.certificate_number
    assert AuditEvent.objects.filter(action="agency_certification.expired", target_id=str(first.pk),
                                     data__reason="superseded by renewal").exists()


def test_apply_while_certified_points_to_renewal(agency_a, programme, staff_user):
    services.agency_certification_issue(actor=staff_user,
                                        certification=agency_certification_ready(agency_a, programme, staff_user))
    with pytest.raises(ApplicationError) as exc:
        services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)
    assert exc.value.code == "already_certified"


def issued(agency, programme, staff, *, valid_until):
    certification = agency_certification_ready(agency, programme, staff)
    services.agency_certification_issue(actor=staff, certification=certification)
    AgencyCertification.objects.filter(pk=certification.pk).update(valid_from=valid_until - timedelta(days=730),
                                                                   valid_until=valid_until)
    certification.refresh_from_db()
    return certification


def test_expiry_sweep_expires_only_past_certificates_and_logs_each(agency_a, agency_b, programme, staff_user):
    today = timezone.localdate()
    old = issued(agency_a, programme, staff_user, valid_until=today - timedelta(days=1))
    current = issued(agency_b, programme, staff_user, valid_until=today)
    assert services.agency_certifications_expire_due(today=today) == [old.pk]
    old.refresh_from_db()
    current.refresh_from_db()
    assert (old.status, current.status) == (S.EXPIRED, S.ISSUED)
    # One ledger entry per sweep, listing every certificate it expired.
    event = AuditEvent.objects.get(action="agency_certification.expired")
    assert (event.data["ids"], event.data["count"], event.actor_label) == (
        [old.pk], 1, "system:certification-expiry-sweep")
    assert services.agency_certifications_expire_due(today=today) == []  # idempotent


def test_expiry_sweep_is_one_update_statement(agency_a, agency_b, programme, staff_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()
    issued(agency_a, programme, staff_user, valid_until=today - timedelta(days=3))
    issued(agency_b, programme, staff_user, valid_until=today - timedelta(days=2))
    with CaptureQueriesContext(connection) as ctx:
        assert len(services.agency_certifications_expire_due(today=today)) == 2
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "certification_agencycertification" in updates[0]
    ledger_inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "core_auditevent"')]
    assert len(ledger_inserts) == 1


def test_expired_certificate_can_be_renewed(agency_a, programme, staff_user):
    today = timezone.localdate()
    old = issued(agency_a, programme, staff_user, valid_until=today - timedelta(days=1))
    services.agency_certifications_expire_due(today=today)
    old.refresh_from_db()
    renewal = services.agency_certification_renew(actor=staff_user, certification=old)
    assert renewal.previous_id == old.pk


def test_reminders_go_out_once_per_threshold(agency_a, programme, staff_user, django_capture_on_commit_callbacks):
    admin = UserFactory(role=Role.AGENCY_ADMIN, agency=agency_a, email="chief@agency-a.example")
    today = timezone.localdate()
    certification = issued(agency_a, programme, staff_user, valid_until=today + timedelta(days=90))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.agency_certification_reminders_send(today=today) == 1
        assert services.agency_certification_reminders_send(today=today) == 0
    assert len(mail.outbox) == 1 and admin.email in mail.outbox[0].to
    assert services.agency_certification_reminders_send(today=today + timedelta(days=30)) == 0  # 60 days left
    assert services.agency_certification_reminders_send(today=today + timedelta(days=60)) == 1  # 30 days left
    assert services.agency_certification_reminders_send(today=today + timedelta(days=83)) == 1  # 7 days left
    assert services.agency_certification_reminders_send(today=today + timedelta(days=85)) == 0
    assert sorted(AgencyCertificationReminder.objects.filter(certification=certification)
                  .values_list("days_before", flat=True)) == [7, 30, 90]
    assert AuditEvent.objects.filter(action="agency_certification.reminder_sent").count() == 3


def test_a_missed_reminder_sends_only_the_nearest_one(agency_a, programme, staff_user):
    today = timezone.localdate()
    certification = issued(agency_a, programme, staff_user, valid_until=today + timedelta(days=5))
    assert services.agency_certification_reminders_send(today=today) == 1
    assert list(certification.reminders.values_list("days_before", flat=True)) == [7]


def test_reminders_skip_certificates_not_issued(agency_a, programme, staff_user):
    today = timezone.localdate()
    certification = issued(agency_a, programme, staff_user, valid_until=today + timedelta(days=20))
    services.agency_certification_revoke(actor=staff_user, certification=certification, reason="x")
    assert services.agency_certification_reminders_send(today=today) == 0


def test_database_refuses_a_reminder_twice(agency_a, programme, staff_user):
    certification = issued(agency_a, programme, staff_user, valid_until=timezone.localdate() + timedelta(days=9))
    AgencyCertificationReminder.objects.create(certification=certification, days_before=30, sent_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        AgencyCertificationReminder.objects.create(certification=certification, days_before=30,
                                                   sent_at=timezone.now())
