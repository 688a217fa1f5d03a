"""schemathesis against our own OpenAPI schema: every operation, all default checks, as staff and as an agency
administrator, against a live server on the throwaway test database. Runs in CI (PEACECERT_FUZZ=1).

Examples are bounded (FUZZ_MAX_EXAMPLES per operation, fixed seed) so CI stays well inside its time limit.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import jwt_client
from tests.factories import AgencyFactory, OfficerFactory

pytestmark = [
    pytest.mark.skipif(os.environ.get("PEACECERT_FUZZ") != "1", reason="API fuzzing runs in CI (PEACECERT_FUZZ=1)"),
    pytest.mark.django_db(transaction=True),
]

# These end the caller's own session (by design): fuzzing them would revoke the token the run uses. The token
# tests cover them.
SESSION_ENDING = r"/api/v1/(auth/logout-all|me/password)/"


def _schemathesis(base_url: str, token: str, report: Path) -> subprocess.CompletedProcess:
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    command = [
        executable, "run", f"{base_url}/api/schema/",
        "-H", f"Authorization: Bearer {token}",
        "--checks", "all",
        "--max-examples", os.environ.get("FUZZ_MAX_EXAMPLES", "10"),
        "--seed", os.environ.get("FUZZ_SEED", "20261121"),
        "--exclude-path-regex", SESSION_ENDING,
        "--workers", "1",
        "--request-timeout", "20",
        "--report", "junit", "--report-junit-path", str(report),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=1800)


@pytest.mark.parametrize("role", ["staff", "agency_admin"])
def test_schemathesis_finds_no_failures(live_server, role, staff_user, admin_a, agency_b, tmp_path):
    for _ in range(3):
        OfficerFactory(agency=admin_a.agency)
        OfficerFactory(agency=agency_b)
    AgencyFactory()
    user = staff_user if role == "staff" else admin_a
    token = jwt_client(user)._credentials["HTTP_AUTHORIZATION"].split()[1]
    result = _schemathesis(live_server.url, token, tmp_path / "junit.xml")
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
