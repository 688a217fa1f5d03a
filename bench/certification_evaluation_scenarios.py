"""Bench measurements of certification and 360 evaluations: the expiry sweep at scale, aggregation, the report
pipeline with and without a loopback OpenAI-compatible server, and PDF rendering."""

import json
import os
import statistics
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, Officer

SWEEP_ROWS = int(os.environ.get("BENCH_SWEEP_ROWS", "1000000"))


def expiry_sweep(world: dict) -> dict:
    """SWEEP_ROWS officers with an active Good Officer Certification whose cycle ended: the daily sweep lapses
    them all. Rows are generated inside PostgreSQL (generate_series) so setup does not dominate the run."""
    from certification.services import officer_certifications_lapse_due

    agency = Agency.objects.create(name="Sweep agency", state="WY")
    today = timezone.localdate()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO agencies_officer (agency_id, first_name, last_name, state, license_number, rank, email,"
            " ineligibility_reason, created_at, updated_at)"
            " SELECT %s, 'Sweep', 'Officer' || g, 'WY', 'SW-' || g, '', '', '', now(), now()"
            " FROM generate_series(1, %s) AS g", [agency.pk, SWEEP_ROWS])
        cursor.execute(
            "INSERT INTO certification_officercertification (officer_id, status, cycle_start, valid_until,"
            " granted_at, revocation_category) SELECT id, 'active', %s, %s, now(), '' FROM agencies_officer"
            " WHERE agency_id = %s", [today - timedelta(days=400), today - timedelta(days=35), agency.pk])
        cursor.execute("ANALYZE certification_officercertification")
    setup_seconds = time.perf_counter() - started
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        lapsed = officer_certifications_lapse_due(today=today)
        seconds = time.perf_counter() - started
    statements = [q["sql"].split()[0] for q in ctx.captured_queries]
    return {
        "certifications": SWEEP_ROWS, "lapsed": len(lapsed), "seconds": round(seconds, 2),
        "statements": len(statements), "UPDATE statements": statements.count("UPDATE"),
        "ledger entries": statements.count("INSERT"), "setup seconds (generate_series)": round(setup_seconds, 1),
    }


# --- 360 evaluations ----------------------------------------------------------------------------------------

RATER_GROUPS = {"self": 1, "supervisor": 5, "peer": 18, "direct_report": 18, "community": 18}  # 60 raters
ITEMS_PER_COMPETENCY = 5


def _bench_instrument(world):
    from core.vocabulary import COMPETENCY_KEYS
    from evaluations.services import instrument_create

    competencies = [{"key": key, "items": [f"{key} behaviour {i}" for i in range(ITEMS_PER_COMPETENCY)]}
                    for key in COMPETENCY_KEYS[:8]]  # 8 x 5 = 40 items
    return instrument_create(actor=world["staff"], key=f"bench-{time.monotonic_ns()}", title="Bench 360",
                             competencies=competencies, questions=[{"text": "What should they keep doing?"}])


def _cycle_with_raters(world, instrument, subject):
    from evaluations import services
    from evaluations.models import Item, Question

    now = timezone.now()
    cycle = services.cycle_create(actor=world["staff"], subject=subject, agency=subject.agency,
                                  target_position="Captain", opens_at=now - timedelta(hours=1),
                                  closes_at=now + timedelta(days=7), instrument=instrument)
    # Neutral rater names: the redaction check rejects a narrative that repeats any part of a known name.
    invitations = [services.invitation_create(cycle=cycle, actor=world["staff"],
                                              rater_name=f"Rater{g[:2].upper()}{i:02d} Benchperson",
                                              rater_email=f"rater{i}.{g}.{cycle.pk}@example.org", relationship=g)
                   for g, n in RATER_GROUPS.items() for i in range(n)]
    cycle.refresh_from_db()
    # Certification staff approve the rater list before the cycle can open (issue #13).
    services.raters_approve(cycle=cycle, actor=world["staff"], version=cycle.raters_version)
    services.cycle_open(cycle=cycle, actor=world["staff"])
    items = list(Item.objects.filter(competency__instrument=instrument).values_list("pk", flat=True))
    question = Question.objects.filter(instrument=instrument).values_list("pk", flat=True).first()
    for n, invitation in enumerate(invitations):
        invitation.refresh_from_db()
        services.feedback_submit(invitation=invitation, scores={str(item): 1 + (n + item) % 5 for item in items},
                                 comments={str(question): f"Steady and fair in hard moments, example {n}."})
    cycle.refresh_from_db()
    return cycle


def evaluation_aggregation(world: dict) -> dict:
    from evaluations import services
    from evaluations.scoring import cycle_aggregates_fetch, report_content_build

    cycle = _cycle_with_raters(world, _bench_instrument(world), world["officer"])
    world["evaluation_instrument"] = cycle.instrument
    # Answers are held with their invitations until close; closing pools them into the tables aggregated here.
    # (The "report pipeline" figure below times a close, pooling included.)
    services.cycle_close(cycle=cycle, actor=world["staff"])
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        report_content_build(cycle_aggregates_fetch(cycle=cycle))
        timings.append((time.perf_counter() - started) * 1000)
    return {"raters x items": "60 x 40", "median ms": round(statistics.median(timings), 2),
            "max ms": round(max(timings), 2)}


def _loopback_answer(request_body: bytes) -> bytes:
    """What a compliant model answers to the data it was sent: a strength from a competency the scoring rule did not
    make a development area, the rule's first development area, and only comment ids present in the data (so the
    report's validation accepts it and the figure is the model path, not the built-in fallback)."""
    prompt = json.loads(request_body)["messages"][-1]["content"]
    data = json.loads(prompt.split("<data>\n", 1)[1].rsplit("\n</data>", 1)[0])
    comment_ids = [c["id"] for c in data["comments"]][:2]
    by_rule = data["development_areas_by_rule"]
    development = by_rule[:1]
    strengths = [c["key"] for c in data["competencies"] if c["key"] not in by_rule][:1]
    summary = {
        "strengths": [{"competency": k, "summary": "Raters describe this consistently.", "comment_ids": comment_ids}
                      for k in strengths],
        "development_areas": [{"competency": k, "summary": "Raters ask for more of this.", "comment_ids": []}
                              for k in development],
        "themes": [{"title": "Steady", "summary": "Raters describe composure.", "comment_ids": comment_ids}],
        "narrative": "Described as steady and fair; the development area is the one the scores point to.",
    }
    return json.dumps({
        "id": "bench", "object": "chat.completion", "created": 0, "model": "bench-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                                                                        "content": json.dumps(summary)}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
    }).encode()


def _loopback_llm(delay: float = 0.0):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = _loopback_answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def report_pipeline(world: dict) -> dict:
    """Close -> aggregate -> summarise -> PDF -> notify, in-process (eager Celery), twice: the built-in summariser
    and the loopback OpenAI-compatible server (its latency is what the report records)."""
    from evaluations import services
    from evaluations.models import Report

    instrument = world.get("evaluation_instrument") or _bench_instrument(world)
    results = {}
    for label in ("built-in summariser", "loopback LLM server"):
        subject = Officer.objects.create(agency=world["agency"], first_name="Cand", last_name=label.split()[0],
                                         state="CA", license_number=f"CAND-{time.monotonic_ns()}")
        cycle = _cycle_with_raters(world, instrument, subject)
        server = _loopback_llm() if label.startswith("loopback") else None
        llm = ({"LLM_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1", "LLM_API_KEY": "bench",
                "LLM_MODEL": "bench-model", "LLM_TIMEOUT_SECONDS": 10, "LLM_MAX_RETRIES": 0}
               if server else {"LLM_BASE_URL": ""})
        # In-process, in the calling thread: the figure is close -> PDF ready, not the close's answer time.
        with override_settings(**llm, EVALUATION_PIPELINE_IN_BACKGROUND=False):
            started = time.perf_counter()
            services.cycle_close(cycle=cycle, actor=world["staff"])
            seconds = time.perf_counter() - started
        if server:
            server.shutdown()
        report = Report.objects.get(cycle=cycle)
        results[label] = {"close -> PDF ready seconds": round(seconds, 3), "summariser": report.summariser,
                          "pdf bytes": len(report.pdf or b""),
                          "llm latency ms": report.latency_ms,
                          # Why the built-in summariser wrote it, when it did (a category, never the model's text).
                          "fallback": report.llm_error.split(":", 1)[0] or None}
    return results


def pdf_render_more(world: dict) -> dict:
    from certification.pdf import plaque_pdf
    from certification.services import PlaqueData
    from evaluations.models import Report
    from evaluations.pdf import report_pdf_render
    from evaluations.services import report_pdf_data

    from .scenarios import _per_document_ms

    plaque = PlaqueData(agency_name="Riverside Police Department", agency_state="CA",
                        programme_name="Peace Officer Agency Certification", certificate_number="PC-2026-000123",
                        issued_on=date(2026, 11, 1), valid_until=date(2028, 11, 1),
                        verify_url="http://127.0.0.1:8000/registry/agencies/PC-2026-000123/")
    out = {"plaque ms/doc": _per_document_ms(plaque_pdf, plaque)}
    report = Report.objects.order_by("-pk").first()
    if report is not None:
        out["promotability report ms/doc"] = _per_document_ms(report_pdf_render, report_pdf_data(report), repeats=10)
    return out
