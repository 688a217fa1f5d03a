"""A real Celery worker on the configured broker runs a task and its effect lands in the database."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.models import Heartbeat
from core.tasks import record_worker_heartbeat
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_task_runs_in_process_without_a_broker(db):
    record_worker_heartbeat.delay(name="eager-check")
    assert Heartbeat.objects.filter(name="eager-check").exists()


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_task_against_the_test_database(celery_app_not_eager):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "development",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL_FOR_WORKER_TESTS,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1", "--pool", "solo",
         "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        name = f"worker-{queue}"
        record_worker_heartbeat.apply_async(kwargs={"name": name}, queue=queue)

        def worker_running():
            assert worker.poll() is None, worker.stdout.read().decode()

        wait_until(lambda: Heartbeat.objects.filter(name=name).exists(), timeout=60, still_running=worker_running,
                   what="the worker to run the task")
        assert Heartbeat.objects.filter(name=name).exists(), "the worker never ran the task"
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        connection.close()


@pytest.fixture
def celery_app_not_eager():
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL_FOR_WORKER_TESTS
    yield app
    app.conf.task_always_eager, app.conf.broker_url = previous
