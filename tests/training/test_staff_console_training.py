"""The staff console's training screens save through training's services: courses (create, edit), sessions
(schedule, change, cancel with a reason), instructor accounts (an invitation linked to the officer record) and
instructor qualifications (record, refuse an overlap, revoke). Refusals are messages; nothing is half-written."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agencies.models import Role
from core.models import AuditEvent
from training.models import Course, InstructorAccount, InstructorQualification, TrainingSession

from .factories import SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, staff_user):
    client.force_login(staff_user)
    return client


def audited(action, obj) -> bool:
    return AuditEvent.objects.filter(action=action, target_id=str(obj.pk)).exists()


def test_a_course_is_created_and_edited_through_the_catalogue_service(console):
    response = console.post("/admin/training/course/add/", {
        "code": "DEESC-201", "title": "De-escalation in crisis calls", "description": "", "ce_hours": "4.00",
        "kind": "standard", "qualifies_for": "", "offered_in_person": "on", "is_active": "on"})
    assert response.status_code == 302
    course = Course.objects.get(code="DEESC-201")
    assert audited("course.created", course)
    console.post(f"/admin/training/course/{course.pk}/change/", {
        "title": "De-escalation in crisis calls (2026)", "description": "", "ce_hours": "6.00",
        "offered_in_person": "on", "offered_virtual": "on", "is_active": "on",
        "accreditations-TOTAL_FORMS": 0, "accreditations-INITIAL_FORMS": 0,
        "resources-TOTAL_FORMS": 0, "resources-INITIAL_FORMS": 0})
    course.refresh_from_db()
    assert course.title.endswith("(2026)") and course.offered_virtual and course.code == "DEESC-201"
    assert audited("course.updated", course)
    refused = console.post("/admin/training/course/add/", {
        "code": "TTT-9", "title": "Trainer", "ce_hours": "4", "kind": "train_the_trainer", "qualifies_for": "",
        "offered_in_person": "on", "is_active": "on"}, follow=True).content.decode()
    # The model's own rule refuses it on the form (the input stays for correction); the service is never reached.
    assert "course_trainer_course_names_its_target" in refused and "errornote" in refused
    assert not Course.objects.filter(code="TTT-9").exists()


def test_a_session_is_scheduled_then_its_capacity_changed_through_the_services(console, course):
    start = (timezone.localtime() + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    response = console.post("/admin/training/trainingsession/add/", {
        "course": course.pk, "starts_at_0": start.date().isoformat(), "starts_at_1": "09:00:00",
        "ends_at_0": start.date().isoformat(), "ends_at_1": "17:00:00", "time_zone": "America/Los_Angeles",
        "mode": "in_person", "capacity": 20, "location": "Riverside Training Center", "meeting_url": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    session = TrainingSession.objects.get(location="Riverside Training Center")
    assert audited("session.created", session)
    page = console.get(f"/admin/training/trainingsession/{session.pk}/change/")
    assert page.status_code == 200
    changed = console.post(f"/admin/training/trainingsession/{session.pk}/change/", {
        "starts_at_0": start.date().isoformat(), "starts_at_1": "09:00:00", "ends_at_0": start.date().isoformat(),
        "ends_at_1": "17:00:00", "location": "Riverside Training Center", "meeting_url": "", "capacity": 30,
        "instructor_assignments-TOTAL_FORMS": 0, "instructor_assignments-INITIAL_FORMS": 0,
        "enrollments-TOTAL_FORMS": 0, "enrollments-INITIAL_FORMS": 0})
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    session.refresh_from_db()
    assert session.capacity == 30 and audited("session.updated", session)


def test_cancelling_a_session_asks_for_the_reason_and_uses_the_service(console, course):
    session = SessionFactory(course=course)
    url = "/admin/training/trainingsession/"
    form = console.post(url, {"action": "cancel_selected", "_selected_action": [session.pk]})
    assert 'name="reason"' in form.content.decode()
    html = console.post(url, {"action": "cancel_selected", "_selected_action": [session.pk], "apply": "yes",
                              "reason": "The instructor is ill; a new date follows."}, follow=True).content.decode()
    session.refresh_from_db()
    assert "1 cancelled" in html and session.status == "cancelled"
    assert audited("session.cancelled", session)
    again = console.post(url, {"action": "cancel_selected", "_selected_action": [session.pk], "apply": "yes",
                               "reason": "Twice"}, follow=True).content.decode()
    assert "1 cancelled" not in again and "cancelled" in again


def test_an_instructor_is_invited_qualified_and_the_qualification_revoked(console, course, officer_a,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post("/admin/training/instructoraccount/add/", {
            "officer": officer_a.pk, "email": "trainer@riverside.example", "username": ""})
    assert response.status_code == 302
    account = InstructorAccount.objects.select_related("user").get(officer=officer_a)
    assert account.user.role == Role.INSTRUCTOR and not account.user.has_usable_password()
    assert mail.outbox[-1].to == ["trainer@riverside.example"]

    add = {"course": course.pk, "user": "", "officer": officer_a.pk, "valid_from": "", "valid_until": ""}
    assert console.post("/admin/training/instructorqualification/add/", add).status_code == 302
    qualification = InstructorQualification.objects.get(user=account.user, course=course)
    assert qualification.valid_from == timezone.localdate()
    assert audited("instructor_qualification.designated", qualification)
    overlap = console.post("/admin/training/instructorqualification/add/", add, follow=True).content.decode()
    assert "already holds a qualification" in overlap
    assert InstructorQualification.objects.filter(user=account.user).count() == 1

    html = console.post("/admin/training/instructorqualification/", {
        "action": "revoke_selected", "_selected_action": [qualification.pk], "apply": "yes",
        "reason": "Left the training unit"}, follow=True).content.decode()
    assert "1 revoked" in html
    assert not InstructorQualification.objects.filter(pk=qualification.pk).exists()  # withdrawn before it started
    assert AuditEvent.objects.filter(action__startswith="instructor_qualification.", data__reason__isnull=False)
