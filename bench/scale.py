"""`make bench`'s national-scale section: the public registry at 10k, 100k and 1M officers (PostgreSQL only).

A national registry holds about 800 000 officers in 18 000 agencies (~45 per agency). The loader grows one
population step by step (10k, then +90k, then +900k) with `INSERT … SELECT generate_series`, one statement per
table, so 1M officers load in minutes: agencies, officers (the licence-history triggers fire, set-based, and their
cost is reported), a prior licence for 5% of officers (history rows inserted directly, as the triggers' rules
require: closed, never reused), a Good Officer Certification for 90% (10% of those lapsed, 2% of all officers
revoked and permanently ineligible) and one training completion each (for certificate verification).

At each size it times, in-process through Django's test client (the whole request path, single-threaded), a few
hundred requests per query with random keys: public lookup by licence, by name prefix and by agency, eligibility,
and certificate verification, and reports p50/p99 in ms. `BENCH_SCALE_SIZES=10000` gives a quick run.
"""

import contextlib
import os
import random
import statistics
import time

from django.db import connection
from django.test import Client

DEFAULT_SIZES = "10000,100000,1000000"
OFFICERS_PER_AGENCY = 45
REQUESTS_PER_QUERY = int(os.environ.get("BENCH_SCALE_REQUESTS", "300"))

SYLLABLES = ["Al", "Ber", "Cor", "Dan", "El", "Fer", "Gar", "Hal", "Ish", "Jor", "Kal", "Lor", "Mar", "Nor", "Os",
             "Par", "Quin", "Ros", "Sal", "Tor", "Ul", "Var", "Wes", "Yor"]
ENDINGS = ["son", "ez", "ski", "er", "man", "ley", "ton", "ford", "wood", "berg", "stein", "ini", "elli", "ov",
           "ova", "ander", "ett", "ham", "by", "ridge"]
FIRST_NAMES = ["James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "William",
               "Elizabeth", "Carlos", "Aisha", "Wei", "Priya", "Dmitri", "Fatima", "Kenji", "Olga", "Tomas", "Grace"]
AGENCY_WORDS = ["Harbor", "Valley", "Ridge", "County", "River", "Lake", "Summit", "Prairie", "Coastal", "Metro"]
STATES = ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
          "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
          "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"]


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


# Officer i's surname: three parts picked by a hash of i (24 x 24 x 20 = 11 520 surnames, evenly spread).
# Written with %% for psycopg: every statement using it passes parameters.
_LAST_NAME = (f"({_array(SYLLABLES)})[abs(hashint4(i)) %% 24 + 1] || lower(({_array(SYLLABLES)})"
              f"[abs(hashint4(i + 7)) %% 24 + 1]) || ({_array(ENDINGS)})[abs(hashint4(i + 13)) %% 20 + 1]")


def last_name_of(i: int) -> str:
    """The surname the loader gave officer i (the same hash, asked of PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_LAST_NAME} FROM (SELECT %s::int AS i) s", [i])  # noqa: S608 - constants only
        return cursor.fetchone()[0]


def _setup() -> tuple[int, int, object]:
    """The loader's agency map (agency number -> id) and the credit import and course the completions cite."""
    from training.models import PEACE_OFFICER_COURSE_CODE

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_scale_agency")
        cursor.execute("CREATE TABLE bench_scale_agency (k int PRIMARY KEY, agency_id int NOT NULL)")
        cursor.execute("INSERT INTO training_creditimport (sha256, rows, actor_label, created_at) "
                       "VALUES (repeat('0', 64), 0, 'bench scale', now()) RETURNING id")
        credit_import = cursor.fetchone()[0]
        cursor.execute("SELECT id, ce_hours FROM training_course WHERE code = %s", [PEACE_OFFICER_COURSE_CODE])
        course, hours = cursor.fetchone()
    return credit_import, course, hours


def _load(lo: int, hi: int, credit_import: int, course: int, hours) -> dict:
    """Officers lo..hi-1 (and their agencies, licences, certifications, completions), one statement per table."""
    timings = {}

    def run(label: str, sql: str, params: list) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        timings[label] = round(timings.get(label, 0) + time.perf_counter() - started, 2)

    k_lo, k_hi = lo // OFFICERS_PER_AGENCY, (hi - 1) // OFFICERS_PER_AGENCY
    # Every SQL text below is built from this module's constants only; the values are parameters.
    run("agencies", f"""
        WITH ins AS (
            INSERT INTO agencies_agency (name, state, county, agency_type, sworn_headcount, created_at, updated_at)
            SELECT 'Scale ' || g.k || ' ' || ({_array(AGENCY_WORDS)})[g.k %% 10 + 1] || ' Police Department',
                   ({_array(STATES)})[g.k %% 50 + 1], 'County ' || (g.k %% 3000), 'police', {OFFICERS_PER_AGENCY},
                   now(), now()
            FROM generate_series(%s, %s) AS g(k)
            WHERE NOT EXISTS (SELECT 1 FROM bench_scale_agency m WHERE m.k = g.k)
            RETURNING id, name)
        INSERT INTO bench_scale_agency SELECT split_part(name, ' ', 2)::int, id FROM ins""",  # noqa: S608
        [k_lo, k_hi])
    # Officers: the licence-history trigger writes one current licence per officer (set-based, per statement);
    # the reuse guard runs per row. 2% are permanently ineligible (their certification is revoked below).
    run("officers (licence triggers on)", f"""
        INSERT INTO agencies_officer (agency_id, first_name, last_name, state, license_number, rank, hire_date, email,
                                      permanently_ineligible_at, ineligibility_reason, created_at, updated_at)
        SELECT m.agency_id, ({_array(FIRST_NAMES)})[abs(hashint4(i + 3)) %% 20 + 1], {_LAST_NAME},
               ({_array(STATES)})[m.k %% 50 + 1], 'SC' || lpad(i::text, 8, '0'), 'Officer',
               date '2005-01-01' + (i %% 6000), '',
               CASE WHEN i %% 50 = 7 THEN now() - ((i %% 2000) || ' days')::interval END,
               CASE WHEN i %% 50 = 7 THEN 'Sustained excessive-force finding' ELSE '' END, now(), now()
        FROM generate_series(%s, %s) i JOIN bench_scale_agency m ON m.k = i / {OFFICERS_PER_AGENCY}""",  # noqa: S608
        [lo, hi - 1])
    # A prior licence for 5%: closed history rows (held until the current one began), numbers never reused.
    run("prior licences (direct)", """
        INSERT INTO agencies_officerlicense (officer_id, state, license_number, held_from, held_until,
                                             recorded_in_error, recorded_by, reason)
        SELECT o.id, o.state, 'SX' || substr(o.license_number, 3), timestamptz '2000-01-01', l.held_from, false,
               'bench', 'licence changed'
        FROM agencies_officer o JOIN agencies_officerlicense l ON l.officer_id = o.id AND l.held_until IS NULL
        WHERE o.license_number LIKE 'SC%%' AND substr(o.license_number, 3)::int BETWEEN %s AND %s
          AND substr(o.license_number, 3)::int %% 20 = 0""", [lo, hi - 1])
    run("certifications", """
        INSERT INTO certification_officercertification (officer_id, status, cycle_start, valid_until, granted_at,
                                                        lapsed_at, revoked_at, revocation_category)
        SELECT o.id,
               CASE WHEN o.permanently_ineligible_at IS NOT NULL THEN 'revoked'
                    WHEN n %% 10 = 1 THEN 'lapsed' ELSE 'active' END,
               CASE WHEN n %% 10 = 1 THEN current_date - 500 ELSE current_date - (n %% 300) END,
               CASE WHEN n %% 10 = 1 THEN current_date - 135 ELSE current_date - (n %% 300) + 365 END,
               now() - interval '1 year',
               CASE WHEN n %% 10 = 1 AND o.permanently_ineligible_at IS NULL THEN now() - interval '135 days' END,
               o.permanently_ineligible_at,
               CASE WHEN o.permanently_ineligible_at IS NOT NULL THEN 'sustained_excessive_force_finding' ELSE '' END
        FROM (SELECT id, permanently_ineligible_at, substr(license_number, 3)::int AS n FROM agencies_officer
              WHERE license_number LIKE 'SC%%') o
        WHERE o.n BETWEEN %s AND %s AND (o.n %% 10 <> 3 OR o.permanently_ineligible_at IS NOT NULL)""",
        [lo, hi - 1])
    run("completions", """
        INSERT INTO training_completion (officer_id, course_id, credit_import_id, source, completed_on, ce_hours,
                                         verification_code, created_at)
        SELECT o.id, %s, %s, 'import', current_date - (o.n %% 700), %s,
               upper(substr(h, 1, 4) || '-' || substr(h, 5, 4) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4)
                     || '-' || substr(h, 17, 4)), now()
        FROM (SELECT id, substr(license_number, 3)::int AS n, md5('scale' || license_number) AS h
              FROM agencies_officer WHERE license_number LIKE 'SC%%') o
        WHERE o.n BETWEEN %s AND %s""", [course, credit_import, hours, lo, hi - 1])
    # What autovacuum does soon after a bulk load: statistics, and the GIN pending lists merged into the indexes.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("agencies_agency", "agencies_officer", "agencies_officerlicense",
                      "certification_officercertification", "training_completion"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    timings["vacuum analyze"] = round(time.perf_counter() - started, 2)
    return timings


def _verification_code(i: int) -> str:
    import hashlib

    h = hashlib.md5(f"scaleSC{i:08d}".encode()).hexdigest().upper()  # noqa: S324 - a test key, not a secret
    return "-".join(h[j:j + 4] for j in range(0, 20, 4))


def _queries() -> dict:
    """Each query as a function of an officer number, returning (path, params)."""
    return {
        "lookup by licence": lambda n: ("/api/v1/public/officers/", {"q": f"SC{n:08d}"}),
        "lookup by name prefix": lambda n: ("/api/v1/public/officers/", {"q": last_name_of(n)[:6]}),
        "lookup by agency": lambda n: ("/api/v1/public/officers/",
                                       {"q": f"Scale {n // OFFICERS_PER_AGENCY} "
                                             f"{AGENCY_WORDS[(n // OFFICERS_PER_AGENCY) % 10]}"}),
        "eligibility": lambda n: ("/api/v1/public/eligibility/",
                                  {"state": STATES[(n // OFFICERS_PER_AGENCY) % 50], "licence": f"SC{n:08d}"}),
        "certificate verification": lambda n: (f"/api/v1/public/verify/{_verification_code(n)}/", {}),
    }


def _measure(size: int) -> dict:
    """The database path: cached public answers off (the warm-up would otherwise have cached part of the sample).
    The HTTP section measures repeats of one lookup, the cached path."""
    from django.test import override_settings

    with override_settings(PUBLIC_ANSWER_CACHE_SECONDS=0):
        return _measure_uncached(size)


def _measure_uncached(size: int) -> dict:
    client = Client()
    rng = random.Random(size)  # noqa: S311 - a benchmark's sample, not a secret
    results = {}
    for name, make in _queries().items():
        requests = [make(rng.randrange(size)) for _ in range(REQUESTS_PER_QUERY)]
        for path, params in requests[:20]:  # warm-up: plans, caches
            response = client.get(path, params)
            assert response.status_code == 200, (name, path, params, response.status_code, response.content[:300])
        samples = []
        for path, params in requests:
            started = time.perf_counter()
            response = client.get(path, params)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        samples.sort()
        results[name] = {"p50_ms": round(statistics.median(samples), 2),
                         "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2)}
    return results


@contextlib.contextmanager
def _own_database():
    """The bench's earlier sections leave 1.3M officers behind (the expiry sweep's 1M, the imports' 300k): the scale
    section measures its own populations in a fresh database next to the bench's, dropped afterwards."""
    from django.core.management import call_command
    from django.db import connections

    conn = connections["default"]
    original = conn.settings_dict["NAME"]
    name = f"{original}_scale"
    with conn.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    conn.settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        conn.close()
        conn.settings_dict["NAME"] = original
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def national_scale(world: dict) -> dict:
    if connection.vendor != "postgresql":
        from bench.scenarios import NotAvailable

        raise NotAvailable("the scale section needs PostgreSQL")
    with _own_database():
        return scale_run()


def scale_run() -> dict:
    """Grow the population through BENCH_SCALE_SIZES in the current (migrated, empty) database, measuring at each."""
    sizes = sorted(int(s) for s in os.environ.get("BENCH_SCALE_SIZES", DEFAULT_SIZES).split(",") if s.strip())
    credit_import, course, hours = _setup()
    report: dict = {"sizes": sizes, "requests per query": REQUESTS_PER_QUERY, "load seconds": {}, "p50/p99 ms": {}}
    loaded = 0
    for size in sizes:
        print(f"    loading {size} officers ...", flush=True)
        started = time.perf_counter()
        report["load seconds"][str(size)] = {**_load(loaded, size, credit_import, course, hours),
                                             "total": round(time.perf_counter() - started, 1)}
        loaded = size
        print(f"    measuring at {size} ...", flush=True)
        report["p50/p99 ms"][str(size)] = _measure(size)
    first, last = str(sizes[0]), str(sizes[-1])
    report["p99 at largest / smallest"] = {
        name: round(report["p50/p99 ms"][last][name]["p99_ms"] / max(report["p50/p99 ms"][first][name]["p99_ms"],
                                                                    0.001), 2)
        for name in report["p50/p99 ms"][first]}
    return report


def main() -> None:
    """`python -m bench.scale`: the scale section alone, on its own throwaway database."""
    import json

    from bench.run import _admin_sql, _throwaway_database_url

    db_url, admin_url, db_name = _throwaway_database_url()
    _admin_sql(admin_url, f'CREATE DATABASE "{db_name}"')
    os.environ.update({"DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "bench.settings", "DEBUG": "false",
                       "CELERY_BROKER_URL": "", "DJANGO_ENV": "development",
                       "PUBLIC_REGISTRY_REQUESTS_PER_MINUTE": "1000000000"})
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(json.dumps(scale_run(), indent=2))
    finally:
        from django.db import connections

        connections.close_all()
        _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
