"""Links in e-mails, QR codes and PDFs point at the running development server: unset, PUBLIC_BASE_URL follows the
HOST and PORT that `make run` serves on (the Makefile exports them); set, it wins; outside development it does not
move with them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def public_base_url(**env) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"PUBLIC_BASE_URL", "HOST", "PORT", "DJANGO_ENV", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    clean.update(env)
    script = "import django; django.setup(); from django.conf import settings; print(settings.PUBLIC_BASE_URL)"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "http://127.0.0.1:8000"),
    ({"HOST": "127.0.0.1", "PORT": "8123"}, "http://127.0.0.1:8123"),
    ({"HOST": "localhost", "PORT": "9000"}, "http://localhost:9000"),
    ({"HOST": "0.0.0.0", "PORT": "8080"}, "http://127.0.0.1:8080"),  # noqa: S104 - bind-all is no link
    ({"HOST": "127.0.0.1", "PORT": "8123", "PUBLIC_BASE_URL": "https://cert.example.org/"},
     "https://cert.example.org"),
])
def test_development_links_follow_the_served_host_and_port(env, expected):
    assert public_base_url(DJANGO_ENV="development", **env) == expected


def test_outside_development_host_and_port_do_not_move_the_links():
    assert public_base_url(DJANGO_ENV="test", HOST="10.0.0.5", PORT="9999") == "http://127.0.0.1:8000"


def test_make_run_and_make_demo_pass_host_and_port_to_the_loader_the_server_and_the_walk():
    plan = subprocess.run(["make", "-n", "run", "demo", "HOST=127.0.0.1", "PORT=8123"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60).stdout
    for command in ("load_demo_data", "runserver 127.0.0.1:8123", "demo"):
        assert f"HOST=127.0.0.1 PORT=8123 .venv/bin/python manage.py {command}\n" in plan, plan
