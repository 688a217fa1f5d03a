"""Staff record instructor qualifications through the API (#14): the rules the admin and `instructor_designate`
apply, the qualification then lets the instructor be assigned, and revoking ends it (or withdraws one that has not
taken effect). Over HTTP; the audit log read back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import Role
from core.models import AuditEvent
from tests.factories import OfficerFactory, UserFactory
from training.models import InstructorAccount, InstructorQualification

from .factories import CourseFactory, SessionFactory, designate

pytestmark = pytest.mark.django_db

URL = "/api/v1/training/instructor-qualifications/"


@pytest.fixture
def teacher(db):
    return UserFactory(username="teacher", role=Role.INSTRUCTOR, first_name="Tess", last_name="Morgan")


def test_staff_record_a_qualification_and_the_instructor_can_then_be_assigned(staff_client, course, teacher):
    session = SessionFactory(course=course)
    refused = staff_client.post(f"/api/v1/training/sessions/{session.pk}/instructors/", {"user": teacher.pk},
                                format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "instructor_not_qualified"

    today = timezone.localdate()
    response = staff_client.post(URL, {"course": course.pk, "user": teacher.pk, "valid_from": str(today),
                                       "valid_until": str(today + timedelta(days=730))}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["username"], body["course_code"], body["is_current"]) == (
        "designated", "teacher", "PO-101", True)
    assert AuditEvent.objects.filter(action="instructor_qualification.designated",
                                     target_id=str(body["id"])).exists()
    assigned = staff_client.post(f"/api/v1/training/sessions/{session.pk}/instructors/", {"user": teacher.pk},
                                 format="json")
    assert assigned.status_code == 201


def test_a_qualification_through_the_linked_officer_record(staff_client, course, teacher, agency_a, staff_user):
    officer = OfficerFactory(agency=agency_a)
    unlinked = staff_client.post(URL, {"course": course.pk, "officer": officer.pk}, format="json")
    assert unlinked.status_code == 400 and set(unlinked.json()["fields"]) == {"officer"}
    InstructorAccount.objects.create(user=teacher, officer=officer)
    linked = staff_client.post(URL, {"course": course.pk, "officer": officer.pk}, format="json")
    assert linked.status_code == 201 and linked.json()["user"] == teacher.pk


def test_the_rules_refuse_bad_qualifications_and_write_nothing(staff_client, course, teacher, admin_a):
    today = timezone.localdate()
    gone = UserFactory(username="gone", role=Role.INSTRUCTOR, is_active=False)
    cases = [
        ({"course": course.pk, "user": admin_a.pk}, "user"),  # not an instructor login
        ({"course": course.pk, "user": gone.pk}, "user"),  # deactivated
        ({"course": course.pk}, "user"),  # nobody named
        ({"course": course.pk, "user": teacher.pk, "valid_from": str(today),
          "valid_until": str(today - timedelta(days=1))}, "valid_until"),
        ({"course": 987654, "user": teacher.pk}, "course"),
        ({"course": CourseFactory(is_active=False).pk, "user": teacher.pk}, "course"),
    ]
    for body, field in cases:
        response = staff_client.post(URL, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["fields"], (body, response.json())
    assert not InstructorQualification.objects.exists()


def test_an_overlapping_qualification_for_the_same_course_is_409(staff_client, course, teacher):
    designate(teacher, course, days_ago=10, valid_until=timezone.localdate() + timedelta(days=30))
    today = timezone.localdate()
    overlapping = staff_client.post(URL, {"course": course.pk, "user": teacher.pk,
                                          "valid_from": str(today + timedelta(days=20))}, format="json")
    assert overlapping.status_code == 409 and overlapping.json()["code"] == "already_qualified"
    after = staff_client.post(URL, {"course": course.pk, "user": teacher.pk,
                                    "valid_from": str(today + timedelta(days=31))}, format="json")
    assert after.status_code == 201  # a renewal that starts when the first one ends
    assert InstructorQualification.objects.filter(user=teacher).count() == 2


def test_staff_list_and_filter_qualifications_others_are_refused(staff_client, admin_a_client, instructor_client,
                                                                  course, teacher, instructor_user):
    mine = designate(teacher, course)
    designate(instructor_user, CourseFactory())
    listed = staff_client.get(URL, {"course": course.pk})
    assert listed.status_code == 200 and [row["id"] for row in listed.json()["results"]] == [mine.pk]
    assert staff_client.get(URL, {"user": teacher.pk}).json()["count"] == 1
    assert admin_a_client.get(URL).status_code == 403
    assert instructor_client.get(URL).status_code == 403
    assert admin_a_client.post(URL, {"course": course.pk, "user": teacher.pk}, format="json").status_code == 403


def test_revoking_ends_a_qualification_yesterday_and_the_instructor_can_no_longer_be_assigned(
        staff_client, course, teacher):
    qualification = designate(teacher, course, days_ago=100)
    response = staff_client.post(f"{URL}{qualification.pk}/revoke/", {"reason": "Left the training unit."},
                                 format="json")
    assert response.status_code == 200, response.content
    yesterday = timezone.localdate() - timedelta(days=1)
    assert (response.json()["valid_until"], response.json()["is_current"]) == (str(yesterday), False)
    event = AuditEvent.objects.get(action="instructor_qualification.revoked")
    assert event.data["reason"] == "Left the training unit." and event.data["valid_until"]["from"] is None
    session = SessionFactory(course=course)
    assign = staff_client.post(f"/api/v1/training/sessions/{session.pk}/instructors/", {"user": teacher.pk},
                               format="json")
    assert assign.status_code == 400 and assign.json()["code"] == "instructor_not_qualified"
    again = staff_client.post(f"{URL}{qualification.pk}/revoke/", {"reason": "Twice"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "qualification_ended"


def test_revoking_one_not_yet_in_effect_withdraws_it(staff_client, course, teacher):
    qualification = designate(teacher, course, days_ago=0)
    missing_reason = staff_client.post(f"{URL}{qualification.pk}/revoke/", {"reason": ""}, format="json")
    assert missing_reason.status_code == 400 and InstructorQualification.objects.filter(pk=qualification.pk).exists()
    response = staff_client.post(f"{URL}{qualification.pk}/revoke/", {"reason": "Designated by mistake."},
                                 format="json")
    assert response.status_code == 204
    assert not InstructorQualification.objects.filter(pk=qualification.pk).exists()
    event = AuditEvent.objects.get(action="instructor_qualification.withdrawn")
    assert event.data["user"] == teacher.pk and event.data["reason"] == "Designated by mistake."
    assert staff_client.post(f"{URL}{qualification.pk}/revoke/", {"reason": "x"}, format="json").status_code == 404
