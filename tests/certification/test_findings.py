"""Findings under due process: record, notice and response window, determination, and the two-person rule."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from agencies.models import Officer, Role
from certification import services
from certification.models import Determination, Finding, FindingSource, FindingStatus, OfficerCertification
from core.exceptions import ApplicationError
from core.models import AuditEvent
from tests.factories import UserFactory
from tests.support.builders import credits_record

pytestmark = pytest.mark.django_db
FS = FindingStatus


def recorded(officer, staff, **kwargs):
    return services.finding_record(actor=staff, officer=officer, incident_date=kwargs.pop("incident_date",
                                   date(2025, 5, 4)), summary="Struck a handcuffed person",
                                   source=FindingSource.INTERNAL_AFFAIRS, evidence_references=["IA-2025-17"],
                                   **kwargs)


def responded(officer, staff):
    finding = recorded(officer, staff)
    services.finding_notice(actor=staff, finding=finding)
    return services.finding_response_record(actor=staff, finding=finding, text="We dispute the account.")


def determined(officer, staff, determination=Determination.SUSTAINED):
    return services.finding_determine(actor=staff, finding=responded(officer, staff), determination=determination,
                                      reason="Body-camera footage")


def test_record_is_staff_only_and_audited(officer_a, staff_user, admin_a):
    with pytest.raises(ApplicationError) as exc:
        recorded(officer_a, admin_a)
    assert exc.value.status_code == 403
    finding = recorded(officer_a, staff_user)
    assert (finding.status, finding.agency_id, finding.evidence_references) == (FS.RECORDED, officer_a.agency_id,
                                                                                ["IA-2025-17"])
    assert AuditEvent.objects.get(action="finding.recorded").target_id == str(finding.pk)


def test_record_refuses_a_future_incident_and_writes_nothing(officer_a, staff_user):
    with pytest.raises(ApplicationError) as exc:
        recorded(officer_a, staff_user, incident_date=timezone.localdate() + timedelta(days=1))
    assert "incident_date" in exc.value.fields
    assert not Finding.objects.exists() and not AuditEvent.objects.exists()


def test_notice_opens_the_response_window_and_tells_officer_and_agency(officer_a, staff_user, admin_a,
                                                                        django_capture_on_commit_callbacks):
    Officer.objects.filter(pk=officer_a.pk).update(email="officer@example.org")
    officer_a.refresh_from_db()
    finding = recorded(officer_a, staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_notice(actor=staff_user, finding=finding)
    assert finding.response_due_on == timezone.localdate() + timedelta(days=30)
    assert set(mail.outbox[0].to) == {"officer@example.org", admin_a.email}
    assert str(finding.response_due_on) in mail.outbox[0].subject


@override_settings(FINDING_RESPONSE_DAYS=10)
def test_response_window_is_a_setting(officer_a, staff_user):
    finding = recorded(officer_a, staff_user)
    services.finding_notice(actor=staff_user, finding=finding)
    assert finding.response_due_on == timezone.localdate() + timedelta(days=10)


def test_determination_waits_for_the_response_or_the_window(officer_a, staff_user):
    finding = recorded(officer_a, staff_user)
    with pytest.raises(ApplicationError) as exc:  # not even noticed
        services.finding_determine(actor=staff_user, finding=finding, determination="sustained", reason="r")
    assert exc.value.code == "invalid_transition"
    services.finding_notice(actor=staff_user, finding=finding)
    with pytest.raises(ApplicationError) as exc:
        services.finding_determine(actor=staff_user, finding=finding, determination="sustained", reason="r")
    assert exc.value.code == "response_window_open"
    Finding.objects.filter(pk=finding.pk).update(response_due_on=timezone.localdate() - timedelta(days=1))
    finding.refresh_from_db()
    services.finding_determine(actor=staff_user, finding=finding, determination="not_sustained", reason="r")
    assert finding.status == FS.DETERMINED


def test_agency_admin_responds_only_within_the_window(officer_a, staff_user, admin_a):
    finding = recorded(officer_a, staff_user)
    services.finding_notice(actor=staff_user, finding=finding)
    Finding.objects.filter(pk=finding.pk).update(response_due_on=timezone.localdate() - timedelta(days=1))
    finding.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        services.finding_response_record(actor=admin_a, finding=finding, text="Late")
    assert exc.value.code == "response_window_closed"
    services.finding_response_record(actor=staff_user, finding=finding, text="Received by post on time")
    assert finding.status == FS.RESPONDED


def test_determination_needs_a_valid_outcome_and_reasons(officer_a, staff_user):
    finding = responded(officer_a, staff_user)
    for determination, reason in (("guilty", "r"), ("", "r"), ("sustained", " ")):
        with pytest.raises(ApplicationError):
            services.finding_determine(actor=staff_user, finding=finding, determination=determination, reason=reason)
    assert Finding.objects.get(pk=finding.pk).status == FS.RESPONDED


@pytest.mark.parametrize("who", ["recorder", "determiner"])
def test_second_staff_member_must_verify_finding(officer_a, staff_user, staff2, staff3, who):
    finding = responded(officer_a, staff_user)
    services.finding_determine(actor=staff2, finding=finding, determination=Determination.SUSTAINED, reason="r")
    actor = staff_user if who == "recorder" else staff2
    with pytest.raises(ApplicationError) as exc:
        services.finding_verify(actor=actor, finding=finding)
    assert (exc.value.code, exc.value.status_code) == ("two_person_rule", 403)
    finding.refresh_from_db()
    assert finding.status == FS.DETERMINED
    services.finding_verify(actor=staff3, finding=finding)
    assert finding.status == FS.VERIFIED


def test_database_holds_the_two_person_rule(officer_a, staff_user, staff2):
    finding = determined(officer_a, staff_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=finding.pk).update(status=FS.VERIFIED, verified_by=staff_user,
                                                     verified_at=timezone.now())
    finding.status, finding.verified_by = FS.VERIFIED, staff_user
    with pytest.raises(ValidationError):
        finding.full_clean()


def test_only_sustained_findings_are_verified(officer_a, staff_user, staff2):
    finding = determined(officer_a, staff_user, Determination.EXONERATED)
    with pytest.raises(ApplicationError) as exc:
        services.finding_verify(actor=staff2, finding=finding)
    assert exc.value.code == "not_sustained"


def test_agency_admin_cannot_verify(officer_a, staff_user, admin_a):
    with pytest.raises(ApplicationError) as exc:
        services.finding_verify(actor=admin_a, finding=determined(officer_a, staff_user))
    assert exc.value.status_code == 403


def test_verification_revokes_marks_ineligible_and_notifies_in_one_transaction(
        officer_a, staff_user, staff2, admin_a, django_capture_on_commit_callbacks):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=3))
    certification = services.officer_certification_grant(actor=staff_user, officer=officer_a)
    finding = determined(officer_a, staff_user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_verify(actor=staff2, finding=finding)
    certification.refresh_from_db()
    officer_a.refresh_from_db()
    assert certification.status == "revoked" and certification.revoked_by_finding_id == finding.pk
    assert officer_a.permanently_ineligible_at is not None
    assert admin_a.email in mail.outbox[0].to and "revoked" in mail.outbox[0].body
    actions = list(AuditEvent.objects.filter(sequence__gt=AuditEvent.objects.get(
        action="finding.determined").sequence).values_list("action", flat=True))
    assert actions == ["finding.verified", "officer.permanently_ineligible", "officer_certification.revoked"]


def test_failed_verification_leaves_nothing_behind(officer_a, staff_user, staff2, monkeypatch):
    """If any part fails (here: the ineligibility mark), the finding is not verified and nothing is revoked."""
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=3))
    certification = services.officer_certification_grant(actor=staff_user, officer=officer_a)
    finding = determined(officer_a, staff_user)

    def boom(**kwargs):
        raise RuntimeError("mark failed")

    monkeypatch.setattr("certification.services.findings.officer_mark_permanently_ineligible", boom)
    with pytest.raises(RuntimeError):
        services.finding_verify(actor=staff2, finding=finding)
    assert Finding.objects.get(pk=finding.pk).status == FS.DETERMINED
    assert OfficerCertification.objects.get(pk=certification.pk).status == "active"
    assert not AuditEvent.objects.filter(action="finding.verified").exists()


def test_verifying_twice_is_refused(officer_a, staff_user, staff2, staff3):
    finding = determined(officer_a, staff_user)
    services.finding_verify(actor=staff2, finding=finding)
    with pytest.raises(ApplicationError) as exc:
        services.finding_verify(actor=staff3, finding=Finding.objects.get(pk=finding.pk))
    assert exc.value.code == "invalid_transition"
    assert AuditEvent.objects.filter(action="finding.verified").count() == 1


def test_verification_of_an_officer_without_certification_still_marks_them(officer_a, staff_user, staff2):
    services.finding_verify(actor=staff2, finding=determined(officer_a, staff_user))
    officer_a.refresh_from_db()
    assert officer_a.permanently_ineligible_at is not None
    assert not OfficerCertification.objects.exists()


def test_finding_constraints(officer_a, staff_user):
    finding = recorded(officer_a, staff_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=finding.pk).update(status=FS.DETERMINED)  # determined without a determination
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=finding.pk).update(source="rumour")
    finding.determination = Determination.SUSTAINED
    with pytest.raises(ValidationError):
        finding.full_clean()


def test_agency_admins_of_the_officers_agency_are_notified(officer_a, staff_user,
                                                            django_capture_on_commit_callbacks):
    other_admin = UserFactory(role=Role.AGENCY_ADMIN, agency=officer_a.agency, email="second@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_notice(actor=staff_user, finding=recorded(officer_a, staff_user))
    assert other_admin.email in mail.outbox[0].to
