"""No ETA, countdown or retry delay can outlive the broker's visibility timeout, and beat only schedules periodic,
registered tasks (read from the code and the Celery app; no broker needed)."""

import ast
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab, schedule
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


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
