"""The 360 report pipeline after close (aggregate, summarise, render, notify: idempotent steps in order, an
abandoned step reclaimed, drafts discarded, comments redacted) and the staff release of the report."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import AuditEvent
from evaluations import services
from evaluations.models import Cycle, PipelineStep, Report

from .factories import answers_all, invite, respond

pytestmark = pytest.mark.django_db


def _full_cycle(cycle):
    self_invitation = cycle.invitations.get(relationship="self")
    services.feedback_submit(invitation=self_invitation, **answers_all(cycle, score=5, comment="I lead well"))
    respond(cycle, "supervisor", score=4, comment="Reliable and honest")
    respond(cycle, "peer", 3, score=4, comment="Calm under pressure")
    respond(cycle, "community", 2, score=1, comment="Dropped group remark")
    return cycle


def test_close_runs_the_pipeline_and_records_each_step(open_cycle_a, run_pipeline, staff_user):
    cycle = run_pipeline(_full_cycle(open_cycle_a))
    assert cycle.status == "report_ready" and cycle.report_ready_at is not None
    steps = list(PipelineStep.objects.filter(cycle=cycle).order_by("position"))
    assert [s.name for s in steps] == ["aggregate", "summarise", "render", "notify"]
    assert all(s.started_at and s.finished_at and s.attempts == 1 for s in steps)
    assert all(a.finished_at <= b.started_at for a, b in zip(steps, steps[1:], strict=False))
    report = Report.objects.get(cycle=cycle)
    assert report.summariser == "builtin" and report.llm_model == "builtin-deterministic"
    assert len(report.input_hash) == 64 and report.latency_ms is not None
    assert bytes(report.pdf).startswith(b"%PDF")
    assert "Dropped group remark" not in str(report.content) + str(report.summary)
    assert [m.to for m in mail.outbox] == [[staff_user.email]]
    for action in ("evaluation_report.aggregated", "evaluation_report.summarised", "evaluation_report.rendered",
                   "evaluation_cycle.report_ready"):
        assert AuditEvent.objects.filter(action=action).count() == 1


def test_pipeline_steps_are_idempotent_and_keep_their_order(open_cycle_a):
    cycle = _full_cycle(open_cycle_a)
    services.cycle_close(cycle=cycle, actor="test")  # callbacks not run: nothing claimed yet
    assert services.report_summarise(cycle_id=cycle.pk) is False  # aggregate has not finished
    assert services.report_aggregate(cycle_id=cycle.pk) is True
    assert services.report_aggregate(cycle_id=cycle.pk) is False  # delivered twice: done once
    assert AuditEvent.objects.filter(action="evaluation_report.aggregated").count() == 1
    assert services.report_summarise(cycle_id=cycle.pk) is True
    assert services.report_render(cycle_id=cycle.pk) is True
    assert services.report_notify(cycle_id=cycle.pk) is True
    assert services.report_notify(cycle_id=cycle.pk) is False
    assert Cycle.objects.get(pk=cycle.pk).status == "report_ready"


def test_a_step_abandoned_by_a_dead_worker_is_reclaimed_by_the_redelivered_task_only(open_cycle_a):
    from evaluations.models import PipelineStep

    cycle = _full_cycle(open_cycle_a)
    services.cycle_close(cycle=cycle, actor="test")
    assert services.report_aggregate(cycle_id=cycle.pk) is True
    # The summarise task claimed its step, then its worker was SIGKILLed before finishing.
    assert services._step_claim(cycle_id=cycle.pk, name="summarise", task_id="task-1") is True
    assert services.report_summarise(cycle_id=cycle.pk, task_id="task-2") is False  # another task: still claimed
    assert services.report_summarise(cycle_id=cycle.pk, task_id="task-1") is True  # the redelivery: same id
    step = PipelineStep.objects.get(cycle=cycle, name="summarise")
    assert step.finished_at is not None and step.attempts == 2
    assert AuditEvent.objects.filter(action="evaluation_report.summarised").count() == 1


def test_beat_resumes_a_step_whose_worker_died(open_cycle_a):
    cycle = _full_cycle(open_cycle_a)
    services.cycle_close(cycle=cycle, actor="test")
    long_ago = timezone.now() - timedelta(hours=1)
    PipelineStep.objects.filter(cycle=cycle, name="aggregate").update(started_at=long_ago, attempts=1)
    assert services.report_pipelines_resume() == 1
    step = PipelineStep.objects.get(cycle=cycle, name="aggregate")
    assert step.finished_at is not None and step.attempts == 2


def test_unsubmitted_drafts_are_discarded_at_close(open_cycle_a):
    invitation = invite(open_cycle_a, "peer")[0]
    services.feedback_draft_save(invitation=invitation, comments={})
    services.feedback_draft_save(invitation=invitation, scores=dict(list(answers_all(open_cycle_a)["scores"]
                                                                          .items())[:2]))
    services.cycle_close(cycle=open_cycle_a, actor="test")
    invitation.refresh_from_db()
    assert invitation.draft is None


def test_report_comments_are_redacted(open_cycle_a, run_pipeline):
    invitations = respond(open_cycle_a, "peer", 3, score=4,
                          comment="Sgt Maria Alvarez (badge #4411, 555-201-7788, maria@pd.example) helped")
    respond(open_cycle_a, "direct_report", 3, score=4, comment=f"{invitations[0].rater_name} told me so")
    cycle = run_pipeline(open_cycle_a)
    text = str(cycle.report.content)
    for secret in ("Maria", "Alvarez", "4411", "555-201-7788", "maria@pd.example", invitations[0].rater_name,
                   "Rater0"):
        assert secret not in text
    assert "[name]" in text and "[badge]" in text and "[phone]" in text and "[email]" in text


# --- release ---------------------------------------------------------------------------------------------------

def test_release_keeps_the_computed_band_and_names_the_reviewer(open_cycle_a, run_pipeline, staff_user,
                                                                admin_a, django_capture_on_commit_callbacks):
    cycle = run_pipeline(_full_cycle(open_cycle_a))
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_release(cycle=cycle, actor=staff_user)
    assert report.band_final == report.band_computed and report.released_by == staff_user
    assert Cycle.objects.get(pk=cycle.pk).status == "released"
    assert mail.outbox[-1].to == [admin_a.email]
    event = AuditEvent.objects.get(action="evaluation_report.released")
    assert event.actor_label == staff_user.username
    assert not AuditEvent.objects.filter(action="evaluation_report.band_overridden").exists()


def test_band_override_needs_a_written_reason_and_is_audited(open_cycle_a, run_pipeline, staff_user):
    cycle = run_pipeline(_full_cycle(open_cycle_a))
    other = "development_needed" if cycle.report.band_computed != "development_needed" else "ready_now"
    with pytest.raises(ApplicationError) as exc:
        services.report_release(cycle=cycle, actor=staff_user, band=other, reason="")
    assert exc.value.code == "override_reason_required"
    assert Cycle.objects.get(pk=cycle.pk).status == "report_ready"
    report = services.report_release(cycle=cycle, actor=staff_user, band=other,
                                     reason="Recent commendation not reflected in the ratings.")
    assert report.band_final == other
    event = AuditEvent.objects.get(action="evaluation_report.band_overridden")
    assert event.data["reason"].startswith("Recent commendation") and event.data["to"] == other


def test_only_staff_release(open_cycle_a, run_pipeline, admin_a):
    cycle = run_pipeline(_full_cycle(open_cycle_a))
    with pytest.raises(ApplicationError) as exc:
        services.report_release(cycle=cycle, actor=admin_a)
    assert exc.value.status_code == 403
