"""A real Celery worker for the reliability tests: `LiveCelery` runs a worker subprocess on a private queue of the
real broker (tests/reliability/worker_settings.py makes that queue the default one and writes e-mail to files the
tests count), and `SlowLlm` is a language-model server whose first answer hangs. The fixtures are in conftest.py."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings

from core.models import Heartbeat
from core.tasks import record_worker_heartbeat
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_pids(pid: int) -> list[int]:
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
        def worker_running():
            if self.worker is not None:
                assert self.worker.poll() is None, f"the worker exited:\n{self.log()[-4000:]}"

        return wait_until(predicate, timeout=timeout, what=what, still_running=worker_running,
                          describe=lambda: f"worker log:\n{self.log()[-4000:]}")

    def drain(self):
        """Publish a heartbeat behind everything already queued and wait until the worker has run it. The worker
        runs one task at a time in queue order, so every task published before it has then run (a fence: no
        fixed sleep before asserting that something happened only once)."""
        name = f"fence-{uuid.uuid4().hex[:10]}"
        record_worker_heartbeat.apply_async(kwargs={"name": name}, queue=self.queue)
        self.wait_until(lambda: Heartbeat.objects.filter(name=name).exists(), what="the fence task")

    def mails(self, containing: str) -> int:
        return sum(containing in p.read_text(errors="replace") for p in self.mail_dir.glob("*") if p.is_file())

    def stop(self):
        if self.worker is None:
            return
        children = child_pids(self.worker.pid)
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


def kill_the_worker_child(harness: LiveCelery) -> int:
    children = child_pids(harness.worker.pid)
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
