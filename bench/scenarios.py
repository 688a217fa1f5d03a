"""What `make bench` measures: the data it seeds, the HTTP targets, and the in-process measurements."""

import io
import time
from datetime import date

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.auth import LoginSerializer
from agencies.models import Agency, Officer, Role
from agencies.services import roster_import, user_create

BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway database
IMPORT_ROWS = 100_000


class NotAvailable(Exception):
    """A measurement whose feature has not landed yet."""


def _token(user) -> str:
    return str(LoginSerializer.get_token(user).access_token)


def seed() -> dict:
    agency = Agency.objects.create(name="Bench Police Department", state="CA", county="Bench", sworn_headcount=200)
    Officer.objects.bulk_create([
        Officer(agency=agency, first_name=f"First{i}", last_name=f"Last{i:04d}", state="CA",
                license_number=f"B-{i:06d}", rank="Officer", hire_date=date(2015, 1, 1))
        for i in range(200)
    ])
    staff = user_create(actor=None, username="bench-staff", password=BENCH_PASSWORD, role=Role.CERTIFICATION_STAFF)
    admin = user_create(actor=None, username="bench-admin", password=BENCH_PASSWORD, role=Role.AGENCY_ADMIN,
                        agency=agency)
    world = {"agency": agency, "staff": staff, "admin": admin, "officer": Officer.objects.filter(agency=agency).first()}
    world.update(_seed_training(world))
    return world


def _seed_training(world: dict) -> dict:
    """A Peace Officer course and 200 historical completions, through training's own credit import."""
    from training.models import PEACE_OFFICER_COURSE_CODE, Completion, Course
    from training.services import course_create, credits_import

    if not Course.objects.filter(code=PEACE_OFFICER_COURSE_CODE).exists():  # migrations create it (training 0002)
        course_create(actor=world["staff"], code=PEACE_OFFICER_COURSE_CODE, title="Peace Officer", ce_hours=8)
    rows = "\n".join(f"CA,B-{i:06d},{PEACE_OFFICER_COURSE_CODE},2026-03-01" for i in range(200))
    credits_import(raw=f"state,license_number,course_code,completed_on\n{rows}\n".encode(), actor=world["staff"])
    return {"completion": Completion.objects.select_related("officer__agency", "course").first()}


def http_targets(world: dict) -> list[tuple[str, str, dict]]:
    admin_auth = {"Authorization": f"Bearer {_token(world['admin'])}"}
    return [
        ("bare Django view", "/bench/bare/", {}),
        ("public registry lookup (licence)", "/api/v1/public/officers/?q=B-000007", {}),
        ("officer detail (JWT)", f"/api/v1/officers/{world['officer'].pk}/", admin_auth),
        ("officer list of 20 (JWT)", "/api/v1/officers/?page_size=20", admin_auth),
        ("public certificate verification", f"/api/v1/public/verify/{world['completion'].verification_code}/", {}),
    ]


# --- query counts: every list endpoint, with 1 and with 25 rows in the caller's scope ----------------------------

def _agency_with_officers(n: int) -> Agency:
    # Zero-padded: licences compare without separators, so "Q-3-10" and "Q-31-0" would be one licence.
    agency = Agency.objects.create(name=f"Query count agency {time.monotonic_ns()}", state="TX")
    Officer.objects.bulk_create([
        Officer(agency=agency, first_name="Q", last_name=f"Count{i}", state="TX",
                license_number=f"Q{agency.pk:06d}N{i:04d}") for i in range(n)
    ])
    return agency


def _admin_client_for(agency: Agency) -> Client:
    admin = user_create(actor=None, username=f"qc-{agency.pk}", password=BENCH_PASSWORD, role=Role.AGENCY_ADMIN,
                        agency=agency)
    return Client(HTTP_AUTHORIZATION=f"Bearer {_token(admin)}")


def _officer_list(n: int) -> tuple[Client, str]:
    return _admin_client_for(_agency_with_officers(n)), "/api/v1/officers/?page_size=100"


def _agency_list(n: int) -> tuple[Client, str]:
    for _ in range(n):
        Agency.objects.create(name=f"Listed agency {time.monotonic_ns()}", state="WA")
    staff = user_create(actor=None, username=f"qc-staff-{time.monotonic_ns()}", password=BENCH_PASSWORD,
                        role=Role.CERTIFICATION_STAFF)
    return Client(HTTP_AUTHORIZATION=f"Bearer {_token(staff)}"), "/api/v1/agencies/?state=WA&page_size=100"


def _completion_list(n: int) -> tuple[Client, str]:
    from training.models import PEACE_OFFICER_COURSE_CODE
    from training.services import credits_import

    agency = _agency_with_officers(n)
    rows = "\n".join(f"TX,Q{agency.pk:06d}N{i:04d},{PEACE_OFFICER_COURSE_CODE},2026-02-01" for i in range(n))
    credits_import(raw=f"state,license_number,course_code,completed_on\n{rows}\n".encode(), actor=None)
    return _admin_client_for(agency), "/api/v1/training/completions/?page_size=100"


LIST_ENDPOINTS = {
    "GET /api/v1/officers/": _officer_list,
    "GET /api/v1/agencies/": _agency_list,
    "GET /api/v1/training/completions/": _completion_list,
}


def query_counts(world: dict) -> dict:
    counts = {}
    for name, make in LIST_ENDPOINTS.items():
        measured = []
        for n in (1, 25):
            client, path = make(n)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            assert response.status_code == 200, (name, response.status_code)
            measured.append(len(ctx.captured_queries))
        counts[name] = {"1 row": measured[0], "25 rows": measured[1], "equal": measured[0] == measured[1]}
    return counts


# --- bulk import: 100k roster rows through the import path vs bulk_create vs COPY -------------------------------

def bulk_import(world: dict) -> dict:
    from agencies.services import roster_parse_csv  # noqa: F401 - the path under test is roster_import

    def fresh_agency(tag):
        return Agency.objects.create(name=f"Import {tag} {time.monotonic_ns()}", state="NY")

    csv_text = io.StringIO()
    csv_text.write("license_number,first_name,last_name,rank,hire_date\n")
    for i in range(IMPORT_ROWS):
        csv_text.write(f"NY-{i:07d},First{i},Last{i},Officer,2016-05-01\n")
    raw = csv_text.getvalue().encode()

    started = time.perf_counter()
    result = roster_import(agency=fresh_agency("path"), actor=world["staff"], raw=raw)
    import_seconds = time.perf_counter() - started
    assert result.created == IMPORT_ROWS, result.errors

    reference = fresh_agency("bulk_create")
    started = time.perf_counter()
    Officer.objects.bulk_create([
        Officer(agency=reference, first_name=f"First{i}", last_name=f"Last{i}", state="NJ",
                license_number=f"NJ-{i:07d}", rank="Officer", hire_date=date(2016, 5, 1))
        for i in range(IMPORT_ROWS)
    ], batch_size=2000)
    bulk_seconds = time.perf_counter() - started

    copy_agency = fresh_agency("copy")
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.connection.cursor().copy(
        "COPY agencies_officer (agency_id, first_name, last_name, state, license_number, rank, hire_date, email,"
        " ineligibility_reason, created_at, updated_at) FROM STDIN"
    ) as copy:
        for i in range(IMPORT_ROWS):
            copy.write_row((copy_agency.pk, f"First{i}", f"Last{i}", "PA", f"PA-{i:07d}", "Officer",
                            date(2016, 5, 1), "", "", "now", "now"))
    copy_seconds = time.perf_counter() - started
    return {
        "rows": IMPORT_ROWS,
        "import path rows/s (validate + officers + employment + audit)": round(IMPORT_ROWS / import_seconds),
        "bulk_create reference rows/s (officers only)": round(IMPORT_ROWS / bulk_seconds),
        "COPY reference rows/s (officers only)": round(IMPORT_ROWS / copy_seconds),
        "import path vs COPY": round(copy_seconds / import_seconds, 3),
    }


# --- PDF rendering -------------------------------------------------------------------------------------------

def _per_document_ms(render, data, repeats: int = 50) -> float:
    render(data)  # warm-up: fonts, imports
    started = time.perf_counter()
    for _ in range(repeats):
        render(data)
    return round((time.perf_counter() - started) * 1000 / repeats, 2)


def pdf_render(world: dict) -> dict:
    from training.pdf import render_completion_certificate
    from training.services import completion_certificate_data

    return {"completion certificate ms/doc": _per_document_ms(
        render_completion_certificate, completion_certificate_data(completion=world["completion"]))}


# --- cohort matching ----------------------------------------------------------------------------------------

def cohort_matching(world: dict) -> dict:
    from bench.coaching import time_pure

    timing = time_pure(coachees=200, coaches=50)
    return {"coachees x coaches": "200 x 50", "slots": timing["slots"], "median ms (solver + scoring)":
            round(timing["median_ms"], 2), "max ms": round(timing["max_ms"], 2), "matched": timing["matched"]}


def _apps():
    """Certification and 360 scenarios, imported once Django is set up."""
    from bench import certification_evaluation_scenarios

    return certification_evaluation_scenarios


IN_PROCESS = [
    ("query counts (1 vs 25 rows)", query_counts),
    ("bulk import (100k roster rows)", bulk_import),
    ("expiry sweep", lambda world: _apps().expiry_sweep(world)),
    ("360 aggregation", lambda world: _apps().evaluation_aggregation(world)),
    ("report pipeline", lambda world: _apps().report_pipeline(world)),
    ("PDF render", pdf_render),
    ("PDF render (plaque, report)", lambda world: _apps().pdf_render_more(world)),
    ("cohort matching", cohort_matching),
    # Last: it grows the database to 1M officers (BENCH_SCALE_SIZES=10000 for a quick run).
    ("national scale", lambda world: _scale().national_scale(world)),
]


def _scale():
    from bench import scale

    return scale
