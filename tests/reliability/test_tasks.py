"""Task delivery with a real Celery worker on Redis against the pytest-django test database.

- a task enqueued inside a transaction that rolls back never runs;
- a worker child killed with SIGKILL in the middle of a task: the message is redelivered (acks_late +
  task_reject_on_worker_lost) and the effect happens exactly once.

Each test gets its own queue (the `live_celery` fixture, tests/reliability/live_celery.py). Timeouts and the beat
schedule are checked in test_task_timeouts_and_beat.py.
"""

import contextlib
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Role
from certification import services as certification_services
from certification.models import AgencyCertification, AgencyCertificationReminder
from core.audit import _AUDIT_LOCK_KEY, audit_chain_verify
from core.models import AuditEvent, Heartbeat
from core.notifications import email_send_on_commit
from core.tasks import record_worker_heartbeat, send_email
from demo.data.certification import programme_ensure
from evaluations import services as evaluation_services
from evaluations.models import Cycle, CycleStatus, PipelineStep, Report
from tests.evaluations.factories import answers_all, cycle_make, open_cycle, respond
from tests.factories import AgencyFactory, OfficerFactory, UserFactory
from tests.support.builders import agency_certification_ready

from .live_celery import child_pids, kill_the_worker_child

# --- a. rolled back -> never runs ----------------------------------------------------------------------------

@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tasks_enqueued_in_a_rolled_back_transaction_never_run(live_celery):
    harness = live_celery.go_live()
    queue = harness.queue

    class Rollback(Exception):
        pass

    with contextlib.suppress(Rollback), transaction.atomic():
        record_worker_heartbeat.apply_async_on_commit(kwargs={"name": f"rolled-back-{queue}"}, queue=queue)
        send_email.delay_on_commit(to=["a@example.org"], subject=f"rolled-back-delay-on-commit-{queue}", body="x")
        email_send_on_commit(to=["a@example.org"], subject=f"rolled-back-on-commit-{queue}", body="x")
        raise Rollback
    # Control: the same sends in a transaction that commits do reach the worker.
    with transaction.atomic():
        record_worker_heartbeat.apply_async_on_commit(kwargs={"name": f"committed-{queue}"}, queue=queue)
        send_email.delay_on_commit(to=["a@example.org"], subject=f"committed-delay-on-commit-{queue}", body="x")
        email_send_on_commit(to=["a@example.org"], subject=f"committed-on-commit-{queue}", body="x")
    harness.start_worker()  # started after the sends: whatever was published is waiting on the queue, in order
    harness.wait_until(lambda: Heartbeat.objects.filter(name=f"committed-{queue}").exists()
                       and harness.mails(f"committed-delay-on-commit-{queue}") == 1
                       and harness.mails(f"committed-on-commit-{queue}") == 1, what="the committed tasks")
    harness.drain()  # one worker, FIFO: anything published before the fence has run
    assert not Heartbeat.objects.filter(name=f"rolled-back-{queue}").exists()
    assert harness.mails("rolled-back-") == 0
    import redis

    assert redis.Redis.from_url(settings.CELERY_BROKER_URL_FOR_WORKER_TESTS).llen(queue) == 0


# --- b. SIGKILL mid-task -> redelivered, effect once ---------------------------------------------------------

@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_report_summary_step_is_redelivered_and_the_report_is_made_once(live_celery, slow_llm):
    """The summarise step of the 360 report pipeline waits on a slow language model; its worker child is
    SIGKILLed while the request is in flight. The redelivered task must finish the pipeline, once."""
    UserFactory(username="reviewer", role=Role.CERTIFICATION_STAFF, email="reviewer@example.org")
    cycle = open_cycle(cycle_make(subject=OfficerFactory(agency=AgencyFactory())))
    evaluation_services.feedback_submit(invitation=cycle.invitations.get(relationship="self"),
                                        **answers_all(cycle, comment="I try to stay calm"))
    respond(cycle, "supervisor", comment="Reliable and steady")
    respond(cycle, "peer", 3, comment="Calm under pressure")
    harness = live_celery.go_live()
    harness.start_worker(pool="prefork", extra_env={
        "LLM_BASE_URL": slow_llm.base_url, "LLM_API_KEY": "test-key", "LLM_MODEL": "test-model",
        "LLM_TIMEOUT_SECONDS": "60", "LLM_MAX_RETRIES": "0"})
    with transaction.atomic():
        evaluation_services.cycle_close(cycle=Cycle.objects.get(pk=cycle.pk), actor="test")  # enqueues on commit

    harness.wait_until(lambda: slow_llm.requests >= 1, what="the summarise step to call the model")
    killed = kill_the_worker_child(harness)
    harness.wait_until(lambda: child_pids(harness.worker.pid) not in ([], [killed]), timeout=30,
                       what="the worker to replace its killed child")

    harness.wait_until(lambda: Cycle.objects.get(pk=cycle.pk).status == CycleStatus.REPORT_READY, timeout=30,
                       what="the redelivered pipeline to finish (cycle report_ready)")
    harness.drain()  # the e-mails and any duplicate delivery queued before the fence have run
    steps = PipelineStep.objects.filter(cycle=cycle)
    assert steps.filter(finished_at__isnull=True).count() == 0
    assert steps.get(name="summarise").attempts >= 2  # the killed run and the redelivered one
    assert slow_llm.requests == 2
    assert Report.objects.filter(cycle=cycle).count() == 1
    report = Report.objects.get(cycle=cycle)
    assert report.summary and report.pdf
    for action in ["evaluation_report.aggregated", "evaluation_report.summarised", "evaluation_report.rendered"]:
        assert AuditEvent.objects.filter(action=action).count() == 1, action
    assert harness.mails("360 report ready for review") == 1
    assert audit_chain_verify().ok


def _advisory_lock_connection():
    db = settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                           password=db.get("PASSWORD") or None, dbname=db["NAME"], autocommit=True)


def _waiting_backends(cursor, *, besides=()) -> list[int]:
    cursor.execute("SELECT pid FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")
    return [pid for (pid,) in cursor.fetchall() if pid not in besides]


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_reminder_sweep_is_redelivered_and_reminds_once(live_celery):
    """The certification reminder sweep claims a reminder row and appends to the ledger in one transaction. The test
    holds the ledger's advisory lock, so the task is deterministically stuck mid-transaction when its worker child is
    SIGKILLed; the redelivered task then sends the reminder exactly once."""
    staff = UserFactory(username="reviewer", role=Role.CERTIFICATION_STAFF, is_staff=True)
    agency = AgencyFactory(state="CA")
    UserFactory(username="chief", role=Role.AGENCY_ADMIN, agency=agency, email="chief@example.org")
    certification = agency_certification_ready(agency, programme_ensure(actor="test")[0], staff)
    certification_services.agency_certification_issue(actor=staff, certification=certification)
    AgencyCertification.objects.filter(pk=certification.pk).update(
        valid_until=timezone.localdate() + timedelta(days=20))
    harness = live_celery.go_live()
    harness.start_worker(pool="prefork")

    with _advisory_lock_connection() as locker, locker.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_AUDIT_LOCK_KEY])
        try:
            from certification.tasks import agency_certification_reminders_send

            agency_certification_reminders_send.apply_async(queue=harness.queue)
            harness.wait_until(lambda: _waiting_backends(cursor), what="the sweep to block inside its transaction")
            orphan_backends = _waiting_backends(cursor)
            killed = kill_the_worker_child(harness)
            harness.wait_until(lambda: child_pids(harness.worker.pid) not in ([], [killed]), timeout=30,
                               what="the worker to replace its killed child")
            # The redelivered task runs while the lock is still held: a second backend now waits too.
            harness.wait_until(lambda: _waiting_backends(cursor, besides=orphan_backends),
                               what="the redelivered sweep to reach the database")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_AUDIT_LOCK_KEY])

    harness.wait_until(lambda: harness.mails("certificate expires in") >= 1, what="the reminder e-mail")
    harness.drain()  # a second delivery of the sweep, had there been one, has run by now
    assert AgencyCertificationReminder.objects.filter(certification=certification).count() == 1
    assert AuditEvent.objects.filter(action="agency_certification.reminder_sent").count() == 1
    assert harness.mails("certificate expires in") == 1
    assert audit_chain_verify().ok
