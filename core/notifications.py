"""E-mail goes out after the transaction that caused it commits, through a task (a worker in production)."""

from django.db import transaction


def email_send_on_commit(*, to: list[str], subject: str, body: str) -> None:
    from .tasks import send_email

    recipients = [address for address in to if address]
    if recipients:
        transaction.on_commit(lambda: send_email.delay(to=recipients, subject=subject, body=body))
