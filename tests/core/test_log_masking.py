"""Reviewer links carry their secret in the path; no log line the project writes or configures may contain it
(issue #12, finding 7). The servers run for real, as operators run them: runserver (Django's request, security and
server loggers) and gunicorn from the repository root (its access and error logs, configured by gunicorn.conf.py)."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from core.log_masking import SecretLinkFilter, mask_secret_links
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Zr8sQk2vN0pXw4TbLm7hYc1JdF6gEa9uKi3oRt5WqBy"  # the shape of a real link: 43 url-safe characters
LINKS = [f"/feedback/{SECRET}/", f"/api/v1/feedback/{SECRET}/", f"/api/v1/feedback/{SECRET}/?draft=1"]


def test_mask_replaces_the_token_of_every_reviewer_link_in_a_line():
    line = f'"GET /feedback/{SECRET}/ HTTP/1.1" 404 ref="https://x.org/api/v1/feedback/{SECRET}?a=1"'
    masked = mask_secret_links(line)
    assert SECRET not in masked
    assert masked == '"GET /feedback/[token]/ HTTP/1.1" 404 ref="https://x.org/api/v1/feedback/[token]?a=1"'
    assert mask_secret_links("GET /api/v1/officers/ 200") == "GET /api/v1/officers/ 200"


def test_the_filter_masks_links_passed_as_arguments_and_keeps_the_record():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", (LINKS[1],), None)
    assert SecretLinkFilter().filter(record) is True
    assert record.getMessage() == "Not Found: /api/v1/feedback/[token]/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_env(tmp_path_factory):
    # The production logging configuration (config.settings, not the test settings) on a migrated scratch database.
    database = tmp_path_factory.mktemp("logs") / "db.sqlite3"
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "DJANGO_ENV"}}
    env.update(DJANGO_ENV="development", DEBUG="false", DATABASE_URL=f"sqlite:///{database}", LOG_LEVEL="INFO",
               PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    return env


def _serve_and_log(command: list[str], env: dict, port: int) -> str:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    def answering():
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health/", timeout=30)  # noqa: S310
        except OSError:  # refused while starting, or a read timeout
            return False
        return True

    try:
        # A worker loads Django on its first request: seconds on a busy machine.
        wait_until(answering, timeout=90, what="the server to answer its health check")
        statuses = []
        for link in LINKS:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{link}", timeout=30)  # noqa: S310
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
        # A form post without its CSRF cookie: Django's security logger names the path.
        request = urllib.request.Request(f"http://127.0.0.1:{port}{LINKS[0]}", data=b"action=submit")
        try:
            urllib.request.urlopen(request, timeout=30)  # noqa: S310
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
        assert statuses == [404, 404, 400, 403]  # the third: `draft` is not a documented parameter
        time.sleep(0.5)
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    return output.decode(errors="replace")


def test_runserver_and_django_loggers_never_print_a_reviewer_token(server_env):
    port = _free_port()
    output = _serve_and_log([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                            server_env, port)
    assert "/api/v1/health/" in output  # the access log is on: the check below means something
    assert "Not Found: /api/v1/feedback/[token]/" in output  # django.request
    assert "Forbidden (CSRF cookie not set.): /feedback/[token]/" in output  # django.security.csrf
    assert '"GET /feedback/[token]/ HTTP/1.1" 404' in output  # runserver's access log (django.server)
    assert SECRET not in output


def test_gunicorn_started_from_the_repository_masks_its_access_and_error_logs(server_env):
    port = _free_port()
    output = _serve_and_log([sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", "1",
                             "-b", f"127.0.0.1:{port}", "--no-control-socket", "--access-logfile", "-",
                             "--error-logfile", "-", "--log-level", "debug"], server_env, port)
    assert '"GET /api/v1/health/ HTTP/1.1" 200' in output
    assert '"GET /feedback/[token]/ HTTP/1.1" 404' in output
    # 400: `draft` is not a documented parameter (unknown query parameters are refused before the token is looked up).
    assert '"GET /api/v1/feedback/[token]/?draft=1 HTTP/1.1" 400' in output
    assert SECRET not in output
