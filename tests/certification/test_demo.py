import pytest

from agencies.models import User
from certification.models import CertificationProgramme, ProgrammeRequirement
from core.models import AuditEvent
from demo.data.agencies import DEMO_PASSWORD
from demo.data.agencies import demo_data_load as agencies_demo_data_load
from demo.data.certification import PROGRAMME_REQUIREMENTS, demo_data_load


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_creates_a_second_staff_member():
    agencies_demo_data_load()
    shipped = CertificationProgramme.objects.filter(code="peace-officer-agency").exists()  # a migration ships it
    first = demo_data_load()
    assert first == {"programmes": 0 if shipped else 1, "requirements": 0 if shipped else len(PROGRAMME_REQUIREMENTS),
                     "users": 1}
    assert CertificationProgramme.objects.filter(code="peace-officer-agency").count() == 1  # reused, never doubled
    counts = (CertificationProgramme.objects.count(), ProgrammeRequirement.objects.count(), AuditEvent.objects.count())
    assert demo_data_load() == {"programmes": 0, "requirements": 0, "users": 0}
    assert counts == (CertificationProgramme.objects.count(), ProgrammeRequirement.objects.count(),
                      AuditEvent.objects.count())
    assert User.objects.get(username="staff2").check_password(DEMO_PASSWORD)
