"""Fixtures for 360 evaluations, including a scripted OpenAI-compatible HTTP server on 127.0.0.1."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test.utils import override_settings

from evaluations import services
from tests.factories import OfficerFactory

from .factories import cycle_make, invite, open_cycle


@pytest.fixture
def subject_a(agency_a):
    return OfficerFactory(agency=agency_a, first_name="Maria", last_name="Alvarez", license_number="CA-100201",
                          email="maria.alvarez@example.org")


@pytest.fixture
def draft_cycle(subject_a, admin_a):
    return cycle_make(subject=subject_a, actor=admin_a)


@pytest.fixture
def open_cycle_a(draft_cycle):
    invite(draft_cycle, "self")
    return open_cycle(draft_cycle)


def completion_body(content: str, *, prompt_tokens=120, completion_tokens=80) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class ScriptedLlm:
    """Answers POST /v1/chat/completions from a script: each entry is consumed by one request; the last one
    repeats. An entry is a dict: {"status": int, "body": dict|str, "delay": seconds, "headers": {...}} or a callable
    (request_json) -> entry."""

    def __init__(self):
        self.script: list = []
        self.requests: list[dict] = []
        self._lock = threading.Lock()

    def next_entry(self, request_json):
        with self._lock:
            self.requests.append(request_json)
            entry = self.script.pop(0) if len(self.script) > 1 else (self.script[0] if self.script else None)
        if callable(entry):
            entry = entry(request_json)
        return entry or {"status": 500, "body": {"error": {"message": "no script"}}}


@pytest.fixture
def llm_server():
    scripted = ScriptedLlm()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/v1/chat/completions":
                self.send_response(404)
                self.end_headers()
                return
            entry = scripted.next_entry(payload)
            time.sleep(entry.get("delay", 0))
            body = entry.get("body", {})
            raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            try:
                self.send_response(entry.get("status", 200))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in entry.get("headers", {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and hung up
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scripted.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    with override_settings(LLM_BASE_URL=scripted.base_url, LLM_API_KEY="test-key", LLM_MODEL="test-model",
                           LLM_TIMEOUT_SECONDS=5, LLM_MAX_RETRIES=2):
        yield scripted
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def run_pipeline(django_capture_on_commit_callbacks):
    """Close a cycle and run the whole report pipeline (eager Celery, after-commit callbacks executed)."""

    def run(cycle, actor="test"):
        with django_capture_on_commit_callbacks(execute=True):
            services.cycle_close(cycle=cycle, actor=actor)
        cycle.refresh_from_db()
        return cycle

    return run
