"""Periodic certification work (scheduled by Celery beat in settings). Thin: each task calls one idempotent
service; running one twice, or two at once, changes nothing the second time."""

from celery import shared_task

from . import services


@shared_task(name="certification.tasks.agency_certifications_expire_due")
def agency_certifications_expire_due() -> int:
    return len(services.agency_certifications_expire_due())


@shared_task(name="certification.tasks.agency_certification_reminders_send")
def agency_certification_reminders_send() -> int:
    return services.agency_certification_reminders_send()


@shared_task(name="certification.tasks.officer_certifications_lapse_due")
def officer_certifications_lapse_due() -> int:
    return len(services.officer_certifications_lapse_due())


@shared_task(name="certification.tasks.plaques_overdue_digest_send")
def plaques_overdue_digest_send() -> int:
    return services.plaques_overdue_digest_send()
