"""`make run` alone shows the product alive: what `load_demo_data` leaves behind, read back through the public and
authenticated HTTP API, the codes and link it prints, a second run creating nothing, and its refusal in production."""

import io
import re

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from agencies.models import User
from core.models import AuditEvent
from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db

PRODUCT_APPS = ("agencies", "training", "certification", "evaluations", "coaching", "core")


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the kept reviewer token and uploads stay with this test


def _load(settings, base="http://127.0.0.1:8123") -> str:
    settings.PUBLIC_BASE_URL = base
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def _row_counts() -> dict:
    return {model._meta.label: model.objects.count() for app in PRODUCT_APPS
            for model in apps.get_app_config(app).get_models()}


def test_loading_demo_data_twice_creates_nothing_the_second_time(settings):
    first = _load(settings)
    assert "first run: created {'officers': 5" in first
    counts = _row_counts()
    second = _load(settings)
    assert _row_counts() == counts  # not a row more, audit entries included
    assert counts["core.AuditEvent"] == AuditEvent.objects.count() > 0
    for line in second.splitlines():
        if line.startswith("Demo data "):
            assert re.fullmatch(r"Demo data [\w ]+: created \{('\w+': 0(, )?)*\}", line), line
    # What to try is printed on every run, the reviewer link included (its token is kept, not re-sent).
    assert re.findall(r"/feedback/[\w-]+/", first) == re.findall(r"/feedback/[\w-]+/", second) != []


def test_the_printed_certificate_code_verifies_as_valid_at_the_printed_address(settings, client):
    out = _load(settings)
    printed = re.search(r"Verify a completion certificate: (\S+)/verify/([\w-]+)/", out)
    assert printed.group(1) == "http://127.0.0.1:8123"  # links follow PUBLIC_BASE_URL
    answer = client.get(f"/api/v1/public/verify/{printed.group(2)}/")
    assert answer.status_code == 200 and answer.json()["status"] == "valid"
    agency = re.search(r"/registry/agencies/([\w-]+)/", out).group(1)
    certificate = client.get(f"/api/v1/public/agency-certificates/{agency}/").json()
    assert certificate["valid"] is True and certificate["agency"] == "Franklin County Sheriff's Office"


def test_the_registry_shows_active_lapsed_and_revoked_officers(settings, client):
    _load(settings)
    rows = client.get("/api/v1/public/officers/", {"q": "Franklin"}).json()["results"]
    by_name = {row["name"]: row for row in rows}
    statuses = {row["certification_status"] for row in rows}
    assert {"active", "lapsed"} <= statuses
    revoked = by_name["Samuel Reed"]
    assert revoked["revoked_on"] is not None and revoked["revocation_category"]
    assert by_name["Ken Foster"]["certification_status"] == "lapsed"


def test_the_certified_agency_has_its_plaque_delivered_and_a_finding_verified_by_a_second_person(settings):
    _load(settings)
    staff = jwt_client(User.objects.get(username="staff"))
    plaques = staff.get("/api/v1/certification/plaques/").json()["results"]
    assert [p["status"] for p in plaques] == ["delivered"]
    findings = staff.get("/api/v1/certification/findings/").json()["results"]
    assert [(f["status"], f["determination"]) for f in findings] == [("verified", "sustained")]


def test_a_released_360_report_an_active_coaching_agreement_and_an_open_reviewer_link(settings, client):
    out = _load(settings)
    admin = jwt_client(User.objects.get(username="admin_franklin"))
    cycles = {c["target_position"]: c for c in admin.get("/api/v1/evaluations/cycles/").json()["results"]}
    assert cycles["Lieutenant"]["status"] == "released" and cycles["Sergeant"]["status"] == "open"
    report = admin.get(f"/api/v1/evaluations/cycles/{cycles['Lieutenant']['id']}/report/")
    assert report.status_code == 200 and report.json()["provenance"]["summariser"] == "builtin"
    agreements = admin.get("/api/v1/coaching/agreements/").json()["results"]
    assert [a["status"] for a in agreements] == ["active"]
    token = re.search(r"Answer a 360 as a reviewer \(no login\): http://127\.0\.0\.1:8123/feedback/([\w-]+)/",
                      out).group(1)
    form = client.get(f"/api/v1/feedback/{token}/")
    assert form.status_code == 200


@pytest.mark.parametrize("command", ["load_demo_data", "demo"])
def test_demo_loaders_refuse_to_run_in_production(settings, command):
    settings.DJANGO_ENV = "production"
    with pytest.raises(CommandError, match="DJANGO_ENV=production"):
        call_command(command, stdout=io.StringIO())
    assert not User.objects.exists()


def test_first_run_has_an_officer_login_whose_page_shows_its_own_record(settings, client):
    from agencies.models import Role, User

    out = _load(settings)
    assert "officer" in out and "/me/" in out
    officer_login = User.objects.get(username="officer")
    assert officer_login.role == Role.OFFICER and officer_login.officer.license_number == "OH-550101"
    signed_in = client.post("/me/login/", {"username": "officer", "password": "peace-demo-2026"})
    assert signed_in.status_code == 302
    page = client.get("/me/")
    assert page.status_code == 200 and "Becker" in page.content.decode()
