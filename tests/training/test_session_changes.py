"""Training sessions change (#14): staff edit a session's time, place and capacity and cancel it with a reason; the
enrolled and waitlisted officers' agencies are e-mailed; a cancelled session takes no enrolments and awards no
credits; a capacity increase promotes the waitlist. Everything over HTTP, e-mails read from the outbox."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.models import AuditEvent
from tests.factories import OfficerFactory
from training.models import Completion, Enrollment, TrainingSession

from .factories import started_session

pytestmark = pytest.mark.django_db

T = "/api/v1/training"


@pytest.fixture
def roster(upcoming, agency_a, agency_b, admin_a, admin_b, staff_user):
    """Session capacity 2: agency A's two officers hold the seats, agency B's officer waits."""
    from training import services

    a1 = OfficerFactory(agency=agency_a, first_name="Ana", last_name="Reyes")
    a2 = OfficerFactory(agency=agency_a, first_name="Ben", last_name="Okafor")
    b1 = OfficerFactory(agency=agency_b, first_name="Cleo", last_name="Marsh")
    services.enrollments_create(session=upcoming, officer_ids=[a1.pk, a2.pk, b1.pk], actor=staff_user)
    return {"a1": a1, "a2": a2, "b1": b1}


def statuses(session):
    return dict(Enrollment.objects.filter(session=session).values_list("officer__last_name", "status"))


def test_staff_move_a_session_and_each_agency_gets_one_email_naming_its_officers(
        staff_client, upcoming, roster, django_capture_on_commit_callbacks):
    new_start = (upcoming.starts_at + timedelta(days=7)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {
            "starts_at": new_start.isoformat(), "ends_at": (new_start + timedelta(hours=6)).isoformat(),
            "location": "Community Room A"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["location"], body["status"]) == ("Community Room A", "scheduled")
    upcoming.refresh_from_db()
    assert upcoming.starts_at == new_start and upcoming.ends_at == new_start + timedelta(hours=6)
    assert sorted(m.to[0] for m in mail.outbox) == ["admin_a@example.org", "admin_b@example.org"]
    to_a = next(m for m in mail.outbox if m.to == ["admin_a@example.org"])
    assert "Reyes" in to_a.body and "Okafor" in to_a.body and "Marsh" not in to_a.body
    assert "location: Training room -> Community Room A" in to_a.body and "Session changed" in to_a.subject
    to_b = next(m for m in mail.outbox if m.to == ["admin_b@example.org"])
    assert "Marsh" in to_b.body and "waitlisted" in to_b.body and "Reyes" not in to_b.body
    event = AuditEvent.objects.get(action="session.updated")
    assert set(event.data) == {"starts_at", "ends_at", "location"}


def test_a_wall_clock_time_is_read_in_the_sessions_time_zone(staff_client, upcoming):
    response = staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {
        "starts_at": "2030-05-01T09:00:00", "ends_at": "2030-05-01T17:00:00"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["starts_at_local"] == "2030-05-01T09:00:00-07:00"  # America/Los_Angeles in May


def test_a_capacity_change_alone_mails_nobody_about_time_or_place(
        staff_client, upcoming, roster, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {"capacity": 2},
                                  format="json").status_code == 200  # unchanged: nothing happens
    assert mail.outbox == [] and not AuditEvent.objects.filter(action="session.updated").exists()


def test_times_out_of_order_are_refused_and_nothing_changes(staff_client, upcoming):
    before = (upcoming.starts_at, upcoming.ends_at)
    response = staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {
        "ends_at": (upcoming.starts_at - timedelta(hours=1)).isoformat()}, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"ends_at"}
    upcoming.refresh_from_db()
    assert (upcoming.starts_at, upcoming.ends_at) == before
    empty = staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {}, format="json")
    assert empty.status_code == 400
    no_place = staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {"location": ""}, format="json")
    assert no_place.status_code == 400 and set(no_place.json()["fields"]) == {"location"}


def test_capacity_below_the_seats_taken_is_refused_naming_the_rule(staff_client, upcoming, roster):
    response = staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {"capacity": 1}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "capacity_below_enrolled" and "2 officers hold seats" in body["message"]
    upcoming.refresh_from_db()
    assert upcoming.capacity == 2 and statuses(upcoming)["Marsh"] == "waitlisted"


def test_a_capacity_increase_seats_the_waitlist_oldest_first_and_tells_their_agency(
        staff_client, upcoming, roster, agency_b, staff_user, django_capture_on_commit_callbacks):
    from training import services

    later = OfficerFactory(agency=agency_b, last_name="Later")
    services.enrollments_create(session=upcoming, officer_ids=[later.pk], actor=staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {"capacity": 3}, format="json")
    assert response.status_code == 200 and response.json()["seats_taken"] == 3
    assert statuses(upcoming) == {"Reyes": "enrolled", "Okafor": "enrolled", "Marsh": "enrolled",
                                  "Later": "waitlisted"}
    agency_mail = [m for m in mail.outbox if m.to == ["admin_b@example.org"]]
    assert len(agency_mail) == 1 and "Marsh" in agency_mail[0].body and "Later" not in agency_mail[0].body
    assert "Seats confirmed" in agency_mail[0].subject
    assert AuditEvent.objects.filter(action="enrollment.enrolled", target_id=str(
        Enrollment.objects.get(officer=roster["b1"]).pk)).exists()


def test_staff_cancel_a_session_with_a_reason_and_every_agency_is_told(
        staff_client, upcoming, roster, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{T}/sessions/{upcoming.pk}/cancel/",
                                     {"reason": "The instructor is ill."}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cancellation_reason"]) == ("cancelled", "The instructor is ill.")
    assert body["cancelled_at"]
    assert set(statuses(upcoming).values()) == {"cancelled"}
    assert sorted(m.to[0] for m in mail.outbox) == ["admin_a@example.org", "admin_b@example.org"]
    assert all("The instructor is ill." in m.body and "cancelled" in m.subject.lower() for m in mail.outbox)
    session_event = AuditEvent.objects.get(action="session.cancelled")
    assert session_event.data["reason"] == "The instructor is ill."
    assert AuditEvent.objects.filter(action="enrollment.cancelled").count() == 2  # enrolled, waitlisted batches


def test_a_cancelled_session_takes_no_enrolments_and_no_changes(staff_client, admin_a_client, upcoming, roster,
                                                                agency_a, instructor_user):
    assert staff_client.post(f"{T}/sessions/{upcoming.pk}/cancel/", {"reason": "Venue flooded"},
                             format="json").status_code == 200
    newcomer = OfficerFactory(agency=agency_a)
    enrol = admin_a_client.post(f"{T}/sessions/{upcoming.pk}/enrollments/", {"officer_ids": [newcomer.pk]},
                                format="json")
    assert enrol.status_code == 409 and enrol.json()["code"] == "session_cancelled"
    assert not Enrollment.objects.filter(officer=newcomer).exists()
    edit = staff_client.patch(f"{T}/sessions/{upcoming.pk}/", {"capacity": 5}, format="json")
    assert edit.status_code == 409 and edit.json()["code"] == "session_cancelled"
    again = staff_client.post(f"{T}/sessions/{upcoming.pk}/cancel/", {"reason": "Twice"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    teacher = staff_client.post(f"{T}/sessions/{upcoming.pk}/instructors/", {"user": instructor_user.pk},
                                format="json")
    assert teacher.status_code == 409 and teacher.json()["code"] == "session_cancelled"


def test_a_cancelled_session_awards_no_credits(staff_client, instructor_client, course, qualified_instructor,
                                               agency_a):
    from .factories import assign

    session = started_session(course=course, capacity=5)
    assign(session, qualified_instructor)
    officer = OfficerFactory(agency=agency_a)
    Enrollment.objects.create(session=session, officer=officer, status="enrolled")
    assert staff_client.post(f"{T}/sessions/{session.pk}/cancel/", {"reason": "Fire alarm; evacuated"},
                             format="json").status_code == 200
    marked = instructor_client.post(f"{T}/sessions/{session.pk}/attendance/", {
        "records": [{"officer_id": officer.pk, "status": "completed"}]}, format="json")
    assert marked.status_code == 409 and marked.json()["code"] == "session_cancelled"
    assert not Completion.objects.filter(officer=officer).exists()


def test_a_session_with_attendance_recorded_cannot_be_cancelled(staff_client, instructor_client, running,
                                                                agency_a):
    officer = OfficerFactory(agency=agency_a)
    Enrollment.objects.create(session=running, officer=officer, status="enrolled")
    assert instructor_client.post(f"{T}/sessions/{running.pk}/attendance/", {
        "records": [{"officer_id": officer.pk, "status": "attended"}]}, format="json").status_code == 200
    refused = staff_client.post(f"{T}/sessions/{running.pk}/cancel/", {"reason": "Too late"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "attendance_recorded"
    running.refresh_from_db()
    assert running.status == "scheduled"


def test_a_started_session_keeps_its_start_and_an_ended_one_cannot_change(staff_client, running):
    moved = staff_client.patch(f"{T}/sessions/{running.pk}/", {
        "starts_at": (running.starts_at + timedelta(hours=1)).isoformat()}, format="json")
    assert moved.status_code == 409 and moved.json()["code"] == "session_started"
    longer = staff_client.patch(f"{T}/sessions/{running.pk}/", {
        "ends_at": (running.ends_at + timedelta(hours=1)).isoformat()}, format="json")
    assert longer.status_code == 200
    TrainingSession.objects.filter(pk=running.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    ended = staff_client.patch(f"{T}/sessions/{running.pk}/", {"capacity": 9}, format="json")
    assert ended.status_code == 409 and ended.json()["code"] == "session_ended"


def test_a_cancellation_needs_a_reason_and_only_staff_change_sessions(staff_client, admin_a_client,
                                                                      instructor_client, upcoming):
    missing = staff_client.post(f"{T}/sessions/{upcoming.pk}/cancel/", {"reason": "  "}, format="json")
    assert missing.status_code == 400 and set(missing.json()["fields"]) == {"reason"}
    assert admin_a_client.post(f"{T}/sessions/{upcoming.pk}/cancel/", {"reason": "No"},
                               format="json").status_code == 403
    assert instructor_client.patch(f"{T}/sessions/{upcoming.pk}/", {"capacity": 9},
                                   format="json").status_code == 403
    upcoming.refresh_from_db()
    assert (upcoming.status, upcoming.capacity) == ("scheduled", 2)
