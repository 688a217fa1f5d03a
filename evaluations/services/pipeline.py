"""The report pipeline: aggregate -> summarise -> render -> notify, one Celery task per step. Each step first claims
its `PipelineStep` row with a conditional UPDATE (a claim of work, not a lifecycle: a task delivered twice does the
work once; a claim older than PIPELINE_STALE_AFTER is abandoned and may be claimed again by the beat sweep)."""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agencies.selectors import agency_roster_names, staff_emails
from core.audit import audit_record
from core.notifications import email_send_on_commit

from ..eligibility import officer_eligibility_gates
from ..models import PIPELINE_ORDER, Cycle, CycleStatus, PipelineStep, PipelineStepName, Report, Summariser
from ..redaction import Redactor
from ..scoring import cycle_aggregates_fetch, development_areas_compute, readiness_band_compute, report_content_build
from ._common import PIPELINE_STALE_AFTER, SCHEDULER, _cycle_transition

logger = logging.getLogger(__name__)

def _step_claim(*, cycle_id: int, name: str, task_id: str = "") -> bool:
    """Claim a pipeline step: the previous step must be finished and this one unclaimed, abandoned (stale), or
    claimed by this very task before its worker died (a redelivery carries the same task id)."""
    position = PIPELINE_ORDER.index(name)
    if position and not PipelineStep.objects.filter(cycle_id=cycle_id, name=PIPELINE_ORDER[position - 1],
                                                    finished_at__isnull=False).exists():
        return False
    now = timezone.now()
    claimable = Q(started_at__isnull=True) | Q(started_at__lt=now - PIPELINE_STALE_AFTER)
    if task_id:
        claimable |= Q(claimed_by_task=task_id)
    return PipelineStep.objects.filter(cycle_id=cycle_id, name=name, finished_at__isnull=True).filter(
        claimable
    ).update(started_at=now, attempts=F("attempts") + 1, claimed_by_task=task_id) == 1


def _step_finish(*, cycle_id: int, name: str) -> None:
    PipelineStep.objects.filter(cycle_id=cycle_id, name=name, finished_at__isnull=True).update(
        finished_at=timezone.now())


def _known_names(cycle: Cycle) -> list[str]:
    """The subject's and every invited rater's names: redacted in any case and any part."""
    names = [cycle.subject.full_name, cycle.subject.first_name, cycle.subject.last_name]
    names += list(cycle.invitations.values_list("rater_name", flat=True))
    return [n for n in names if n]


def _roster_names(cycle: Cycle) -> list[str]:
    """Every officer on the sponsoring agency's roster (and the subject's own agency's): redacted when capitalised."""
    agencies = {cycle.agency_id, cycle.subject.agency_id}
    return sorted({name for agency_id in agencies for name in agency_roster_names(agency_id=agency_id)})


def comments_redact(comments: list[dict], *, names: list[str], roster: list[str]) -> list[dict]:
    """Redact every comment, then order them by question and by the redacted text (the original text must not
    decide the order: sorted by it, a comment starting with a name would sit where that name sorts) and number
    them c1, c2, ... in that order."""
    redactor = Redactor(names=names, roster=roster)
    question_order: dict[str, int] = {}
    for comment in comments:
        question_order.setdefault(comment["question"], len(question_order))
    redacted = [{**c, "text": redactor.redact(c["text"])} for c in comments]
    redacted.sort(key=lambda c: (question_order[c["question"]], c["text"]))
    for index, comment in enumerate(redacted, start=1):
        comment["id"] = f"c{index}"
    return redacted


def report_pipeline_start(cycle_id: int) -> None:
    """Hand the report pipeline over once the closing transaction commits. With a broker: a Celery task. Without
    one (eager Celery, `make run`): a background thread, so the request that closed the cycle answers at once and
    never waits for a slow model (EVALUATION_PIPELINE_IN_BACKGROUND; the timeline shows the steps' progress)."""
    from celery import current_app

    from ..tasks import report_aggregate

    if current_app.conf.task_always_eager and settings.EVALUATION_PIPELINE_IN_BACKGROUND:
        transaction.on_commit(lambda: _pipeline_thread_start(cycle_id))
    else:
        report_aggregate.delay_on_commit(cycle_id)


PIPELINE_THREADS: list[threading.Thread] = []


def _pipeline_thread_start(cycle_id: int) -> threading.Thread:
    # Not a daemon: a process shutting down waits for the pipeline (bounded by LLM_OVERALL_DEADLINE_SECONDS).
    thread = threading.Thread(target=_pipeline_run, args=(cycle_id,), name=f"report-pipeline-{cycle_id}")
    thread.start()
    PIPELINE_THREADS[:] = [t for t in PIPELINE_THREADS if t.is_alive()] + [thread]
    return thread


def _pipeline_run(cycle_id: int) -> None:
    from django.db import connections

    from ..tasks import report_aggregate

    try:
        report_aggregate.delay(cycle_id)  # eager: runs every step in turn, here
    except Exception:
        logger.exception("The report pipeline of cycle %s failed in the background.", cycle_id)
    finally:
        connections.close_all()


def report_aggregate(*, cycle_id: int, task_id: str = "") -> bool:
    """Step 1: scores and comments (anonymity rules applied, comments redacted), band, eligibility gates."""
    from ..tasks import report_summarise

    if not _step_claim(cycle_id=cycle_id, name=PipelineStepName.AGGREGATE, task_id=task_id):
        return False
    with transaction.atomic():
        cycle = Cycle.objects.select_related("subject", "instrument").get(pk=cycle_id)
        content = report_content_build(cycle_aggregates_fetch(cycle=cycle))
        # Redacted before anything is stored, sent to a model or sorted.
        content["comments"] = comments_redact(content["comments"], names=_known_names(cycle),
                                              roster=_roster_names(cycle))
        band = readiness_band_compute(content)
        report, _ = Report.objects.update_or_create(cycle=cycle, defaults={
            "content": content, "band_computed": band, "development_areas": development_areas_compute(content),
            "eligibility": officer_eligibility_gates(officer=cycle.subject)})
        audit_record(actor=SCHEDULER, action="evaluation_report.aggregated", target=report,
                     data={"cycle": cycle.pk, "band_computed": band,
                           "groups_shown": [g["relationship"] for g in content["groups"] if g["shown"]]})
        _step_finish(cycle_id=cycle_id, name=PipelineStepName.AGGREGATE)
        report_summarise.delay_on_commit(cycle_id)
    return True


def _builtin_fields(report: Report) -> dict:
    import time

    from ..summary import BUILTIN_MODEL, BUILTIN_VERSION, builtin_summarise

    started = time.monotonic()
    summary = builtin_summarise(report.content)
    return {"summary": summary, "summariser": Summariser.BUILTIN, "llm_model": BUILTIN_MODEL,
            "prompt_version": BUILTIN_VERSION, "latency_ms": int((time.monotonic() - started) * 1000)}


def report_summarise(*, cycle_id: int, task_id: str = "") -> bool:
    """Step 2: the narrative, by the configured language model (when enough comments are shown) or the built-in
    summariser. `llm_error` says why the built-in one wrote it, as a category and our own words: never the model's
    answer or the server's message."""
    from .. import llm
    from ..tasks import report_render

    if not _step_claim(cycle_id=cycle_id, name=PipelineStepName.SUMMARISE, task_id=task_id):
        return False
    report = Report.objects.select_related("cycle__subject").get(cycle_id=cycle_id)
    payload = llm.llm_input_build(report.content, development_areas=report.development_areas)
    fields = {"input_hash": llm.input_hash(payload), "llm_error": "", "prompt_tokens": None,
              "completion_tokens": None}
    shown = len(report.content["comments"])
    minimum = settings.EVALUATION_LLM_MIN_COMMENTS
    # The model call happens outside any transaction: it may take seconds and holds no locks.
    result = None
    if not llm.llm_configured():
        fields["llm_error"] = "not_configured: no language model is configured (LLM_BASE_URL is empty)"
    elif shown < minimum:
        fields["llm_error"] = (f"too_few_comments: {shown} comment(s) shown; the language model is used from "
                               f"{minimum} (EVALUATION_LLM_MIN_COMMENTS)")
    else:
        try:
            result = llm.llm_summarise(payload=payload, names=_known_names(report.cycle),
                                       roster=_roster_names(report.cycle),
                                       competency_keys=[c["key"] for c in report.content["competencies"]],
                                       development_areas=report.development_areas)
        except llm.LlmFailed as exc:
            fields.update(llm_error=f"{exc.category}: {exc.reason}", prompt_tokens=exc.prompt_tokens,
                          completion_tokens=exc.completion_tokens)
    if result is not None:
        fields.update(summary=result.summary, summariser=Summariser.LLM, llm_model=result.model,
                      prompt_version=llm.PROMPT_VERSION, prompt_tokens=result.prompt_tokens,
                      completion_tokens=result.completion_tokens, latency_ms=result.latency_ms)
    else:
        fields.update(_builtin_fields(report))
    with transaction.atomic():
        for name, value in fields.items():
            setattr(report, name, value)
        report.save(update_fields=list(fields))
        audit_record(actor=SCHEDULER, action="evaluation_report.summarised", target=report, data={
            "summariser": report.summariser, "model": report.llm_model, "prompt_version": report.prompt_version,
            "input_hash": report.input_hash, "comments_shown": shown,
            "fallback": fallback_category(report.llm_error), "error": report.llm_error[:300]})
        _step_finish(cycle_id=cycle_id, name=PipelineStepName.SUMMARISE)
        report_render.delay_on_commit(cycle_id)
    return True


def fallback_category(llm_error: str) -> str:
    """not_configured, too_few_comments, rejected, failed, deadline, replaced_by_reviewer, or "" (model used)."""
    return llm_error.split(":", 1)[0].strip() if llm_error else ""


def report_pdf_data(report: Report):
    from ..pdf import ReportPdfData, report_notice

    cycle = report.cycle
    return ReportPdfData(
        cycle_id=cycle.pk, subject_name=cycle.subject.full_name, agency_name=cycle.agency.name,
        target_position=cycle.target_position, closed_on=f"{cycle.closed_at:%Y-%m-%d}" if cycle.closed_at else "",
        content=report.content, eligibility=report.eligibility, summary=report.summary or {},
        ai_assisted=report.summariser == Summariser.LLM, summariser_label=report.get_summariser_display(),
        model=report.llm_model, prompt_version=report.prompt_version, input_hash=report.input_hash,
        band_computed=report.band_computed, band_final=report.band_final,
        band_override_reason=report.band_override_reason,
        released_by=(report.released_by.get_full_name() or report.released_by.get_username())
        if report.released_by else "",
        released_on=f"{report.released_at:%Y-%m-%d}" if report.released_at else "",
        development_areas=list(report.development_areas),
        notice=report_notice(summariser=report.summariser, fallback=fallback_category(report.llm_error),
                             review_action=(report.review or {}).get("action", "")),
    )


def report_render(*, cycle_id: int, task_id: str = "") -> bool:
    """Step 3: the PDF (a draft until release; release renders it again with the sign-off)."""
    from ..pdf import report_pdf_render
    from ..tasks import report_notify

    if not _step_claim(cycle_id=cycle_id, name=PipelineStepName.RENDER, task_id=task_id):
        return False
    report = Report.objects.select_related("cycle__subject", "cycle__agency", "released_by").get(cycle_id=cycle_id)
    pdf = report_pdf_render(report_pdf_data(report))
    with transaction.atomic():
        report.pdf = pdf
        report.save(update_fields=["pdf"])
        audit_record(actor=SCHEDULER, action="evaluation_report.rendered", target=report,
                     data={"sha256": hashlib.sha256(pdf).hexdigest(), "bytes": len(pdf)})
        _step_finish(cycle_id=cycle_id, name=PipelineStepName.RENDER)
        report_notify.delay_on_commit(cycle_id)
    return True


def report_notify(*, cycle_id: int, task_id: str = "") -> bool:
    """Step 4: the report is ready for staff review; the cycle becomes report_ready."""

    if not _step_claim(cycle_id=cycle_id, name=PipelineStepName.NOTIFY, task_id=task_id):
        return False
    with transaction.atomic():
        cycle = Cycle.objects.select_related("subject").get(pk=cycle_id)
        _cycle_transition(cycle=cycle, to=CycleStatus.REPORT_READY, actor=SCHEDULER)
        staff = staff_emails()
        email_send_on_commit(
            to=staff, subject=f"360 report ready for review: {cycle.subject.full_name}",
            body=f"The promotability report of cycle {cycle.pk} ({cycle.subject.full_name}, "
                 f"{cycle.target_position}) is ready for staff review and sign-off:\n"
                 f"{settings.PUBLIC_BASE_URL}/api/v1/evaluations/cycles/{cycle.pk}/report/\n",
        )
        _step_finish(cycle_id=cycle_id, name=PipelineStepName.NOTIFY)
    return True


STEP_SERVICES = {
    PipelineStepName.AGGREGATE: report_aggregate,
    PipelineStepName.SUMMARISE: report_summarise,
    PipelineStepName.RENDER: report_render,
    PipelineStepName.NOTIFY: report_notify,
}


def report_pipelines_resume(*, now: datetime | None = None) -> int:
    """Re-run steps whose worker died (claimed long ago, never finished) or that were never started although
    the step before them finished. Called by the beat sweep; each step's claim keeps this safe."""
    now = now or timezone.now()
    resumed = 0
    stuck = PipelineStep.objects.filter(cycle__status=CycleStatus.CLOSED, finished_at__isnull=True).filter(
        Q(started_at__lt=now - PIPELINE_STALE_AFTER) | Q(started_at__isnull=True)).order_by("cycle_id", "position")
    seen = set()
    for step in stuck:
        if step.cycle_id in seen:
            continue
        seen.add(step.cycle_id)
        if STEP_SERVICES[step.name](cycle_id=step.cycle_id):
            resumed += 1
    return resumed
