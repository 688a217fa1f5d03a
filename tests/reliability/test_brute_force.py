"""Brute force under parallel requests: exactly the configured number of attempts reach the guarded check.

100 threads, released together by a barrier, each send one request through the HTTP API (own django.test client).
The counters are atomic cache increments reserved before the check (Redis INCR when CACHE_URL is Redis, as in
CI), not DRF's read-then-write throttle, so no racing request slips through.
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from core.models import AuditEvent
from evaluations.models import FeedbackResponse
from tests.evaluations.factories import answers_all, cycle_make, invite, open_cycle, token_set
from tests.factories import TEST_PASSWORD, AgencyFactory, OfficerFactory
from tests.support.races import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ATTEMPTS = 100
ERROR_KEYS = {"code", "message", "fields"}


def _by_status(responses) -> dict[int, int]:
    counts: dict[int, int] = {}
    for response in responses:
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
    return counts


def _codes(responses, status: int) -> set[str]:
    bodies = [r.json() for r in responses if r.status_code == status]
    assert all(set(b) == ERROR_KEYS for b in bodies), bodies[:1]
    return {b["code"] for b in bodies}


def test_the_counters_use_the_configured_cache():
    # Reported with the results: on CI CACHE_URL points at Redis, so the counters are Redis INCR.
    backend = settings.CACHES["default"]["BACKEND"]
    assert cache.add("reliability-probe", 0, timeout=5)
    assert cache.incr("reliability-probe") == 1
    print(f"rate-limit cache backend: {backend}")


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=10_000)
def test_hundred_parallel_logins_at_one_account_let_exactly_the_account_limit_reach_the_password_check(admin_a):
    def attempt(i):
        return APIClient().post("/api/v1/auth/token/", {"username": "admin_a", "password": f"guess-{i:03d}-x"},
                                format="json")

    outcomes = run_together(ATTEMPTS, attempt)
    assert outcomes.errors == []
    counts = _by_status(outcomes.results)
    assert counts == {401: 10, 429: ATTEMPTS - 10}, counts
    assert _codes(outcomes.results, 401) == {"authentication_failed"}
    assert _codes(outcomes.results, 429) == {"too_many_login_attempts"}
    # The owner, with the right password, is also held off until the window passes (counted before the check).
    blocked = APIClient().post("/api/v1/auth/token/", {"username": "admin_a", "password": TEST_PASSWORD},
                               format="json")
    assert blocked.status_code == 429


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=10_000)
def test_the_account_limit_ignores_case_and_surrounding_spaces_of_the_username(admin_a):
    variants = ["admin_a", "ADMIN_A", " admin_a", "Admin_A ", "aDmIn_a"]

    def attempt(i):
        return APIClient().post("/api/v1/auth/token/", {"username": variants[i % len(variants)],
                                                        "password": "wrong-password-x"}, format="json")

    outcomes = run_together(ATTEMPTS, attempt)
    assert outcomes.errors == []
    counts = _by_status(outcomes.results)
    assert counts.get(429) == ATTEMPTS - 10 and sum(v for k, v in counts.items() if k != 429) == 10, counts


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10_000, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=25)
def test_hundred_parallel_logins_from_one_address_at_many_accounts_let_exactly_the_address_limit_through(db):
    def attempt(i):
        return APIClient().post("/api/v1/auth/token/", {"username": f"sprayed-{i}", "password": "Winter2026!"},
                                format="json")

    outcomes = run_together(ATTEMPTS, attempt)
    assert outcomes.errors == []
    counts = _by_status(outcomes.results)
    assert counts == {401: 25, 429: ATTEMPTS - 25}, counts


@override_settings(EVALUATION_TOKEN_GUESSES_PER_ADDRESS=30)
def test_hundred_parallel_guessed_feedback_links_get_exactly_the_guess_budget_of_lookups():
    cycle = open_cycle(cycle_make(subject=OfficerFactory(agency=AgencyFactory())))
    real_token = token_set(invite(cycle, "peer")[0])
    answers = answers_all(cycle)  # a complete, valid answer set: only the link is wrong

    def guess(i):
        return APIClient().post(f"/api/v1/feedback/guess-{i:03d}-{'x' * 40}/", answers, format="json")

    outcomes = run_together(ATTEMPTS, guess)
    assert outcomes.errors == []
    counts = _by_status(outcomes.results)
    assert counts == {404: 30, 429: ATTEMPTS - 30}, counts
    assert _codes(outcomes.results, 404) == {"feedback_link_unknown"}
    assert _codes(outcomes.results, 429) == {"too_many_requests"}
    # The budget is per address and spent: more guesses from here are refused, and nothing was written.
    assert APIClient().get("/api/v1/feedback/guess-101/").status_code == 429
    assert FeedbackResponse.objects.filter(cycle=cycle).count() == 0
    # Another address still has its own budget; and a valid link always works (tests/reliability/test_limits.py).
    assert APIClient(REMOTE_ADDR="198.51.100.7").get("/api/v1/feedback/guess-other/").status_code == 404
    assert APIClient().get(f"/api/v1/feedback/{real_token}/").status_code == 200
    assert not AuditEvent.objects.filter(action="evaluation_invitation.submitted").exists()


@override_settings(EVALUATION_TOKEN_GUESSES_PER_ADDRESS=30)
def test_valid_links_opened_in_parallel_do_not_spend_the_guess_budget():
    cycle = open_cycle(cycle_make(subject=OfficerFactory(agency=AgencyFactory())))
    real_token = token_set(invite(cycle, "peer")[0])

    # 20 at once (fewer than the budget, so reservations in flight never exhaust it), five times over.
    for _ in range(5):
        outcomes = run_together(20, lambda i: APIClient().get(f"/api/v1/feedback/{real_token}/"))
        assert outcomes.errors == []
        assert _by_status(outcomes.results) == {200: 20}
    # Every successful lookup gave its reservation back: the full budget of guesses is still there.
    guesses = [APIClient().get(f"/api/v1/feedback/guess-{i}/").status_code for i in range(31)]
    assert guesses == [404] * 30 + [429]
