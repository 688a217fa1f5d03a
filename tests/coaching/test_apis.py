"""Coaching over HTTP with real tokens: who sees what, matching, confirmation, acceptance, the private notes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coaching.models import Agreement, AgreementStatus, CoachingSession, CoachProfile, NeedsAssessment
from core.models import AuditEvent
from tests.conftest import jwt_client
from tests.factories import AgencyFactory

from .factories import AgreementFactory, CoacheeFactory, CoachProfileFactory, NeedsAssessmentFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/coaching"


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def today_plus(days):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- coaches ----------------------------------------------------------------------------------------------


def test_agency_admin_lists_active_coaches_with_public_fields_only(admin_a_client, coach_profile):
    inactive = CoachProfileFactory(active=False)
    response = admin_a_client.get(f"{BASE}/coaches/")
    assert ids(response) == {coach_profile.pk}
    row = response.json()["results"][0]
    assert row["name"] == "Morgan Reyes" and row["expertise_areas"]
    assert not {"capacity", "places_taken", "active", "user", "former_agency"} & set(row)
    assert admin_a_client.get(f"{BASE}/coaches/{inactive.pk}/").status_code == 404


def test_coach_sees_only_their_own_profile(coach_client, coach_profile):
    other = CoachProfileFactory()
    assert ids(coach_client.get(f"{BASE}/coaches/")) == {coach_profile.pk}
    assert coach_client.get(f"{BASE}/coaches/{other.pk}/").status_code == 404
    assert coach_client.patch(f"{BASE}/coaches/{other.pk}/", {"bio": "x"}, format="json").status_code == 404


def test_coach_edits_own_profile(coach_client, coach_profile):
    response = coach_client.patch(f"{BASE}/coaches/{coach_profile.pk}/",
                                  {"capacity": 4, "languages": ["en", "vi"], "states": ["CA", "NV"]}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["capacity"], response.json()["languages"]) == (4, ["en", "vi"])
    refused = coach_client.patch(f"{BASE}/coaches/{coach_profile.pk}/", {"active": False}, format="json")
    assert refused.status_code == 403
    coach_profile.refresh_from_db()
    assert coach_profile.active


def test_staff_create_a_coach_profile(staff_client, coach_user, agency_b):
    body = {"user": coach_user.pk, "years_in_leadership": 18, "highest_rank": "Chief of Police",
            "former_agency": agency_b.pk, "expertise_areas": ["crisis_management", "labour_relations"],
            "states": ["OH"], "languages": ["en"], "capacity": 2}
    response = staff_client.post(f"{BASE}/coaches/", body, format="json")
    assert response.status_code == 201, response.content
    profile = CoachProfile.objects.get(user=coach_user)
    assert profile.former_agency == agency_b and profile.former_agency_name == agency_b.name
    assert response.json()["places_taken"] == 0


@pytest.mark.parametrize("body", [
    {"years_in_leadership": 5, "highest_rank": "Sgt", "expertise_areas": ["karate"]},
    {"years_in_leadership": 5, "highest_rank": "Sgt", "states": ["ZZ"]},
    {"years_in_leadership": 5, "highest_rank": "Sgt", "languages": ["English"]},
    {"years_in_leadership": -1, "highest_rank": "Sgt"},
    {"years_in_leadership": 5, "highest_rank": "Sgt", "capacity": 99},
    {"highest_rank": "Sgt"},
])
def test_bad_coach_profile_is_400_and_writes_nothing(coach_client, body):
    response = coach_client.post(f"{BASE}/coaches/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and response.json()["fields"]
    assert not CoachProfile.objects.exists()


def test_admin_cannot_create_coach_profiles(admin_a_client, coach_user):
    response = admin_a_client.post(f"{BASE}/coaches/", {"user": coach_user.pk, "years_in_leadership": 1,
                                                        "highest_rank": "Sgt"}, format="json")
    assert response.status_code == 403


# --- coachees and needs assessments -----------------------------------------------------------------------


def test_agency_admin_requests_coaching_for_an_officer(admin_a_client, officer_a, coach_profile):
    coachee = admin_a_client.post(f"{BASE}/coachees/", {"coachee_type": "police_leader", "officer": officer_a.pk,
                                                        "title": "Lieutenant"}, format="json")
    assert coachee.status_code == 201, coachee.content
    assert coachee.json()["first_name"] == officer_a.first_name
    body = {"coachee": coachee.json()["id"], "priorities": {"leadership": 3, "budgeting": 1},
            "goals": "Prepare for captain.", "languages": ["en"], "states": ["CA"], "conflicts": [coach_profile.pk]}
    response = admin_a_client.post(f"{BASE}/needs-assessments/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["priorities"] == {"budgeting": 1, "leadership": 3}
    assert data["conflicts"] == [coach_profile.pk] and data["status"] == "open"
    assert AuditEvent.objects.filter(action="needs_assessment.created", target_id=str(data["id"])).exists()


def test_admin_cannot_create_a_coachee_in_another_agency(admin_a_client, agency_b, officer_b):
    response = admin_a_client.post(f"{BASE}/coachees/", {"coachee_type": "city_manager", "agency": agency_b.pk,
                                                         "first_name": "A", "last_name": "B"}, format="json")
    assert response.status_code == 400 and "agency" in response.json()["fields"]
    response = admin_a_client.post(f"{BASE}/coachees/", {"coachee_type": "police_leader", "officer": officer_b.pk},
                                   format="json")
    assert response.status_code == 400 and "officer" in response.json()["fields"]


@pytest.mark.parametrize("body", [
    {"priorities": {"leadership": 4}},
    {"priorities": {"karate": 1}},
    {"priorities": {"leadership": "high"}},
    {"languages": []},
    {"states": ["California"]},
    {"conflicts": [987654]},
    {"priorities": ["leadership"]},
])
def test_bad_needs_assessment_is_400_and_writes_nothing(admin_a_client, coachee_a, body):
    response = admin_a_client.post(f"{BASE}/needs-assessments/", {"coachee": coachee_a.pk, **body}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert not NeedsAssessment.objects.exists() and not AuditEvent.objects.exists()


def test_needs_assessments_are_isolated_between_agencies(admin_a_client, admin_b_client, assessment_a, agency_b):
    NeedsAssessmentFactory(coachee=CoacheeFactory(agency=agency_b))
    assert ids(admin_a_client.get(f"{BASE}/needs-assessments/")) == {assessment_a.pk}
    for path in ("", "matches/"):
        foreign = admin_b_client.get(f"{BASE}/needs-assessments/{assessment_a.pk}/{path}")
        missing = admin_b_client.get(f"{BASE}/needs-assessments/999999/{path}")
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json() == missing.json()
    assert admin_b_client.patch(f"{BASE}/needs-assessments/{assessment_a.pk}/", {"goals": "x"},
                                format="json").status_code == 404
    assert admin_b_client.post(f"{BASE}/coachees/", {"coachee_type": "police_leader"}, format="json"
                               ).status_code == 400  # needs names: nothing written either way


def test_coaches_cannot_see_needs_assessments(coach_client, assessment_a):
    assert coach_client.get(f"{BASE}/needs-assessments/").status_code == 403
    assert coach_client.get(f"{BASE}/needs-assessments/{assessment_a.pk}/matches/").status_code == 403


# --- matching ---------------------------------------------------------------------------------------------


def test_matches_are_ranked_explained_and_exclude_the_ineligible(admin_a_client, assessment_a, coach_profile,
                                                                 agency_a):
    weaker = CoachProfileFactory(expertise_areas=["budgeting"], years_in_leadership=5)
    own_agency = CoachProfileFactory(former_agency=agency_a, expertise_areas=["leadership", "de_escalation"])
    conflicted = CoachProfileFactory(expertise_areas=["leadership", "de_escalation"])
    full = CoachProfileFactory(capacity=1)
    AgreementFactory(coach=full)
    CoachProfileFactory(active=False)
    assessment_a.conflicts.add(conflicted)
    response = admin_a_client.get(f"{BASE}/needs-assessments/{assessment_a.pk}/matches/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["coach"] for r in results] == [coach_profile.pk, weaker.pk]
    assert {own_agency.pk, conflicted.pk, full.pk}.isdisjoint(r["coach"] for r in results)
    best = results[0]
    assert [f["name"] for f in best["factors"]] == ["needs_expertise", "region", "experience", "language"]
    assert best["score"] == pytest.approx(sum(f["points"] for f in best["factors"]), abs=0.02)
    assert best["matched_areas"] == ["leadership", "de_escalation"]


@pytest.mark.parametrize("limit", ["0", "51", "abc"])
def test_bad_limit_is_400(admin_a_client, assessment_a, limit):
    response = admin_a_client.get(f"{BASE}/needs-assessments/{assessment_a.pk}/matches/?limit={limit}")
    assert response.status_code == 400 and "limit" in response.json()["fields"]


def test_limit_caps_the_suggestions(staff_client, assessment_a):
    for _ in range(4):
        CoachProfileFactory()
    response = staff_client.get(f"{BASE}/needs-assessments/{assessment_a.pk}/matches/?limit=2")
    assert len(response.json()["results"]) == 2


def test_cohort_matching_respects_capacity_and_lists_the_unmatched(staff_client, agency_a, staff_user):
    coach_one = CoachProfileFactory(capacity=1, expertise_areas=["leadership"])
    coach_two = CoachProfileFactory(capacity=1, expertise_areas=["budgeting"])
    cohort = [NeedsAssessmentFactory(priorities={"leadership": 3}),
              NeedsAssessmentFactory(priorities={"leadership": 3, "budgeting": 3}),
              NeedsAssessmentFactory(priorities={"budgeting": 1})]
    lonely = NeedsAssessmentFactory(languages=["fr"])
    closed = NeedsAssessmentFactory(status="withdrawn")
    body = {"needs_assessment_ids": [a.pk for a in cohort] + [lonely.pk, closed.pk]}
    response = staff_client.post(f"{BASE}/cohort-matches/", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assigned = {row["needs_assessment"]: row["coach"] for row in data["matched"]}
    assert sorted(assigned.values()) == sorted([coach_one.pk, coach_two.pk])
    assert data["total_score"] == pytest.approx(sum(row["score"] for row in data["matched"]), abs=0.05)
    reasons = {row["needs_assessment"]: row["reason"] for row in data["unmatched"]}
    assert reasons[lonely.pk] == "no_eligible_coach" and reasons[closed.pk] == "not_open"
    assert len(reasons) == 3 and list(reasons.values()).count("capacity_taken") == 1
    assert not Agreement.objects.exists()  # matching only suggests


def test_cohort_matching_is_staff_only_and_validates_ids(staff_client, admin_a_client, assessment_a):
    assert admin_a_client.post(f"{BASE}/cohort-matches/", {"needs_assessment_ids": [assessment_a.pk]},
                               format="json").status_code == 403
    for body in ({"needs_assessment_ids": []}, {"needs_assessment_ids": [999999]}, {"needs_assessment_ids": "1"},
                 {}):
        response = staff_client.post(f"{BASE}/cohort-matches/", body, format="json")
        assert response.status_code == 400 and "needs_assessment_ids" in response.json()["fields"]


# --- confirmation, acceptance, agreements -----------------------------------------------------------------


def confirm(client, assessment, coach, **extra):
    return client.post(f"{BASE}/needs-assessments/{assessment.pk}/confirm/",
                       {"coach": coach.pk, "start_date": today_plus(0), "end_date": today_plus(120), **extra},
                       format="json")


def test_staff_confirm_then_both_parties_accept(staff_client, admin_a_client, coach_client, assessment_a,
                                                coach_profile):
    response = confirm(staff_client, assessment_a, coach_profile, cadence="weekly")
    assert response.status_code == 201, response.content
    agreement = response.json()
    assert agreement["status"] == "proposed" and agreement["cadence"] == "weekly"
    first = coach_client.post(f"{BASE}/agreements/{agreement['id']}/accept/")
    assert first.status_code == 200 and first.json()["status"] == "proposed"
    second = admin_a_client.post(f"{BASE}/agreements/{agreement['id']}/accept/")
    assert second.status_code == 200 and second.json()["status"] == "active"
    assert Agreement.objects.get(pk=agreement["id"]).status == AgreementStatus.ACTIVE


def test_confirm_refuses_bad_dates_and_ineligible_coaches(staff_client, admin_a_client, assessment_a, coach_profile,
                                                          agency_a):
    too_short = staff_client.post(f"{BASE}/needs-assessments/{assessment_a.pk}/confirm/", {
        "coach": coach_profile.pk, "start_date": today_plus(0), "end_date": today_plus(30)}, format="json")
    assert too_short.status_code == 400 and too_short.json()["code"] == "invalid_agreement_length"
    assert confirm(admin_a_client, assessment_a, coach_profile).status_code == 403
    unknown = staff_client.post(f"{BASE}/needs-assessments/{assessment_a.pk}/confirm/", {
        "coach": 999999, "start_date": today_plus(0), "end_date": today_plus(120)}, format="json")
    assert unknown.status_code == 400 and "coach" in unknown.json()["fields"]
    conflicted = CoachProfileFactory(former_agency=agency_a)
    refused = confirm(staff_client, assessment_a, conflicted)
    assert refused.status_code == 409 and refused.json()["code"] == "coach_not_eligible"
    assert not Agreement.objects.exists()


def test_confirm_at_capacity_is_409(staff_client, assessment_a, coach_profile):
    coach_profile.capacity = 0
    coach_profile.save(update_fields=["capacity"])
    response = confirm(staff_client, assessment_a, coach_profile)
    assert response.status_code == 409 and response.json()["code"] == "coach_at_capacity"


def test_agreement_visibility_by_role(staff_client, admin_a_client, admin_b_client, coach_client, coach_profile,
                                      agency_a):
    mine = AgreementFactory(coach=coach_profile, coachee=CoacheeFactory(agency=agency_a))
    other = AgreementFactory()
    assert ids(coach_client.get(f"{BASE}/agreements/")) == {mine.pk}
    assert ids(admin_a_client.get(f"{BASE}/agreements/")) == {mine.pk}
    assert ids(admin_b_client.get(f"{BASE}/agreements/")) == set()
    assert ids(staff_client.get(f"{BASE}/agreements/")) == {mine.pk, other.pk}
    assert admin_b_client.get(f"{BASE}/agreements/{mine.pk}/").status_code == 404
    assert coach_client.get(f"{BASE}/agreements/{other.pk}/").status_code == 404
    assert admin_b_client.post(f"{BASE}/agreements/{mine.pk}/accept/").status_code == 404


def test_terminate_and_complete_over_http(staff_client, admin_a_client, coach_client, assessment_a, coach_profile):
    agreement_id = confirm(staff_client, assessment_a, coach_profile).json()["id"]
    no_reason = admin_a_client.post(f"{BASE}/agreements/{agreement_id}/terminate/", {}, format="json")
    assert no_reason.status_code == 400
    coach_client.post(f"{BASE}/agreements/{agreement_id}/accept/")
    admin_a_client.post(f"{BASE}/agreements/{agreement_id}/accept/")
    bad = coach_client.post(f"{BASE}/agreements/{agreement_id}/complete/", {"rating": 9}, format="json")
    assert bad.status_code == 400
    done = coach_client.post(f"{BASE}/agreements/{agreement_id}/complete/", {"rating": 4}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    rated = admin_a_client.post(f"{BASE}/agreements/{agreement_id}/outcome/", {"rating": 5}, format="json")
    assert (rated.json()["coach_outcome_rating"], rated.json()["sponsor_outcome_rating"]) == (4, 5)
    again = admin_a_client.post(f"{BASE}/agreements/{agreement_id}/outcome/", {"rating": 5}, format="json")
    assert again.status_code == 409
    late = admin_a_client.post(f"{BASE}/agreements/{agreement_id}/terminate/", {"reason": "x"}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "invalid_transition"


# --- the session log and its private notes ----------------------------------------------------------------


@pytest.fixture
def active_agreement(coach_profile, agency_a):
    now = timezone.now()
    return AgreementFactory(coach=coach_profile, coachee=CoacheeFactory(agency=agency_a),
                            status=AgreementStatus.ACTIVE, coach_accepted_at=now, sponsor_accepted_at=now)


def test_private_notes_are_readable_only_by_the_coach(coach_client, admin_a_client, staff_client, active_agreement):
    path = f"{BASE}/agreements/{active_agreement.pk}/sessions/"
    created = coach_client.post(path, {"held_on": today_plus(0), "duration_minutes": 50,
                                       "topics": ["Town hall after a shooting"],
                                       "private_notes": "Afraid of the union vote."}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["private_notes"] == "Afraid of the union vote."
    assert coach_client.get(path).json()["results"][0]["private_notes"] == "Afraid of the union vote."
    for client in (admin_a_client, staff_client):
        response = client.get(path)
        assert response.status_code == 200
        [row] = response.json()["results"]
        assert row["topics"] == ["Town hall after a shooting"] and row["duration_minutes"] == 50
        assert "private_notes" not in row
        assert b"union vote" not in response.content


def test_only_the_coach_logs_sessions_and_bad_input_is_400(coach_client, admin_a_client, admin_b_client,
                                                          active_agreement):
    path = f"{BASE}/agreements/{active_agreement.pk}/sessions/"
    assert admin_a_client.post(path, {"held_on": today_plus(0), "duration_minutes": 50},
                               format="json").status_code == 403
    assert admin_b_client.get(path).status_code == 404
    for body in ({"held_on": today_plus(0), "duration_minutes": 2}, {"held_on": "yesterday", "duration_minutes": 30},
                 {"held_on": today_plus(3), "duration_minutes": 30}):
        assert coach_client.post(path, body, format="json").status_code == 400
    assert not CoachingSession.objects.exists()


# --- query counts -----------------------------------------------------------------------------------------


def _count(client, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/coaches/", "/coachees/", "/needs-assessments/", "/agreements/"])
def test_list_query_count_does_not_grow_with_length(staff_client, path):
    def add_one():
        coachee = CoacheeFactory(agency=AgencyFactory())
        coach = CoachProfileFactory()
        assessment = NeedsAssessmentFactory(coachee=coachee, priorities={"leadership": 2, "budgeting": 1},
                                            conflicts=[coach])
        AgreementFactory(coach=coach, coachee=coachee, needs_assessment=assessment)

    add_one()
    one = _count(staff_client, f"{BASE}{path}?page_size=100")
    for _ in range(25):
        add_one()
    assert _count(staff_client, f"{BASE}{path}?page_size=100") == one


def test_session_list_query_count_does_not_grow(coach_client, active_agreement):
    path = f"{BASE}/agreements/{active_agreement.pk}/sessions/?page_size=100"
    CoachingSession.objects.create(agreement=active_agreement, held_on=active_agreement.start_date,
                                   duration_minutes=30)
    one = _count(coach_client, path)
    CoachingSession.objects.bulk_create([CoachingSession(agreement=active_agreement,
                                                         held_on=active_agreement.start_date, duration_minutes=30)
                                         for _ in range(25)])
    assert _count(coach_client, path) == one


def test_matches_query_count_does_not_grow_with_coaches(staff_client, assessment_a):
    CoachProfileFactory()
    path = f"{BASE}/needs-assessments/{assessment_a.pk}/matches/?limit=50"
    one = _count(staff_client, path)
    for _ in range(25):
        AgreementFactory(coach=CoachProfileFactory())
    assert _count(staff_client, path) == one


def test_anonymous_is_401(anon_client):
    assert anon_client.get(f"{BASE}/coaches/").status_code == 401


def test_instructor_sees_no_coaching_data(instructor_user, coach_profile):
    client = jwt_client(instructor_user)
    assert ids(client.get(f"{BASE}/coaches/")) == set()
    assert ids(client.get(f"{BASE}/agreements/")) == set()
    assert client.get(f"{BASE}/coachees/").status_code == 403
