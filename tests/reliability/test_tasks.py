"""Task reliability with a real Celery worker on Redis against the pytest-django test database.

- a task enqueued inside a transaction that rolls back never runs;
- a worker child killed with SIGKILL in the middle of a task: the message is redelivered (acks_late +
  task_reject_on_worker_lost) and the effect happens exactly once;
- no ETA, countdown or retry delay can outlive the broker's visibility timeout, and beat only schedules periodic,
  registered tasks.

Each test gets its own queue; the worker subprocess runs with tests/reliability/worker_settings.py, which makes that
queue the default one (so follow-up tasks stay on it) and writes e-mail to files the test counts.
"""

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from celery.schedules import crontab, schedule
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Role
from certification import services as certification_services
from certification.demo_data import programme_ensure
from certification.models import AgencyCertification, AgencyCertificationReminder
from core.audit import _AUDIT_LOCK_KEY, audit_chain_verify
from core.models import AuditEvent, Heartbeat
from core.notifications import email_send_on_commit
from core.tasks import record_worker_heartbeat, send_email
from evaluations import services as evaluation_services
from evaluations.models import Cycle, CycleStatus, PipelineStep, Report
from tests.certification.test_agency_certification import ready
from tests.evaluations.factories import answers_all, cycle_make, open_cycle, respond
from tests.factories import AgencyFactory, OfficerFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


# --- harness -------------------------------------------------------------------------------------------------

def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True, timeout=10)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); ps says what it is.
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, timeout=10)
    return bool(state.stdout.strip()) and not state.stdout.strip().startswith("Z")


class LiveCelery:
    """This process sends to `queue` on the real broker; `start_worker` runs a worker subprocess consuming it."""

    def __init__(self, queue: str, mail_dir: Path):
        self.queue, self.mail_dir = queue, mail_dir
        self.worker: subprocess.Popen | None = None
        self.log_path = mail_dir.parent / f"{queue}.log"
        self.started_pids: list[int] = []

    def start_worker(self, *, pool: str = "solo", extra_env: dict | None = None) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reliability.worker_settings",
            "DJANGO_ENV": "development",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL_FOR_WORKER_TESTS,
            "RELIABILITY_QUEUE": self.queue,
            "RELIABILITY_MAIL_DIR": str(self.mail_dir),
            **(extra_env or {}),
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the worker
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue, "-P", pool, "-c", "1",
             "-n", f"{self.queue}@%h", "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        self.started_pids.append(self.worker.pid)
        return self.worker

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_until(self, predicate, *, timeout: float = WAIT_SECONDS, what: str = "the condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.worker is not None:
                assert self.worker.poll() is None, f"the worker exited:\n{self.log()[-4000:]}"
            time.sleep(0.2)
        pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; worker log:\n{self.log()[-4000:]}")

    def mails(self, containing: str) -> int:
        return sum(containing in p.read_text(errors="replace") for p in self.mail_dir.glob("*") if p.is_file())

    def stop(self):
        if self.worker is None:
            return
        children = _children(self.worker.pid)
        self.worker.send_signal(signal.SIGTERM)
        try:
            self.worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.worker.send_signal(signal.SIGQUIT)  # cold shutdown: a child blocked in a task is not waited for
            try:
                self.worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait(timeout=10)
        for pid in children:  # only the children of the worker this test started
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.worker = None


@pytest.fixture
def live_celery(tmp_path):
    """Turn eager mode off and route this process's sends to a private queue (restored afterwards)."""
    from config.celery import app

    queue = f"reliability-{uuid.uuid4().hex[:10]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    previous = (app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue)
    state = {"on": False}

    def go_live() -> LiveCelery:
        # Producer pools are bound to the broker URL they were first created with: drop them both ways.
        app.amqp._producer_pool = None
        app._pool = None
        app.conf.task_always_eager = False
        app.conf.broker_url = settings.CELERY_BROKER_URL_FOR_WORKER_TESTS
        app.conf.task_default_queue = queue
        state["on"] = True
        return harness

    harness = LiveCelery(queue, mail_dir)
    harness.go_live = go_live
    try:
        yield harness
    finally:
        harness.stop()
        if state["on"]:
            import redis

            with contextlib.suppress(Exception):
                redis.Redis.from_url(settings.CELERY_BROKER_URL_FOR_WORKER_TESTS).delete(
                    queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
            app.amqp._producer_pool = None
            app._pool = None
        app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue = previous
        connection.close()


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
    time.sleep(1.0)  # one worker, FIFO: anything published before the committed sends would already have run
    assert not Heartbeat.objects.filter(name=f"rolled-back-{queue}").exists()
    assert harness.mails("rolled-back-") == 0
    import redis

    assert redis.Redis.from_url(settings.CELERY_BROKER_URL_FOR_WORKER_TESTS).llen(queue) == 0


# --- b. SIGKILL mid-task -> redelivered, effect once ---------------------------------------------------------

def _kill_the_worker_child(harness: LiveCelery) -> int:
    children = _children(harness.worker.pid)
    assert len(children) == 1, f"expected one prefork child, found {children}"
    os.kill(children[0], signal.SIGKILL)
    return children[0]


class SlowLlm:
    """An OpenAI-compatible server on 127.0.0.1: the first request hangs `first_delay` seconds, later ones answer
    at once with a valid summary."""

    SUMMARY = {"strengths": [], "development_areas": [], "themes": [],
               "narrative": "Raters describe steady, calm leadership; no single theme dominates."}

    def __init__(self, first_delay: float):
        self.first_delay = first_delay
        self.requests = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer._lock:
                    outer.requests += 1
                    first = outer.requests == 1
                if first:
                    time.sleep(outer.first_delay)
                body = json.dumps({
                    "id": "chatcmpl-reliability", "object": "chat.completion", "created": int(time.time()),
                    "model": "test-model", "choices": [{"index": 0, "finish_reason": "stop", "message": {
                        "role": "assistant", "content": json.dumps(outer.SUMMARY)}}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
                }).encode()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def slow_llm():
    server = SlowLlm(first_delay=25)
    yield server
    server.close()


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
    killed = _kill_the_worker_child(harness)
    harness.wait_until(lambda: _children(harness.worker.pid) not in ([], [killed]), timeout=30,
                       what="the worker to replace its killed child")

    harness.wait_until(lambda: Cycle.objects.get(pk=cycle.pk).status == CycleStatus.REPORT_READY, timeout=30,
                       what="the redelivered pipeline to finish (cycle report_ready)")
    time.sleep(1.0)
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
    certification = ready(agency, programme_ensure(actor="test")[0], staff)
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
            killed = _kill_the_worker_child(harness)
            harness.wait_until(lambda: _children(harness.worker.pid) not in ([], [killed]), timeout=30,
                               what="the worker to replace its killed child")
            # The redelivered task runs while the lock is still held: a second backend now waits too.
            harness.wait_until(lambda: _waiting_backends(cursor, besides=orphan_backends),
                               what="the redelivered sweep to reach the database")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_AUDIT_LOCK_KEY])

    harness.wait_until(lambda: harness.mails("certificate expires in") >= 1, what="the reminder e-mail")
    time.sleep(1.5)
    assert AgencyCertificationReminder.objects.filter(certification=certification).count() == 1
    assert AuditEvent.objects.filter(action="agency_certification.reminder_sent").count() == 1
    assert harness.mails("certificate expires in") == 1
    assert audit_chain_verify().ok


# --- c. nothing waits longer than the visibility timeout; beat is periodic and registered --------------------

def _literal_seconds(node) -> float | None:
    """Seconds of a literal number or a timedelta(...) of literals; None when not a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "timedelta":
        try:
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        except ValueError:
            return None
        return timedelta(*args, **kwargs).total_seconds()
    return None


def _app_sources():
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] not in {".venv", "tests", "var", "bench"} and "migrations" not in path.parts:
            yield path


def test_no_countdown_eta_or_retry_delay_in_the_code_exceeds_the_visibility_timeout():
    """AST scan of every app: countdown=/eta=/expires= and retry delays (countdown, default_retry_delay,
    retry_backoff_max) given as literals or timedelta(...) literals stay under the broker visibility timeout; a
    computed countdown must be capped with min(..., <literal>) so the cap is visible here."""
    limit = settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    keywords = {"countdown", "eta", "default_retry_delay", "retry_backoff_max"}
    offenders, unbounded = [], []
    for path in _app_sources():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg not in keywords:
                    continue
                where = f"{path.relative_to(ROOT)}:{keyword.value.lineno}"
                seconds = _literal_seconds(keyword.value)
                if seconds is None and isinstance(keyword.value, ast.Call) and getattr(
                        keyword.value.func, "id", "") == "min":
                    caps = [s for s in map(_literal_seconds, keyword.value.args) if s is not None]
                    seconds = min(caps) if caps else None
                if seconds is None:
                    unbounded.append(f"{where}: {keyword.arg}={ast.unparse(keyword.value)}")
                elif seconds >= limit:
                    offenders.append(f"{where}: {keyword.arg}={ast.unparse(keyword.value)}")
    assert offenders == []
    assert unbounded == []


def _registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()  # autodiscovery: every app's tasks module
    return app, {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_registered_task_retries_and_runs_within_the_visibility_timeout():
    app, tasks = _registered_tasks()
    limit = settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    assert app.conf.broker_transport_options["visibility_timeout"] == limit
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.task_time_limit < limit and app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert {"core.tasks.send_email", "core.tasks.record_worker_heartbeat"} <= set(tasks)
    for name, task in tasks.items():
        assert (task.time_limit or app.conf.task_time_limit) < limit, name
        assert (task.default_retry_delay or 0) < limit, name
        if getattr(task, "retry_backoff", False):
            # Backoff grows up to retry_backoff_max (600 s by default) and is then capped.
            assert (getattr(task, "retry_backoff_max", 600) or 600) < limit, name
        # A late-acked task that is redelivered after the timeout would run twice while the first still runs.
        assert task.acks_late is not False, name


def test_beat_schedule_is_periodic_and_names_registered_tasks():
    _, tasks = _registered_tasks()
    assert settings.CELERY_BEAT_SCHEDULE
    for key, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in tasks, f"beat entry {key!r} names an unregistered task {entry['task']!r}"
        every = entry["schedule"]
        if isinstance(every, int | float):
            every = timedelta(seconds=every)
        assert isinstance(every, timedelta | schedule | crontab), (key, every)
        seconds = every.total_seconds() if isinstance(every, timedelta) else None
        if isinstance(every, schedule) and not isinstance(every, crontab):
            seconds = every.run_every.total_seconds()
        if seconds is not None:
            # Periodic: a positive interval, and never longer than a day (daily digests are the slowest jobs).
            assert 0 < seconds <= 86400, (key, seconds)
        # No ETA or countdown smuggled into the entry: beat would hold the message past the visibility timeout.
        options = entry.get("options", {})
        assert not {"eta", "countdown"} & set(options), (key, options)
        if "expires" in options:
            assert options["expires"] <= seconds, (key, options)
