"""Security headers: nosniff, referrer policy and frame denial everywhere; a CSP on HTML pages; HSTS in production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/docs/", "/api/v1/health/"])
def test_every_response_carries_the_basic_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/docs/"])
def test_html_pages_carry_a_strict_content_security_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-eval" not in policy


@pytest.mark.django_db
def test_swagger_ui_has_no_inline_script_so_the_csp_allows_it(client):
    html = client.get("/api/docs/").content.decode()
    assert "<script>" not in html.replace(" ", "")
    assert client.get("/api/docs/?script=").status_code == 200


def test_production_sends_hsts_and_redirects_to_https(tmp_path):
    # Production serves hashed static names from collectstatic's manifest, as the README's deploy steps say.
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('collectstatic', '--noinput', verbosity=0);"
        "from django.test import Client;"
        "r = Client().get('/', secure=True, HTTP_HOST='peacecert.example.org');"
        "print(r.status_code, r.headers.get('Strict-Transport-Security'));"
        "r = Client().get('/', HTTP_HOST='peacecert.example.org');"
        "print(r.status_code, r.headers.get('Location'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}}
    env.update(DJANGO_ENV="production", SECRET_KEY="s" * 60, ALLOWED_HOSTS="peacecert.example.org",
               DATABASE_URL="sqlite:////tmp/peacecert-hsts-check.sqlite3", DJANGO_SETTINGS_MODULE="config.settings",
               CACHE_URL="redis://127.0.0.1:6379/15",  # production requires a shared cache; these pages never use it
               STATIC_ROOT=str(tmp_path / "static"))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    secure_line, plain_line = out.stdout.strip().splitlines()[-2:]
    assert secure_line.startswith("200 max-age=31536000") and "includeSubDomains" in secure_line
    assert plain_line == "301 https://peacecert.example.org/"
