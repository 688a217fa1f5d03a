import factory

from agencies.models import Agency, Officer, Role, User

TEST_PASSWORD = "correct-horse-battery-staple"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Test Police Department {n}")
    state = "CA"
    county = "Test County"
    agency_type = "police"
    sworn_headcount = 10


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer

    agency = factory.SubFactory(AgencyFactory)
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    state = factory.SelfAttribute("agency.state")
    license_number = factory.Sequence(lambda n: f"LIC-{n:06d}")
    rank = "Officer"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.NONE
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy passes the instance
        if create:
            obj.save(update_fields=["password"])
