"""Fixtures of the reliability tests: a live Celery worker on a private queue, a slow language-model server."""

import contextlib
import uuid

import pytest
from django.conf import settings
from django.db import connection

from .live_celery import LiveCelery, SlowLlm


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


@pytest.fixture
def slow_llm():
    server = SlowLlm(first_delay=25)
    yield server
    server.close()
