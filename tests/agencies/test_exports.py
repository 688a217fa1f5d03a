"""Agency administrators download their roster and their officers' completions as CSV (issue #14): only their own
agency's rows, spreadsheet formulas neutralised, any Accept header a browser or curl sends, and a query count that
does not grow with the number of rows."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AgencyFactory, OfficerFactory
from tests.support.builders import credits_record

pytestmark = pytest.mark.django_db

ROSTER = "/api/v1/officers/export.csv"
COMPLETIONS = "/api/v1/training/completions/export.csv"


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- roster ----------------------------------------------------------------------------------------------------


def test_admin_b_roster_has_none_of_agency_a_rows(admin_b_client, agency_a, agency_b):
    OfficerFactory.create_batch(3, agency=agency_a)
    own = OfficerFactory(agency=agency_b)
    rows = read_csv(admin_b_client.get(ROSTER))
    assert [int(row["officer_id"]) for row in rows] == [own.pk]
    assert {row["agency_name"] for row in rows} == {agency_b.name}
    # Naming agency A gives B's admin an empty file, as the officer list does: no existence leak.
    assert read_csv(admin_b_client.get(ROSTER, {"agency": agency_a.pk})) == []


def test_staff_get_every_agency_or_the_one_they_name(staff_client, agency_a, agency_b):
    a = OfficerFactory(agency=agency_a)
    b = OfficerFactory(agency=agency_b)
    assert {int(r["officer_id"]) for r in read_csv(staff_client.get(ROSTER))} == {a.pk, b.pk}
    assert [int(r["officer_id"]) for r in read_csv(staff_client.get(ROSTER, {"agency": agency_b.pk}))] == [b.pk]


def test_roster_columns_carry_the_officer_record(admin_a_client, agency_a):
    officer = OfficerFactory(agency=agency_a, first_name="Grace", last_name="Okafor", license_number="CA-55102",
                             rank="Sergeant", hire_date=date(2015, 3, 2), email="g.okafor@example.gov")
    (row,) = read_csv(admin_a_client.get(ROSTER))
    assert row == {"officer_id": str(officer.pk), "last_name": "Okafor", "first_name": "Grace", "state": "CA",
                   "license_number": "CA-55102", "rank": "Sergeant", "hire_date": "2015-03-02",
                   "email": "g.okafor@example.gov", "agency_id": str(agency_a.pk), "agency_name": agency_a.name,
                   "permanently_ineligible_at": ""}


def test_a_formula_typed_into_a_name_is_neutralised(admin_a_client, agency_a):
    OfficerFactory(agency=agency_a, last_name='=HYPERLINK("http://evil.example","x")', first_name="+1", rank="@SUM")
    (row,) = read_csv(admin_a_client.get(ROSTER))
    assert row["last_name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["first_name"] == "'+1"
    assert row["rank"] == "'@SUM"


@pytest.mark.parametrize("accept", ["text/csv", "*/*", "text/csv;q=0.9, */*;q=0.1", "application/json"])
def test_any_accept_header_gets_the_file(admin_a_client, agency_a, accept):
    OfficerFactory(agency=agency_a)
    assert len(read_csv(admin_a_client.get(ROSTER, HTTP_ACCEPT=accept))) == 1


def test_errors_still_answer_in_the_json_error_shape(admin_a_client, instructor_client, anon_client):
    bad = admin_a_client.get(ROSTER, {"agency": "x"}, HTTP_ACCEPT="text/csv")
    assert bad.status_code == 400 and set(bad.json()) == {"code", "message", "fields"}
    assert "agency" in bad.json()["fields"]
    assert instructor_client.get(ROSTER, HTTP_ACCEPT="text/csv").status_code == 403
    assert anon_client.get(ROSTER, HTTP_ACCEPT="text/csv").status_code == 401


def _queries(client, url, query=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {})
        read_csv(response)
    return len(captured.captured_queries)


def test_roster_query_count_does_not_grow_with_its_length(admin_a_client, agency_a, django_assert_max_num_queries):
    OfficerFactory.create_batch(2, agency=agency_a)
    few = _queries(admin_a_client, ROSTER)
    OfficerFactory.create_batch(40, agency=agency_a)
    with django_assert_max_num_queries(few):
        assert len(read_csv(admin_a_client.get(ROSTER))) == 42


# --- completions -----------------------------------------------------------------------------------------------


def test_admin_b_completions_have_none_of_agency_a_rows(admin_b_client, agency_a, agency_b):
    credits_record(OfficerFactory.create_batch(2, agency=agency_a), on=date(2026, 3, 1))
    own = OfficerFactory(agency=agency_b)
    credits_record([own], on=date(2026, 3, 1))
    rows = read_csv(admin_b_client.get(COMPLETIONS))
    assert [int(row["officer_id"]) for row in rows] == [own.pk]
    assert read_csv(admin_b_client.get(COMPLETIONS, {"agency": agency_a.pk})) == []


def test_completions_filter_by_date_range_and_licensing_state(staff_client):
    california, ohio = AgencyFactory(state="CA"), AgencyFactory(state="OH")
    ca_officer, oh_officer = OfficerFactory(agency=california), OfficerFactory(agency=ohio)
    credits_record([ca_officer, oh_officer], on=date(2026, 1, 15))
    credits_record([ca_officer], on=date(2026, 6, 1))

    def officers(query):
        return [(int(r["officer_id"]), r["completed_on"]) for r in read_csv(staff_client.get(COMPLETIONS, query))]

    in_january = officers({"from": "2026-01-01", "to": "2026-01-31"})
    assert sorted(in_january) == sorted([(ca_officer.pk, "2026-01-15"), (oh_officer.pk, "2026-01-15")])
    assert officers({"state": "OH"}) == [(oh_officer.pk, "2026-01-15")]
    assert officers({"from": "2026-02-01", "state": "CA"}) == [(ca_officer.pk, "2026-06-01")]


def test_completions_to_before_from_is_a_400_naming_to(staff_client):
    response = staff_client.get(COMPLETIONS, {"from": "2026-05-01", "to": "2026-04-01"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["to"]


def test_completion_rows_neutralise_formulas(admin_a_client, agency_a):
    officer = OfficerFactory(agency=agency_a, last_name="-2+3", first_name="=1+1")
    credits_record([officer], on=date(2026, 3, 1))
    (row,) = read_csv(admin_a_client.get(COMPLETIONS, HTTP_ACCEPT="text/csv"))
    assert (row["last_name"], row["first_name"]) == ("'-2+3", "'=1+1")
    assert row["license_number"] == officer.license_number and row["agency_name"] == agency_a.name


def test_completions_query_count_does_not_grow_with_rows(admin_a_client, agency_a, django_assert_max_num_queries):
    credits_record(OfficerFactory.create_batch(2, agency=agency_a), on=date(2026, 3, 1))
    few = _queries(admin_a_client, COMPLETIONS)
    credits_record(OfficerFactory.create_batch(40, agency=agency_a), on=date(2026, 3, 2))
    with django_assert_max_num_queries(few):
        assert len(read_csv(admin_a_client.get(COMPLETIONS))) == 42
