"""Every API list answers in a number of queries that does not grow with its length (issue #16).

Each list operation in the OpenAPI schema is pinned: here (one row visible to the caller, count one GET, ~20 more
rows, count again) or by the test named in LIST_QUERY_COUNTS_PINNED_ELSEWHERE. The guard at the bottom fails for a
list endpoint that has neither, naming it, so a new list cannot ship without its query-count test."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from agencies.models import IdentityReviewStatus, Role
from agencies.services import identity_review_decide
from agencies.services.officers import identity_review_request
from certification import services as certification_services
from certification.models import FindingResponseAuthor, FindingSource
from tests.conftest import jwt_client
from tests.factories import AgencyFactory, OfficerFactory, UserFactory
from tests.security.world import _released_cycle
from tests.support.builders import credits_record
from tests.training.factories import CourseFactory, SessionFactory, TrainerCourseFactory, assign
from training import services as training_services
from training.services.accounts import instructor_account_create

pytestmark = pytest.mark.django_db

MORE_ROWS = 20
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REPO = Path(__file__).resolve().parents[2]


# --- the rows each list shows -------------------------------------------------------------------------------------
# Every builder adds `n` rows the caller sees, through the services where one exists, with the related rows each
# serializer reads (linked officers, instructors, answers, documents) so that a per-row lookup shows up as growth.

def add_accounts(world, n):
    for i in range(n):
        officer = OfficerFactory(agency=world.agency)
        kind = i % 4
        if kind == 0:
            UserFactory(role=Role.OFFICER, officer=officer)
        elif kind == 1:
            instructor_account_create(actor=world.staff, officer=officer, email=f"instructor{officer.pk}@example.org")
        elif kind == 2:
            UserFactory(role=Role.AGENCY_ADMIN, agency=AgencyFactory())
        else:
            UserFactory(role=Role.COACH)


def add_own_officer_accounts(world, n):
    """What an agency administrator lists: the own accounts of their agency's officers."""
    for _ in range(n):
        UserFactory(role=Role.OFFICER, officer=OfficerFactory(agency=world.agency))


def add_identity_reviews(world, n):
    for i in range(n):
        matched = OfficerFactory(agency=AgencyFactory())
        review = identity_review_request(actor=world.admin, agency=world.agency, matched=matched, source="api",
                                         proposed={"first_name": matched.first_name, "last_name": matched.last_name,
                                                   "state": "CA", "license_number": f"REVIEW-{matched.pk}"})
        if i % 2:  # decided ones carry who decided
            identity_review_decide(review=review, actor=world.staff, decision=IdentityReviewStatus.DISMISSED,
                                   reason="Not the same person; record not needed.")


def add_own_completions(world, n):
    start = timezone.localdate() - timedelta(days=400)
    for i in range(n):
        credits_record([world.officer], on=start + timedelta(days=i), course_code=CourseFactory().code)


def add_own_enrollments(world, n):
    for _ in range(n):
        session = SessionFactory(course=CourseFactory())
        assign(session, UserFactory(role=Role.INSTRUCTOR))
        training_services.enrollments_create(session=session, officer_ids=[world.officer.pk], actor=world.staff)


def add_open_sessions(world, n):
    for _ in range(n):
        session = SessionFactory(course=CourseFactory())
        assign(session, UserFactory(role=Role.INSTRUCTOR))
        training_services.enrollments_create(session=session, officer_ids=[OfficerFactory(agency=world.agency).pk],
                                             actor=world.staff)


def add_own_findings(world, n):
    """Noticed findings about the officer, each with the officer's answer (and a document), the agency's answer
    and a representative: everything the officer's list shows per finding."""
    for _ in range(n):
        finding = certification_services.finding_record(
            actor=world.staff, officer=world.officer, incident_date=date(2025, 4, 2), summary="Use of force",
            source=FindingSource.COMPLAINT, evidence_references=["BWC-1"])
        certification_services.finding_notice(actor=world.staff, finding=finding)
        certification_services.finding_response_add(
            actor=world.officer_user, finding=finding, author_kind=FindingResponseAuthor.OFFICER,
            text="My account of it.", files=[("statement.pdf", PDF, "application/pdf")])
        certification_services.finding_response_record(actor=world.admin, finding=finding, text="The agency's view.")
        certification_services.finding_representative_set(actor=world.officer_user, finding=finding,
                                                           name="A. Counsel", email="counsel@example.org")


def add_own_reports(world, n):
    for _ in range(n):
        _released_cycle(world.officer, world.admin, world.staff)


def add_course_resources(world, n):
    for i in range(n):
        training_services.toolkit_resource_upload(
            course=world.course, actor=world.staff, title=f"Checklist {i}", kind="checklist",
            upload=SimpleUploadedFile(f"checklist{i}.pdf", PDF, "application/pdf"))


def add_qualifications(world, n):
    """Staff designations of instructor logins and train-the-trainer graduates (officer and completion)."""
    designated = n // 2
    for _ in range(designated):
        training_services.qualification_record(actor=world.staff, course=CourseFactory(),
                                               user=UserFactory(role=Role.INSTRUCTOR))
    if n - designated:
        credits_record([OfficerFactory(agency=world.agency) for _ in range(n - designated)],
                       on=timezone.localdate() - timedelta(days=1), course_code=TrainerCourseFactory().code)


@dataclass(frozen=True)
class ListCase:
    path: str  # the operation's path as the schema spells it
    caller: str  # who may call it: an attribute of the world holding an API client
    add_rows: Callable
    url: Callable = lambda world, path: path  # the path with its parameters filled in

    @property
    def id(self) -> str:
        return f"{self.path} as {self.caller}"


LIST_CASES = [
    ListCase("/api/v1/accounts/", "staff_client", add_accounts),
    ListCase("/api/v1/accounts/", "admin_client", add_own_officer_accounts),
    ListCase("/api/v1/identity-reviews/", "staff_client", add_identity_reviews),
    ListCase("/api/v1/me/officer/completions/", "officer_client", add_own_completions),
    ListCase("/api/v1/me/officer/enrollments/", "officer_client", add_own_enrollments),
    ListCase("/api/v1/me/officer/sessions/", "officer_client", add_open_sessions),
    ListCase("/api/v1/me/officer/findings/", "officer_client", add_own_findings),
    # Pinned before findings had answers (tests/certification/test_api_query_counts.py); here with the answers,
    # their documents and the representative, for staff (who read all of them) and the agency (its own answers).
    ListCase("/api/v1/certification/findings/", "staff_client", add_own_findings),
    ListCase("/api/v1/certification/findings/", "admin_client", add_own_findings),
    ListCase("/api/v1/me/officer/reports/", "officer_client", add_own_reports),
    ListCase("/api/v1/training/courses/{course_id}/resources/", "coach_client", add_course_resources,
             url=lambda world, path: path.format(course_id=world.course.pk)),
    ListCase("/api/v1/training/instructor-qualifications/", "staff_client", add_qualifications),
]


@pytest.fixture
def world(staff_user, admin_a, agency_a, coach_user):
    officer = OfficerFactory(agency=agency_a)
    officer_user = UserFactory(username="officer_self", role=Role.OFFICER, officer=officer,
                               email="officer.self@example.org")
    return SimpleNamespace(
        staff=staff_user, admin=admin_a, agency=agency_a, officer=officer, officer_user=officer_user,
        course=CourseFactory(), staff_client=jwt_client(staff_user), admin_client=jwt_client(admin_a),
        officer_client=jwt_client(officer_user), coach_client=jwt_client(coach_user))


def count_queries(client, url) -> tuple[int, int]:
    """(queries, rows listed) of one GET of the list's first page, at the largest page size."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["results"])


@pytest.mark.parametrize("case", LIST_CASES, ids=lambda case: case.id)
def test_list_query_count_does_not_grow_with_its_length(world, case):
    client, url = getattr(world, case.caller), case.url(world, case.path)
    case.add_rows(world, 1)
    one, listed = count_queries(client, url)
    assert listed >= 1, "the first row must be visible to the caller, or the test proves nothing"
    case.add_rows(world, MORE_ROWS)
    many, listed_after = count_queries(client, url)
    assert listed_after >= listed + MORE_ROWS
    assert many == one, f"{case.id}: {one} queries for {listed} row(s), {many} for {listed_after}"


# --- the guard: every list operation in the schema has a query-count test ---------------------------------------

# List operations pinned by an older test, each with the test that pins it (path::function).
LIST_QUERY_COUNTS_PINNED_ELSEWHERE = {
    "/api/v1/agencies/": "tests/agencies/test_apis.py::test_list_query_count_does_not_grow_with_length",
    "/api/v1/officers/": "tests/agencies/test_apis.py::test_list_query_count_does_not_grow_with_length",
    **{f"/api/v1/certification/{kind}/": "tests/certification/test_api_query_counts.py::"
                                         "test_list_query_count_does_not_grow_with_length"
       for kind in ("agency-certifications", "plaques", "officer-certifications", "findings", "ledger",
                    "programmes")},
    **{f"/api/v1/coaching/{kind}/": "tests/coaching/test_apis.py::test_list_query_count_does_not_grow_with_length"
       for kind in ("coaches", "coachees", "needs-assessments", "agreements")},
    "/api/v1/coaching/agreements/{agreement_id}/sessions/":
        "tests/coaching/test_apis.py::test_session_list_query_count_does_not_grow",
    "/api/v1/coaching/needs-assessments/{assessment_id}/matches/":
        "tests/coaching/test_apis.py::test_matches_query_count_does_not_grow_with_coaches",
    "/api/v1/evaluations/cycles/": "tests/evaluations/test_apis.py::test_cycle_list_query_count_is_constant",
    "/api/v1/evaluations/cycles/{cycle_id}/invitations/":
        "tests/evaluations/test_apis.py::test_invitation_and_instrument_list_query_counts_are_constant",
    "/api/v1/evaluations/instruments/":
        "tests/evaluations/test_apis.py::test_invitation_and_instrument_list_query_counts_are_constant",
    "/api/v1/public/agencies/":
        "tests/certification/test_public.py::test_public_endpoints_are_one_query_whatever_the_data",
    "/api/v1/public/officers/":
        "tests/certification/test_public.py::test_public_endpoints_are_one_query_whatever_the_data",
    "/api/v1/training/courses/":
        "tests/training/test_apis.py::test_catalogue_and_session_lists_have_constant_query_counts",
    "/api/v1/training/sessions/":
        "tests/training/test_apis.py::test_catalogue_and_session_lists_have_constant_query_counts",
    "/api/v1/training/completions/":
        "tests/training/test_apis.py::test_roster_and_completion_lists_have_constant_query_counts",
    "/api/v1/training/sessions/{session_id}/enrollments/":
        "tests/training/test_apis.py::test_roster_and_completion_lists_have_constant_query_counts",
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _is_list(response_schema: dict, components: dict) -> bool:
    while "$ref" in response_schema:
        response_schema = components[response_schema["$ref"].rsplit("/", 1)[-1]]
    results = response_schema.get("properties", {}).get("results", {})
    return response_schema.get("type") == "array" or results.get("type") == "array"


def list_operations(schema) -> set[str]:
    """Paths of the GET operations under /api/v1/ whose 200 answer is JSON holding a list (a bare array or a page
    with `results`); CSV and PDF downloads are files, not lists."""
    components = schema["components"]["schemas"]
    found = set()
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not path.startswith("/api/v1/") or get is None:
            continue
        body = get.get("responses", {}).get("200", {}).get("content", {}).get("application/json")
        if body is not None and _is_list(body.get("schema", {}), components):
            found.add(path)
    return found


def test_every_list_operation_has_a_query_count_test(schema):
    covered_here = {case.path for case in LIST_CASES}
    pinned = covered_here | set(LIST_QUERY_COUNTS_PINNED_ELSEWHERE)
    operations = list_operations(schema)
    missing = sorted(operations - pinned)
    assert not missing, (f"list endpoints without a query-count test: {missing}. Add a ListCase to "
                         f"{Path(__file__).name} (or name the test that pins it in LIST_QUERY_COUNTS_PINNED_ELSEWHERE)")
    stale = sorted(pinned - operations)
    assert not stale, f"no longer list operations in the schema (remove them here): {stale}"


@pytest.mark.parametrize("path", sorted(LIST_QUERY_COUNTS_PINNED_ELSEWHERE))
def test_the_tests_named_as_pinning_a_list_exist(path):
    test_file, function = LIST_QUERY_COUNTS_PINNED_ELSEWHERE[path].split("::")
    source = (REPO / test_file).read_text()
    assert f"def {function}(" in source, f"{path}: {test_file} has no {function}"
