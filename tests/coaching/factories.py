from datetime import timedelta

import factory
from django.utils import timezone

from agencies.models import Role
from coaching.models import (
    Agreement,
    AgreementStatus,
    Coachee,
    CoacheeType,
    CoachProfile,
    NeedPriority,
    NeedsAssessment,
)
from tests.factories import AgencyFactory, UserFactory


class CoachProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachProfile

    user = factory.SubFactory(UserFactory, role=Role.COACH, first_name=factory.Sequence(lambda n: f"Coach{n}"),
                              last_name="Example")
    years_in_leadership = 15
    highest_rank = "Captain"
    former_agency = None
    former_agency_name = "Elsewhere Police Department"
    expertise_areas = factory.LazyFunction(lambda: ["leadership", "de_escalation"])
    states = factory.LazyFunction(lambda: ["CA"])
    languages = factory.LazyFunction(lambda: ["en"])
    capacity = 3
    active = True


class CoacheeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coachee

    coachee_type = CoacheeType.POLICE_LEADER
    agency = factory.SubFactory(AgencyFactory)
    first_name = factory.Sequence(lambda n: f"Leader{n}")
    last_name = "Example"
    title = "Lieutenant"


class NeedsAssessmentFactory(factory.django.DjangoModelFactory):
    """`priorities={"leadership": 3}` creates the priority rows."""

    class Meta:
        model = NeedsAssessment
        skip_postgeneration_save = True

    coachee = factory.SubFactory(CoacheeFactory)
    goals = "Lead the department through a consent decree."
    languages = factory.LazyFunction(lambda: ["en"])
    states = factory.LazyFunction(list)
    remote_only = False
    created_by = factory.SubFactory(UserFactory, role=Role.CERTIFICATION_STAFF)

    @factory.post_generation
    def priorities(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy passes the instance
        if create:
            for area, value in (extracted if extracted is not None else {"leadership": 3}).items():
                NeedPriority.objects.create(assessment=obj, area=area, priority=value)

    @factory.post_generation
    def conflicts(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.conflicts.set(extracted)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    coach = factory.SubFactory(CoachProfileFactory)
    coachee = factory.SubFactory(CoacheeFactory)
    sponsor_agency = factory.SelfAttribute("coachee.agency")
    start_date = factory.LazyFunction(timezone.localdate)
    end_date = factory.LazyAttribute(lambda a: a.start_date + timedelta(days=120))
    confidentiality_terms = "Confidential."
    status = AgreementStatus.PROPOSED
    proposed_by = factory.SubFactory(UserFactory, role=Role.CERTIFICATION_STAFF)
