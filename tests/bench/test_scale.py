"""`make bench`'s national-scale section (bench/scale.py) and the indexes it measures (agencies 0006)."""

import pytest
from django.db import connection

from bench import scale
from bench.report import markdown
from bench.scale import _load, _measure, _setup, national_scale

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                    reason="needs PostgreSQL: set DATABASE_URL (CI does)")


@pytest.fixture
def scale_world(staff_user):
    """The Peace Officer course the completions cite (a transactional test's flush removes the migration's row),
    and the loader's agency map dropped afterwards (it is no Django model, so no flush removes it)."""
    from training.models import PEACE_OFFICER_COURSE_CODE, Course
    from training.services import course_create

    if not Course.objects.filter(code=PEACE_OFFICER_COURSE_CODE).exists():
        course_create(actor=staff_user, code=PEACE_OFFICER_COURSE_CODE, title="Peace Officer", ce_hours=8)
    yield _setup()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_scale_agency")


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_loader_builds_a_public_registry_every_scale_query_answers(scale_world, monkeypatch, settings):
    monkeypatch.setattr(scale, "REQUESTS_PER_QUERY", 30)
    settings.PUBLIC_REGISTRY_REQUESTS_PER_MINUTE = 1_000_000  # as `make bench` sets it
    from agencies.models import Officer, OfficerLicense
    from certification.models import OfficerCertification
    from training.models import Completion

    _load(0, 1000, *scale_world)
    assert Officer.objects.count() == 1000
    # One current licence each (written by the history trigger) and a closed prior licence for every 20th.
    assert OfficerLicense.objects.filter(held_until__isnull=True).count() == 1000
    assert OfficerLicense.objects.filter(held_until__isnull=False).count() == 50
    assert OfficerCertification.objects.filter(status="revoked").count() == Officer.objects.filter(
        permanently_ineligible_at__isnull=False).count() == 20
    # 90% certified: every officer but those numbered 3 mod 10 (none of whom is among the revoked 7 mod 50).
    assert OfficerCertification.objects.count() == 900
    assert Completion.objects.count() == 1000
    timings = _measure(1000)  # asserts every request answers 200
    assert set(timings) == {"lookup by licence", "lookup by name prefix", "lookup by agency", "eligibility",
                            "certificate verification"}


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_public_lookup_finds_an_officer_by_a_prior_licence_and_by_agency(scale_world):
    _load(0, 100, *scale_world)
    from rest_framework.test import APIClient

    client = APIClient()
    by_prior = client.get("/api/v1/public/officers/", {"q": "SX00000040"}).json()["results"]
    assert [r["license_number"] for r in by_prior] == ["SC00000040"]
    by_agency = client.get("/api/v1/public/officers/", {"q": "Scale 1 Valley"}).json()["results"]
    assert by_agency and all(r["agency"] == "Scale 1 Valley Police Department" for r in by_agency)


@needs_postgres
@pytest.mark.django_db
def test_the_trigram_indexes_exist_and_serve_the_name_search():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_trgm_idx'")
        assert {r[0] for r in cursor.fetchall()} == {"officer_first_name_trgm_idx", "officer_last_name_trgm_idx",
                                                     "agency_name_trgm_idx"}
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM agencies_officer WHERE UPPER(last_name::text) LIKE UPPER('%%arno%%')")
        plan = "\n".join(r[0] for r in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "officer_last_name_trgm_idx" in plan


def test_the_report_renders_the_scale_table():
    results = {"machine": {"cpus": 2, "memory": "1 kB", "python": "3.11"}, "started_at": "now", "seconds": 1,
               "http": {}, "national scale": {
                   "sizes": [10000, 1000000], "requests per query": 10,
                   "load seconds": {"10000": {"total": 1.0}, "1000000": {"total": 70.0}},
                   "p50/p99 ms": {"10000": {"eligibility": {"p50_ms": 1.0, "p99_ms": 2.0}},
                                  "1000000": {"eligibility": {"p50_ms": 1.1, "p99_ms": 2.4}}},
                   "p99 at largest / smallest": {"eligibility": 1.2}}}
    text = markdown(results)
    assert "| eligibility | 1.0 / 2.0 | 1.1 / 2.4 | 1.2× | ≤ 1.5×, p99 < 10 ms |" in text
    assert "1,000,000: 70.0 s" in text


def test_the_scale_section_says_it_needs_postgresql_elsewhere():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    from bench.scenarios import NotAvailable

    with pytest.raises(NotAvailable):
        national_scale({})
