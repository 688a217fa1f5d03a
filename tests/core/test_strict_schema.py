"""What the fuzzing pass changed: the API refuses what its schema forbids, and the schema states what validation
requires (enums, list bounds, decimal patterns, id filters that never reveal which rows exist)."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import OfficerFactory
from training.apis import ACCEPTED_HOURS_PATTERN, CE_HOURS_PATTERN

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


# --- JSON bodies: booleans and integers are JSON booleans and integers --------------------------------------------

@pytest.mark.parametrize("value", [0, 1, "true", None])
def test_a_json_boolean_must_be_a_boolean(staff_client, value):
    response = staff_client.post("/api/v1/training/courses/", {
        "code": "X-1", "title": "X", "ce_hours": "8", "is_active": value}, format="json")
    assert response.status_code == 400, response.json()
    assert "is_active" in response.json()["fields"]


@pytest.mark.parametrize("value", ["5", 5.0, True])
def test_a_json_integer_must_be_an_integer(staff_client, value):
    response = staff_client.post("/api/v1/agencies/", {"name": "X", "state": "CA", "sworn_headcount": value},
                                 format="json")
    assert response.status_code == 400
    assert "sworn_headcount" in response.json()["fields"]


def test_json_booleans_and_integers_still_work(staff_client):
    response = staff_client.post("/api/v1/agencies/", {"name": "X", "state": "CA", "sworn_headcount": 5},
                                 format="json")
    assert response.status_code == 201, response.json()


# --- decimals: a string matching the published pattern --------------------------------------------------------

@pytest.mark.parametrize("value, ok", [
    ("8", True), ("0.25", True), ("0.3", True), ("99.99", True), ("100", True), ("100.00", True),
    ("0.2", False), ("0", False), ("100.01", False), ("", False), ("-1", False), ("1.", False), ("1.234", False),
    ("1e1", False), (" 8", False),
])
def test_ce_hours_pattern_states_the_range(value, ok):
    assert bool(re.fullmatch(CE_HOURS_PATTERN, value)) is ok


@pytest.mark.parametrize("value, ok", [("0", True), ("100", True), ("8.5", True), ("101", False), ("", False)])
def test_accepted_hours_pattern_states_the_range(value, ok):
    assert bool(re.fullmatch(ACCEPTED_HOURS_PATTERN, value)) is ok


def test_a_nullable_decimal_is_not_read_from_an_empty_string(staff_client):
    from tests.support.builders import peace_officer_course

    course = peace_officer_course()
    response = staff_client.put(f"/api/v1/training/courses/{course.pk}/accreditations/CA/",
                                {"accepted": False, "hours_accepted": ""}, format="json")
    assert response.status_code == 400
    assert "hours_accepted" in response.json()["fields"]


@pytest.mark.parametrize("value", ["", "0.1", 8, "8.001"])
def test_ce_hours_outside_the_pattern_are_refused(staff_client, value):
    response = staff_client.post("/api/v1/training/courses/", {"code": "X-1", "title": "X", "ce_hours": value},
                                 format="json")
    assert response.status_code == 400
    assert "ce_hours" in response.json()["fields"]


def test_decimal_pattern_is_published(schema):
    course = schema["components"]["schemas"]["TrainingCourseRequest"]["properties"]["ce_hours"]
    assert course["pattern"] == CE_HOURS_PATTERN


# --- query strings ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["null", "1", "yes", "True"])
def test_boolean_filters_take_only_true_or_false(staff_client, value):
    response = staff_client.get(f"/api/v1/training/courses/?is_active={value}")
    assert response.status_code == 400
    assert "is_active" in response.json()["fields"]


def test_boolean_filter_still_filters(staff_client):
    assert staff_client.get("/api/v1/training/courses/?is_active=false").status_code == 200
    assert staff_client.get("/api/v1/coaching/coaches/?active=true").status_code == 200


def test_a_foreign_key_filter_is_a_plain_number(admin_a_client, agency_b):
    # No existence check: an unknown or foreign agency gives an empty page, never a 400 that reveals it.
    OfficerFactory(agency=agency_b)
    for url in (f"/api/v1/certification/findings/?agency={agency_b.pk}",
                "/api/v1/certification/findings/?agency=999999", "/api/v1/evaluations/cycles/?agency=999999",
                "/api/v1/training/completions/?course=999999"):
        response = admin_a_client.get(url)
        assert response.status_code == 200, (url, response.json())
        assert response.json()["results"] == []
    assert admin_a_client.get("/api/v1/evaluations/cycles/?agency=0").status_code == 400


def test_empty_typed_query_parameters_are_refused(staff_client):
    officer = OfficerFactory()
    response = staff_client.get(f"/api/v1/training/officers/{officer.pk}/transcript/?to=")
    assert response.status_code == 400
    assert "to" in response.json()["fields"]
    assert staff_client.get(f"/api/v1/training/officers/{officer.pk}/transcript/?to=2025-01-01").status_code == 200


def test_accreditation_state_is_an_upper_case_code(staff_client):
    from tests.support.builders import peace_officer_course

    course = peace_officer_course()
    body = {"accepted": True, "hours_accepted": "8"}
    assert staff_client.put(f"/api/v1/training/courses/{course.pk}/accreditations/ca/", body,
                            format="json").status_code == 400
    assert staff_client.put(f"/api/v1/training/courses/{course.pk}/accreditations/CA/", body,
                            format="json").status_code == 200


# --- the schema states what validation requires ---------------------------------------------------------------

def test_choice_fields_publish_their_values(schema):
    determine = schema["components"]["schemas"]["FindingDetermineInputRequest"]["properties"]["determination"]
    assert determine["allOf"][0]["enum"] == ["sustained", "not_sustained", "exonerated", "unfounded"]


def test_list_bounds_are_published(schema):
    competencies = schema["components"]["schemas"]["EvaluationInstrumentUpdateRequest"]["properties"]["competencies"]
    assert competencies["minItems"] == 1
    officer_ids = schema["components"]["schemas"]["TrainingEnrollInputRequest"]["properties"]["officer_ids"]
    assert officer_ids["minItems"] == 1


def test_nullable_people_and_plaque_are_documented(schema):
    finding = schema["components"]["schemas"]["FindingOutput"]["properties"]
    assert finding["determined_by"]["nullable"] and finding["verified_by"]["nullable"]
    assert schema["components"]["schemas"]["AgencyCertificationOutput"]["properties"]["plaque"]["nullable"]


def test_coach_update_has_no_user_and_refuses_one(staff_client, schema):
    assert "user" not in schema["components"]["schemas"]["PatchedCoachProfileUpdateRequest"]["properties"]
    from tests.coaching.factories import CoachProfileFactory

    profile = CoachProfileFactory()
    response = staff_client.patch(f"/api/v1/coaching/coaches/{profile.pk}/", {"user": profile.user_id + 1000},
                                  format="json")
    assert response.status_code == 400
    assert "user" in response.json()["fields"]


def test_feedback_body_is_checked_before_the_link(anon_client):
    # A malformed body is a 400 whatever the link: the token is not even looked up.
    response = anon_client.put("/api/v1/feedback/no-such-token/", {"comments": {"1": 5}}, format="json")
    assert response.status_code == 400
    assert anon_client.put("/api/v1/feedback/no-such-token/", {}, format="json").status_code == 404


def test_trimmed_text_documents_a_non_space_character(schema):
    name = schema["components"]["schemas"]["AgencyInputRequest"]["properties"]["name"]
    assert re.search(name["pattern"], " a ") and not re.search(name["pattern"], " \n ")
    assert not re.search(name["pattern"], "a\x00")
    q = next(p for p in schema["paths"]["/api/v1/public/officers/"]["get"]["parameters"] if p["name"] == "q")["schema"]
    assert re.search(q["pattern"], " a b ") and not re.search(q["pattern"], " a ")
    # A blank allowed: "" matches exactly one branch of the oneOf drf-spectacular makes.
    county = schema["components"]["schemas"]["AgencyInputRequest"]["properties"]["county"]["oneOf"]
    assert not re.search(county[0]["pattern"], "") and county[1]["maxLength"] == 0
    assert re.search(county[0]["pattern"], " x ") and not re.search(county[0]["pattern"], "\x00")
    # A slug keeps its own pattern.
    code = schema["components"]["schemas"]["CertificationRequirementInputRequest"]["properties"]["code"]
    assert code["pattern"] == "^[-a-zA-Z0-9_]+$"
