"""Training over HTTP with real tokens: roles, agency isolation, the rows written, constant query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEvent
from tests.conftest import jwt_client
from tests.factories import AgencyFactory, OfficerFactory, UserFactory
from training import services
from training.models import Completion, Course, Enrollment, TrainingSession

from .factories import CourseFactory, SessionFactory, assign, designate, started_session

pytestmark = pytest.mark.django_db


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- catalogue ----------------------------------------------------------------------------------------------

def test_any_signed_in_user_reads_the_catalogue_with_state_mappings(coach_client, course, anon_client):
    response = coach_client.get("/api/v1/training/courses/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["code"] == "PO-101" and row["ce_hours"] == "8.00"
    assert {a["state"]: a["hours_accepted"] for a in row["accreditations"]} == {"CA": "8.00", "OH": "6.00"}
    assert anon_client.get("/api/v1/training/courses/").status_code == 401


def test_staff_create_a_train_the_trainer_course(staff_client, course):
    response = staff_client.post("/api/v1/training/courses/", {
        "code": "PO-TTT", "title": "Train the trainer", "ce_hours": "16", "kind": "train_the_trainer",
        "qualifies_for": "PO-101", "offered_virtual": False}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["qualifies_for"], body["offered_in_person"]) == ("train_the_trainer", "PO-101", True)
    assert AuditEvent.objects.filter(action="course.created", target_id=str(body["id"])).exists()


@pytest.mark.parametrize("body", [
    {"code": "X", "title": "X", "ce_hours": "0"},
    {"code": "X", "title": "X", "ce_hours": "abc"},
    {"code": "X", "title": "X", "ce_hours": "5", "offered_in_person": False},
    {"code": "X", "title": "X", "ce_hours": "5", "kind": "train_the_trainer", "qualifies_for": "NOPE"},
])
def test_bad_course_is_400_and_writes_nothing(staff_client, course, body):
    response = staff_client.post("/api/v1/training/courses/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] in {"validation_error"}
    assert Course.objects.count() == 1


def test_duplicate_course_code_is_409_and_writes_nothing(staff_client, course):
    response = staff_client.post("/api/v1/training/courses/", {"code": "PO-101", "title": "Duplicate code",
                                                               "ce_hours": "5"}, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "already_exists" and "code" in response.json()["fields"]
    assert Course.objects.count() == 1


def test_only_staff_edit_the_catalogue(admin_a_client, staff_client, course):
    assert admin_a_client.post("/api/v1/training/courses/", {"code": "Y", "title": "Y", "ce_hours": "1"},
                               format="json").status_code == 403
    assert admin_a_client.patch(f"/api/v1/training/courses/{course.pk}/", {"title": "Z"},
                                format="json").status_code == 403
    response = staff_client.patch(f"/api/v1/training/courses/{course.pk}/", {"title": "Peace Officer II"},
                                  format="json")
    assert response.status_code == 200 and response.json()["title"] == "Peace Officer II"
    assert staff_client.patch(f"/api/v1/training/courses/{course.pk}/", {"code": "NEW"},
                              format="json").status_code == 400


def test_staff_set_a_state_accreditation(staff_client, admin_a_client, course):
    path = f"/api/v1/training/courses/{course.pk}/accreditations/TX/"
    body = {"accepted": True, "hours_accepted": "7.5", "state_course_number": "TCOLE-1", "ncp_recognised": True}
    assert admin_a_client.put(path, body, format="json").status_code == 403
    response = staff_client.put(path, body, format="json")
    assert response.status_code == 200
    assert response.json() == {"state": "TX", "accepted": True, "hours_accepted": "7.50",
                               "state_course_number": "TCOLE-1", "ncp_recognised": True}
    assert staff_client.put(path, {"accepted": True, "hours_accepted": "9"}, format="json").status_code == 400
    assert staff_client.put(f"/api/v1/training/courses/{course.pk}/accreditations/ZZ/", body,
                            format="json").status_code == 400


# --- sessions -----------------------------------------------------------------------------------------------

def test_session_visibility_by_role(admin_a_client, instructor_client, coach_client, upcoming, course):
    other = SessionFactory(course=course)
    assert ids(admin_a_client.get("/api/v1/training/sessions/")) == {upcoming.pk, other.pk}
    assert ids(instructor_client.get("/api/v1/training/sessions/")) == {upcoming.pk}
    assert ids(coach_client.get("/api/v1/training/sessions/")) == set()
    assert instructor_client.get(f"/api/v1/training/sessions/{other.pk}/").status_code == 404


def test_staff_schedule_a_session_in_local_time(staff_client, course, qualified_instructor):
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = staff_client.post("/api/v1/training/sessions/", {
        "course": course.pk, "starts_at": f"{day}T09:00:00", "ends_at": f"{day}T17:00:00",
        "time_zone": "America/Los_Angeles", "mode": "virtual", "meeting_url": "https://meet.example.org/x",
        "capacity": 25, "instructors": [qualified_instructor.pk]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["starts_at_local"].startswith(f"{day}T09:00:00-0")  # PST or PDT
    session = TrainingSession.objects.get(pk=body["id"])
    assert session.starts_at.astimezone(timezone.get_fixed_timezone(0)).hour in (16, 17)
    assert [i["id"] for i in body["instructors"]] == [qualified_instructor.pk]
    assert (body["seats_taken"], body["waitlist_count"]) == (0, 0)


@pytest.mark.parametrize("change", [
    {"time_zone": "Nowhere/Land"}, {"instructors": [999999]}, {"course": 999999}, {"capacity": 0},
    {"ends_at": "2020-01-01T00:00:00Z"}, {"mode": "teleport"},
])
def test_bad_session_is_400_and_writes_nothing(staff_client, course, change):
    body = {"course": course.pk, "starts_at": "2030-05-01T09:00:00", "ends_at": "2030-05-01T17:00:00",
            "time_zone": "UTC", "mode": "in_person", "location": "Hall", "capacity": 5, **change}
    response = staff_client.post("/api/v1/training/sessions/", body, format="json")
    assert response.status_code == 400, response.json()
    assert not TrainingSession.objects.exists()


def test_unqualified_instructor_cannot_be_assigned(staff_client, upcoming):
    unqualified = UserFactory(role="instructor")
    response = staff_client.post(f"/api/v1/training/sessions/{upcoming.pk}/instructors/", {"user": unqualified.pk},
                                 format="json")
    assert response.status_code == 400 and response.json()["code"] == "instructor_not_qualified"
    assert not upcoming.instructors.filter(pk=unqualified.pk).exists()


def test_staff_assign_a_qualified_instructor(staff_client, admin_a_client, upcoming, course):
    other = UserFactory(role="instructor")
    designate(other, course)
    path = f"/api/v1/training/sessions/{upcoming.pk}/instructors/"
    assert admin_a_client.post(path, {"user": other.pk}, format="json").status_code == 403
    response = staff_client.post(path, {"user": other.pk}, format="json")
    assert response.status_code == 201
    assert other.pk in {i["id"] for i in response.json()["instructors"]}


# --- enrolment ----------------------------------------------------------------------------------------------

def enrol_path(session):
    return f"/api/v1/training/sessions/{session.pk}/enrollments/"


def test_agency_admin_enrols_own_officers_and_foreign_ids_are_unknown(admin_a_client, upcoming, officers_a,
                                                                       officer_b):
    response = admin_a_client.post(enrol_path(upcoming), {"officer_ids": [*(o.pk for o in officers_a), officer_b.pk,
                                                                          officers_a[0].pk]}, format="json")
    assert response.status_code == 200
    got = [(r["officer_id"], r["result"], r["code"]) for r in response.json()["results"]]
    assert got == [(officers_a[0].pk, "enrolled", ""), (officers_a[1].pk, "enrolled", ""),
                   (officers_a[2].pk, "waitlisted", ""), (officer_b.pk, "refused", "unknown_officer"),
                   (officers_a[0].pk, "refused", "duplicate")]
    assert Enrollment.objects.filter(session=upcoming).count() == 3
    assert not Enrollment.objects.filter(officer=officer_b).exists()


def test_staff_enrol_anyone(staff_client, upcoming, officer_a, officer_b):
    response = staff_client.post(enrol_path(upcoming), {"officer_ids": [officer_a.pk, officer_b.pk]}, format="json")
    assert [r["result"] for r in response.json()["results"]] == ["enrolled", "enrolled"]


@pytest.mark.parametrize("body", [{}, {"officer_ids": []}, {"officer_ids": ["x"]}, {"officer_ids": 5},
                                  {"officer_ids": list(range(1, 300))}])
def test_bad_enrolment_body_is_400_and_writes_nothing(admin_a_client, upcoming, body):
    response = admin_a_client.post(enrol_path(upcoming), body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}
    assert not Enrollment.objects.exists()


def test_instructors_and_coaches_cannot_enrol(instructor_client, coach_client, upcoming, officer_a):
    for client in (instructor_client, coach_client):
        assert client.post(enrol_path(upcoming), {"officer_ids": [officer_a.pk]}, format="json").status_code == 403
    assert not Enrollment.objects.exists()


def test_roster_shows_admins_only_their_officers_and_instructors_everyone(
        staff_user, admin_a_client, admin_b_client, instructor_client, upcoming, officer_a, officer_b):
    services.enrollments_create(session=upcoming, officer_ids=[officer_a.pk, officer_b.pk], actor=staff_user)
    roster = {r["officer"] for r in admin_a_client.get(enrol_path(upcoming)).json()["results"]}
    assert roster == {officer_a.pk}
    assert {r["officer"] for r in admin_b_client.get(enrol_path(upcoming)).json()["results"]} == {officer_b.pk}
    assert {r["officer"] for r in instructor_client.get(enrol_path(upcoming)).json()["results"]} == {
        officer_a.pk, officer_b.pk}
    stranger = jwt_client(UserFactory(role="instructor"))
    assert stranger.get(enrol_path(upcoming)).status_code == 404


def test_cancel_over_http_promotes_the_waitlist_and_foreign_is_404(admin_a_client, admin_b_client, upcoming,
                                                                    officers_a):
    results = admin_a_client.post(enrol_path(upcoming), {"officer_ids": [o.pk for o in officers_a]},
                                  format="json").json()["results"]
    first, waiting = results[0]["enrollment_id"], results[2]["enrollment_id"]
    assert admin_b_client.post(f"/api/v1/training/enrollments/{first}/cancel/", {}, format="json"
                               ).status_code == 404
    response = admin_a_client.post(f"/api/v1/training/enrollments/{first}/cancel/", {"reason": "shift change"},
                                   format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Enrollment.objects.get(pk=waiting).status == "enrolled"
    again = admin_a_client.post(f"/api/v1/training/enrollments/{first}/cancel/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


# --- attendance ---------------------------------------------------------------------------------------------

def attendance(client, session, records):
    return client.post(f"/api/v1/training/sessions/{session.pk}/attendance/", {"records": records}, format="json")


def test_instructor_marks_completion_in_bulk(instructor_client, staff_user, running, officers_a):
    services.enrollments_create(session=running, officer_ids=[o.pk for o in officers_a], actor=staff_user)
    response = attendance(instructor_client, running, [
        {"officer_id": officers_a[0].pk, "status": "completed"}, {"officer_id": officers_a[1].pk, "status": "no_show"}])
    assert response.status_code == 200, response.json()
    first, second = response.json()["results"]
    assert first["status"] == "completed" and first["completion_id"] and first["verification_code"]
    assert second["status"] == "no_show" and second["completion_id"] is None
    completion = Completion.objects.get()
    assert completion.pk == first["completion_id"] and completion.ce_hours == Decimal("8.00")


def test_attendance_refusals_over_http(admin_a_client, instructor_client, staff_user, upcoming, running,
                                       officers_a):
    services.enrollments_create(session=running, officer_ids=[officers_a[0].pk], actor=staff_user)
    services.enrollments_create(session=upcoming, officer_ids=[officers_a[0].pk], actor=staff_user)
    record = [{"officer_id": officers_a[0].pk, "status": "completed"}]
    assert attendance(admin_a_client, running, record).status_code == 403
    not_started = attendance(instructor_client, upcoming, record)
    assert not_started.status_code == 400 and not_started.json()["code"] == "session_not_started"
    bad = attendance(instructor_client, running, [{"officer_id": officers_a[0].pk, "status": "cancelled"}])
    assert bad.status_code == 400 and "records.0.status" in bad.json()["fields"]
    unknown = attendance(instructor_client, running, [{"officer_id": 999999, "status": "completed"}])
    assert unknown.status_code == 400 and "records.0.officer_id" in unknown.json()["fields"]
    assert attendance(instructor_client, running, []).status_code == 400
    assert not Completion.objects.exists()


# --- completions, transcript, state roster ------------------------------------------------------------------

def complete(session, officers, actor):
    services.enrollments_create(session=session, officer_ids=[o.pk for o in officers], actor=actor)
    services.attendance_record(session=session, records=[(o.pk, "completed") for o in officers], actor=actor)
    return list(Completion.objects.filter(session=session, officer__in=officers).order_by("officer_id"))


def test_completion_list_isolated_by_agency(admin_a_client, admin_b_client, staff_client, staff_user, running,
                                            officer_a, officer_b):
    complete(running, [officer_a, officer_b], staff_user)
    assert {r["officer"] for r in admin_a_client.get("/api/v1/training/completions/").json()["results"]} == {
        officer_a.pk}
    assert {r["officer"] for r in admin_b_client.get("/api/v1/training/completions/").json()["results"]} == {
        officer_b.pk}
    assert len(staff_client.get("/api/v1/training/completions/").json()["results"]) == 2


def test_transcript_with_period_and_state(admin_a_client, admin_b_client, staff_user, running, officer_a):
    [completion] = complete(running, [officer_a], staff_user)
    path = f"/api/v1/training/officers/{officer_a.pk}/transcript/"
    day = completion.completed_on.isoformat()
    body = admin_a_client.get(path, {"from": day, "to": day, "state": "OH"}).json()
    assert body["total_hours"] == "8.00" and body["hours_by_state"] == {"OH": "6.00"}
    assert body["start"] == day and body["state"] == "OH"
    assert body["completions"][0]["state_hours"] == "6.00"
    assert body["completions"][0]["state_course_number"] == "OH-9"
    everything = admin_a_client.get(path).json()
    assert everything["hours_by_state"] == {"CA": "8.00", "OH": "6.00"}
    later = admin_a_client.get(path, {"from": (completion.completed_on + timedelta(days=1)).isoformat()}).json()
    assert later["completions"] == [] and later["total_hours"] == "0.00"
    assert admin_b_client.get(path).status_code == 404
    assert admin_a_client.get(path, {"from": "2025-02-01", "to": "2025-01-01"}).status_code == 400
    assert admin_a_client.get(path, {"from": "yesterday"}).status_code == 400
    assert admin_a_client.get(path, {"state": "ZZ"}).status_code == 400


def test_state_roster_csv_for_staff(staff_client, admin_a_client, staff_user, running, officer_a, officer_b):
    complete(running, [officer_a, officer_b], staff_user)
    officer_a.last_name = "=HYPERLINK(1)"
    officer_a.save(update_fields=["last_name"])
    today = timezone.localdate()
    query = {"state": "OH", "from": (today - timedelta(days=2)).isoformat(),
             "to": (today + timedelta(days=2)).isoformat()}
    response = staff_client.get("/api/v1/training/reports/state-roster.csv", query)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("last_name,first_name,license_number")
    assert len(lines) == 3
    assert any(line.startswith("'=HYPERLINK(1)") for line in lines)  # no formula injection
    assert all(",OH-9,6.00," in line for line in lines[1:])
    assert admin_a_client.get("/api/v1/training/reports/state-roster.csv", query).status_code == 403
    assert staff_client.get("/api/v1/training/reports/state-roster.csv", {"state": "OH"}).status_code == 400
    empty = staff_client.get("/api/v1/training/reports/state-roster.csv", {**query, "state": "TX"})
    assert len(b"".join(empty.streaming_content).decode().splitlines()) == 1


# --- query counts -------------------------------------------------------------------------------------------

def count_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        # The transcript is not paginated: an undocumented page_size is a 400 there (issue #14).
        paginated = "/transcript/" not in path
        response = client.get(path + ("&" if "?" in path else "?") + "page_size=100" if paginated else path)
        assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_catalogue_and_session_lists_have_constant_query_counts(staff_client, course, qualified_instructor):
    session = SessionFactory(course=course)
    assign(session, qualified_instructor)
    one = (count_queries(staff_client, "/api/v1/training/courses/"),
           count_queries(staff_client, "/api/v1/training/sessions/"))
    for i in range(25):
        other = CourseFactory()
        services.accreditation_set(course=other, state="CA", actor=None, accepted=True)
        designate(qualified_instructor, other)
        session = SessionFactory(course=other)
        assign(session, qualified_instructor)
        assign(session, UserFactory(username=f"extra{i}"))
    assert (count_queries(staff_client, "/api/v1/training/courses/"),
            count_queries(staff_client, "/api/v1/training/sessions/")) == one


def test_roster_and_completion_lists_have_constant_query_counts(staff_client, staff_user, course):
    session = started_session(course=course, capacity=100)
    agency = AgencyFactory()
    complete(session, [OfficerFactory(agency=agency)], staff_user)
    transcript_officer = Completion.objects.get().officer
    paths = [f"/api/v1/training/sessions/{session.pk}/enrollments/", "/api/v1/training/completions/",
             f"/api/v1/training/officers/{transcript_officer.pk}/transcript/"]
    one = [count_queries(staff_client, p) for p in paths]
    complete(session, [OfficerFactory(agency=AgencyFactory()) for _ in range(25)], staff_user)
    officer = transcript_officer
    for day in range(25):  # a long transcript too: the one the third path reads
        services.credits_import(raw=f"state,license_number,course_code,completed_on\n{officer.state},"
                                    f"{officer.license_number},PO-101,{date(2020, 1, 1) + timedelta(days=day)}\n"
                                .encode(), actor=staff_user)
    assert [count_queries(staff_client, p) for p in paths] == one
