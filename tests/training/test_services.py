"""Service rules: enrolment and waitlist, cancellation, attendance and the once-only CE credit, instructors."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import AuditEvent
from tests.factories import OfficerFactory, UserFactory
from training import services
from training.models import (
    Completion,
    CourseKind,
    Enrollment,
    EnrollmentStatus,
    InstructorAccount,
    InstructorQualification,
    QualificationSource,
)
from training.selectors import instructor_is_qualified

from .factories import CourseFactory, SessionFactory, TrainerCourseFactory, designate, started_session

pytestmark = pytest.mark.django_db


def results(outcomes):
    return [(o.officer_id, o.result, o.code) for o in outcomes]


# --- enrolment ----------------------------------------------------------------------------------------------

def test_enrolment_seats_then_waitlists_in_list_order(upcoming, officers_a, admin_a):
    outcomes = services.enrollments_create(session=upcoming, officer_ids=[o.pk for o in officers_a], actor=admin_a)
    assert [o.result for o in outcomes] == ["enrolled", "enrolled", "waitlisted"]
    assert Enrollment.objects.filter(session=upcoming, status=EnrollmentStatus.ENROLLED).count() == 2
    assert AuditEvent.objects.filter(action="enrollment.created_enrolled").count() == 2
    assert AuditEvent.objects.filter(action="enrollment.created_waitlisted").count() == 1


def test_duplicate_enrolment_is_refused_per_officer(upcoming, officers_a, admin_a):
    first = officers_a[0].pk
    services.enrollments_create(session=upcoming, officer_ids=[first], actor=admin_a)
    outcomes = services.enrollments_create(session=upcoming, officer_ids=[first, officers_a[1].pk, officers_a[1].pk],
                                           actor=admin_a)
    assert results(outcomes) == [(first, "refused", "duplicate"), (officers_a[1].pk, "enrolled", ""),
                                 (officers_a[1].pk, "refused", "duplicate")]
    assert Enrollment.objects.filter(session=upcoming).count() == 2


def test_agency_admin_foreign_or_missing_officer_is_unknown(upcoming, officer_a, officer_b, admin_a):
    outcomes = services.enrollments_create(session=upcoming, officer_ids=[officer_b.pk, 999999, officer_a.pk],
                                           actor=admin_a)
    assert results(outcomes) == [(officer_b.pk, "refused", "unknown_officer"), (999999, "refused", "unknown_officer"),
                                 (officer_a.pk, "enrolled", "")]
    assert not Enrollment.objects.filter(officer=officer_b).exists()


def test_staff_enrol_officers_of_any_agency(upcoming, officer_a, officer_b, staff_user):
    outcomes = services.enrollments_create(session=upcoming, officer_ids=[officer_a.pk, officer_b.pk],
                                           actor=staff_user)
    assert [o.result for o in outcomes] == ["enrolled", "enrolled"]


def test_enrolment_closes_when_the_session_has_ended(course, officer_a, admin_a):
    past = SessionFactory(course=course, starts_at=timezone.now() - timedelta(days=2))
    with pytest.raises(ApplicationError) as exc:
        services.enrollments_create(session=past, officer_ids=[officer_a.pk], actor=admin_a)
    assert exc.value.code == "session_ended"
    assert not Enrollment.objects.exists()


def test_too_many_officers_in_one_request_is_refused(upcoming, admin_a):
    with pytest.raises(ApplicationError) as exc:
        services.enrollments_create(session=upcoming, officer_ids=list(range(1, 202)), actor=admin_a)
    assert "officer_ids" in exc.value.fields


def test_cancelled_officer_may_enrol_again(upcoming, officer_a, admin_a):
    [outcome] = services.enrollments_create(session=upcoming, officer_ids=[officer_a.pk], actor=admin_a)
    services.enrollment_cancel(enrollment=outcome.enrollment, actor=admin_a)
    [again] = services.enrollments_create(session=upcoming, officer_ids=[officer_a.pk], actor=admin_a)
    assert again.result == "enrolled"


# --- cancellation and the waitlist --------------------------------------------------------------------------

def test_cancelling_a_seat_promotes_the_first_waitlisted_officer(upcoming, agency_a, admin_a):
    officers = [OfficerFactory(agency=agency_a, email=f"o{i}@example.org") for i in range(4)]
    outcomes = services.enrollments_create(session=upcoming, officer_ids=[o.pk for o in officers], actor=admin_a)
    first_waiting, second_waiting = outcomes[2].enrollment, outcomes[3].enrollment
    services.enrollment_cancel(enrollment=outcomes[0].enrollment, actor=admin_a, reason="sick")
    first_waiting.refresh_from_db()
    second_waiting.refresh_from_db()
    assert first_waiting.status == EnrollmentStatus.ENROLLED
    assert second_waiting.status == EnrollmentStatus.WAITLISTED
    event = AuditEvent.objects.get(action="enrollment.cancelled")
    assert event.data["reason"] == "sick" and event.data["from"] == "enrolled"
    assert AuditEvent.objects.filter(action="enrollment.enrolled", target_id=str(first_waiting.pk)).exists()


def test_promotion_emails_the_officer_after_commit(upcoming, agency_a, admin_a, django_capture_on_commit_callbacks):
    officers = [OfficerFactory(agency=agency_a, email=f"p{i}@example.org") for i in range(3)]
    outcomes = services.enrollments_create(session=upcoming, officer_ids=[o.pk for o in officers], actor=admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_cancel(enrollment=outcomes[1].enrollment, actor=admin_a)
    assert [m.to for m in mail.outbox] == [["p2@example.org"]]


def test_cancelling_a_waitlisted_enrolment_promotes_nobody(upcoming, officers_a, admin_a):
    outcomes = services.enrollments_create(session=upcoming, officer_ids=[o.pk for o in officers_a], actor=admin_a)
    services.enrollment_cancel(enrollment=outcomes[2].enrollment, actor=admin_a)
    assert list(Enrollment.objects.filter(session=upcoming).order_by("id").values_list("status", flat=True)) == [
        "enrolled", "enrolled", "cancelled"]


def test_cancel_is_refused_once_the_session_started(running, officer_a, staff_user):
    [outcome] = services.enrollments_create(session=running, officer_ids=[officer_a.pk], actor=staff_user)
    with pytest.raises(ApplicationError) as exc:
        services.enrollment_cancel(enrollment=outcome.enrollment, actor=staff_user)
    assert exc.value.code == "session_started"


def test_cancelling_twice_is_an_invalid_transition(upcoming, officer_a, admin_a):
    [outcome] = services.enrollments_create(session=upcoming, officer_ids=[officer_a.pk], actor=admin_a)
    services.enrollment_cancel(enrollment=outcome.enrollment, actor=admin_a)
    with pytest.raises(ApplicationError) as exc:
        services.enrollment_cancel(enrollment=outcome.enrollment, actor=admin_a)
    assert exc.value.code == "invalid_transition" and exc.value.status_code == 409


def test_transition_refuses_a_stale_enrolment_with_concurrent_change(upcoming, officer_a, admin_a):
    [outcome] = services.enrollments_create(session=upcoming, officer_ids=[officer_a.pk], actor=admin_a)
    stale = Enrollment.objects.get(pk=outcome.enrollment.pk)
    Enrollment.objects.filter(pk=stale.pk).update(status=EnrollmentStatus.CANCELLED)
    with pytest.raises(ApplicationError) as exc:
        services._transition(enrollment=stale, to=EnrollmentStatus.ATTENDED, actor=admin_a)
    assert exc.value.code == "concurrent_change" and exc.value.status_code == 409


@pytest.mark.parametrize(("start", "to"), [
    ("completed", "no_show"), ("completed", "attended"), ("cancelled", "enrolled"), ("waitlisted", "completed"),
])
def test_terminal_and_skipping_transitions_are_refused(upcoming, officer_a, admin_a, start, to):
    enrollment = Enrollment.objects.create(session=upcoming, officer=officer_a, status=start)
    with pytest.raises(ApplicationError) as exc:
        services._transition(enrollment=enrollment, to=to, actor=admin_a)
    assert exc.value.code == "invalid_transition" and exc.value.status_code == 409


# --- attendance and completion ------------------------------------------------------------------------------

def enrol(session, officers, actor):
    return services.enrollments_create(session=session, officer_ids=[o.pk for o in officers], actor=actor)


def test_instructor_completes_and_awards_the_course_hours_once(running, officers_a, staff_user, qualified_instructor):
    enrol(running, officers_a, staff_user)
    records = [(officers_a[0].pk, "completed"), (officers_a[1].pk, "no_show"), (officers_a[2].pk, "attended")]
    outcomes = services.attendance_record(session=running, records=records, actor=qualified_instructor)
    assert [o.changed for o in outcomes] == [True, True, True]
    completion = Completion.objects.get()
    assert (completion.officer, completion.ce_hours, completion.session) == (officers_a[0], Decimal("8.00"), running)
    assert completion.completed_on == timezone.now().astimezone(ZoneInfo(running.time_zone)).date()
    assert len(completion.verification_code) == 24
    assert AuditEvent.objects.filter(action="completion.recorded", target_id=str(completion.pk)).exists()

    # Sending the same marks again changes nothing and awards nothing twice.
    again = services.attendance_record(session=running, records=records, actor=qualified_instructor)
    assert [o.changed for o in again] == [False, False, False]
    assert again[0].completion == completion
    assert Completion.objects.count() == 1


def test_no_show_then_corrected_to_completed_earns_once(running, officers_a, staff_user):
    enrol(running, officers_a[:1], staff_user)
    services.attendance_record(session=running, records=[(officers_a[0].pk, "no_show")], actor=staff_user)
    assert not Completion.objects.exists()  # no-shows earn nothing
    services.attendance_record(session=running, records=[(officers_a[0].pk, "completed")], actor=staff_user)
    assert Completion.objects.count() == 1


def test_attendance_before_the_session_starts_is_refused(upcoming, officers_a, staff_user):
    enrol(upcoming, officers_a[:1], staff_user)
    with pytest.raises(ApplicationError) as exc:
        services.attendance_record(session=upcoming, records=[(officers_a[0].pk, "completed")], actor=staff_user)
    assert exc.value.code == "session_not_started"
    assert not Completion.objects.exists()


def test_only_the_sessions_instructor_or_staff_record_attendance(running, officers_a, staff_user, admin_a, course):
    enrol(running, officers_a[:1], staff_user)
    other_instructor = UserFactory(role="instructor")
    designate(other_instructor, course)
    for actor in (admin_a, other_instructor):
        with pytest.raises(ApplicationError) as exc:
            services.attendance_record(session=running, records=[(officers_a[0].pk, "completed")], actor=actor)
        assert exc.value.status_code == 403
    assert not Completion.objects.exists()


def test_any_bad_record_rejects_the_whole_batch(running, officers_a, staff_user, officer_b):
    enrol(running, officers_a[:2], staff_user)
    records = [(officers_a[0].pk, "completed"), (officer_b.pk, "completed"), (officers_a[1].pk, "enrolled"),
               (officers_a[0].pk, "no_show")]
    with pytest.raises(ApplicationError) as exc:
        services.attendance_record(session=running, records=records, actor=staff_user)
    assert set(exc.value.fields) == {"records.1.officer_id", "records.2.status", "records.3.officer_id"}
    assert not Completion.objects.exists()
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"enrolled"}


def test_waitlisted_officer_cannot_be_marked(course, officers_a, staff_user):
    session = started_session(course=course, capacity=1)
    enrol(session, officers_a[:2], staff_user)
    with pytest.raises(ApplicationError) as exc:
        services.attendance_record(session=session, records=[(officers_a[1].pk, "completed")], actor=staff_user)
    assert "waitlist" in exc.value.fields["records.0.officer_id"][0]


def test_database_refuses_a_second_credit_for_the_same_enrolment(running, officers_a, staff_user):
    enrol(running, officers_a[:1], staff_user)
    services.attendance_record(session=running, records=[(officers_a[0].pk, "completed")], actor=staff_user)
    first = Completion.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Completion.objects.create(officer=first.officer, course=first.course, session=running,
                                  enrollment=first.enrollment, source="session", ce_hours="8",
                                  completed_on=first.completed_on - timedelta(days=1), verification_code="OTHER")


def test_database_refuses_a_second_credit_for_the_same_session_after_re_enrolment(running, officers_a, staff_user):
    enrol(running, officers_a[:1], staff_user)
    services.attendance_record(session=running, records=[(officers_a[0].pk, "completed")], actor=staff_user)
    first = Completion.objects.get()
    second_enrolment = Enrollment(session=running, officer=officers_a[0], status="completed")
    # The live-enrolment constraint already stops the second enrolment; the credit constraint stands behind it.
    with pytest.raises(IntegrityError), transaction.atomic():
        second_enrolment.save()
    Enrollment.objects.filter(pk=first.enrollment_id).update(status="cancelled")
    second_enrolment.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Completion.objects.create(officer=first.officer, course=first.course, session=running,
                                  enrollment=second_enrolment, source="session", ce_hours="8",
                                  completed_on=first.completed_on - timedelta(days=1), verification_code="OTHER")


def test_completing_train_the_trainer_grants_instructor_qualification(officer_a, staff_user, instructor_user,
                                                                      settings):
    settings.INSTRUCTOR_QUALIFICATION_DAYS = 730
    trainer = TrainerCourseFactory()
    session = started_session(course=trainer)
    enrol(session, [officer_a], staff_user)
    services.attendance_record(session=session, records=[(officer_a.pk, "completed")], actor=staff_user)
    qualification = InstructorQualification.objects.get()
    completion = Completion.objects.get()
    assert (qualification.source, qualification.officer, qualification.course) == (
        QualificationSource.TRAINER_GRADUATE, officer_a, trainer.qualifies_for)
    assert qualification.valid_until == completion.completed_on + timedelta(days=730)
    assert AuditEvent.objects.filter(action="instructor_qualification.granted").count() == 1
    # The graduate's login, once linked, may then be assigned to teach the main course.
    services.instructor_account_link(user=instructor_user, officer=officer_a, actor=staff_user)
    assert instructor_is_qualified(user_id=instructor_user.pk, course_id=trainer.qualifies_for_id,
                                   on=completion.completed_on)
    main_session = SessionFactory(course=trainer.qualifies_for)
    services.session_instructor_assign(session=main_session, user=instructor_user, actor=staff_user)
    assert InstructorAccount.objects.get().officer == officer_a


def test_standard_course_completion_grants_no_qualification(running, officers_a, staff_user):
    enrol(running, officers_a[:1], staff_user)
    services.attendance_record(session=running, records=[(officers_a[0].pk, "completed")], actor=staff_user)
    assert not InstructorQualification.objects.filter(source=QualificationSource.TRAINER_GRADUATE).exists()


# --- sessions and instructors -------------------------------------------------------------------------------

def session_kwargs(course, **overrides):
    start = timezone.now() + timedelta(days=3)
    return {"course": course, "starts_at": start, "ends_at": start + timedelta(hours=8),
            "time_zone": "America/New_York", "mode": "in_person", "capacity": 12, "location": "Hall", **overrides}


def test_session_with_unqualified_instructor_is_refused_entirely(course, staff_user):
    unqualified = UserFactory(role="instructor")
    with pytest.raises(ApplicationError) as exc:
        services.session_create(actor=staff_user, instructors=[unqualified], **session_kwargs(course))
    assert exc.value.code == "instructor_not_qualified"
    assert not course.sessions.exists()


def test_expired_designation_does_not_qualify_for_a_later_session(course, staff_user, instructor_user):
    designate(instructor_user, course, days_ago=100, valid_until=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ApplicationError):
        services.session_create(actor=staff_user, instructors=[instructor_user], **session_kwargs(course))


def test_session_created_with_qualified_instructor_and_audited(course, staff_user, qualified_instructor):
    session = services.session_create(actor=staff_user, instructors=[qualified_instructor], **session_kwargs(course))
    assert list(session.instructors.all()) == [qualified_instructor]
    assert AuditEvent.objects.filter(action="session.created", target_id=str(session.pk)).exists()
    assert AuditEvent.objects.filter(action="session.instructor_assigned").count() == 1


@pytest.mark.parametrize(("overrides", "field"), [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"mode": "virtual", "meeting_url": ""}, "non_field_errors"),
    ({"capacity": 0}, "capacity"),
])
def test_invalid_sessions_are_refused(course, staff_user, overrides, field):
    with pytest.raises(ApplicationError) as exc:
        services.session_create(actor=staff_user, **session_kwargs(course, **overrides))
    assert field in exc.value.fields
    assert not course.sessions.exists()


def test_session_mode_must_be_offered_by_the_course(staff_user):
    in_person_only = CourseFactory(offered_virtual=False)
    with pytest.raises(ApplicationError) as exc:
        services.session_create(actor=staff_user, **session_kwargs(in_person_only, mode="virtual",
                                                                   meeting_url="https://x.example.org"))
    assert "mode" in exc.value.fields


# --- catalogue ----------------------------------------------------------------------------------------------

def test_course_create_is_audited_and_trainer_course_must_name_its_target(staff_user):
    course = services.course_create(actor=staff_user, code="X-1", title="X", ce_hours=Decimal("5"))
    assert AuditEvent.objects.filter(action="course.created", target_id=str(course.pk)).exists()
    with pytest.raises(ApplicationError):
        services.course_create(actor=staff_user, code="X-2", title="Y", ce_hours=Decimal("5"),
                               kind=CourseKind.TRAIN_THE_TRAINER)
    trainer = services.course_create(actor=staff_user, code="X-T", title="T", ce_hours=Decimal("5"),
                                     kind=CourseKind.TRAIN_THE_TRAINER, qualifies_for=course)
    assert trainer.qualifies_for == course


def test_accreditation_set_upserts_and_checks_hours(course, staff_user):
    mapping = services.accreditation_set(course=course, state="tx", actor=staff_user, accepted=True)
    assert (mapping.state, mapping.hours_accepted) == ("TX", course.ce_hours)
    services.accreditation_set(course=course, state="TX", actor=staff_user, accepted=False)
    mapping.refresh_from_db()
    assert (mapping.accepted, mapping.hours_accepted) == (False, 0)
    with pytest.raises(ApplicationError):
        services.accreditation_set(course=course, state="TX", actor=staff_user, accepted=True,
                                   hours_accepted=Decimal("9"))
    with pytest.raises(ApplicationError):
        services.accreditation_set(course=course, state="TX", actor=staff_user, accepted=False,
                                   hours_accepted=Decimal("2"))
    assert AuditEvent.objects.filter(action="course.accreditation_set").count() == 2


def test_instructor_designation_is_audited(course, staff_user, instructor_user):
    services.instructor_designate(user=instructor_user, course=course, actor=staff_user)
    assert instructor_is_qualified(user_id=instructor_user.pk, course_id=course.pk, on=timezone.localdate())
    assert AuditEvent.objects.filter(action="instructor_qualification.designated").exists()


def test_assigning_the_same_instructor_twice_is_a_conflict(upcoming, qualified_instructor, staff_user):
    with pytest.raises(ApplicationError) as exc:
        services.session_instructor_assign(session=upcoming, user=qualified_instructor, actor=staff_user)
    assert exc.value.status_code == 409
