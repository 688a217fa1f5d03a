"""Issue #12, findings 1-3: the login, registry and reviewer-link limits hold at every door, cannot be dodged by a
forged X-Forwarded-For, and count failures only, so an agency office behind one address is never locked out.

Parallel attacks use the same harness as test_brute_force.py (threads released by a barrier, real HTTP through
Django's test clients, real counters in the configured cache: Redis INCR in CI) and need PostgreSQL; the
sequential checks run everywhere.
"""

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from rest_framework.test import APIClient

from agencies.models import Role, User
from evaluations.models import Invitation
from tests.evaluations.factories import answers_all, cycle_make, invite, open_cycle, token_set
from tests.factories import TEST_PASSWORD, AgencyFactory, OfficerFactory, UserFactory
from tests.support.races import run_together
from tests.support.waiting import wait_until

REFUSAL = "Too many login attempts; try again in up to 15 minutes."
WRONG_ADMIN_PASSWORD = "Please enter the correct username and password"


def _statuses(responses) -> dict[int, int]:
    counts: dict[int, int] = {}
    for response in responses:
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
    return counts


def api_login(username, password=TEST_PASSWORD, **meta):
    return APIClient(**meta).post("/api/v1/auth/token/", {"username": username, "password": password},
                                  format="json")


def admin_login(username, password=TEST_PASSWORD, client=None, **meta):
    client = client or Client(**meta)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password,
                                                           "next": "/admin/"}, **meta)
    return client, response


def admin_outcome(response) -> str:
    """What the admin login did with the attempt: logged in, checked a wrong password, or refused unchecked."""
    if response.status_code == 302:
        return "logged_in"
    html = response.content.decode()
    if REFUSAL in html:
        return "refused"
    if WRONG_ADMIN_PASSWORD in html:
        return "wrong_password"
    return f"unexpected {response.status_code}"


# --- finding 1: the admin login spends the API login's budget ---------------------------------------------------


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10)
def test_admin_login_refuses_an_account_the_api_refused_even_with_the_right_password(staff_user):
    assert [api_login("staff", "wrong-password-x").status_code for _ in range(10)] == [401] * 10
    assert api_login("staff").status_code == 429
    # The attack: 30 more guesses at /admin/login/ are not even checked, and the right one does not log in.
    outcomes = {admin_outcome(admin_login("staff", f"guess-{i}-x")[1]) for i in range(30)}
    assert outcomes == {"refused"}
    client, response = admin_login("staff")
    assert admin_outcome(response) == "refused"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10)
def test_wrong_admin_passwords_spend_the_api_login_budget(staff_user):
    assert [admin_outcome(admin_login("STAFF ", "wrong-password-x")[1]) for _ in range(10)] == ["wrong_password"] * 10
    refused = api_login("staff")
    assert refused.status_code == 429
    assert refused.json() == {"code": "too_many_login_attempts", "message": REFUSAL, "fields": {}}


@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3)
def test_a_successful_admin_login_clears_the_account_count_as_the_api_does(staff_user):
    for _ in range(2):
        assert admin_outcome(admin_login("staff", "wrong-password-x")[1]) == "wrong_password"
    client, response = admin_login("staff")
    assert admin_outcome(response) == "logged_in" and "_auth_user_id" in client.session
    assert [api_login("staff", "wrong-password-x").status_code for _ in range(3)] == [401] * 3


@pytest.mark.parametrize("door", ["admin only", "admin and API together"])
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=10_000)
def test_hundred_parallel_admin_logins_let_exactly_the_account_limit_reach_the_password_check(door):
    UserFactory(username="staff", role=Role.CERTIFICATION_STAFF, is_staff=True)

    def attempt(i):
        if door == "admin and API together" and i % 2:
            response = api_login("staff", f"guess-{i:03d}-x")
            return {401: "wrong_password", 429: "refused"}.get(response.status_code, str(response.status_code))
        return admin_outcome(admin_login("staff", f"guess-{i:03d}-x")[1])

    outcomes = run_together(100, attempt)
    assert outcomes.errors == []
    counts = {o: outcomes.results.count(o) for o in set(outcomes.results)}
    assert counts == {"wrong_password": 10, "refused": 90}, counts
    # The owner is held off at both doors until the window passes.
    assert admin_outcome(admin_login("staff")[1]) == "refused"
    assert api_login("staff").status_code == 429


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10_000, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=25)
def test_hundred_parallel_admin_logins_at_many_accounts_from_one_address_let_exactly_the_address_limit_through():
    def attempt(i):
        return admin_outcome(admin_login(f"sprayed-{i}", "Winter2026!")[1])

    outcomes = run_together(100, attempt)
    assert outcomes.errors == []
    counts = {o: outcomes.results.count(o) for o in set(outcomes.results)}
    assert counts == {"wrong_password": 25, "refused": 75}, counts


# --- finding 2: a client cannot pick its own address ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(PUBLIC_REGISTRY_REQUESTS_PER_MINUTE=60)
def test_registry_lookups_each_with_its_own_forged_forwarded_for_get_exactly_the_limit_of_answers():
    """The review's attack (130 calls against 120/minute, each with its own X-Forwarded-For) at half scale: 70
    parallel threads each hold a database connection, and PostgreSQL allows 100 in all."""
    def lookup(i):
        return APIClient().get("/api/v1/public/officers/", {"q": "Park"},
                               HTTP_X_FORWARDED_FOR=f"198.18.{i // 250}.{i % 250 + 1}")

    outcomes = run_together(70, lookup)
    assert outcomes.errors == []
    assert _statuses(outcomes.results) == {200: 60, 429: 10}
    # The registry pages for people share the counter and the address rule.
    assert Client(HTTP_X_FORWARDED_FOR="198.18.200.1").get("/registry/", {"q": "Park"}).status_code == 429


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10_000, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=25,
                   EVALUATION_TOKEN_GUESSES_PER_ADDRESS=30)
def test_forged_forwarded_for_does_not_multiply_the_login_or_reviewer_link_budgets():
    logins = run_together(100, lambda i: api_login(f"sprayed-{i}", "Winter2026!",
                                                   HTTP_X_FORWARDED_FOR=f"198.18.0.{i + 1}"))
    assert logins.errors == []
    assert _statuses(logins.results) == {401: 25, 429: 75}

    guesses = run_together(100, lambda i: APIClient().get(f"/api/v1/feedback/guess-{i:03d}-{'x' * 40}/",
                                                          HTTP_X_FORWARDED_FOR=f"198.18.1.{i + 1}"))
    assert guesses.errors == []
    assert _statuses(guesses.results) == {404: 30, 429: 70}


@override_settings(TRUSTED_PROXY_COUNT=1, PUBLIC_REGISTRY_REQUESTS_PER_MINUTE=3)
def test_behind_a_trusted_proxy_each_real_client_is_counted_and_forged_prefixes_are_ignored(db):
    # Our proxy (the socket peer 10.0.0.2) appends the address it saw; whatever the client wrote comes before it.
    def lookup(client_written, seen_by_proxy):
        return APIClient(REMOTE_ADDR="10.0.0.2").get(
            "/api/v1/public/metrics/", HTTP_X_FORWARDED_FOR=f"{client_written}, {seen_by_proxy}").status_code

    assert [lookup(f"198.18.0.{i}", "203.0.113.5") for i in range(4)] == [200, 200, 200, 429]
    assert lookup("203.0.113.5", "203.0.113.6") == 200  # another real client keeps its own budget


# --- finding 3: count failures only; a valid reviewer link always works -----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=25)
def test_successful_logins_from_one_office_address_never_spend_its_failure_budget():
    users = [UserFactory(username=f"officer{i}", role=Role.INSTRUCTOR) for i in range(20)]
    # 100 logins, 20 at a time (fewer than the limit in flight, as at an office door), against a limit of 25.
    for _ in range(5):
        outcomes = run_together(20, lambda i: api_login(users[i].username))
        assert outcomes.errors == []
        assert _statuses(outcomes.results) == {200: 20}
    for i in range(2):  # the admin login, too, gives a success's slot back
        staff = UserFactory(username=f"office-staff-{i}", role=Role.CERTIFICATION_STAFF, is_staff=True)
        assert admin_outcome(admin_login(staff.username)[1]) == "logged_in"
    # The whole failure budget is still there, and is exact.
    failures = run_together(40, lambda i: api_login(f"typo-{i}", "wrong-password-x"))
    assert failures.errors == []
    assert _statuses(failures.results) == {401: 25, 429: 15}


def test_default_limits_let_an_office_of_500_behind_one_address_log_in_with_their_typos(db):
    # Default settings: 500 people log in from the agency's one NAT address within one window, 100 of them after
    # a typo. Before the fix the 51st attempt was refused.
    password = make_password(TEST_PASSWORD)
    User.objects.bulk_create([User(username=f"office{i}", password=password, role=Role.INSTRUCTOR)
                              for i in range(500)])
    statuses = []
    for i in range(500):
        if i % 5 == 0:
            statuses.append(api_login(f"office{i}", "wrong-password-x").status_code)
        statuses.append(api_login(f"office{i}").status_code)
    assert statuses.count(200) == 500 and statuses.count(401) == 100 and 429 not in statuses


def _feedback_world():
    cycle = open_cycle(cycle_make(subject=OfficerFactory(agency=AgencyFactory())))
    tokens = [token_set(invitation) for invitation in invite(cycle, "peer", 3)]
    return cycle, tokens


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(EVALUATION_TOKEN_GUESSES_PER_ADDRESS=30)
def test_a_valid_reviewer_link_works_after_its_address_spent_the_guess_budget():
    cycle, tokens = _feedback_world()
    guesses = run_together(100, lambda i: APIClient().get(f"/api/v1/feedback/guess-{i:03d}-{'x' * 40}/"))
    assert guesses.errors == []
    assert _statuses(guesses.results) == {404: 30, 429: 70}
    # Same address, budget spent: the reviewers' real links still open, save and submit (API and page).
    assert APIClient().get(f"/api/v1/feedback/{tokens[0]}/").status_code == 200
    assert Client().get(f"/feedback/{tokens[1]}/").status_code == 200
    submitted = APIClient().post(f"/api/v1/feedback/{tokens[0]}/", answers_all(cycle), format="json")
    assert submitted.status_code in {200, 201}, submitted.content
    assert Invitation.objects.filter(cycle=cycle, submitted_at__isnull=False).count() == 1
    # An unknown link is still refused.
    assert APIClient().get("/api/v1/feedback/guess-after/").status_code == 429


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(EVALUATION_TOKEN_GUESSES_PER_ADDRESS=30)
def test_valid_links_opened_during_a_parallel_guessing_run_all_work_and_guesses_stay_exact():
    _, tokens = _feedback_world()

    def request(i):
        if i % 5 == 0:  # 16 reviewers among 64 guesses, all released together
            return "valid", APIClient().get(f"/api/v1/feedback/{tokens[i % 3]}/").status_code
        return "guess", APIClient().get(f"/api/v1/feedback/guess-{i:03d}-{'x' * 40}/").status_code

    # 80 threads: each holds a database connection, and PostgreSQL's default allows 100 in all.
    outcomes = run_together(80, request)
    assert outcomes.errors == []
    valid = [status for kind, status in outcomes.results if kind == "valid"]
    guesses = [status for kind, status in outcomes.results if kind == "guess"]
    assert valid == [200] * 16
    assert sorted(guesses) == [404] * 30 + [429] * 34


# --- finding 4: counters are shared by every worker process ----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_gunicorn_workers_in_production_share_one_login_budget(settings):
    """Production as operators run it (gunicorn, several workers, the required shared CACHE_URL): 40 parallel
    guesses over real HTTP, spread over four processes, let exactly the account limit reach the password check."""
    cache_location = settings.CACHES["default"].get("LOCATION", "")
    if settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        pytest.skip("needs CACHE_URL pointing at Redis (CI does)")
    database = settings.DATABASES["default"]
    root = Path(__file__).resolve().parents[2]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ENV", "DEBUG"}}
    env.update(
        DJANGO_ENV="production", SECRET_KEY="w" * 20 + "-x9Kq2mZ7vR4tL8wN3bY6cH1jF5gD0sA", ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false", CACHE_URL=cache_location if isinstance(cache_location, str) else cache_location[0],
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        LOGIN_MAX_ATTEMPTS_PER_ACCOUNT="10", LOGIN_MAX_ATTEMPTS_PER_ADDRESS="10000", CONN_MAX_AGE="0",
    )
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", "4", "--preload",
                               "--timeout", "120", "-b", f"127.0.0.1:{port}", "--no-control-socket"], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def post(i):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/auth/token/", headers={"Content-Type": "application/json"},
            data=f'{{"username": "target", "password": "guess-{i:03d}-x"}}'.encode())
        try:
            return urllib.request.urlopen(request, timeout=60).status  # noqa: S310
        except urllib.error.HTTPError as exc:
            return exc.code

    def answering():
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health/", timeout=30)  # noqa: S310
        except urllib.error.HTTPError:
            return True  # answering, whatever it says about its dependencies
        except OSError:
            return False
        return True

    try:
        wait_until(answering, timeout=90, what="the server to answer")
        outcomes = run_together(40, post)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert outcomes.errors == []
    assert sorted(outcomes.results) == [401] * 10 + [429] * 30
