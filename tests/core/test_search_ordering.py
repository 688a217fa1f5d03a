"""Finding the work (issue #14): `?search=` and `?ordering=` on the lists people search, and the filters for what
needs action (certificates expiring or lapsing, findings past their response date)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification.models import (
    AgencyCertification,
    AgencyCertificationStatus,
    CertificationProgramme,
    Finding,
    FindingSource,
    FindingStatus,
    OfficerCertification,
    OfficerCertificationStatus,
)
from tests.factories import AgencyFactory, OfficerFactory
from tests.training.factories import CourseFactory, SessionFactory

pytestmark = pytest.mark.django_db

V = "/api/v1"
# Every list people search: (path, one allowed ordering name).
SEARCHABLE_LISTS = [
    (f"{V}/agencies/", "name"),
    (f"{V}/officers/", "name"),
    (f"{V}/training/courses/", "code"),
    (f"{V}/training/sessions/", "starts_at"),
    (f"{V}/certification/agency-certifications/", "valid_until"),
    (f"{V}/certification/officer-certifications/", "valid_until"),
    (f"{V}/certification/findings/", "recorded_at"),
    (f"{V}/evaluations/cycles/", "opens_at"),
]


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- search --------------------------------------------------------------------------------------------------


def test_officer_search_matches_name_licence_and_agency_name_with_every_word(staff_client, agency_a, agency_b):
    grace = OfficerFactory(agency=agency_a, first_name="Grace", last_name="Okafor", license_number="CA-55102")
    OfficerFactory(agency=agency_a, first_name="Grace", last_name="Hopper")
    ohio = OfficerFactory(agency=agency_b, first_name="Tom", last_name="Okafor")

    assert set(ids(staff_client.get(f"{V}/officers/", {"search": "okafor"}))) == {grace.pk, ohio.pk}
    assert ids(staff_client.get(f"{V}/officers/", {"search": "grace okafor"})) == [grace.pk]
    assert ids(staff_client.get(f"{V}/officers/", {"search": "55102"})) == [grace.pk]
    assert ids(staff_client.get(f"{V}/officers/", {"search": "sheriff okafor"})) == [ohio.pk]


def test_search_never_reaches_another_agencys_rows(admin_b_client, agency_a, agency_b):
    OfficerFactory(agency=agency_a, last_name="Okafor")
    assert ids(admin_b_client.get(f"{V}/officers/", {"search": "okafor"})) == []
    assert ids(admin_b_client.get(f"{V}/officers/", {"search": agency_a.name})) == []


def test_course_search_matches_code_or_title(staff_client):
    de_escalation = CourseFactory(code="QX-201", title="Quokka de-escalation lab")
    CourseFactory(code="QX-101", title="Quokka foundations")
    assert ids(staff_client.get(f"{V}/training/courses/", {"search": "quokka escalation"})) == [de_escalation.pk]
    assert ids(staff_client.get(f"{V}/training/courses/", {"search": "qx-201"})) == [de_escalation.pk]


def test_agency_certification_search_finds_the_certificate_number(staff_client, agency_a, agency_b):
    programme = CertificationProgramme.objects.create(code="peace-agency", name="Peace Agency")
    mine = _issued(agency_a, programme, valid_until=date(2027, 5, 1), number="PC-2026-0042")
    _issued(agency_b, programme, valid_until=date(2027, 5, 1), number="PC-2026-0077")
    response = staff_client.get(f"{V}/certification/agency-certifications/", {"search": "0042"})
    assert ids(response) == [mine.pk]


def test_search_text_too_long_is_a_400_naming_search_and_nul_is_ignored(staff_client, agency_a):
    officer = OfficerFactory(agency=agency_a, last_name="Okafor")
    refused = staff_client.get(f"{V}/officers/", {"search": "x" * 101})
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_error" and "search" in refused.json()["fields"]
    assert ids(staff_client.get(f"{V}/officers/", {"search": "oka\x00for"})) == [officer.pk]


# --- ordering ------------------------------------------------------------------------------------------------


def test_officers_order_by_name_either_way_and_by_several_fields(staff_client, agency_a, agency_b):
    adams = OfficerFactory(agency=agency_b, first_name="Zoe", last_name="Adams")
    baker_a = OfficerFactory(agency=agency_a, first_name="Anna", last_name="Baker")
    baker_z = OfficerFactory(agency=agency_a, first_name="Zack", last_name="Baker")

    assert ids(staff_client.get(f"{V}/officers/", {"ordering": "name"})) == [adams.pk, baker_a.pk, baker_z.pk]
    assert ids(staff_client.get(f"{V}/officers/", {"ordering": "-name"})) == [baker_z.pk, baker_a.pk, adams.pk]
    by_agency = ids(staff_client.get(f"{V}/officers/", {"ordering": "agency,-name"}))
    assert by_agency == [baker_z.pk, baker_a.pk, adams.pk]  # "Agency A Police" < "Agency B Sheriff"


def test_sessions_order_by_start_newest_first(staff_client):
    now = timezone.now()
    early = SessionFactory(starts_at=now + timedelta(days=2))
    late = SessionFactory(starts_at=now + timedelta(days=9))
    assert ids(staff_client.get(f"{V}/training/sessions/", {"ordering": "-starts_at"})) == [late.pk, early.pk]


@pytest.mark.parametrize("value", ["password", "-hire_date,email", "name;drop", "agency__name", ""])
def test_an_ordering_outside_the_allow_list_is_a_400_naming_ordering(staff_client, agency_a, value):
    response = staff_client.get(f"{V}/officers/", {"ordering": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["ordering"]
    assert "name, -name" in body["fields"]["ordering"][0]  # the message lists what is allowed


@pytest.mark.parametrize(("path", "ordering"), SEARCHABLE_LISTS)
def test_every_searched_list_accepts_search_and_its_ordering(staff_client, path, ordering):
    for query in ({"search": "peace"}, {"ordering": ordering}, {"ordering": f"-{ordering}"}):
        response = staff_client.get(path, query)
        assert response.status_code == 200, (query, response.content)
    assert staff_client.get(path, {"ordering": "nonsense"}).status_code == 400


@pytest.mark.parametrize(("path", "ordering"), SEARCHABLE_LISTS)
def test_the_schema_documents_search_fields_and_the_ordering_allow_list(staff_client, path, ordering):
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    assert "must match one of:" in parameters["search"]["description"]
    allowed = parameters["ordering"]["schema"]["items"]["enum"]
    assert ordering in allowed and f"-{ordering}" in allowed
    assert (parameters["ordering"]["style"], parameters["ordering"]["explode"]) == ("form", False)


def test_lists_without_search_neither_document_nor_accept_it(staff_client):
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    names = {p["name"] for p in schema["paths"][f"{V}/certification/ledger/"]["get"]["parameters"]}
    assert not names & {"search", "ordering"}
    assert staff_client.get(f"{V}/certification/ledger/", {"search": "x"}).status_code == 400


# --- what needs action ---------------------------------------------------------------------------------------


def _issued(agency, programme, *, valid_until, number, status=AgencyCertificationStatus.ISSUED):
    return AgencyCertification.objects.create(
        agency=agency, programme=programme, status=status, certificate_number=number, applied_at=timezone.now(),
        valid_from=valid_until - timedelta(days=730), valid_until=valid_until,
        **({"revoked_at": timezone.now(), "revocation_reason": "test"} if status == "revoked" else {}))


def test_agency_certifications_expiring_within_n_days(staff_client):
    today = timezone.localdate()
    made = {}
    for days in (0, 5, 25, 80, 200):
        programme = CertificationProgramme.objects.create(code=f"p{days}", name=f"Programme {days}")
        made[days] = _issued(AgencyFactory(), programme, valid_until=today + timedelta(days=days), number=f"N{days}")
    programme = CertificationProgramme.objects.create(code="gone", name="Revoked one")
    _issued(AgencyFactory(), programme, valid_until=today + timedelta(days=3), number="R1",
            status=AgencyCertificationStatus.REVOKED)

    def expiring(days):
        return set(ids(staff_client.get(f"{V}/certification/agency-certifications/", {"expiring_within": days})))

    assert expiring(7) == {made[0].pk, made[5].pk}
    assert expiring(30) == {made[0].pk, made[5].pk, made[25].pk}
    assert expiring(90) == {made[0].pk, made[5].pk, made[25].pk, made[80].pk}
    for bad in ("0", "soon", "", "3651"):
        response = staff_client.get(f"{V}/certification/agency-certifications/", {"expiring_within": bad})
        assert response.status_code == 400 and "expiring_within" in response.json()["fields"]


def test_expiring_certifications_of_another_agency_stay_hidden(admin_b_client, agency_a):
    programme = CertificationProgramme.objects.create(code="peace-agency", name="Peace Agency")
    _issued(agency_a, programme, valid_until=timezone.localdate() + timedelta(days=3), number="A1")
    response = admin_b_client.get(f"{V}/certification/agency-certifications/", {"expiring_within": 30})
    assert ids(response) == []


def test_officer_certifications_lapsing_within_n_days(staff_client, agency_a):
    today = timezone.localdate()

    def certification(days, status=OfficerCertificationStatus.ACTIVE):
        return OfficerCertification.objects.create(
            officer=OfficerFactory(agency=agency_a), status=status, cycle_start=today - timedelta(days=300),
            valid_until=today + timedelta(days=days), granted_at=timezone.now())

    soon, later = certification(10), certification(120)
    certification(5, status=OfficerCertificationStatus.LAPSED)
    response = staff_client.get(f"{V}/certification/officer-certifications/", {"lapsing_within": 30})
    assert ids(response) == [soon.pk]
    assert later.pk in ids(staff_client.get(f"{V}/certification/officer-certifications/", {"lapsing_within": 365}))


def test_findings_past_their_response_date_without_a_response(staff_client, staff_user, agency_a):
    today = timezone.localdate()

    def finding(status, due):
        officer = OfficerFactory(agency=agency_a)
        return Finding.objects.create(
            officer=officer, agency=agency_a, incident_date=today - timedelta(days=90), summary="Use of force",
            source=FindingSource.values[0], status=status, recorded_at=timezone.now(), recorded_by=staff_user,
            noticed_at=timezone.now() if due else None, response_due_on=due)

    overdue = finding(FindingStatus.NOTICED, today - timedelta(days=1))
    waiting = finding(FindingStatus.NOTICED, today)
    answered = finding(FindingStatus.RESPONDED, today - timedelta(days=10))
    recorded = finding(FindingStatus.RECORDED, None)

    url = f"{V}/certification/findings/"
    assert ids(staff_client.get(url, {"response_overdue": "true"})) == [overdue.pk]
    assert set(ids(staff_client.get(url, {"response_overdue": "false"}))) == {waiting.pk, answered.pk, recorded.pk}
    assert staff_client.get(url, {"response_overdue": "1"}).status_code == 400


def test_searching_and_ordering_keep_the_query_count_constant(staff_client, agency_a, agency_b,
                                                              django_assert_max_num_queries):
    query = {"search": "okafor", "ordering": "agency,-hire_date", "page_size": 100}
    OfficerFactory(agency=agency_a, last_name="Okafor")
    with CaptureQueriesContext(connection) as few:
        assert len(ids(staff_client.get(f"{V}/officers/", query))) == 1
    for i in range(30):
        OfficerFactory(agency=(agency_a, agency_b)[i % 2], last_name="Okafor")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(staff_client.get(f"{V}/officers/", query))) == 31
