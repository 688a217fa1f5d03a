"""The public site's world: a certified agency, an active, a lapsed and a revoked officer, a never-certified one
(not public), and a reviewer's open 360 invitation. Built through the services, never by writing rows by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from certification import services
from certification.models import OfficerCertification
from tests.certification.conftest import programme, staff2  # noqa: F401 - fixtures used here
from tests.factories import AgencyFactory, OfficerFactory
from tests.support.builders import certified_agency, certify_officer, revoke_officer


@pytest.fixture
def registry_world(db, staff_user, staff2, programme):  # noqa: F811 - pytest fixtures by name
    agency = AgencyFactory(name="Riverside Police Department", state="CA", county="Riverside")
    certificate = certified_agency(agency, programme, staff_user)
    maria = OfficerFactory(agency=agency, first_name="Maria", last_name="Alvarez", license_number="CA-100201")
    certify_officer(maria, staff_user)
    james = OfficerFactory(agency=agency, first_name="James", last_name="Okafor", license_number="CA-100202")
    certify_officer(james, staff_user)
    revoke_officer(james, staff_user, staff2)
    lena = OfficerFactory(agency=agency, first_name="Lena", last_name="Brandt", license_number="CA-100203")
    certify_officer(lena, staff_user)
    # Lapsed: her cycle is moved a year back (ending yesterday), then the daily sweep lapses it.
    today = timezone.localdate()
    OfficerCertification.objects.filter(officer=lena).update(cycle_start=today - timedelta(days=366),
                                                              valid_until=today - timedelta(days=1))
    services.officer_certifications_lapse_due()
    hidden = OfficerFactory(agency=agency, first_name="Nora", last_name="Private", license_number="CA-100299")
    return {"agency": agency, "certificate": certificate, "maria": maria, "james": james, "lena": lena,
            "hidden": hidden}
