"""A fresh database with migrations only — no demo data, no fixtures creating the course or the programme — certifies
an agency end to end over the HTTP API (issue #14, "Reference data ships with the code").

The Peace Officer course (training 0002) and the Peace Officer Agency Certification programme with its checklist
(certification 0005) come from the migrations. A transactional test elsewhere may have flushed the test database
(a flush keeps the schema and drops the migrated rows); the autouse fixture then replays the two migrations' own data
steps, so every test here starts from exactly what `migrate` leaves in a fresh database. (Django's
`serialized_rollback` cannot do this reliably: after another transactional test's flush it collides with the
recreated content types.)
"""

import importlib
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from agencies.models import Role
from certification.models import CertificationProgramme, ProgrammeRequirement
from core.models import AuditEvent
from tests.conftest import jwt_client
from tests.factories import UserFactory
from training.models import Course

pytestmark = pytest.mark.django_db

V = "/api/v1"
T = f"{V}/training"
C = f"{V}/certification"
CHECKLIST = ["commitment", "trained_share", "promise_event", "symbol_programme", "chokehold_ban",
             "body_worn_camera", "policy_manual"]
MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json() if response.content else None


@pytest.fixture(autouse=True)
def _migrated_reference_data(db):
    """What the data migrations create, replayed by their own code if a flush removed it (idempotent)."""
    editor = SimpleNamespace(connection=connection)
    importlib.import_module("training.migrations.0002_reference_course").course_ensure(apps, editor)
    importlib.import_module("certification.migrations.0005_reference_programme").programme_ensure(apps, editor)


@pytest.fixture
def staff():
    return jwt_client(UserFactory(username="first_staff", role=Role.CERTIFICATION_STAFF, is_staff=True,
                                  email="staff@peacecert.example.org"))


def test_migrations_ship_the_peace_officer_course_and_the_programme_checklist():
    course = Course.objects.get(code="PO-101")
    assert (course.title, str(course.ce_hours), course.kind) == (
        "Peace Officer: Realizing the True Purpose of Policing", "8.00", "standard")
    assert course.offered_in_person and course.offered_virtual and course.is_active
    programme = CertificationProgramme.objects.get(code="peace-officer-agency")
    assert programme.name == "Peace Officer Agency Certification"
    assert list(programme.requirements.order_by("position").values_list("code", flat=True)) == CHECKLIST
    trained_share = programme.requirements.get(code="trained_share")
    assert (trained_share.kind, trained_share.computed_rule) == ("computed", "trained_share")
    assert list(trained_share.courses.values_list("code", flat=True)) == ["PO-101"]
    assert Course.objects.count() == 1 and CertificationProgramme.objects.count() == 1


def test_demo_loader_reuses_the_migrated_rows():
    from demo.data.certification import programme_ensure

    programme, created = programme_ensure(actor="test")
    assert created == 0 and programme.code == "peace-officer-agency"
    assert ProgrammeRequirement.objects.count() == len(CHECKLIST) and Course.objects.count() == 1


def _roster(staff, agency_id, count):
    return [ok(staff.post(f"{V}/officers/", {
        "agency": agency_id, "first_name": f"Officer{i}", "last_name": "Fresh", "license_number": f"FR-{i:04d}",
        "email": f"officer{i}@fresh-pd.example.org"}, format="json"), 201) for i in range(count)]


def _complete_by_session(staff, course_id, officers):
    """PO-101 through a session: a qualified instructor (recorded over the API) marks the officers completed."""
    instructor = UserFactory(username="fresh_instructor", role=Role.INSTRUCTOR)
    ok(staff.post(f"{T}/instructor-qualifications/", {"course": course_id, "user": instructor.pk}, format="json"),
       201)
    start = timezone.now() - timedelta(hours=1)
    session = ok(staff.post(f"{T}/sessions/", {
        "course": course_id, "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=8)).isoformat(),
        "time_zone": "America/Chicago", "mode": "in_person", "location": "Fresh PD training room", "capacity": 10,
        "instructors": [instructor.pk]}, format="json"), 201)
    results = ok(staff.post(f"{T}/sessions/{session['id']}/enrollments/",
                            {"officer_ids": [o["id"] for o in officers]}, format="json"))["results"]
    assert {r["result"] for r in results} == {"enrolled"}
    marked = ok(jwt_client(instructor).post(f"{T}/sessions/{session['id']}/attendance/", {
        "records": [{"officer_id": o["id"], "status": "completed"} for o in officers]}, format="json"))
    assert all(r["verification_code"] for r in marked["results"])


def _complete_by_import(staff, officers, on):
    lines = ["state,license_number,course_code,completed_on"]
    lines += [f"CA,{o['license_number']},PO-101,{on.isoformat()}" for o in officers]
    upload = SimpleUploadedFile("history.csv", "\n".join(lines).encode(), "text/csv")
    ok(staff.post(f"{T}/completions/import/", {"file": upload}, format="multipart"), 201)


def _checklist(staff, certification_id):
    return {line["code"]: line for line in ok(staff.get(f"{C}/agency-certifications/{certification_id}/"))["checklist"]}


def _meet_every_item(staff, lines):
    for line in lines.values():
        status_url = f"{C}/requirement-statuses/{line['status_id']}"
        if line["kind"] == "attestation":
            ok(staff.post(f"{status_url}/attest/", {"text": "We commit to the Peace Officer principles.",
                                                    "attested_by_name": "Chief Dana Whitfield"}, format="json"))
        elif line["kind"] == "document":
            ok(staff.post(f"{status_url}/document/",
                          {"file": SimpleUploadedFile("use-of-force.pdf", MINIMAL_PDF, "application/pdf")},
                          format="multipart"))
        if line["kind"] != "computed":
            ok(staff.post(f"{status_url}/mark/", {"state": "met", "note": "Checked."}, format="json"))


def test_a_fresh_install_certifies_an_agency_end_to_end_over_the_api(staff):
    course = next(c for c in ok(staff.get(f"{T}/courses/"))["results"] if c["code"] == "PO-101")
    programme = next(p for p in ok(staff.get(f"{C}/programmes/"))["results"] if p["code"] == "peace-officer-agency")
    agency = ok(staff.post(f"{V}/agencies/", {"name": "Fresh Valley Police", "state": "CA", "sworn_headcount": 5},
                           format="json"), 201)
    officers = _roster(staff, agency["id"], 5)
    _complete_by_session(staff, course["id"], officers[:2])
    _complete_by_import(staff, officers[2:4], timezone.localdate() - timedelta(days=20))

    certification = ok(staff.post(f"{C}/agency-certifications/",
                                  {"agency": agency["id"], "programme": programme["id"]}, format="json"), 201)
    ok(staff.post(f"{C}/agency-certifications/{certification['id']}/submit/", {}, format="json"))
    lines = _checklist(staff, certification["id"])
    assert list(lines) == CHECKLIST
    assert lines["trained_share"]["met"] is True  # 4 of 5 = 80 %
    assert lines["trained_share"]["detail"] == "4 of 5 sworn officers completed PO-101; 80% required."
    refused = staff.post(f"{C}/agency-certifications/{certification['id']}/issue/", {}, format="json")
    assert refused.status_code == 409 and "chokehold_ban" in refused.json()["message"]

    _meet_every_item(staff, lines)
    assert all(line["met"] for line in _checklist(staff, certification["id"]).values())
    issued = ok(staff.post(f"{C}/agency-certifications/{certification['id']}/issue/", {}, format="json"))
    assert issued["status"] == "issued" and issued["certificate_number"] and issued["plaque"]

    plaque_url = f"{C}/plaques/{issued['plaque']}"
    pdf = staff.get(f"{plaque_url}/plaque.pdf")
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content)
                                                                    if pdf.streaming else pdf.content)).pages)
    assert "Fresh Valley Police" in text
    assert ok(staff.post(f"{plaque_url}/advance/", {"to": "printed"}, format="json"))["status"] == "printed"
    ok(staff.post(f"{plaque_url}/advance/", {"to": "shipped", "carrier": "UPS",
                                             "tracking_number": "1Z999AA10123456784"}, format="json"))
    assert ok(staff.post(f"{plaque_url}/advance/", {"to": "delivered"}, format="json"))["status"] == "delivered"
    public = ok(staff.get(f"{V}/public/agency-certificates/{issued['certificate_number']}/"))
    assert "Fresh Valley Police" in str(public)


def test_staff_changing_the_trained_share_courses_changes_the_evaluation(staff):
    requirement = ProgrammeRequirement.objects.get(code="trained_share")
    po101 = Course.objects.get(code="PO-101")
    programme = requirement.programme
    agency = ok(staff.post(f"{V}/agencies/", {"name": "Lakeside Police", "state": "CA", "sworn_headcount": 2},
                           format="json"), 201)
    officers = _roster(staff, agency["id"], 2)
    _complete_by_import(staff, officers, timezone.localdate() - timedelta(days=5))
    certification = ok(staff.post(f"{C}/agency-certifications/",
                                  {"agency": agency["id"], "programme": programme.pk}, format="json"), 201)
    assert _checklist(staff, certification["id"])["trained_share"]["met"] is True

    newer = ok(staff.post(f"{T}/courses/", {"code": "PO-201", "title": "Peace Officer (2027 edition)",
                                            "ce_hours": "8.00"}, format="json"), 201)
    changed = ok(staff.patch(f"{C}/requirements/{requirement.pk}/", {"courses": [newer["id"]]}, format="json"))
    assert [c["code"] for c in changed["courses"]] == ["PO-201"]
    line = _checklist(staff, certification["id"])["trained_share"]
    assert line["met"] is False and line["detail"] == "0 of 2 sworn officers completed PO-201; 80% required."

    both = ok(staff.patch(f"{C}/requirements/{requirement.pk}/", {"courses": [po101.pk, newer["id"]]},
                          format="json"))
    assert [c["code"] for c in both["courses"]] == ["PO-101", "PO-201"]
    line = _checklist(staff, certification["id"])["trained_share"]
    assert line["met"] is True and "PO-101 or PO-201" in line["detail"]
    audit = AuditEvent.objects.filter(action="programme_requirement.updated").order_by("id").last()
    assert audit.data["courses"] == {"from": ["PO-201"], "to": ["PO-101", "PO-201"]}
    listed = ok(staff.get(f"{C}/programmes/"))["results"][0]
    assert [c["code"] for r in listed["requirements"] if r["code"] == "trained_share" for c in r["courses"]] == [
        "PO-101", "PO-201"]


def test_the_trained_share_course_list_is_validated(staff):
    requirement = ProgrammeRequirement.objects.get(code="trained_share")
    url = f"{C}/requirements/{requirement.pk}/"
    empty = staff.patch(url, {"courses": []}, format="json")
    assert empty.status_code == 400 and "courses" in empty.json()["fields"]
    unknown = staff.patch(url, {"courses": [987654]}, format="json")
    assert unknown.status_code == 400 and unknown.json()["fields"]["courses"] == ["Unknown course id(s): 987654."]
    other = ProgrammeRequirement.objects.get(code="chokehold_ban")
    refused = staff.patch(f"{C}/requirements/{other.pk}/", {"courses": [Course.objects.get().pk]}, format="json")
    assert refused.status_code == 400 and "courses" in refused.json()["fields"]
    programme = requirement.programme.pk
    no_course = staff.post(f"{C}/programmes/{programme}/requirements/", {
        "code": "trained_share_2", "title": "Second share", "kind": "computed", "computed_rule": "trained_share"},
        format="json")
    assert no_course.status_code == 400 and "courses" in no_course.json()["fields"]
    created = ok(staff.post(f"{C}/programmes/{programme}/requirements/", {
        "code": "trained_share_2", "title": "Second share", "kind": "computed", "computed_rule": "trained_share",
        "courses": [Course.objects.get().pk]}, format="json"), 201)
    assert [c["code"] for c in created["courses"]] == ["PO-101"]
    assert list(requirement.courses.values_list("code", flat=True)) == ["PO-101"]  # unchanged by the refusals
