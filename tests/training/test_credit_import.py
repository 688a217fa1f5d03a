"""Bulk import of historical completions: all rows validated first, row-numbered errors, nothing written on error,
bulk inserts and one audit entry."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEvent
from tests.factories import OfficerFactory
from training import services
from training.models import Completion, CreditImport, InstructorQualification

from .factories import TrainerCourseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers(agency_a):
    return [OfficerFactory(agency=agency_a, license_number=f"CA-{i}") for i in range(1, 4)]


GOOD = ("state,license_number,course_code,completed_on,ce_hours\n"
        "CA,CA-1,PO-101,2024-03-01,\n"
        "ca,CA-2,po-101,2024-03-02,6.5\n"
        "CA,CA-1,PO-101,2023-03-01,\n")


def upload(client, text):
    return client.post("/api/v1/training/completions/import/", {
        "file": SimpleUploadedFile("credits.csv", text.encode(), "text/csv")}, format="multipart")


def test_staff_import_creates_completions_with_one_audit_entry(staff_client, course, officers):
    response = upload(staff_client, GOOD)
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 3
    batch = CreditImport.objects.get(pk=response.json()["import_id"])
    assert batch.completions.count() == 3
    assert sorted(Completion.objects.values_list("ce_hours", flat=True)) == [6.5, 8, 8]
    assert len(set(Completion.objects.values_list("verification_code", flat=True))) == 3
    [event] = AuditEvent.objects.filter(action="completion.credits_imported")
    assert event.data["created"] == 3 and len(event.data["sha256"]) == 64
    assert AuditEvent.objects.count() == 1  # not one per row


def test_any_bad_row_rejects_the_file_with_row_numbers(staff_client, course, officers):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    text = ("state,license_number,course_code,completed_on,ce_hours\n"
            "CA,CA-1,PO-101,2024-03-01,\n"          # 2: fine
            "CA,CA-404,PO-101,2024-03-01,\n"        # 3: unknown officer
            "CA,CA-2,NOPE,2024-03-01,\n"            # 4: unknown course
            "CA,CA-2,PO-101,01/03/2024,\n"          # 5: bad date
            f"CA,CA-2,PO-101,{future},\n"          # 6: future
            "CA,CA-3,PO-101,2024-03-01,-2\n"        # 7: bad hours
            "ZZ,CA-3,PO-101,2024-03-01,\n"          # 8: bad state
            "CA,CA-1,PO-101,2024-03-01,\n"          # 9: duplicate of line 2
            "CA,,PO-101,,\n")                       # 10: missing values
    response = upload(staff_client, text)
    assert response.status_code == 400
    assert response.json()["code"] == "credits_invalid"
    assert set(response.json()["fields"]) == {
        "rows.3.license_number", "rows.4.course_code", "rows.5.completed_on", "rows.6.completed_on",
        "rows.7.ce_hours", "rows.8.state", "rows.9.completed_on", "rows.10.license_number",
        "rows.10.completed_on"}
    assert not Completion.objects.exists() and not CreditImport.objects.exists()
    assert not AuditEvent.objects.exists()


def test_reimporting_the_same_history_is_refused(staff_client, course, officers):
    assert upload(staff_client, GOOD).status_code == 201
    again = upload(staff_client, GOOD)
    assert again.status_code == 400
    assert set(again.json()["fields"]) == {"rows.2.completed_on", "rows.3.completed_on", "rows.4.completed_on"}
    assert Completion.objects.count() == 3


@pytest.mark.parametrize("content", ["", "state,license_number\nCA,CA-1\n", "state,license_number,course_code,"
                                     "completed_on\n"])
def test_empty_or_headerless_files_are_400(staff_client, course, content):
    response = staff_client.post("/api/v1/training/completions/import/", {
        "file": SimpleUploadedFile("c.csv", content.encode() or b"\xff", "text/csv")}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["fields"]


def test_only_staff_import(admin_a_client, course, officers):
    assert upload(admin_a_client, GOOD).status_code == 403
    assert not Completion.objects.exists()


def test_imported_train_the_trainer_completion_grants_qualification(staff_user, officers):
    trainer = TrainerCourseFactory(code="PO-TTT")
    result = services.credits_import(raw=b"state,license_number,course_code,completed_on\nCA,CA-1,PO-TTT,2025-05-01\n",
                                     actor=staff_user)
    assert (result.created, result.qualifications) == (1, 1)
    qualification = InstructorQualification.objects.get()
    assert (qualification.officer, qualification.course) == (officers[0], trainer.qualifies_for)


def test_import_writes_in_bulk_not_per_row(staff_user, course, agency_a):
    def queries(n):
        rows = [OfficerFactory(agency=agency_a, license_number=f"BULK-{n}-{i}") for i in range(n)]
        text = "state,license_number,course_code,completed_on\n" + "".join(
            f"CA,{o.license_number},PO-101,2024-01-01\n" for o in rows)
        with CaptureQueriesContext(connection) as ctx:
            assert services.credits_import(raw=text.encode(), actor=staff_user).created == n
        return len(ctx.captured_queries)

    assert queries(40) == queries(2)


def test_management_command_imports_with_progress_bar(tmp_path, course, officers, capsys):
    path = tmp_path / "credits.csv"
    path.write_text(GOOD)
    call_command("import_credits", str(path))
    out, err = capsys.readouterr()
    assert "Imported 3 completion(s)" in out
    assert "validating" in err and "100%" in err
    assert AuditEvent.objects.get(action="completion.credits_imported").actor_label == "system:import_credits"


def test_management_command_reports_row_errors_and_writes_nothing(tmp_path, course, officers):
    path = tmp_path / "credits.csv"
    path.write_text("state,license_number,course_code,completed_on\nCA,CA-404,PO-101,2024-01-01\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_credits", str(path), "--no-progress")
    assert not Completion.objects.exists()
    with pytest.raises(CommandError, match="No user"):
        call_command("import_credits", str(path), "--as", "ghost")


# --- issue #12, finding 6: the JSON API's rule for text (core.text) holds in the CSV too ---------------------------

@pytest.mark.parametrize(("cell", "column"), [
    ("CA-\x002", "license_number"), ("PO-101\x1f", "course_code"), ("2024-03-02\x0b", "completed_on"),
    ("6.\x7f5", "ce_hours"), ("\x85CA", "state"),
])
def test_credit_row_with_nul_or_control_character_is_refused_row_numbered_and_nothing_written(
        staff_client, course, officers, cell, column):
    row = {"state": "CA", "license_number": "CA-2", "course_code": "PO-101", "completed_on": "2024-03-02",
           "ce_hours": "6.5", column: cell}
    text = GOOD + ",".join(row[c] for c in ("state", "license_number", "course_code", "completed_on",
                                             "ce_hours")) + "\n"
    response = upload(staff_client, text)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "credits_invalid" and set(body["fields"]) == {f"rows.5.{column}"}
    assert "Control characters" in body["fields"][f"rows.5.{column}"][0]
    assert not Completion.objects.exists() and not CreditImport.objects.exists() and not AuditEvent.objects.exists()


def test_credit_import_command_refuses_control_characters_too(tmp_path, course, officers):
    path = tmp_path / "credits.csv"
    path.write_bytes((GOOD + "CA,CA-\x003,PO-101,2024-03-05,\n").encode())
    with pytest.raises(CommandError, match="rows.5.license_number"):
        call_command("import_credits", str(path), "--no-progress")
    assert not Completion.objects.exists()
