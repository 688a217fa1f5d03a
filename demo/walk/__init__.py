"""`make demo`: a scripted walk through the product over its real HTTP API (in-process), printing each step.

Each app's steps live in `demo/walk/<app>.py` as `run(walk)`; they run in dependency order. Files the walk keeps
(certificates, the plaque, the report) are written under `MEDIA_ROOT/demo/`.
"""

import json
from pathlib import Path

from django.conf import settings
from django.test import Client

from demo.data.agencies import DEMO_PASSWORD

from . import agencies, certification, coaching, evaluations, training

STEPS = [
    ("agencies", agencies.run),
    ("training", training.run),
    ("certification", certification.run),
    ("evaluations", evaluations.run),
    ("coaching", coaching.run),
]


def demo_files_dir() -> Path:
    """Where the walk writes its files: under MEDIA_ROOT, like every other file the product keeps."""
    return Path(settings.MEDIA_ROOT) / "demo"


class Walk:
    """A tiny HTTP driver that logs in as demo users and narrates every call."""

    def __init__(self, out):
        self.out = out
        self.client = Client(HTTP_HOST="127.0.0.1")
        self._tokens: dict[str, str] = {}

    def say(self, text: str) -> None:
        self.out.write(text)

    def write_file(self, name: str, content: bytes) -> Path:
        """Keep a file the walk produced (a PDF) under MEDIA_ROOT/demo/ and say where it went."""
        target = demo_files_dir() / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        self.say(f"  wrote {target} ({len(content)} bytes)")
        return target

    def token(self, username: str) -> str:
        if username not in self._tokens:
            response = self.client.post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD},
                                        content_type="application/json")
            assert response.status_code == 200, response.content
            self._tokens[username] = response.json()["access"]
        return self._tokens[username]

    def call(self, method: str, path: str, *, as_user: str | None = None, body=None, files=None, show=True):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token(as_user)}"} if as_user else {}
        send = getattr(self.client, method.lower())
        if files is not None:
            response = send(path, files, **headers)
        elif body is not None:
            response = send(path, json.dumps(body), content_type="application/json", **headers)
        else:
            response = send(path, **headers)
        self.say(f"  {method.upper()} {path}{f' as {as_user}' if as_user else ''} -> {response.status_code}")
        if show and response.get("Content-Type", "").startswith("application/json"):
            text = json.dumps(response.json(), indent=2, default=str)
            lines = text.splitlines()
            self.say("    " + "\n    ".join(lines[:25]) + ("\n    ..." if len(lines) > 25 else ""))
        return response


def walk_run(out) -> None:
    """Every app's steps, in dependency order, narrated to `out` (a command's stdout)."""
    walk = Walk(out)
    for name, run in STEPS:
        out.write(f"\n== {name} ==")
        run(walk)
