from celery import shared_task

from .services import heartbeat_record


@shared_task(name="core.tasks.record_worker_heartbeat")
def record_worker_heartbeat(name: str = "celery-worker") -> None:
    heartbeat_record(name=name)
