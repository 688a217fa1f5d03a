"""`make demo`: a scripted walk through the product over its real HTTP API (in-process), printing each step.

Each app contributes a `demo.py` with `run(walk)`; they run in dependency order, so the walk grows with the apps.
"""

import json

from django.core.management.base import BaseCommand
from django.test import Client

from agencies.demo_data import DEMO_PASSWORD
from core.demo_registry import demo_data_load_all, demo_modules


class Walk:
    """A tiny HTTP driver that logs in as demo users and narrates every call."""

    def __init__(self, out):
        self.out = out
        self.client = Client(HTTP_HOST="127.0.0.1")
        self._tokens: dict[str, str] = {}

    def say(self, text: str) -> None:
        self.out.write(text)

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


class Command(BaseCommand):
    help = "Walk through PeaceCert's main flows over the HTTP API, printing what happens."

    def handle(self, *args, **options):
        self.stdout.write(f"Demo data ready ({demo_data_load_all()}).")
        walk = Walk(self.stdout)
        for app, module in demo_modules("demo"):
            self.stdout.write(self.style.MIGRATE_HEADING(f"\n== {app} =="))
            module.run(walk)
        self.stdout.write(self.style.SUCCESS("\nDemo finished."))
