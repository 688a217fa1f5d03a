"""schemathesis against our own OpenAPI schema: every operation, all default checks, as staff and as an agency
administrator, against a live server on the throwaway test database. Runs in CI (PEACECERT_FUZZ=1).

The database is seeded with tests/security/world.py's world (one of every object for agency A and B), and every
path placeholder is given a real id or token of agency A, so operations reach their logic instead of answering 404.
Rate limits are raised for the live server: the fuzzer is one client at one address, sending far more requests
than a person would (the limits themselves are proven in tests/security/).

Examples are bounded (FUZZ_MAX_EXAMPLES per operation, fixed seed) so CI stays well inside its time limit.
FUZZ_OUTPUT_DIR keeps schemathesis's full output and the junit report (the assertion message is truncated).
"""

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings

from agencies.auth import LoginSerializer
from tests.security.world import world_build

pytestmark = [
    pytest.mark.skipif(os.environ.get("PEACECERT_FUZZ") != "1", reason="API fuzzing runs in CI (PEACECERT_FUZZ=1)"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]

# These end the caller's own session (by design): fuzzing them would revoke the token the run uses. The token
# tests cover them.
SESSION_ENDING = r"/api/v1/(auth/logout-all|me/password)/"

GENEROUS_LIMITS = {
    "EVALUATION_TOKEN_GUESSES_PER_ADDRESS": 1_000_000,
    "PUBLIC_REGISTRY_REQUESTS_PER_MINUTE": 1_000_000,
    "LOGIN_MAX_ATTEMPTS_PER_ACCOUNT": 1_000_000,
    "LOGIN_MAX_ATTEMPTS_PER_ADDRESS": 1_000_000,
}

PLACEHOLDERS = (
    "agency_id", "officer_id", "course_id", "resource_id", "session_id", "enrollment_id", "completion_id", "code",
    "programme_id", "requirement_id", "certification_id", "status_id", "plaque_id", "finding_id", "instrument_id",
    "cycle_id", "invitation_id", "token", "certificate_number", "coach_id", "coachee_id", "assessment_id",
    "agreement_id",
)


def _toml_value(value) -> str:
    return json.dumps(value)  # ints and strings: JSON's spelling is valid TOML


def _config(world, path: Path) -> Path:
    """schemathesis.toml (the documented relaxations) plus the world's ids for the path placeholders."""
    lines = ["[parameters]"]
    lines += [f'"path.{name}" = {_toml_value(world.path_value(name))}' for name in PLACEHOLDERS]
    # The same placeholder names an officer certification on these routes.
    lines += [
        "",
        "[[operations]]",
        'include-path-regex = "/officer-certifications/"',
        f'parameters = {{ "path.certification_id" = {world.a.officer_certification.pk} }}',
        "",
        "[[operations]]",
        'include-path-regex = "/evaluations/cycles/\\\\{cycle_id\\\\}/report"',
        f'parameters = {{ "path.cycle_id" = {world.a.released_cycle.pk} }}',
        "",
    ]
    path.write_text((ROOT / "schemathesis.toml").read_text() + "\n" + "\n".join(lines) + "\n")
    return path


def _schemathesis(base_url: str, token: str, config: Path, report: Path, output: Path) -> tuple[int, str]:
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    command = [
        executable, "--config-file", str(config), "run", f"{base_url}/api/schema/",
        "-H", f"Authorization: Bearer {token}",
        "--checks", "all",
        "--max-examples", os.environ.get("FUZZ_MAX_EXAMPLES", "10"),
        "--seed", os.environ.get("FUZZ_SEED", "20261121"),
        "--exclude-path-regex", SESSION_ENDING,
        "--workers", "1",
        "--request-timeout", "20",
        # "Data generation is too slow" is about the generator on a busy machine (text patterns that exclude control
        # characters), not about the API: it found no fault and only stops an operation from being fuzzed.
        "--suppress-health-check", "too_slow",
        "--report", "junit", "--report-junit-path", str(report),
    ]
    with output.open("w") as stream:  # written as it runs: the whole report, not only the assertion's tail
        returncode = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT, timeout=1800, cwd=ROOT).returncode
    return returncode, output.read_text()


@pytest.mark.parametrize("role", ["staff", "agency_admin"])
def test_schemathesis_finds_no_failures(live_server, role, tmp_path):
    world = world_build()
    user = world.users["staff" if role == "staff" else "admin_a"]
    # Long enough for the whole run (access tokens normally live minutes).
    access = LoginSerializer.get_token(user).access_token
    access.set_exp(lifetime=timedelta(hours=2))
    token = str(access)
    out = Path(os.environ.get("FUZZ_OUTPUT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    config = _config(world, out / f"schemathesis-{role}.toml")
    with override_settings(**GENEROUS_LIMITS):
        returncode, output = _schemathesis(live_server.url, token, config, out / f"junit-{role}.xml",
                                           out / f"schemathesis-{role}.txt")
    assert returncode == 0, output[-14000:]
