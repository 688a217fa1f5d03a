import pytest

from agencies.demo_data import demo_data_load as agencies_demo_data_load
from certification.demo_data import demo_data_load
from certification.models import CertificationProgramme, ProgrammeRequirement
from core.models import AuditEvent


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_creates_a_second_staff_member():
    agencies_demo_data_load()
    first = demo_data_load()
    assert first == {"programmes": 1, "requirements": 7, "users": 1}
    counts = (CertificationProgramme.objects.count(), ProgrammeRequirement.objects.count(), AuditEvent.objects.count())
    assert demo_data_load() == {"programmes": 0, "requirements": 0, "users": 0}
    assert counts == (CertificationProgramme.objects.count(), ProgrammeRequirement.objects.count(),
                      AuditEvent.objects.count())
    from agencies.demo_data import DEMO_PASSWORD
    from agencies.models import User

    assert User.objects.get(username="staff2").check_password(DEMO_PASSWORD)
