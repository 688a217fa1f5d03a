"""An officer's own data export (issue #18): one JSON file with every record PeaceCert holds about the officer and
nothing about anyone else, and a readable PDF summary read back with pypdf."""

import io
import json
from datetime import date, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from agencies.models import Role
from agencies.services import officer_identity_correct, officer_transfer
from certification import services as certification_services
from certification.models import FindingSource
from evaluations.models import Invitation
from tests.conftest import jwt_client
from tests.factories import AgencyFactory, OfficerFactory, UserFactory
from tests.security.world import _released_cycle
from tests.support.builders import credits_record, peace_officer_course
from tests.training.factories import SessionFactory
from training import services as training_services

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/officer"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nstatement\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def everything(agency_a, admin_a, staff_user):
    """Officer X (signed in) and officer Y, same agency, each with one of every kind of record."""
    recorder = UserFactory(username="recorder", role=Role.CERTIFICATION_STAFF, is_staff=True)
    course = peace_officer_course()
    x = OfficerFactory(agency=agency_a, first_name="Maria", last_name="Alvarez", license_number="CA-100201")
    y = OfficerFactory(agency=agency_a, first_name="Jonah", last_name="Okonkwo", license_number="CA-777999")
    account = UserFactory(username="maria_alvarez", role=Role.OFFICER, officer=x, email="maria@mail.example.org")
    UserFactory(username="jonah_okonkwo", role=Role.OFFICER, officer=y, email="jonah@mail.example.org")
    records = {"account": account, "admin": admin_a}
    for officer in (x, y):
        credits_record([officer], on=timezone.localdate() - timedelta(days=20))
        certification_services.officer_certification_grant(actor=staff_user, officer=officer)
        session = SessionFactory(course=course, capacity=5)
        training_services.enrollments_create(session=session, officer_ids=[officer.pk], actor=staff_user)
        finding = certification_services.finding_record(
            actor=recorder, officer=officer, incident_date=date(2025, 4, 2),
            summary=f"Force used on a detainee by {officer.last_name}", source=FindingSource.COMPLAINT)
        certification_services.finding_notice(actor=recorder, finding=finding)
        certification_services.finding_response_add(
            actor=account if officer == x else staff_user, finding=finding, author_kind="officer",
            text=f"Answer of {officer.first_name}", files=[("statement.pdf", PDF, "application/pdf")])
        certification_services.finding_response_record(actor=admin_a, finding=finding,
                                                       text=f"Agency answer about {officer.last_name}")
        certification_services.finding_representative_set(actor=staff_user, finding=finding,
                                                           name=f"Rep of {officer.first_name}",
                                                           email=f"rep.{officer.pk}@law.example.org")
        records.setdefault("findings", {})[officer.pk] = finding
        records.setdefault("cycles", {})[officer.pk] = _released_cycle(officer, admin_a, staff_user)
    # X's licence history (a corrected licence) and employment history (a transfer).
    officer_identity_correct(officer=x, actor=staff_user, reason="Re-licensed", license_number="CA-100999")
    officer_transfer(officer=x, to_agency=AgencyFactory(name="Harbor City Police", state="CA"), actor=staff_user)
    finding = records["findings"][x.pk]
    finding.refresh_from_db()
    certification_services.finding_determine(actor=staff_user, finding=finding, determination="not_sustained",
                                             reason="The footage is inconclusive.")
    x.refresh_from_db()
    return x, y, records


def test_export_json_holds_every_record_about_the_officer(everything):
    x, y, records = everything
    response = jwt_client(records["account"]).get(f"{ME}/export.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json" and response["Content-Disposition"].startswith(
        "attachment")
    export = json.loads(response.content)
    assert export["format"] == "peacecert-officer-export/1"
    assert export["account"]["email"] == "maria@mail.example.org"
    record = export["officer"]
    assert (record["id"], record["license_number"], record["agency_name"]) == (x.pk, "CA-100999",
                                                                                "Harbor City Police")
    assert {lic["license_number"] for lic in record["licenses"]} == {"CA-100201", "CA-100999"}
    assert not any("recorded_by" in lic for lic in record["licenses"])  # no staff usernames
    assert "Harbor City Police" in {job["agency_name"] for job in record["employment_history"]}
    training = export["training"]
    assert [c["id"] for c in training["completions"]] == list(x.completions.values_list("pk", flat=True))
    assert len(training["enrollments"]) == 1 and float(training["ce_hours_total"]) > 0
    certification = export["good_officer_certification"]
    assert certification["status"] == "active" and len(certification["cycles"]) == 1
    [finding] = export["findings"]
    assert finding["id"] == records["findings"][x.pk].pk and finding["determination"] == "not_sustained"
    assert finding["determination_reason"] == "The footage is inconclusive."
    assert [a["text"] for a in finding["own_answers"]] == ["Answer of Maria"]
    assert finding["own_answers"][0]["documents"][0]["name"] == "statement.pdf"
    assert [a["text"] for a in finding["agency_answers"]] == ["Agency answer about Alvarez"]
    assert finding["representative"]["name"] == "Rep of Maria"
    [report] = export["evaluation_reports"]
    assert report["cycle"] == records["cycles"][x.pk].pk


def admin_username(records) -> str:
    return records["admin"].get_username()


def test_export_holds_nothing_about_another_officer_nor_any_rater(everything):
    x, y, records = everything
    content = jwt_client(records["account"]).get(f"{ME}/export.json").content.decode()
    for secret in (y.first_name, y.last_name, y.license_number, "jonah@mail.example.org", f"rep.{y.pk}@",
                   "recorder", admin_username(records)):
        assert secret not in content, secret
    for invitation in Invitation.objects.filter(cycle=records["cycles"][x.pk]):
        assert invitation.rater_email not in content and invitation.rater_name not in content
    assert str(records["findings"][y.pk].pk) not in json.loads(content)["findings"][0].values()


def test_export_pdf_is_a_readable_summary(everything):
    x, _, records = everything
    response = jwt_client(records["account"]).get(f"{ME}/export.pdf", HTTP_ACCEPT="*/*")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for expected in ("Everything PeaceCert holds about you", "Maria Alvarez", "CA-100999", "Harbor City Police",
                     "Good Officer Certification", "Answer of Maria", "Agency answer about Alvarez",
                     "not_sustained", "The footage is inconclusive.", "360 reports released to you"):
        assert expected in text, expected
    assert "Okonkwo" not in text and "CA-777999" not in text


@pytest.mark.parametrize(("path", "accept"), [("export.json", "application/json"), ("export.json", "*/*"),
                                             ("export.pdf", "application/pdf"), ("export.pdf", "*/*")])
def test_export_honours_accept_for_its_own_type_and_any(everything, path, accept):
    response = jwt_client(everything[2]["account"]).get(f"{ME}/{path}", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == ("application/json" if path.endswith("json") else "application/pdf")


@pytest.mark.parametrize("path", ["export.json", "export.pdf"])
def test_export_is_for_the_officers_own_account_only(everything, admin_a_client, staff_client, path):
    assert admin_a_client.get(f"{ME}/{path}").status_code == 403
    assert staff_client.get(f"{ME}/{path}").status_code == 403


def test_export_of_an_officer_with_no_records_is_complete_and_empty(agency_a):
    lone = OfficerFactory(agency=agency_a, first_name="Ada", last_name="Quinn", license_number="CA-555000")
    client = jwt_client(UserFactory(username="ada", role=Role.OFFICER, officer=lone))
    export = client.get(f"{ME}/export.json").json()
    assert export["findings"] == [] and export["evaluation_reports"] == []
    assert export["training"]["completions"] == [] and export["good_officer_certification"]["current"] is None
    assert client.get(f"{ME}/export.pdf").status_code == 200



def test_export_refuses_undocumented_query_parameters(agency_a):
    lone = OfficerFactory(agency=agency_a, first_name="Ada", last_name="Quinn", license_number="CA-555001")
    client = jwt_client(UserFactory(username="ada2", role=Role.OFFICER, officer=lone))
    for path in ("export.json", "export.pdf"):
        refused = client.get(f"{ME}/{path}", {"officer": lone.pk + 1})
        assert refused.status_code == 400 and refused.json()["code"] == "unknown_parameter"
