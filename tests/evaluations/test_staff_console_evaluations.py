"""The staff console's 360 screens: reports waiting for release are listed and released through the service (signed
by the staff member, a band override needs its reason); rater lists waiting for approval are listed and approved or
refused through the service."""

import pytest
from django.core import mail

from core.models import AuditEvent
from evaluations import services
from evaluations.models import Cycle, CycleStatus, RatersStatus, ReadinessBand, Report

from .factories import answers_all, cycle_make, invite, respond

pytestmark = pytest.mark.django_db
REPORTS = "/admin/evaluations/report/"
CYCLES = "/admin/evaluations/cycle/"


@pytest.fixture
def console(client, staff_user):
    client.force_login(staff_user)
    return client


def act(client, url, action, rows, **data):
    payload = {"action": action, "_selected_action": [r.pk for r in rows], **data}
    if data:
        payload["apply"] = "yes"
    response = client.post(url, payload, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def ready_report(open_cycle_a, run_pipeline) -> Report:
    services.feedback_submit(invitation=open_cycle_a.invitations.get(relationship="self"),
                             **answers_all(open_cycle_a, score=5, comment="I lead well"))
    respond(open_cycle_a, "supervisor", score=4, comment="Reliable and honest")
    respond(open_cycle_a, "peer", 3, score=4, comment="Calm under pressure")
    cycle = run_pipeline(open_cycle_a)
    assert cycle.status == CycleStatus.REPORT_READY
    return cycle.report


def test_waiting_for_release_lists_ready_reports_and_release_signs_them(console, ready_report, staff_user, admin_a,
                                                                        django_capture_on_commit_callbacks):
    rows = console.get(REPORTS, {"waiting_for_release": "yes"}).context["cl"].result_list
    assert [r.pk for r in rows] == [ready_report.pk]
    form = act(console, REPORTS, "release_selected", [ready_report])
    assert 'name="band"' in form and Report.objects.get(pk=ready_report.pk).released_at is None
    other = next(b for b in ReadinessBand.values if b != ready_report.band_computed)
    refused = act(console, REPORTS, "release_selected", [ready_report], band=other, reason="")
    assert "needs a written reason" in refused and Report.objects.get(pk=ready_report.pk).released_at is None
    with django_capture_on_commit_callbacks(execute=True):
        html = act(console, REPORTS, "release_selected", [ready_report], band="", reason="")
    ready_report.refresh_from_db()
    assert "1 released" in html and ready_report.released_by == staff_user
    assert ready_report.band_final == ready_report.band_computed
    assert Cycle.objects.get(pk=ready_report.cycle_id).status == CycleStatus.RELEASED
    assert AuditEvent.objects.filter(action="evaluation_report.released").exists()
    assert admin_a.email in mail.outbox[-1].to
    assert not console.get(REPORTS, {"waiting_for_release": "yes"}).context["cl"].result_list


def test_rater_lists_waiting_for_approval_are_listed_approved_and_refused(console, subject_a, admin_a, staff_user):
    waiting = cycle_make(subject=subject_a, actor=admin_a)
    invite(waiting, "peer", 3, approved=False)
    other = cycle_make(subject=subject_a, actor=admin_a, target="Lieutenant")
    invite(other, "peer", 3, approved=False)
    rows = console.get(CYCLES, {"raters_waiting": "yes"}).context["cl"].result_list
    assert {c.pk for c in rows} == {waiting.pk, other.pk}
    assert "1 rater lists approved" in act(console, CYCLES, "approve_raters", [waiting])
    waiting.refresh_from_db()
    assert waiting.raters_status == RatersStatus.APPROVED and waiting.raters_reviewed_by == staff_user
    short = act(console, CYCLES, "refuse_raters", [other], reason="short")
    assert "Ensure this value has at least 10 characters" in short
    html = act(console, CYCLES, "refuse_raters", [other], reason="Two peers share the sponsor's address")
    other.refresh_from_db()
    assert "1 rater lists refused" in html and other.raters_status == RatersStatus.REFUSED
    assert other.raters_refusal_reason == "Two peers share the sponsor's address"
    assert [c.pk for c in console.get(CYCLES, {"raters_waiting": "yes"}).context["cl"].result_list] == []
