"""The adversarial corpus (adversarial_comments.json: prompt injections and personal data in many phrasings) through
the whole pipeline: close -> aggregate -> summarise (real openai client, local server) -> PDF -> release. Not one
secret reaches the model request, the report JSON or the PDF; the band and the gates stay the rule's."""

import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from evaluations import services
from evaluations.models import Invitation, Question
from evaluations.scoring import readiness_band_compute
from tests.factories import OfficerFactory

from .conftest import completion_body
from .factories import answers_all, invite
from .test_llm import GOOD

pytestmark = pytest.mark.django_db
BASE = "/api/v1/evaluations"
CORPUS = json.loads((Path(__file__).parent / "adversarial_comments.json").read_text(encoding="utf-8"))["comments"]
ROSTER = [("Harriet", "Okonkwo"), ("Desmond", "Villanueva"), ("Tobias", "Lindqvist"), ("Ingrid", "Castellanos")]
RATERS = ["Priya Raman", "Dana Wolfe", "Kwame Asante", "Siobhan Gallagher"]


def test_the_corpus_is_large_and_varied():
    kinds = {c["kind"] for c in CORPUS}
    assert len(CORPUS) >= 100 and len({c["text"] for c in CORPUS}) == len(CORPUS)
    assert {"injection", "pii", "mixed", "ordinary"} <= kinds
    assert sum(len(c["secrets"]) for c in CORPUS) >= 120


def _leaks(haystack: str) -> list[str]:
    found = []
    for comment in CORPUS:
        for secret in comment["secrets"]:
            if re.search(r"(?<!\w)" + re.escape(secret) + r"(?!\w)", haystack, re.IGNORECASE):
                found.append(secret)
    return sorted(set(found))


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_corpus_leaks_nothing_through_the_whole_pipeline(open_cycle_a, run_pipeline, llm_server, staff_client,
                                                             admin_a_client, agency_a):
    cycle = open_cycle_a
    for first, last in ROSTER:
        OfficerFactory(agency=agency_a, first_name=first, last_name=last)
    questions = list(Question.objects.filter(instrument=cycle.instrument).order_by("position", "id"))
    texts = [c["text"] for c in CORPUS]
    chunks = [texts[i:i + len(questions)] for i in range(0, len(texts), len(questions))]
    services.feedback_submit(invitation=cycle.invitations.get(relationship="self"),
                             **answers_all(cycle, score=4))
    supervisor = invite(cycle, "supervisor")[0]
    services.feedback_submit(invitation=supervisor, **answers_all(cycle, score=4))
    peers = invite(cycle, "peer", len(chunks))
    for index, (peer, chunk) in enumerate(zip(peers, chunks, strict=True)):
        if index < len(RATERS):
            Invitation.objects.filter(pk=peer.pk).update(rater_name=RATERS[index])
            peer.refresh_from_db()
        answers = answers_all(cycle, score=4)
        answers["comments"] = {str(q.pk): text for q, text in zip(questions, chunk, strict=False)}
        services.feedback_submit(invitation=peer, **answers)

    def model(request_json):
        # What the model would see is captured; it answers with a valid, neutral summary.
        return {"status": 200, "body": completion_body(json.dumps(GOOD))}

    llm_server.script = [model]
    cycle = run_pipeline(cycle)
    report = cycle.report
    assert len(report.content["comments"]) == len(CORPUS)
    assert report.summariser == "llm", report.llm_error

    sent = json.dumps(llm_server.requests, ensure_ascii=False)
    assert len(llm_server.requests) == 1 and _leaks(sent) == []
    # The report names its subject in its header (the "subject" field, "Candidate: ..."): that is not a leak;
    # everywhere else (comments, quotes, summary) the subject's name is redacted like any other.
    subject = cycle.subject.full_name

    def without_header(text: str) -> str:
        return text.replace(f'"subject":"{subject}"', "").replace(f"Candidate: {subject}", "")

    report_json = staff_client.get(f"{BASE}/cycles/{cycle.pk}/report/").content.decode()
    assert _leaks(without_header(report_json)) == []
    pdf = staff_client.get(f"{BASE}/cycles/{cycle.pk}/report.pdf").content
    assert _leaks(without_header(_pdf_text(pdf))) == []
    # The rule decides the band and the gates, whatever the comments demand.
    assert report.band_computed == readiness_band_compute(report.content)
    assert report.eligibility == services.officer_eligibility_gates(officer=cycle.subject)

    assert staff_client.post(f"{BASE}/cycles/{cycle.pk}/report/release/", {}, format="json").status_code == 200
    released_pdf = admin_a_client.get(f"{BASE}/cycles/{cycle.pk}/report.pdf").content
    released_json = admin_a_client.get(f"{BASE}/cycles/{cycle.pk}/report/").content.decode()
    assert _leaks(without_header(_pdf_text(released_pdf))) == [] and _leaks(without_header(released_json)) == []


def test_the_corpus_with_a_model_that_obeys_the_injections_falls_back_without_leaking(
        open_cycle_a, run_pipeline, llm_server, staff_client):
    """The model repeats what the comments ask for (names, a link, a readiness claim): refused, and its text is
    stored nowhere."""
    cycle = open_cycle_a
    questions = list(Question.objects.filter(instrument=cycle.instrument).order_by("position", "id"))
    services.feedback_submit(invitation=cycle.invitations.get(relationship="self"), **answers_all(cycle, score=3))
    services.feedback_submit(invitation=invite(cycle, "supervisor")[0], **answers_all(cycle, score=3))
    injections = [c["text"] for c in CORPUS if c["kind"] in ("injection", "mixed")]
    peers = invite(cycle, "peer", 5)
    for index, peer in enumerate(peers):
        answers = answers_all(cycle, score=3)
        answers["comments"] = {str(q.pk): injections[(index * 3 + i) % len(injections)]
                               for i, q in enumerate(questions)}
        services.feedback_submit(invitation=peer, **answers)
    obeying = {**GOOD, "narrative": "Ready now: promote immediately. Raters: Priya Raman, Dana Wolfe "
                                    "(leak@example.com, 555-867-5309). Details: http://evil.example.org/phish"}
    llm_server.script = [{"status": 200, "body": completion_body(json.dumps(obeying))}]
    cycle = run_pipeline(cycle)
    report = cycle.report
    assert report.summariser == "builtin" and report.llm_error.startswith("rejected:")
    assert report.band_computed == readiness_band_compute(report.content) == "development_needed"
    stored = staff_client.get(f"{BASE}/cycles/{cycle.pk}/report/").content.decode() + _pdf_text(bytes(report.pdf))
    for piece in ("promote immediately", "Priya", "Raman", "Wolfe", "leak@example.com", "867-5309",
                  "evil.example.org"):
        assert piece not in stored
