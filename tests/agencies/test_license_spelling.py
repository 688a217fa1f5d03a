"""A licence is compared by its key (upper case, without hyphens, spaces, dots, slashes, underscores): respelling a
decertified licence ("ca 100-201" for "CA-100201") does not make it a new one, anywhere."""

import pytest
from django.db import connection
from django.utils import timezone

from agencies.models import LICENSE_KEY_SEPARATORS, Officer, OfficerLicense, license_key
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db
SPELLINGS = ["ca 100-201", "CA100201", "ca.100.201", "CA/100_201", "Ca-100201"]


@pytest.fixture
def decertified(agency_a):
    officer = OfficerFactory(agency=agency_a, state="CA", license_number="CA-100201", first_name="Maria",
                             last_name="Alvarez")
    Officer.objects.filter(pk=officer.pk).update(permanently_ineligible_at=timezone.now())
    return officer


def test_python_and_database_agree_on_what_a_licence_key_is(agency_a):
    # Licence numbers are ASCII in practice; SQLite's upper() folds ASCII only, so the samples stay ASCII.
    samples = ["CA-100201", "b 7-7", "a.b/c_d e-f", "Zz-42", "x" * 50]
    officers = [OfficerFactory(agency=agency_a, state="CA", license_number=s) for s in samples]
    stored = dict(OfficerLicense.objects.filter(officer__in=officers).values_list("license_number", "license_key"))
    assert stored == {s: license_key(s) for s in samples}
    assert set(LICENSE_KEY_SEPARATORS) == {"-", " ", ".", "/", "_"}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_respelled_decertified_licence_is_refused_at_create(decertified, admin_a_client, spelling):
    response = admin_a_client.post("/api/v1/officers/", {"first_name": "Someone", "last_name": "Else",
                                                         "state": "CA", "license_number": spelling}, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "license_decertified" and "license_number" in response.json()["fields"]
    assert Officer.objects.count() == 1


def test_a_respelled_licence_in_a_roster_is_refused_and_nothing_is_written(decertified, admin_b_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # Agency B (Ohio) imports a California licence: a respelling of another agency's decertified officer's.
    body = "license_number,first_name,last_name,state\nca 100-201,Someone,Else,CA\nOH-9,New,Person,OH\n"
    response = admin_b_client.post("/api/v1/officers/import/",
                                   {"file": SimpleUploadedFile("r.csv", body.encode(), "text/csv")}, format="multipart")
    assert response.status_code == 409 and response.json()["code"] == "license_decertified"
    assert "rows.2.license_number" in response.json()["fields"]
    assert Officer.objects.count() == 1


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_public_answers_match_any_spelling_of_a_held_licence(decertified, anon_client, spelling):
    answer = anon_client.get("/api/v1/public/eligibility/", {"state": "CA", "licence": spelling}).json()
    assert (answer["eligible"], answer["reason"]) == (False, "ineligible")
    found = anon_client.get("/api/v1/public/officers/", {"q": spelling}).json()["results"]
    assert [r["name"] for r in found] == ["Maria Alvarez"]


def test_the_database_refuses_a_respelled_licence_from_any_client(decertified, agency_b):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Officer.objects.create(agency=agency_b, first_name="X", last_name="Y", state="CA", license_number="ca100201")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM agencies_officer")
        assert cursor.fetchone()[0] == 1
