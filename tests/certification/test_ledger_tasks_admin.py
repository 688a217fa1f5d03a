"""The ledger is the audit chain (`verify_audit_chain` checks certification events too), the beat tasks, and the
admin going through the same services (rules hold there too)."""

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from certification import services, tasks
from certification.models import (
    AgencyCertification,
    Finding,
    FindingSource,
    FindingStatus,
    OfficerCertification,
    Plaque,
)
from core.models import AuditEvent
from tests.support.builders import certified_agency, credits_record

pytestmark = pytest.mark.django_db


def determined_sustained(officer, staff):
    finding = services.finding_record(actor=staff, officer=officer, incident_date=date(2025, 4, 1), summary="x",
                                      source=FindingSource.COMPLAINT)
    services.finding_notice(actor=staff, finding=finding)
    services.finding_response_record(actor=staff, finding=finding, text="reply")
    return services.finding_determine(actor=staff, finding=finding, determination="sustained", reason="r")


def test_verify_audit_chain_passes_on_certification_events(agency_a, programme, staff_user, capsys):
    certified_agency(agency_a, programme, staff_user)
    call_command("verify_audit_chain")
    assert "Audit chain intact" in capsys.readouterr().out


def test_verify_audit_chain_names_the_tampered_certification_entry_on_sqlite(agency_a, programme, staff_user):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses the tampering itself (next test)")
    certified_agency(agency_a, programme, staff_user)
    issued = AuditEvent.objects.get(action="agency_certification.issued")
    AuditEvent.objects.filter(pk=issued.pk).update(data={"forged": True})
    with pytest.raises(CommandError, match=rf"#{issued.sequence} \(agency_certification.issued"):
        call_command("verify_audit_chain")


@pytest.mark.postgres
def test_tampering_with_the_ledger_is_refused_on_postgres(agency_a, programme, staff_user):
    certified_agency(agency_a, programme, staff_user)
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET data = '{}' WHERE action = 'agency_certification.issued'")
    call_command("verify_audit_chain")


def test_beat_tasks_run_their_sweeps(agency_a, programme, staff_user, officer_b):
    certification = certified_agency(agency_a, programme, staff_user)
    today = timezone.localdate()
    AgencyCertification.objects.filter(pk=certification.pk).update(valid_from=today - timedelta(days=800),
                                                                   valid_until=today - timedelta(days=1))
    credits_record([officer_b], on=today - timedelta(days=1))
    officer_cert = services.officer_certification_grant(actor=staff_user, officer=officer_b)
    OfficerCertification.objects.filter(pk=officer_cert.pk).update(cycle_start=today - timedelta(days=400),
                                                                    valid_until=today - timedelta(days=1))
    assert tasks.agency_certifications_expire_due.delay().get() == 1
    assert tasks.officer_certifications_lapse_due.delay().get() == 1
    assert tasks.agency_certifications_expire_due.delay().get() == 0  # idempotent
    assert tasks.agency_certification_reminders_send.delay().get() == 0
    Plaque.objects.filter(certification=certification).update(due_on=today - timedelta(days=1))
    assert tasks.plaques_overdue_digest_send.delay().get() == 1
    assert AgencyCertification.objects.get(pk=certification.pk).status == "expired"
    assert OfficerCertification.objects.get(pk=officer_cert.pk).status == "lapsed"


def test_beat_schedule_names_exist():
    from django.conf import settings

    from config.celery import app

    for name in ("certification.tasks.agency_certifications_expire_due",
                 "certification.tasks.agency_certification_reminders_send",
                 "certification.tasks.officer_certifications_lapse_due"):
        assert name in app.tasks
        assert any(entry["task"] == name for entry in settings.CELERY_BEAT_SCHEDULE.values())


# --- admin ---------------------------------------------------------------------------------------------------

@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_admin_verify_action_keeps_the_two_person_rule(admin_client_for, staff_user, staff2, officer_a):
    finding = determined_sustained(officer_a, staff_user)
    url = "/admin/certification/finding/"
    admin_client_for(staff_user).post(url, {"action": "verify_selected", "_selected_action": [finding.pk]})
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.DETERMINED
    admin_client_for(staff2).post(url, {"action": "verify_selected", "_selected_action": [finding.pk]})
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.VERIFIED
    officer_a.refresh_from_db()
    assert officer_a.permanently_ineligible_at is not None


def test_admin_cannot_recertify_a_revoked_officer(admin_client_for, staff_user, staff2, officer_a):
    credits_record([officer_a], on=timezone.localdate() - timedelta(days=1))
    certification = services.officer_certification_grant(actor=staff_user, officer=officer_a)
    services.finding_verify(actor=staff2, finding=determined_sustained(officer_a, staff_user))
    client = admin_client_for(staff2)
    response = client.post("/admin/certification/officercertification/",
                           {"action": "grant_again", "_selected_action": [certification.pk]}, follow=True)
    assert "can never be certified again" in response.content.decode()
    change = client.post(f"/admin/certification/officercertification/{certification.pk}/change/",
                         {"status": "active"})
    assert change.status_code in (302, 403, 200)
    assert OfficerCertification.objects.get(pk=certification.pk).status == "revoked"


def test_admin_issue_action_refuses_unmet_requirements(admin_client_for, staff_user, agency_a, programme):
    certification = services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)
    services.agency_certification_submit(actor=staff_user, certification=certification)
    response = admin_client_for(staff_user).post("/admin/certification/agencycertification/", {
        "action": "issue_selected", "_selected_action": [certification.pk]}, follow=True)
    assert "Not every requirement is met" in response.content.decode()
    assert AgencyCertification.objects.get(pk=certification.pk).status == "under_review"


def test_admin_records_a_finding_through_the_service(admin_client_for, staff_user, officer_a):
    client = admin_client_for(staff_user)
    response = client.post("/admin/certification/finding/add/", {
        "officer": officer_a.pk, "agency": officer_a.agency_id, "incident_date": "2025-03-03",
        "summary": "Recorded in the admin", "evidence_references": '["A-1"]', "source": "complaint"})
    assert response.status_code == 302, response.content.decode()[:2000]
    finding = Finding.objects.get()
    assert finding.recorded_by == staff_user and finding.evidence_references == ["A-1"]
    assert AuditEvent.objects.filter(action="finding.recorded", target_id=str(finding.pk)).exists()
    future = client.post("/admin/certification/finding/add/", {
        "officer": officer_a.pk, "agency": officer_a.agency_id,
        "incident_date": str(timezone.localdate() + timedelta(days=3)), "summary": "x", "evidence_references": "[]",
        "source": "complaint"})
    assert future.status_code == 200 and Finding.objects.count() == 1


def test_admin_pages_render(admin_client_for, staff_user, agency_a, programme):
    certification = certified_agency(agency_a, programme, staff_user)
    client = admin_client_for(staff_user)
    for url in ("/admin/certification/agencycertification/", f"/admin/certification/agencycertification/"
                f"{certification.pk}/change/", "/admin/certification/plaque/", "/admin/certification/finding/",
                "/admin/certification/officercertification/", "/admin/certification/certificationprogramme/",
                f"/admin/certification/certificationprogramme/{programme.pk}/change/"):
        assert client.get(url).status_code == 200, url
