from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from training.models import (
    Course,
    CourseKind,
    CourseStateAccreditation,
    InstructorQualification,
    QualificationSource,
    SessionInstructor,
    TrainingSession,
)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"C-{n:03d}")
    title = factory.Sequence(lambda n: f"Course {n}")
    ce_hours = Decimal("8.00")
    offered_in_person = True
    offered_virtual = True
    kind = CourseKind.STANDARD


class TrainerCourseFactory(CourseFactory):
    kind = CourseKind.TRAIN_THE_TRAINER
    qualifies_for = factory.SubFactory(CourseFactory)
    ce_hours = Decimal("16.00")


class AccreditationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseStateAccreditation

    course = factory.SubFactory(CourseFactory)
    state = "CA"
    accepted = True
    hours_accepted = Decimal("8.00")
    state_course_number = factory.Sequence(lambda n: f"ST-{n}")


class SessionFactory(factory.django.DjangoModelFactory):
    """A session that starts tomorrow by default; pass starts_at for another time."""

    class Meta:
        model = TrainingSession

    course = factory.SubFactory(CourseFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(hours=8))
    time_zone = "America/Los_Angeles"
    mode = "in_person"
    location = "Training room"
    capacity = 10


def started_session(**kwargs) -> TrainingSession:
    start = timezone.now() - timedelta(hours=1)
    return SessionFactory(starts_at=start, ends_at=start + timedelta(hours=8), **kwargs)


def designate(user, course, *, days_ago=30, valid_until=None) -> InstructorQualification:
    return InstructorQualification.objects.create(
        user=user, course=course, source=QualificationSource.DESIGNATED,
        valid_from=timezone.localdate() - timedelta(days=days_ago), valid_until=valid_until)


def assign(session, user) -> SessionInstructor:
    return SessionInstructor.objects.create(session=session, user=user)
