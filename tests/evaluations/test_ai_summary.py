"""The AI summary (issue #13): the strict schema, what the model may not say, what is stored when it fails, the
staff review step, the comment threshold, the overall deadline and a close that never waits for the model."""

import io
import json
import time

import pytest
from django.test.utils import override_settings
from pypdf import PdfReader

from core.models import AuditEvent
from evaluations import llm, services
from evaluations.models import Cycle, CycleStatus, Report
from evaluations.pdf import NOTICE_AI, NOTICE_EDITED, NOTICE_FAILED, NOTICE_REJECTED, NOTICE_TOO_FEW
from evaluations.summary import builtin_summarise, summary_json_schema

from .conftest import completion_body
from .factories import answers_all, respond
from .test_llm import GOOD, ok

pytestmark = pytest.mark.django_db
BASE = "/api/v1/evaluations"

EVIL_NARRATIVE = ("Ready now: promote immediately, the scores are wrong and should be ignored. "
                  "Details: http://evil.example.org/phish")


def _five_comments(cycle, *, peer_comment="Calm under pressure and honest"):
    services.feedback_submit(invitation=cycle.invitations.get(relationship="self"),
                             **answers_all(cycle, score=4, comment="I try to stay calm"))
    respond(cycle, "supervisor", score=4, comment="Reliable and honest")
    respond(cycle, "peer", 3, score=4, comment=peer_comment)
    return cycle


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _ledger_text(report) -> str:
    return json.dumps([e.data for e in AuditEvent.objects.filter(target_id=str(report.pk))], ensure_ascii=False) + \
        json.dumps([e.data for e in AuditEvent.objects.all()], ensure_ascii=False)


# --- the schema sent to the model -------------------------------------------------------------------------------

# OpenAI structured outputs, strict mode (documented "Supported schemas"): the root is an object (not anyOf); every
# object sets additionalProperties: false and lists every property in `required`; these keywords are refused.
STRICT_UNSUPPORTED = {"minLength", "maxLength", "pattern", "format", "minProperties", "maxProperties",
                      "patternProperties", "unevaluatedProperties", "propertyNames", "minItems", "maxItems",
                      "uniqueItems", "contains", "minContains", "maxContains", "unevaluatedItems", "allOf", "not",
                      "if", "then", "else", "dependentRequired", "dependentSchemas", "default", "oneOf"}
STRICT_ALLOWED = {"type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
                  "description", "$ref", "$defs", "title"}


def strict_mode_problems(schema: dict) -> list[str]:
    problems = []
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("root must be an object, not anyOf")
    counts = {"properties": 0, "enum_values": 0}

    def walk(node, path, depth):
        if not isinstance(node, dict):
            return
        if depth > 10:
            problems.append(f"{path}: nested deeper than 10 levels")
        for key in node:
            if key in STRICT_UNSUPPORTED:
                problems.append(f"{path}: '{key}' is not supported in strict mode")
            elif key not in STRICT_ALLOWED:
                problems.append(f"{path}: '{key}' is not a strict-mode keyword")
        if node.get("type") == "object" or "properties" in node:
            props = node.get("properties", {})
            counts["properties"] += len(props)
            if node.get("additionalProperties") is not False:
                problems.append(f"{path}: additionalProperties must be false")
            if sorted(node.get("required", [])) != sorted(props):
                problems.append(f"{path}: every property must be required")
            for name, child in props.items():
                walk(child, f"{path}.{name}", depth + 1)
        if "items" in node:
            walk(node["items"], f"{path}[]", depth + 1)
        if "enum" in node:
            counts["enum_values"] += len(node["enum"])
        for sub in node.get("anyOf", []):
            walk(sub, f"{path}|", depth + 1)
        for name, sub in node.get("$defs", {}).items():
            walk(sub, f"$defs.{name}", depth + 1)

    walk(schema, "$", 1)
    if counts["properties"] > 100:
        problems.append("more than 100 object properties in total")
    if counts["enum_values"] > 500:
        problems.append("more than 500 enum values in total")
    return problems


def test_the_checker_refuses_what_strict_mode_refuses():
    from evaluations.summary import SummaryOutput

    assert any("maxLength" in p for p in strict_mode_problems(SummaryOutput.model_json_schema()))
    assert strict_mode_problems({"type": "object", "properties": {"a": {"type": "string"}}}) == [
        "$: additionalProperties must be false", "$: every property must be required"]


def test_the_schema_sent_to_the_model_is_inside_the_strict_subset_with_max_tokens(open_cycle_a, run_pipeline,
                                                                                  llm_server):
    llm_server.script = [ok()]
    run_pipeline(_five_comments(open_cycle_a))
    request = llm_server.requests[0]
    response_format = request["response_format"]
    assert response_format["type"] == "json_schema" and response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert strict_mode_problems(schema) == []
    keys = [c.key for c in open_cycle_a.instrument.competencies.order_by("position")]
    assert schema["properties"]["strengths"]["items"]["properties"]["competency"]["enum"] == keys
    assert request["max_tokens"] == 1500


def test_lengths_are_checked_on_our_side_since_the_schema_cannot_carry_them(open_cycle_a, run_pipeline,
                                                                            llm_server):
    llm_server.script = [ok({**GOOD, "narrative": "Steady. " * 600})]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    assert cycle.report.summariser == "builtin" and "schema" in cycle.report.llm_error


def test_a_narrative_claiming_readiness_with_a_link_is_refused(open_cycle_a, run_pipeline, llm_server):
    llm_server.script = [ok({**GOOD, "narrative": EVIL_NARRATIVE})]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    report = cycle.report
    assert report.summariser == "builtin" and report.llm_error.startswith("rejected:")
    assert len(llm_server.requests) == llm.CONTENT_ATTEMPTS
    dumped = json.dumps(report.summary) + report.llm_error + _pdf_text(bytes(report.pdf))
    for words in ("promote immediately", "evil.example.org", "scores are wrong"):
        assert words not in dumped


@pytest.mark.parametrize(("narrative", "category"), [
    ("The candidate is ready now for the captain role.", "readiness_claim"),
    ("We recommend promotion without delay.", "readiness_claim"),
    ("The candidate is eligible and promotable.", "readiness_claim"),
    ("See www.example.com for the details.", "link"),
    ("As Officer Brooks put it, the team trusts her.", "personal_data"),
    ("Capt. Lee agrees.", "personal_data"),
])
def test_claims_links_and_names_in_the_model_answer_are_refused(open_cycle_a, run_pipeline, llm_server,
                                                               narrative, category):
    llm_server.script = [ok({**GOOD, "narrative": narrative})]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    assert cycle.report.summariser == "builtin" and category in cycle.report.llm_error


def test_a_rejected_answer_leaves_no_trace_of_its_text_in_the_report_or_the_ledger(open_cycle_a, run_pipeline,
                                                                                  llm_server):
    leaked = "Maria Alvarez at maria.alvarez@example.org, 555-201-7788, says ZEBRA-CANARY"
    llm_server.script = [{"status": 200, "body": completion_body(json.dumps({**GOOD, "narrative": leaked}))}]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    report = cycle.report
    assert report.summariser == "builtin"
    assert report.llm_error.startswith("rejected: answer rejected after 2 attempts: personal_data (")
    stored = report.llm_error + json.dumps(report.summary) + _ledger_text(report)
    for piece in ("ZEBRA-CANARY", "maria.alvarez@example.org", "555-201-7788"):
        assert piece not in stored


def test_a_server_error_message_is_not_stored_either(open_cycle_a, run_pipeline, llm_server):
    llm_server.script = [{"status": 400, "body": {"error": {"message": "bad request near ZEBRA-CANARY"}}}]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    assert cycle.report.llm_error == "failed: BadRequestError (HTTP 400)"
    assert "ZEBRA-CANARY" not in _ledger_text(cycle.report)


# --- what the report says ---------------------------------------------------------------------------------------

def test_the_notice_says_comments_were_sent_and_the_answer_rejected(open_cycle_a, run_pipeline, llm_server,
                                                                   staff_client):
    llm_server.script = [ok({**GOOD, "narrative": EVIL_NARRATIVE})]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    body = staff_client.get(f"{BASE}/cycles/{cycle.pk}/report/").json()
    assert body["notice"] == NOTICE_REJECTED and "no language model" not in body["notice"]
    assert body["provenance"]["fallback_category"] == "rejected" and body["provenance"]["sent_to_model"] is True
    assert "rejected by the automatic checks" in _pdf_text(bytes(cycle.report.pdf))


def test_below_the_comment_threshold_the_model_is_not_called_and_the_report_says_why(open_cycle_a, run_pipeline,
                                                                                    llm_server, staff_client):
    llm_server.script = [ok()]
    services.feedback_submit(invitation=open_cycle_a.invitations.get(relationship="self"),
                             **answers_all(open_cycle_a, score=4))
    respond(open_cycle_a, "supervisor", score=4, comment="Reliable")
    respond(open_cycle_a, "peer", 3, score=4, comment="Calm")  # 4 comments shown
    cycle = run_pipeline(open_cycle_a)
    assert llm_server.requests == []
    assert cycle.report.summariser == "builtin" and cycle.report.llm_error.startswith("too_few_comments: 4 ")
    body = staff_client.get(f"{BASE}/cycles/{cycle.pk}/report/").json()
    assert body["notice"] == NOTICE_TOO_FEW and body["provenance"]["sent_to_model"] is False


@override_settings(EVALUATION_LLM_MIN_COMMENTS=3)
def test_the_comment_threshold_is_a_setting(open_cycle_a, run_pipeline, llm_server):
    llm_server.script = [ok({**GOOD, "themes": [], "strengths": [{**GOOD["strengths"][0], "comment_ids": []}]})]
    services.feedback_submit(invitation=open_cycle_a.invitations.get(relationship="self"),
                             **answers_all(open_cycle_a, score=4))
    respond(open_cycle_a, "peer", 3, score=4, comment="Calm")
    respond(open_cycle_a, "supervisor", score=4)
    cycle = run_pipeline(open_cycle_a)
    assert cycle.report.summariser == "llm" and len(llm_server.requests) == 1


# --- a competency is never both a strength and a development area -----------------------------------------------

def test_the_builtin_summary_never_lists_a_development_area_as_a_strength(open_cycle_a, run_pipeline):
    # The first competency: others 3.5 on average (supervisor 4, peers 3, 3, 4), the candidate 5: a blind spot (a gap
    # of 1.5), so a development area by rule, although its others-mean alone would make it a strength.
    first = open_cycle_a.instrument.competencies.order_by("position").first()
    services.feedback_submit(invitation=open_cycle_a.invitations.get(relationship="self"),
                             **answers_all(open_cycle_a, score=lambda i: 5 if i.competency_id == first.pk else 4))
    respond(open_cycle_a, "supervisor", score=4)
    respond(open_cycle_a, "peer", 2, score=lambda i: 3 if i.competency_id == first.pk else 4)
    respond(open_cycle_a, "peer", 1, score=4)
    cycle = run_pipeline(open_cycle_a)
    report = cycle.report
    strengths = {p["competency"] for p in report.summary["strengths"]}
    areas = {p["competency"] for p in report.summary["development_areas"]} | set(report.development_areas)
    assert first.key in report.development_areas and first.key not in strengths
    assert strengths and not strengths & areas
    assert not {p["competency"] for p in builtin_summarise(report.content)["strengths"]} & set(
        report.development_areas)


def test_a_model_answer_naming_one_competency_both_ways_is_refused(open_cycle_a, run_pipeline, llm_server):
    both = {**GOOD, "development_areas": [{**GOOD["strengths"][0], "summary": "Needs work."}]}
    llm_server.script = [ok(both)]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    assert cycle.report.summariser == "builtin" and "strength_and_development_area" in cycle.report.llm_error


# --- a slow model never holds a request ---------------------------------------------------------------------------

@override_settings(LLM_OVERALL_DEADLINE_SECONDS=1.5)
def test_a_hung_model_falls_back_within_the_overall_deadline(open_cycle_a, run_pipeline, llm_server):
    llm_server.script = [{"status": 200, "body": completion_body(json.dumps(GOOD)), "delay": 8}]
    _five_comments(open_cycle_a)
    started = time.monotonic()
    cycle = run_pipeline(open_cycle_a)
    elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed  # one 1.5 s deadline around every retry (LLM_TIMEOUT_SECONDS is 5, retries 2)
    assert cycle.report.summariser == "builtin" and cycle.report.llm_error.startswith("deadline:")
    assert cycle.report.summary["narrative"]


# PostgreSQL only: the test database on SQLite is in-memory with a shared cache, where a read racing the pipeline
# thread's write fails at once ("table is locked") instead of waiting as a file database does under `make run`.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_closing_answers_at_once_while_the_model_hangs_and_the_timeline_shows_progress(admin_a_client,
                                                                                     open_cycle_a, llm_server):
    _five_comments(open_cycle_a)
    llm_server.script = [{"status": 200, "body": completion_body(json.dumps(GOOD)), "delay": 6}]
    with override_settings(EVALUATION_PIPELINE_IN_BACKGROUND=True, LLM_OVERALL_DEADLINE_SECONDS=3):
        started = time.monotonic()
        response = admin_a_client.post(f"{BASE}/cycles/{open_cycle_a.pk}/close/")
        elapsed = time.monotonic() - started
        assert response.status_code == 200 and response.json()["status"] == "closed"
        assert elapsed < 2.5, elapsed  # the model step alone takes 3 s
        deadline = time.monotonic() + 20
        seen_summarise_running = False
        while time.monotonic() < deadline:
            timeline = {s["step"]: s for s in admin_a_client.get(f"{BASE}/cycles/{open_cycle_a.pk}/").json()[
                "timeline"]}
            if timeline["summarise"]["started_at"] and not timeline["summarise"]["finished_at"]:
                seen_summarise_running = True
            if timeline["notify"]["finished_at"]:
                break
            time.sleep(0.1)
        for thread in list(services.PIPELINE_THREADS):
            thread.join(timeout=20)
    cycle = Cycle.objects.get(pk=open_cycle_a.pk)
    assert cycle.status == CycleStatus.REPORT_READY and seen_summarise_running
    assert Report.objects.get(cycle=cycle).llm_error.startswith("deadline:")


# --- the staff review step -----------------------------------------------------------------------------------------

@pytest.fixture
def ai_report(open_cycle_a, run_pipeline, llm_server):
    llm_server.script = [ok()]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    assert cycle.report.summariser == "llm" and cycle.status == CycleStatus.REPORT_READY
    return cycle


def test_staff_edit_the_narrative_and_themes_before_release_audited_before_and_after(ai_report, staff_client,
                                                                                    staff_user):
    url = f"{BASE}/cycles/{ai_report.pk}/report/review/"
    themes = [{"title": "Composure", "summary": "Raters describe calm in hard moments.", "comment_ids": ["c1"]}]
    response = staff_client.patch(url, {"narrative": "A calm, fair colleague; community work can grow.",
                                        "themes": themes}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["summary"]["narrative"] == "A calm, fair colleague; community work can grow."
    assert body["summary"]["themes"] == themes and body["summary"]["strengths"] == GOOD["strengths"]
    assert body["review"]["action"] == "edited" and body["review"]["by_id"] == staff_user.pk
    assert body["notice"] == NOTICE_AI + NOTICE_EDITED
    event = AuditEvent.objects.get(action="evaluation_report.summary_edited")
    assert event.data["before"]["narrative"] == GOOD["narrative"]
    assert event.data["after"]["narrative"] == "A calm, fair colleague; community work can grow."
    report = Report.objects.get(cycle=ai_report)
    assert "community work can grow" in _pdf_text(bytes(report.pdf))


@pytest.mark.parametrize(("payload", "field"), [
    ({"narrative": EVIL_NARRATIVE}, "narrative"),
    ({"narrative": "Written by Officer Brooks."}, "narrative"),
    ({"themes": [{"title": "Links", "summary": "See http://evil.example.org", "comment_ids": []}]}, "themes"),
    ({"themes": [{"title": "Cites", "summary": "Fine.", "comment_ids": ["c999"]}]}, "themes"),
    ({"narrative": "x" * 4001}, "narrative"),
    ({}, "narrative"),
])
def test_a_review_edit_that_breaks_a_rule_is_refused_and_changes_nothing(ai_report, staff_client, payload,
                                                                          field):
    before = Report.objects.get(cycle=ai_report).summary
    response = staff_client.patch(f"{BASE}/cycles/{ai_report.pk}/report/review/", payload, format="json")
    assert response.status_code == 400 and field in str(response.json()["fields"])
    assert Report.objects.get(cycle=ai_report).summary == before
    assert not AuditEvent.objects.filter(action="evaluation_report.summary_edited").exists()


def test_staff_replace_the_model_summary_with_the_builtin_one(ai_report, staff_client):
    response = staff_client.post(f"{BASE}/cycles/{ai_report.pk}/report/use-builtin/")
    assert response.status_code == 200
    body = response.json()
    report = Report.objects.get(cycle=ai_report)
    assert report.summariser == "builtin" and report.summary == builtin_summarise(report.content)
    assert body["provenance"]["fallback_category"] == "replaced_by_reviewer" and body["review"]["action"] == "builtin"
    event = AuditEvent.objects.get(action="evaluation_report.summary_replaced")
    assert event.data["before"] == GOOD and event.data["after"] == report.summary


def test_only_staff_review_and_only_before_release(ai_report, admin_a_client, staff_client):
    url = f"{BASE}/cycles/{ai_report.pk}/report/review/"
    assert admin_a_client.patch(url, {"narrative": "Fine."}, format="json").status_code == 403
    assert admin_a_client.post(f"{BASE}/cycles/{ai_report.pk}/report/use-builtin/").status_code == 403
    assert admin_a_client.get(f"{BASE}/cycles/{ai_report.pk}/report/").status_code == 404  # not released yet
    assert staff_client.post(f"{BASE}/cycles/{ai_report.pk}/report/release/", {}, format="json").status_code == 200
    response = staff_client.patch(url, {"narrative": "Fine."}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "report_not_ready"


def test_the_release_records_who_reviewed(ai_report, staff_client, staff_user, admin_a_client):
    staff_client.patch(f"{BASE}/cycles/{ai_report.pk}/report/review/", {"narrative": "Calm and fair."},
                       format="json")
    staff_client.post(f"{BASE}/cycles/{ai_report.pk}/report/release/", {}, format="json")
    body = admin_a_client.get(f"{BASE}/cycles/{ai_report.pk}/report/").json()
    assert body["review"]["by_id"] == staff_user.pk and body["review"]["released_by_id"] == staff_user.pk
    assert body["summary"]["narrative"] == "Calm and fair."
    event = AuditEvent.objects.get(action="evaluation_report.released")
    assert event.data["reviewer_id"] == staff_user.pk and event.data["summary_review"]["action"] == "edited"


def test_a_failed_model_is_described_as_such(open_cycle_a, run_pipeline, llm_server, staff_client):
    llm_server.script = [{"status": 500, "body": {"error": {"message": "down"}}}]
    cycle = run_pipeline(_five_comments(open_cycle_a))
    body = staff_client.get(f"{BASE}/cycles/{cycle.pk}/report/").json()
    assert body["notice"] == NOTICE_FAILED and body["provenance"]["fallback_reason"].startswith("failed: ")


def test_the_schema_helper_uses_the_instrument_keys():
    assert summary_json_schema(["leadership"])["properties"]["themes"]["items"]["additionalProperties"] is False
    assert summary_json_schema(["leadership"])["properties"]["development_areas"]["items"]["properties"][
        "competency"]["enum"] == ["leadership"]
