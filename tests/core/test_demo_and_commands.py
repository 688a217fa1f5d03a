import pytest
from django.core.management import call_command
from pypdf import PdfReader

from agencies.models import Agency, Officer, User
from core.models import AuditEvent
from demo.data.agencies import DEMO_PASSWORD, demo_data_load


@pytest.mark.django_db
def test_demo_data_is_idempotent():
    first = demo_data_load()
    assert first["agencies"] == 2 and first["users"] == 5
    counts = (Agency.objects.count(), Officer.objects.count(), User.objects.count(), AuditEvent.objects.count())
    assert demo_data_load() == {"agencies": 0, "officers": 0, "users": 0}
    assert counts == (Agency.objects.count(), Officer.objects.count(), User.objects.count(),
                      AuditEvent.objects.count())
    assert User.objects.get(username="admin_riverside").check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_createsuperuser_noinput_uses_djangos_standard_variables(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ops")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-operator-passphrase")
    call_command("createsuperuser", "--noinput")
    ops = User.objects.get(username="ops")
    assert ops.is_superuser and ops.is_certification_staff and ops.check_password("a-long-operator-passphrase")


@pytest.mark.django_db
def test_demo_walk_runs_end_to_end_and_writes_its_files_under_media_root(capsys, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    var_demo = settings.BASE_DIR / "var" / "demo"
    before = set(var_demo.iterdir()) if var_demo.exists() else set()
    call_command("demo")
    out = capsys.readouterr().out
    assert "POST /api/v1/officers/import/ as admin_riverside -> 200" in out
    assert "-> 400" in out and "-> 404" in out
    assert "Demo finished." in out
    written = sorted(p.name for p in (tmp_path / "media" / "demo").glob("*.pdf"))
    assert [n.split("-")[0] for n in written] == ["certificate", "promotability", "riverside"]
    for name in written:
        pdf = PdfReader(tmp_path / "media" / "demo" / name)
        assert len(pdf.pages) >= 1 and pdf.pages[0].extract_text().strip()
    assert f"wrote {tmp_path / 'media' / 'demo'}" in out
    assert (set(var_demo.iterdir()) if var_demo.exists() else set()) == before  # nothing under var/demo any more
