"""Production posture: missing secrets stop start-up; with them, Django's deploy check is clean."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    clean_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV"}}
    clean_env.pop("DJANGO_SETTINGS_MODULE", None)
    clean_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean_env, capture_output=True,
                          text=True, timeout=120)


def test_production_without_secrets_fails_loudly_at_startup():
    result = run_manage("check", DJANGO_ENV="production", DATABASE_URL="sqlite:////tmp/peacecert-never.sqlite3")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "ALLOWED_HOSTS" in result.stderr


def test_production_deploy_check_passes_with_secrets():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_ENV="production", SECRET_KEY="p" * 20 + "-x9Kq2mZ7vR4tL8wN3bY6cH1jF5gD0sA",
        ALLOWED_HOSTS="peacecert.example.org", DATABASE_URL="sqlite:////tmp/peacecert-deploy-check.sqlite3",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_celery_is_safe_against_lost_workers_and_late_redelivery():
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    # Periodic work is on beat; nothing schedules further ahead than the broker redelivers.
    assert all(entry["schedule"] < settings.CELERY_BROKER_VISIBILITY_TIMEOUT
               for entry in settings.CELERY_BEAT_SCHEDULE.values())
    assert settings.CELERY_TASK_TIME_LIMIT < settings.CELERY_BROKER_VISIBILITY_TIMEOUT


def test_database_connections_are_persistent():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
