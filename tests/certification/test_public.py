"""The public registry: no login, limited fields, one query per request, throttled; and its HTML pages."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import Officer
from certification import services
from certification.models import AgencyCertification
from tests.factories import AgencyFactory, OfficerFactory
from tests.support.builders import certified_agency, certify_officer, revoke_officer

pytestmark = pytest.mark.django_db
PUBLIC = "/api/v1/public"


@pytest.fixture
def maria(agency_a):
    return OfficerFactory(agency=agency_a, first_name="Maria", last_name="Alvarez", license_number="CA-100201")


def test_officer_lookup_by_name_licence_or_agency(anon_client, maria, staff_user, agency_a):
    certification = certify_officer(maria, staff_user)
    for q in ("maria alv", "CA-100201", "Agency A Pol"):
        response = anon_client.get(f"{PUBLIC}/officers/", {"q": q})
        assert response.status_code == 200
        rows = [r for r in response.json()["results"] if r["license_number"] == "CA-100201"]
        assert rows == [{"name": "Maria Alvarez", "license_number": "CA-100201", "state": "CA",
                         "agency": agency_a.name, "certification_status": "active",
                         "cycle_start": str(certification.cycle_start), "valid_until": str(certification.valid_until),
                         "revoked_on": None, "revocation_category": None}]


def test_revoked_officer_shows_date_and_category_but_never_the_finding(anon_client, maria, staff_user, staff2):
    certify_officer(maria, staff_user)
    revoke_officer(maria, staff_user, staff2)
    response = anon_client.get(f"{PUBLIC}/officers/", {"q": "Alvarez"})
    row = response.json()["results"][0]
    assert row["certification_status"] == "revoked"
    assert row["revoked_on"] == str(timezone.localdate())
    assert row["revocation_category"] == "sustained_excessive_force_finding"
    for secret in ("SECRET-DETAIL", "EVIDENCE-REF", "RESPONSE-TEXT", "REASON-TEXT", "staff2"):
        assert secret not in response.content.decode()


def test_search_is_paginated_with_a_bounded_page_and_says_when_more_follow(anon_client, agency_a):
    for i in range(51):
        OfficerFactory(agency=agency_a, last_name=f"Same{i:02d}")
    # Only the public part of the roster is searchable (certified or permanently ineligible officers).
    Officer.objects.update(permanently_ineligible_at=timezone.now())
    body = anon_client.get(f"{PUBLIC}/officers/", {"q": "Same"}).json()
    assert len(body["results"]) == 50 and body["truncated"] is True and body["page"] == 1
    second = anon_client.get(f"{PUBLIC}/officers/", {"q": "Same", "page": 2}).json()
    assert [r["name"] for r in second["results"]] == [f"{Officer.objects.order_by('-last_name').first().full_name}"]
    assert second["truncated"] is False
    too_big = anon_client.get(f"{PUBLIC}/officers/", {"q": "Same", "page_size": 500})
    assert too_big.status_code == 400 and "page_size" in too_big.json()["fields"]


@pytest.mark.parametrize("params", [{}, {"q": "x"}, {"q": "x" * 101}])
def test_search_needs_a_sensible_query(anon_client, params):
    response = anon_client.get(f"{PUBLIC}/officers/", params)
    assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_agency_lookup_and_certificate_verification(anon_client, agency_a, programme, staff_user):
    certification = certified_agency(agency_a, programme, staff_user)
    rows = anon_client.get(f"{PUBLIC}/agencies/", {"q": "Agency A"}).json()["results"]
    assert rows[0]["certification_status"] == "issued"
    assert rows[0]["certificate_number"] == certification.certificate_number
    code = certification.certificate_number
    verified = anon_client.get(f"{PUBLIC}/agency-certificates/{code.lower().replace('-', '')}/")
    assert verified.status_code == 200
    assert verified.json()["valid"] is True and verified.json()["agency"] == agency_a.name
    services.agency_certification_revoke(actor=staff_user, certification=certification, reason="x")
    after = anon_client.get(f"{PUBLIC}/agency-certificates/{code}/").json()
    assert (after["valid"], after["status"]) == (False, "revoked")
    assert anon_client.get(f"{PUBLIC}/agency-certificates/0000-0000-0000-0000-0000/").status_code == 404


def test_certificate_past_its_date_is_not_valid_before_the_sweep(anon_client, agency_a, programme, staff_user):
    certification = certified_agency(agency_a, programme, staff_user)
    AgencyCertification.objects.filter(pk=certification.pk).update(
        valid_from=timezone.localdate() - timedelta(days=800), valid_until=timezone.localdate() - timedelta(days=1))
    body = anon_client.get(f"{PUBLIC}/agency-certificates/{certification.certificate_number}/").json()
    assert (body["valid"], body["status"]) == (False, "expired")


def test_eligibility_answers_yes_no_with_a_reason_category(anon_client, maria, staff_user, staff2, agency_a):
    def check(state, licence):
        response = anon_client.get(f"{PUBLIC}/eligibility/", {"state": state, "licence": licence})
        assert response.status_code == 200
        return response.json()["eligible"], response.json()["reason"]

    assert check("CA", "CA-100201") == (False, "unknown")
    assert check("CA", "NOPE") == (False, "unknown")
    certification = certify_officer(maria, staff_user)
    assert check("CA", "CA-100201") == (True, "active")
    assert check("OH", "CA-100201") == (False, "unknown")  # licences are per state
    from certification.models import OfficerCertification

    OfficerCertification.objects.filter(pk=certification.pk).update(
        cycle_start=timezone.localdate() - timedelta(days=400), valid_until=timezone.localdate() - timedelta(days=2))
    assert check("CA", "CA-100201") == (False, "lapsed")
    revoke_officer(maria, staff_user, staff2)
    assert check("CA", "CA-100201") == (False, "revoked")
    assert anon_client.get(f"{PUBLIC}/eligibility/", {"state": "ZZ", "licence": "x"}).status_code == 400


def test_metrics(anon_client, agency_a, agency_b, programme, staff_user, staff2):
    certified_agency(agency_a, programme, staff_user)
    officers = [OfficerFactory(agency=agency_b) for _ in range(3)]
    for officer in officers:
        certify_officer(officer, staff_user)
    revoke_officer(officers[0], staff_user, staff2)
    Officer.objects.filter(pk=officers[1].pk).update(permanently_ineligible_at=timezone.now() - timedelta(days=800))
    body = anon_client.get(f"{PUBLIC}/metrics/").json()
    this_year = timezone.now().year
    years = {str(this_year): 1, str((timezone.now() - timedelta(days=800)).year): 1}
    assert body == {"certified_agencies": 1, "active_officers": 2, "revocations_per_year": dict(sorted(
        years.items())), "ineligible_per_year": {}}


def test_revocations_csv_in_decertification_index_shape(anon_client, maria, staff_user, staff2, agency_a, agency_b):
    certify_officer(maria, staff_user)
    revoke_officer(maria, staff_user, staff2)
    from agencies.services import officer_transfer

    officer_transfer(officer=maria, to_agency=agency_b, actor=staff_user)  # the index keeps the acting agency
    hostile = OfficerFactory(agency=agency_a, first_name="=HYPERLINK(1)", last_name="X")
    revoke_officer(hostile, staff_user, staff2)
    response = anon_client.get(f"{PUBLIC}/revocations.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["officer_name", "license_number", "state", "agency", "action", "action_date",
                             "current_license_number", "current_state"]
    assert rows[0] == {"officer_name": "Maria Alvarez", "license_number": "CA-100201", "state": "CA",
                       "agency": agency_a.name, "action": "certification_revoked",
                       "action_date": str(timezone.localdate()), "current_license_number": "CA-100201",
                       "current_state": "CA"}
    assert rows[1]["officer_name"].startswith("'=")


@pytest.mark.parametrize("path,params", [
    ("/officers/", {"q": "Alvarez"}), ("/agencies/", {"q": "Agency"}), ("/eligibility/", {"state": "CA",
                                                                                        "licence": "CA-100201"}),
    ("/metrics/", {}), ("/revocations.csv", {}), ("/agency-certificates/{code}/", {}),
])
def test_public_endpoints_are_one_query_whatever_the_data(anon_client, django_assert_num_queries, maria,
                                                          staff_user, staff2, programme, agency_a, path, params):
    certification = certified_agency(agency_a, programme, staff_user)
    for i in range(5):
        officer = OfficerFactory(agency=agency_a, last_name=f"Alvarez{i}")
        certify_officer(officer, staff_user)
        if i % 2:
            revoke_officer(officer, staff_user, staff2)
    for _ in range(3):
        certified_agency(AgencyFactory(name=f"Agency Z{_}"), programme, staff_user)
    with django_assert_num_queries(1):
        response = anon_client.get(PUBLIC + path.format(code=certification.certificate_number), params)
    assert response.status_code == 200


def test_public_registry_is_throttled_per_address(anon_client, settings, db):
    settings.PUBLIC_REGISTRY_REQUESTS_PER_MINUTE = 3
    codes = [anon_client.get(f"{PUBLIC}/metrics/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert anon_client.get(f"{PUBLIC}/metrics/").json()["code"] == "too_many_requests"


def test_registry_pages(client, maria, staff_user, staff2, agency_a, programme):
    certification = certified_agency(agency_a, programme, staff_user)
    certify_officer(maria, staff_user)
    revoke_officer(maria, staff_user, staff2)
    page = client.get("/registry/", {"q": "Alvarez"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Maria Alvarez" in html and "revoked" in html and "SECRET-DETAIL" not in html
    verify = client.get(f"/registry/agencies/{certification.certificate_number}/")
    assert verify.status_code == 200 and "Genuine and current" in verify.content.decode()
    assert client.get("/registry/agencies/NOPE/").status_code == 404
