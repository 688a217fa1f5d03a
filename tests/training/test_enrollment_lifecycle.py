"""The enrolment lifecycle goes through core's one transition mechanism: an invalid move answers 409
`invalid_transition` over HTTP (as in every other app) and writes nothing; each move's ledger entry has the shared
shape {"from", "to", "reason"?, ...}."""

import pytest

from core.exceptions import ApplicationError
from core.models import AuditEvent
from training import services
from training.models import Enrollment, EnrollmentStatus

pytestmark = pytest.mark.django_db


def cancel_path(enrollment):
    return f"/api/v1/training/enrollments/{enrollment.pk}/cancel/"


@pytest.mark.parametrize("start", [EnrollmentStatus.CANCELLED, EnrollmentStatus.ATTENDED, EnrollmentStatus.NO_SHOW,
                                   EnrollmentStatus.COMPLETED])
def test_cancelling_an_enrolment_that_cannot_be_cancelled_answers_409_and_writes_nothing(admin_a_client, upcoming,
                                                                                         officer_a, start):
    enrollment = Enrollment.objects.create(session=upcoming, officer=officer_a, status=start)
    events = AuditEvent.objects.count()
    response = admin_a_client.post(cancel_path(enrollment), {"reason": "again"}, format="json")
    assert response.status_code == 409, response.json()
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["code"] == "invalid_transition"
    assert Enrollment.objects.get(pk=enrollment.pk).status == start
    assert AuditEvent.objects.count() == events


def test_invalid_enrolment_transition_is_a_409_application_error(upcoming, officer_a, admin_a):
    enrollment = Enrollment.objects.create(session=upcoming, officer=officer_a, status=EnrollmentStatus.COMPLETED)
    with pytest.raises(ApplicationError) as exc:
        services._transition(enrollment=enrollment, to=EnrollmentStatus.ENROLLED, actor=admin_a)
    assert (exc.value.code, exc.value.status_code) == ("invalid_transition", 409)


def test_enrolment_moves_use_the_lifecycle_and_its_ledger_shape(admin_a_client, upcoming, officers_a):
    response = admin_a_client.post(f"/api/v1/training/sessions/{upcoming.pk}/enrollments/",
                                   {"officer_ids": [o.pk for o in officers_a]}, format="json")
    first, waiting = (response.json()["results"][i]["enrollment_id"] for i in (0, 2))
    assert services.ENROLLMENT_LIFECYCLE.model is Enrollment
    response = admin_a_client.post(cancel_path(Enrollment(pk=first)), {"reason": "shift change"}, format="json")
    assert response.status_code == 200
    cancelled = AuditEvent.objects.get(action="enrollment.cancelled")
    assert cancelled.data == {"from": "enrolled", "to": "cancelled", "reason": "shift change",
                              "session": upcoming.pk, "officer": officers_a[0].pk}
    promoted = AuditEvent.objects.get(action="enrollment.enrolled")
    assert promoted.target_id == str(waiting)
    assert promoted.data == {"from": "waitlisted", "to": "enrolled", "reason": "promoted from waitlist",
                             "session": upcoming.pk, "officer": officers_a[2].pk}
    assert Enrollment.objects.get(pk=first).status_changed_at is not None
