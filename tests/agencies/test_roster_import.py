"""CSV roster import: everything validated first, row-numbered errors, nothing written on error, upsert."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from agencies.models import EmploymentRecord, Officer
from core.models import AuditEvent
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "license_number,first_name,last_name,rank,hire_date,email\n"
    "CA-1,Maria,Alvarez,Sergeant,2014-03-01,maria@example.org\n"
    "CA-2,James,Okafor,Officer,2019-06-15,\n"
)


def upload(client, text, agency=None, name="roster.csv"):
    data = {"file": SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, "text/csv")}
    if agency is not None:
        data["agency"] = agency
    return client.post("/api/v1/officers/import/", data, format="multipart")


def test_import_creates_officers_with_employment_records(admin_a_client, agency_a):
    response = upload(admin_a_client, GOOD)
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "transferred": 0}
    maria = Officer.objects.get(license_number="CA-1")
    assert (maria.agency, maria.state, maria.rank, str(maria.hire_date)) == (agency_a, "CA", "Sergeant", "2014-03-01")
    assert EmploymentRecord.objects.filter(officer__agency=agency_a, ended_on__isnull=True).count() == 2
    event = AuditEvent.objects.get(action="officer.roster_imported")
    assert event.data["created"] == 2 and len(event.data["sha256"]) == 64


def test_reimporting_the_same_roster_changes_nothing_and_an_edit_updates(admin_a_client):
    upload(admin_a_client, GOOD)
    assert upload(admin_a_client, GOOD).json() == {"created": 0, "updated": 0, "unchanged": 2, "transferred": 0}
    edited = GOOD.replace("Okafor,Officer", "Okafor,Corporal")
    assert upload(admin_a_client, edited).json() == {"created": 0, "updated": 1, "unchanged": 1, "transferred": 0}
    assert Officer.objects.count() == 2
    assert Officer.objects.get(license_number="CA-2").rank == "Corporal"


def test_any_bad_row_rejects_the_whole_file_with_row_numbers(admin_a_client):
    text = (
        "license_number,first_name,last_name,hire_date,state,email\n"
        "CA-1,Maria,Alvarez,2014-03-01,CA,\n"
        "CA-2,,Okafor,2019-06-15,CA,\n"
        "CA-3,Lena,Park,15/06/2019,CA,\n"
        "CA-1,Dup,Licence,2014-03-01,CA,\n"
        "CA-4,Zed,Zee,,XX,not-an-email\n"
    )
    response = upload(admin_a_client, text)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "roster_invalid"
    assert set(body["fields"]) == {
        "rows.3.first_name", "rows.4.hire_date", "rows.5.license_number", "rows.6.state", "rows.6.email",
    }
    assert Officer.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_missing_columns_are_named(admin_a_client):
    response = upload(admin_a_client, "first_name,last_name\nA,B\n")
    assert response.status_code == 400
    assert "license_number" in response.json()["fields"]["file"][0]


@pytest.mark.parametrize("content", [b"", b"license_number,first_name,last_name\n", b"\xff\xfe\x00garbage"])
def test_empty_or_binary_files_are_400(admin_a_client, content):
    response = upload(admin_a_client, content)
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_missing_file_is_a_field_error(admin_a_client):
    response = admin_a_client.post("/api/v1/officers/import/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


@override_settings(MAX_UPLOAD_BYTES=100)
def test_oversized_upload_is_413(admin_a_client):
    response = upload(admin_a_client, GOOD * 10)
    assert response.status_code == 413
    assert Officer.objects.count() == 0


@override_settings(ROSTER_IMPORT_MAX_ROWS=1)
def test_too_many_rows_is_400(admin_a_client):
    response = upload(admin_a_client, GOOD)
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_rows"


def test_agency_admin_cannot_import_into_another_agency(admin_a_client, agency_b):
    response = upload(admin_a_client, GOOD, agency=agency_b.pk)
    assert response.status_code == 400
    assert "agency" in response.json()["fields"]
    assert Officer.objects.count() == 0


def test_agency_admin_cannot_take_another_agencys_officer_by_licence(admin_a_client, agency_b):
    OfficerFactory(agency=agency_b, state="CA", license_number="CA-2")
    response = upload(admin_a_client, GOOD)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["rows.3.license_number"]
    assert Officer.objects.get(license_number="CA-2").agency == agency_b


def test_staff_import_transfers_and_keeps_history(staff_client, agency_a, agency_b):
    moving = OfficerFactory(agency=agency_b, state="CA", license_number="CA-2", first_name="James", last_name="Okafor")
    EmploymentRecord.objects.create(officer=moving, agency=agency_b, started_on="2015-01-01")
    response = upload(staff_client, GOOD, agency=agency_a.pk)
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0, "transferred": 1}
    moving.refresh_from_db()
    assert moving.agency == agency_a
    history = list(moving.employment_history.order_by("started_on").values_list("agency_id", "ended_on"))
    assert history[0][0] == agency_b.pk and history[0][1] is not None
    assert history[1] == (agency_a.pk, None)


def test_staff_must_name_the_agency(staff_client):
    response = upload(staff_client, GOOD)
    assert response.status_code == 400
    assert response.json()["fields"] == {"agency": ["This field is required."]}


# --- issue #12, finding 6: the JSON API's rule for text (core.text) holds in the CSV too ---------------------------

@pytest.mark.parametrize(("cell", "character"), [
    ("Al\x00varez", "NUL"), ("Alvarez\x1f", "unit separator at the end (trimming would hide it)"),
    ("Al\x7fvarez", "DEL"), ("Al\x85varez", "C1 next line"), ("Al\x1bvarez", "escape"),
])
def test_roster_row_with_nul_or_control_character_is_refused_row_numbered_and_nothing_written(
        admin_a_client, cell, character):
    text = GOOD + f"CA-3,Lena,{cell},Officer,2020-01-01,\n"
    response = upload(admin_a_client, text)
    assert response.status_code == 400, character
    body = response.json()
    assert body["code"] == "roster_invalid" and set(body["fields"]) == {"rows.4.last_name"}
    assert "Control characters" in body["fields"]["rows.4.last_name"][0]
    assert Officer.objects.count() == 0 and not AuditEvent.objects.exists()


def test_roster_reports_every_cell_with_a_control_character_and_a_bad_header(admin_a_client):
    text = ("license_number,first_name,last_name,ra\x00nk\n"
            "CA-1,Ma\x00ria,Alvarez,Sergeant\n"
            "CA-2,James,Oka\x01for,Off\x01icer\n")
    response = upload(admin_a_client, text)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"file", "rows.2.first_name", "rows.3.last_name"}
    assert "Line 1" in response.json()["fields"]["file"][0]
    assert Officer.objects.count() == 0


def test_roster_keeps_tabs_and_line_breaks_as_json_does(admin_a_client):
    text = GOOD + 'CA-3,Lena,"Park",Officer\tCorporal,2020-01-01,\n'
    assert upload(admin_a_client, text).status_code == 200
    assert Officer.objects.get(license_number="CA-3").rank == "Officer\tCorporal"


def test_the_licence_history_says_who_imported_the_roster_and_nothing_else_inherits_it(admin_a_client, admin_a,
                                                                                        agency_a):
    from agencies.models import OfficerLicense

    assert upload(admin_a_client, GOOD).status_code == 200
    imported = OfficerLicense.objects.filter(officer__license_number__in=["CA-1", "CA-2"])
    assert {(row.recorded_by, row.reason) for row in imported} == {(admin_a.get_username(), "roster import")}
    later = OfficerFactory(agency=agency_a, license_number="CA-3")  # written after the import, by another path
    assert OfficerLicense.objects.get(officer=later).reason != "roster import"
