"""Evaluations over HTTP with real JWTs: access rules, agency isolation, the feedback API, reports and PDFs."""

import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from core.models import AuditEvent
from evaluations import services
from evaluations.models import Cycle, FeedbackResponse, Instrument, Invitation
from tests.factories import OfficerFactory

from .factories import answers_all, cycle_make, invite, respond, token_set

pytestmark = pytest.mark.django_db
BASE = "/api/v1/evaluations"


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def _cycle_body(officer, **extra):
    now = timezone.now()
    return {"subject": officer.pk, "target_position": "Captain", "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(), **extra}


def test_agency_admin_creates_a_cycle_for_their_own_officer(admin_a_client, subject_a, agency_a):
    response = admin_a_client.post(f"{BASE}/cycles/", _cycle_body(subject_a), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["agency"] == {"id": agency_a.pk, "name": agency_a.name} and body["status"] == "draft"
    assert body["minimums"]["peer"] == 3 and body["timeline"] == []
    assert Cycle.objects.filter(pk=body["id"], subject=subject_a).exists()


def test_agency_admin_cannot_run_a_cycle_for_another_agencys_officer(admin_a_client, officer_b, agency_b):
    before = AuditEvent.objects.count()
    response = admin_a_client.post(f"{BASE}/cycles/", _cycle_body(officer_b), format="json")
    assert response.status_code == 400 and "subject" in response.json()["fields"]
    response = admin_a_client.post(f"{BASE}/cycles/", _cycle_body(officer_b, agency=agency_b.pk), format="json")
    assert response.status_code == 400
    assert not Cycle.objects.exists() and AuditEvent.objects.count() == before


@pytest.mark.parametrize("body", [
    {"target_position": ""}, {"opens_at": "yesterday"}, {"minimums": {"peer": 1}}, {"minimums": {"peer": "x"}},
    {"instrument": 999999}, {"subject": "abc"},
])
def test_bad_cycle_input_is_a_400_and_writes_nothing(staff_client, subject_a, body):
    response = staff_client.post(f"{BASE}/cycles/", {**_cycle_body(subject_a), **body}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}
    assert not Cycle.objects.exists()


def test_cycle_list_and_detail_are_isolated_per_agency(admin_a_client, admin_b_client, staff_client, subject_a,
                                                       officer_b):
    mine = cycle_make(subject=subject_a)
    theirs = cycle_make(subject=officer_b)
    assert ids(admin_a_client.get(f"{BASE}/cycles/")) == {mine.pk}
    assert ids(staff_client.get(f"{BASE}/cycles/")) == {mine.pk, theirs.pk}
    foreign = admin_a_client.get(f"{BASE}/cycles/{theirs.pk}/")
    missing = admin_a_client.get(f"{BASE}/cycles/999999/")
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    for path in ("invitations/", "report/", "report.pdf"):
        assert admin_b_client.get(f"{BASE}/cycles/{mine.pk}/{path}").status_code == 404
    assert admin_b_client.post(f"{BASE}/cycles/{mine.pk}/invitations/", {
        "rater_name": "X", "rater_email": "x@example.org", "relationship": "peer"}, format="json").status_code == 404
    assert admin_b_client.post(f"{BASE}/cycles/{mine.pk}/close/").status_code == 404
    assert not Invitation.objects.exists()


def test_instructors_and_coaches_see_no_cycles(instructor_client, coach_client):
    assert instructor_client.get(f"{BASE}/cycles/").status_code == 403
    assert coach_client.get(f"{BASE}/instruments/").status_code == 403


def test_cycle_list_query_count_is_constant(staff_client, agency_a):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(f"{BASE}/cycles/?page_size=100").status_code == 200
        return len(ctx.captured_queries)

    cycle = cycle_make(subject=OfficerFactory(agency=agency_a))
    invite(cycle, "peer", 2)
    one = count()
    for _ in range(25):
        invite(cycle_make(subject=OfficerFactory(agency=agency_a)), "peer", 2)
    assert count() == one


def test_invitation_and_instrument_list_query_counts_are_constant(staff_client, draft_cycle):
    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(path).status_code == 200
        return len(ctx.captured_queries)

    invite(draft_cycle, "peer")
    one = count(f"{BASE}/cycles/{draft_cycle.pk}/invitations/?page_size=100")
    invite(draft_cycle, "peer", 25)
    assert count(f"{BASE}/cycles/{draft_cycle.pk}/invitations/?page_size=100") == one
    one = count(f"{BASE}/instruments/?page_size=100")
    for n in range(5):
        services.instrument_create(actor="t", key=f"i{n}", title="I", questions=[{"text": "Q"}],
                                   competencies=[{"key": "leadership", "items": ["a", "b"]}])
    assert count(f"{BASE}/instruments/?page_size=100") == one


def test_invitations_show_who_answered_never_what(admin_a_client, open_cycle_a):
    respond(open_cycle_a, "peer", 1, score=5, comment="Very kind")
    response = admin_a_client.get(f"{BASE}/cycles/{open_cycle_a.pk}/invitations/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["relationship"]: r["submitted"] for r in rows} == {"self": False, "peer": True}
    assert "Very kind" not in response.content.decode() and "draft" not in rows[0]


def test_invitation_input_is_validated(admin_a_client, draft_cycle):
    url = f"{BASE}/cycles/{draft_cycle.pk}/invitations/"
    for body in ({"rater_name": "A", "rater_email": "not-an-email", "relationship": "peer"},
                 {"rater_name": "A", "rater_email": "a@example.org", "relationship": "friend"}):
        assert admin_a_client.post(url, body, format="json").status_code == 400
    assert admin_a_client.post(url, {"rater_name": "A", "rater_email": "a@example.org", "relationship": "peer"},
                               format="json").status_code == 201
    assert admin_a_client.post(url, {"rater_name": "A", "rater_email": "A@example.org", "relationship": "peer"},
                               format="json").json()["code"] == "already_invited"
    assert draft_cycle.invitations.count() == 1


def test_only_staff_edit_instruments_and_editing_a_used_one_answers_201(admin_a_client, staff_client, draft_cycle):
    body = {"title": "Edited", "competencies": [{"key": "leadership", "items": ["Sets direction"]}],
            "questions": [{"text": "Anything else?"}]}
    url = f"{BASE}/instruments/{draft_cycle.instrument_id}/"
    assert admin_a_client.get(url).status_code == 200
    assert admin_a_client.put(url, body, format="json").status_code == 403
    response = staff_client.put(url, body, format="json")
    assert response.status_code == 201 and response.json()["version"] == 2 and response.json()["frozen"] is False
    assert Instrument.objects.filter(key=draft_cycle.instrument.key).count() == 2


# --- feedback API ------------------------------------------------------------------------------------------------

def test_feedback_get_put_post_through_the_link(anon_client, open_cycle_a):
    invitation = invite(open_cycle_a, "peer")[0]
    token = token_set(invitation)
    url = f"/api/v1/feedback/{token}/"
    form = anon_client.get(url)
    assert form.status_code == 200
    body = form.json()
    assert body["subject"] == open_cycle_a.subject.full_name and body["relationship"] == "peer"
    assert len(body["competencies"]) == 9 and body["draft"] is None
    item = str(body["competencies"][0]["items"][0]["id"])
    saved = anon_client.put(url, {"scores": {item: 4}}, format="json")
    assert saved.status_code == 200 and saved.json()["draft"]["scores"] == {item: 4}
    incomplete = anon_client.post(url, {}, format="json")
    assert incomplete.status_code == 400 and len(incomplete.json()["fields"]) == 26
    assert not FeedbackResponse.objects.exists()
    answers = answers_all(open_cycle_a, score="not_observed")
    done = anon_client.post(url, answers, format="json")
    assert done.status_code == 201
    again = anon_client.post(url, answers, format="json")
    assert again.status_code == 409 and again.json()["code"] == "feedback_already_submitted"
    assert anon_client.get(url).status_code == 409
    assert Invitation.objects.filter(held_answers__isnull=False).count() == 1  # held until the cycle closes


@pytest.mark.parametrize("body", [{"scores": {"999999": 3}}, {"scores": {"abc": 3}}, {"scores": []},
                                  {"comments": {"999999": "x"}}, "not json"])
def test_bad_feedback_input_is_400_and_nothing_is_saved(anon_client, open_cycle_a, body):
    invitation = invite(open_cycle_a, "peer")[0]
    token = token_set(invitation)
    response = anon_client.put(f"/api/v1/feedback/{token}/", body, format="json")
    assert response.status_code == 400 and set(response.json()) == {"code", "message", "fields"}
    invitation.refresh_from_db()
    assert invitation.draft is None


def test_feedback_errors_for_unknown_expired_and_rate_limited_links(anon_client, open_cycle_a, settings):
    settings.EVALUATION_TOKEN_GUESSES_PER_ADDRESS = 2
    token = token_set(invite(open_cycle_a, "peer")[0])
    assert anon_client.get("/api/v1/feedback/unknown-1/").json()["code"] == "feedback_link_unknown"
    assert anon_client.get("/api/v1/feedback/unknown-2/").status_code == 404
    limited = anon_client.get("/api/v1/feedback/unknown-3/")
    assert limited.status_code == 429 and limited.json()["code"] == "too_many_requests"
    services.cycle_close(cycle=open_cycle_a, actor="test")
    expired = anon_client.get(f"/api/v1/feedback/{token}/", REMOTE_ADDR="10.0.0.9")
    assert expired.status_code == 410 and expired.json()["code"] == "feedback_link_expired"


def test_feedback_api_ignores_credentials(admin_a_client, open_cycle_a):
    token = token_set(invite(open_cycle_a, "peer")[0])
    admin_a_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    assert admin_a_client.get(f"/api/v1/feedback/{token}/").status_code == 200


# --- report and release ----------------------------------------------------------------------------------------

def _ready(cycle, run_pipeline):
    # Five comments in all: the model is asked from EVALUATION_LLM_MIN_COMMENTS (5).
    services.feedback_submit(invitation=cycle.invitations.get(relationship="self"),
                             **answers_all(cycle, score=5, comment="I keep calm"))
    respond(cycle, "supervisor", score=4, comment="Honest and reliable")
    respond(cycle, "peer", 3, score=4, comment="Calm in a crisis")
    return run_pipeline(cycle)


def test_cycle_detail_shows_the_timeline_and_the_72_hour_promise(admin_a_client, open_cycle_a, run_pipeline):
    cycle = _ready(open_cycle_a, run_pipeline)
    body = admin_a_client.get(f"{BASE}/cycles/{cycle.pk}/").json()
    assert [s["step"] for s in body["timeline"]] == ["aggregate", "summarise", "render", "notify"]
    assert all(s["started_at"] and s["finished_at"] for s in body["timeline"])
    assert body["report_promise"]["hours"] == 72 and body["report_promise"]["met"] is True
    assert body["invitations_total"] == 5 and body["invitations_submitted"] == 5


def test_late_report_is_shown_as_a_broken_promise(admin_a_client, open_cycle_a):
    services.cycle_close(cycle=open_cycle_a, actor="test")
    Cycle.objects.filter(pk=open_cycle_a.pk).update(closed_at=timezone.now() - timedelta(hours=73))
    body = admin_a_client.get(f"{BASE}/cycles/{open_cycle_a.pk}/").json()
    assert body["report_promise"]["met"] is False and body["status"] == "closed"


def test_agency_sees_the_report_only_after_staff_release(admin_a_client, staff_client, staff_user, open_cycle_a,
                                                         run_pipeline):
    cycle = _ready(open_cycle_a, run_pipeline)
    url = f"{BASE}/cycles/{cycle.pk}/report/"
    assert admin_a_client.get(url).status_code == 404
    assert admin_a_client.get(f"{BASE}/cycles/{cycle.pk}/report.pdf").status_code == 404
    staff_view = staff_client.get(url)
    assert staff_view.status_code == 200 and staff_view.json()["released_by"] is None
    assert admin_a_client.post(f"{url}release/", {}, format="json").status_code == 403
    override = staff_client.post(f"{url}release/", {"band": "development_needed"}, format="json")
    computed = staff_view.json()["band"]["computed"]
    if computed != "development_needed":
        assert override.status_code == 400 and override.json()["code"] == "override_reason_required"
    released = staff_client.post(f"{url}release/", {}, format="json")
    assert released.status_code == 200
    body = admin_a_client.get(url).json()
    assert body["band"] == {"computed": computed, "final": computed, "override_reason": ""}
    assert body["released_by"] == (staff_user.get_full_name() or staff_user.username)
    assert "advisory" in body["notice"].lower() and body["provenance"]["summariser"] == "builtin"
    assert staff_client.post(f"{url}release/", {}, format="json").status_code == 409
    text = json.dumps(body)
    for invitation in cycle.invitations.all():
        assert invitation.rater_name not in text and invitation.rater_email not in text


def test_report_pdf_states_advisory_and_ai_use(admin_a_client, staff_client, open_cycle_a, run_pipeline,
                                               llm_server):
    from .test_llm import ok

    llm_server.script = [ok()]
    cycle = _ready(open_cycle_a, run_pipeline)
    staff_client.post(f"{BASE}/cycles/{cycle.pk}/report/release/", {}, format="json")
    response = admin_a_client.get(f"{BASE}/cycles/{cycle.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "AI-assisted, advisory" in text and "decision rests with the agency" in text
    assert cycle.subject.full_name in text and "Reviewed and released by" in text
    assert "Calm in a crisis" in text or "Honest and reliable" in text

