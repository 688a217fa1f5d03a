"""Celery tasks: thin wrappers taking ids. Every service claims its work first, so running a task twice is safe."""

from celery import shared_task

from . import services

_STEP_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "time_limit": 300, "soft_time_limit": 240}


@shared_task(name="evaluations.tasks.cycles_close_due")
def cycles_close_due() -> dict:
    """Beat, every 5 minutes: close cycles past their deadline; also open drafts whose opening time came and resume
    report pipelines whose worker died."""
    return {"opened": services.cycles_open_due(), "closed": services.cycles_close_due(),
            "resumed": services.report_pipelines_resume()}


@shared_task(name="evaluations.tasks.invitation_reminders_send")
def invitation_reminders_send() -> int:
    return services.invitation_reminders_send()


@shared_task(name="evaluations.tasks.report_aggregate", bind=True, **_STEP_OPTIONS)
def report_aggregate(self, cycle_id: int) -> bool:
    return services.report_aggregate(cycle_id=cycle_id, task_id=self.request.id or "")


@shared_task(name="evaluations.tasks.report_summarise", bind=True, **_STEP_OPTIONS)
def report_summarise(self, cycle_id: int) -> bool:
    return services.report_summarise(cycle_id=cycle_id, task_id=self.request.id or "")


@shared_task(name="evaluations.tasks.report_render", bind=True, **_STEP_OPTIONS)
def report_render(self, cycle_id: int) -> bool:
    return services.report_render(cycle_id=cycle_id, task_id=self.request.id or "")


@shared_task(name="evaluations.tasks.report_notify", bind=True, **_STEP_OPTIONS)
def report_notify(self, cycle_id: int) -> bool:
    return services.report_notify(cycle_id=cycle_id, task_id=self.request.id or "")
