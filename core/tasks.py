from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from .services import heartbeat_record


@shared_task(name="core.tasks.record_worker_heartbeat")
def record_worker_heartbeat(name: str = "celery-worker") -> None:
    heartbeat_record(name=name)


@shared_task(name="core.tasks.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(*, to: list[str], subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
