"""Production posture: missing secrets stop start-up; with them, Django's deploy check is clean."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean_env = {k: v for k, v in os.environ.items() if k not in dropped}
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
        CACHE_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stdout + result.stderr


PRODUCTION_SECRETS = {
    "DJANGO_ENV": "production", "SECRET_KEY": "p" * 20 + "-x9Kq2mZ7vR4tL8wN3bY6cH1jF5gD0sA",
    "ALLOWED_HOSTS": "peacecert.example.org", "DATABASE_URL": "sqlite:////tmp/peacecert-deploy-check.sqlite3",
}


def test_production_without_a_shared_cache_fails_at_startup_so_workers_cannot_count_apart():
    # Several gunicorn workers with the local-memory default would each keep their own login and guess counters.
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**env, **PRODUCTION_SECRETS})
    assert result.returncode != 0
    assert "needs these environment variables: CACHE_URL" in result.stderr


def test_production_refuses_a_per_process_or_non_atomic_cache():
    for url in ("locmemcache://peacecert", "dummycache://", "filecache:///tmp/peacecert-cache",
                "dbcache://peacecert_cache"):
        result = run_manage("check", CACHE_URL=url, **PRODUCTION_SECRETS)
        assert result.returncode != 0, url
        assert "shared cache with atomic counters" in result.stderr, (url, result.stderr[-500:])


def test_celery_is_safe_against_lost_workers_and_late_redelivery():
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_TASK_TIME_LIMIT < settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == settings.CELERY_BROKER_VISIBILITY_TIMEOUT


def test_no_countdown_or_eta_in_the_code_exceeds_the_visibility_timeout():
    # Redis redelivers an unacknowledged task after the visibility timeout: a longer countdown would run twice.
    # Periodic work belongs on beat; this scans every app for literal countdowns/ETAs.
    pattern = re.compile(r"\b(countdown|eta)\s*=\s*([0-9_.]+)")
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "tests", "var"}:
            continue
        for match in pattern.finditer(path.read_text()):
            if float(match.group(2).replace("_", "")) >= settings.CELERY_BROKER_VISIBILITY_TIMEOUT:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == []


def test_database_connections_are_persistent():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
