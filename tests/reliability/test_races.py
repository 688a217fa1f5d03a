"""Races on PostgreSQL: 20 threads released together by a barrier hit one resource through the HTTP API (each thread
its own django.test client, so requests run the real authentication, views, services and error handler).

Each scenario asserts exactly the intended effect (one verification, one issue, N seats, one submission, capacity
held, a chain that never forks), that every loser gets a clean 4xx in the error shape, and that no request raised
(an exception escaping a view is what would have been a 500). Every scenario runs RACE_ROUNDS times.
"""

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Role
from certification.models import (
    AgencyCertification,
    AgencyCertificationStatus,
    Finding,
    FindingStatus,
    OfficerCertification,
    OfficerCertificationStatus,
    Plaque,
)
from coaching.models import Agreement, AgreementStatus
from core.audit import GENESIS_HASH, audit_chain_verify, audit_record
from core.models import AuditEvent
from demo.data.certification import programme_ensure
from evaluations import services as evaluation_services
from evaluations.models import Cycle, FeedbackResponse, Invitation
from tests.certification.test_officer_certification import certified, sustained_finding
from tests.coaching.factories import CoacheeFactory, CoachProfileFactory, NeedsAssessmentFactory
from tests.conftest import jwt_client
from tests.evaluations.factories import answers_all, cycle_make, invite, open_cycle, token_set
from tests.factories import AgencyFactory, OfficerFactory, UserFactory
from tests.support.builders import agency_certification_ready
from tests.support.races import run_together
from tests.training.factories import CourseFactory, SessionFactory
from training.models import Enrollment, EnrollmentStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
RACE_ROUNDS = int(os.environ.get("RELIABILITY_RACE_ROUNDS", "3"))
SEATS = 5
COACH_CAPACITY = 3
LEDGER_APPENDS_PER_THREAD = 5
ERROR_KEYS = {"code", "message", "fields"}


@dataclass
class Race:
    work: object  # (thread index) -> django test response
    check: object  # (list of responses) -> None; asserts the rows written


def _staff_clients(prefix: str, n: int = THREADS) -> list[APIClient]:
    return [jwt_client(UserFactory(username=f"{prefix}{i}", role=Role.CERTIFICATION_STAFF, is_staff=True))
            for i in range(n)]


def _statuses(responses) -> list[int]:
    return sorted(r.status_code for r in responses)


def _summary(responses) -> list[tuple[int, str]]:
    """(status, error code) of every response, for assertion messages."""
    return sorted((r.status_code, r.json().get("code", "") if r.status_code >= 400 else "") for r in responses)


def _losers_are_clean_conflicts(responses, winner_status: int, codes: set[str]) -> None:
    for response in responses:
        if response.status_code == winner_status:
            continue
        body = response.json()
        assert response.status_code == 409, (response.status_code, body)
        assert set(body) == ERROR_KEYS and body["code"] in codes, body


def _audit_count(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- the scenarios ---------------------------------------------------------------------------------------------

def finding_double_verification() -> Race:
    recorder = UserFactory(username="recorder", role=Role.CERTIFICATION_STAFF, is_staff=True)
    officer = OfficerFactory(agency=AgencyFactory())
    certified(officer, recorder)
    finding = sustained_finding(officer, recorder)
    clients = _staff_clients("verifier")  # 20 different second persons (two-person rule)

    def work(i):
        return clients[i].post(f"/api/v1/certification/findings/{finding.pk}/verify/", format="json")

    def check(responses):
        assert _statuses(responses) == [200] + [409] * (THREADS - 1), _summary(responses)
        _losers_are_clean_conflicts(responses, 200, {"concurrent_change", "invalid_transition"})
        assert Finding.objects.get(pk=finding.pk).status == FindingStatus.VERIFIED
        assert _audit_count("finding.verified") == 1
        assert _audit_count("officer.permanently_ineligible") == 1
        assert _audit_count("officer_certification.revoked") == 1
        assert OfficerCertification.objects.get(officer=officer).status == OfficerCertificationStatus.REVOKED

    return Race(work, check)


def agency_certification_double_issue() -> Race:
    staff = UserFactory(username="reviewer", role=Role.CERTIFICATION_STAFF, is_staff=True)
    programme = programme_ensure(actor="test")[0]
    certification = agency_certification_ready(AgencyFactory(state="CA"), programme, staff)
    clients = _staff_clients("issuer")

    def work(i):
        return clients[i].post(f"/api/v1/certification/agency-certifications/{certification.pk}/issue/",
                               format="json")

    def check(responses):
        assert _statuses(responses) == [200] + [409] * (THREADS - 1), _summary(responses)
        _losers_are_clean_conflicts(responses, 200, {"concurrent_change", "invalid_transition"})
        certification.refresh_from_db()
        assert certification.status == AgencyCertificationStatus.ISSUED and certification.certificate_number
        assert Plaque.objects.filter(certification=certification).count() == 1
        assert AgencyCertification.objects.filter(status=AgencyCertificationStatus.ISSUED).count() == 1
        assert _audit_count("agency_certification.issued") == 1
        assert _audit_count("plaque.ordered") == 1
        winner = next(r for r in responses if r.status_code == 200).json()
        assert winner["certificate_number"] == certification.certificate_number

    return Race(work, check)


def session_capacity() -> Race:
    agency = AgencyFactory(state="CA")
    session = SessionFactory(course=CourseFactory(), capacity=SEATS)
    officers = [OfficerFactory(agency=agency) for _ in range(THREADS)]
    clients = _staff_clients("registrar")

    def work(i):
        return clients[i].post(f"/api/v1/training/sessions/{session.pk}/enrollments/",
                               {"officer_ids": [officers[i].pk]}, format="json")

    def check(responses):
        assert _statuses(responses) == [200] * THREADS, _summary(responses)
        results = sorted(r.json()["results"][0]["result"] for r in responses)
        assert results == ["enrolled"] * SEATS + ["waitlisted"] * (THREADS - SEATS)
        rows = Enrollment.objects.filter(session=session)
        assert rows.filter(status=EnrollmentStatus.ENROLLED).count() == SEATS
        assert rows.filter(status=EnrollmentStatus.WAITLISTED).count() == THREADS - SEATS
        assert rows.count() == THREADS
        assert _audit_count("enrollment.created_enrolled") == SEATS

    return Race(work, check)


def feedback_double_submission() -> Race:
    cycle = open_cycle(cycle_make(subject=OfficerFactory(agency=AgencyFactory())))
    invitation = invite(cycle, "peer")[0]
    token = token_set(invitation)
    answers = answers_all(cycle)

    def work(_):
        return APIClient().post(f"/api/v1/feedback/{token}/", answers, format="json")

    def check(responses):
        assert _statuses(responses) == [201] + [409] * (THREADS - 1), _summary(responses)
        _losers_are_clean_conflicts(responses, 201, {"feedback_already_submitted"})
        assert Invitation.objects.get(pk=invitation.pk).submitted_at is not None
        # The answers are held with the invitation until close; closing pools exactly one answer set.
        evaluation_services.cycle_close(cycle=Cycle.objects.get(pk=cycle.pk), actor="test")
        assert FeedbackResponse.objects.filter(cycle=cycle).count() == 1
        assert _audit_count("evaluation_invitation.submitted") == 1

    return Race(work, check)


def _agreement_dates() -> dict:
    start = timezone.localdate() + timedelta(days=1)
    return {"start_date": start.isoformat(), "end_date": (start + timedelta(days=120)).isoformat()}


def coach_confirmations_against_capacity() -> Race:
    coach = CoachProfileFactory(capacity=COACH_CAPACITY)
    assessments = [NeedsAssessmentFactory(coachee=CoacheeFactory()) for _ in range(THREADS)]
    clients = _staff_clients("matcher")
    dates = _agreement_dates()

    def work(i):
        return clients[i].post(f"/api/v1/coaching/needs-assessments/{assessments[i].pk}/confirm/",
                               {"coach": coach.pk, **dates}, format="json")

    def check(responses):
        assert _statuses(responses) == [201] * COACH_CAPACITY + [409] * (THREADS - COACH_CAPACITY), _summary(responses)
        _losers_are_clean_conflicts(responses, 201, {"coach_at_capacity"})
        assert Agreement.objects.filter(coach=coach, status=AgreementStatus.PROPOSED).count() == COACH_CAPACITY
        assert _audit_count("agreement.proposed") == COACH_CAPACITY

    return Race(work, check)


def one_assessment_confirmed_with_twenty_coaches() -> Race:
    assessment = NeedsAssessmentFactory(coachee=CoacheeFactory())
    coaches = [CoachProfileFactory() for _ in range(THREADS)]
    clients = _staff_clients("matcher")
    dates = _agreement_dates()

    def work(i):
        return clients[i].post(f"/api/v1/coaching/needs-assessments/{assessment.pk}/confirm/",
                               {"coach": coaches[i].pk, **dates}, format="json")

    def check(responses):
        assert _statuses(responses) == [201] + [409] * (THREADS - 1), _summary(responses)
        _losers_are_clean_conflicts(responses, 201, {"concurrent_change", "invalid_transition",
                                                     "needs_assessment_not_open", "assessment_not_open"})
        assert Agreement.objects.filter(coachee=assessment.coachee).count() == 1
        assert _audit_count("agreement.proposed") == 1

    return Race(work, check)


def ledger_appends() -> Race:
    before = AuditEvent.objects.count()

    def work(i):
        for k in range(LEDGER_APPENDS_PER_THREAD):
            audit_record(actor=None, action="reliability.appended", data={"thread": i, "k": k})
        return None

    def check(_):
        assert _audit_count("reliability.appended") == THREADS * LEDGER_APPENDS_PER_THREAD
        events = list(AuditEvent.objects.order_by("sequence").values_list("sequence", "prev_hash", "entry_hash"))
        assert len(events) == before + THREADS * LEDGER_APPENDS_PER_THREAD
        assert [e[0] for e in events] == list(range(events[0][0], events[0][0] + len(events)))  # no gaps
        assert len({e[1] for e in events}) == len(events)  # no two entries share a parent: no fork
        assert [e[1] for e in events] == [GENESIS_HASH] + [e[2] for e in events[:-1]]

    return Race(work, check)


RACES = {
    "finding-double-verification": finding_double_verification,
    "agency-certification-double-issue": agency_certification_double_issue,
    "session-capacity": session_capacity,
    "feedback-double-submission": feedback_double_submission,
    "coach-confirmations-against-capacity": coach_confirmations_against_capacity,
    "one-assessment-twenty-coaches": one_assessment_confirmed_with_twenty_coaches,
    "ledger-appends": ledger_appends,
}


@pytest.mark.parametrize("round_", range(RACE_ROUNDS), ids=lambda r: f"round{r}")
@pytest.mark.parametrize("name", list(RACES))
def test_twenty_concurrent_requests_have_exactly_one_effect(name, round_):
    race = RACES[name]()
    outcomes = run_together(THREADS, race.work)
    assert outcomes.errors == [], f"{len(outcomes.errors)} request(s) raised (a 500): {outcomes.errors[:3]!r}"
    responses = [r for r in outcomes.results if r is not None]
    assert all(r.status_code < 500 for r in responses), _statuses(responses)
    race.check(responses)
    # Every scenario also appended to the ledger from 20 threads: it still verifies end to end.
    chain = audit_chain_verify()
    assert chain.ok, chain
