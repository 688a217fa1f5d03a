"""Cached public answers (core/public_cache.py): fast repeats, and a revocation that shows on the very next request
whatever path wrote it — a service, a bulk sweep, a queryset update, raw SQL through Django — even while a reader
loops. Transactional tests: the cache is retired on commit, so these tests commit for real."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Officer
from certification.models import OfficerCertification, OfficerCertificationStatus
from certification.services import officer_certifications_lapse_due
from core.public_cache import GENERATION_KEY
from tests.factories import AgencyFactory, OfficerFactory, UserFactory
from tests.support.builders import certify_officer, revoke_officer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
SEARCH = "/api/v1/public/officers/?q="


def _status(client, officer) -> str:
    response = client.get(SEARCH + officer.license_number)
    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    return row["certification_status"]


@pytest.fixture
def staff_pair():
    from agencies.models import Role

    return UserFactory(role=Role.CERTIFICATION_STAFF), UserFactory(role=Role.CERTIFICATION_STAFF)


@pytest.fixture
def certified(staff_pair):
    officer = OfficerFactory(agency=AgencyFactory())
    certify_officer(officer, staff_pair[0])
    return officer


def test_a_repeated_public_lookup_is_answered_from_the_cache(certified):
    client = APIClient()
    assert _status(client, certified) == "active"
    with CaptureQueriesContext(connection) as repeat:
        assert _status(client, certified) == "active"
    assert len(repeat.captured_queries) == 0


def test_a_revocation_shows_on_the_very_next_request(certified, staff_pair):
    client = APIClient()
    assert _status(client, certified) == "active"
    assert _status(client, certified) == "active"  # now cached
    revoke_officer(certified, *staff_pair)
    assert _status(client, certified) == "revoked"


def _lapse_by_sweep(officer):
    today = timezone.localdate()
    OfficerCertification.objects.filter(officer=officer).update(cycle_start=today - timedelta(400),
                                                                valid_until=today - timedelta(1))
    officer_certifications_lapse_due()


def _lapse_by_queryset_update(officer):
    OfficerCertification.objects.filter(officer=officer).update(status=OfficerCertificationStatus.LAPSED,
                                                                lapsed_at=timezone.now())


def _lapse_by_raw_sql(officer):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE certification_officercertification SET status = 'lapsed', lapsed_at = %s "
                       "WHERE officer_id = %s", [timezone.now(), officer.pk])


@pytest.mark.parametrize("write", [_lapse_by_sweep, _lapse_by_queryset_update, _lapse_by_raw_sql],
                         ids=["bulk sweep", "queryset update", "raw SQL through Django"])
def test_every_write_path_retires_the_cached_answer(certified, write):
    client = APIClient()
    assert _status(client, certified) == "active"
    write(certified)
    assert _status(client, certified) == "lapsed"


def test_a_rename_retires_the_cached_verification_and_search(certified):
    client = APIClient()
    assert client.get(SEARCH + certified.license_number).json()["results"][0]["name"].startswith(
        certified.first_name)
    Officer.objects.filter(pk=certified.pk).update(first_name="Renamed")
    assert client.get(SEARCH + certified.license_number).json()["results"][0]["name"].startswith("Renamed")


def test_an_uncommitted_write_is_neither_served_nor_stored(certified):
    client = APIClient()
    assert _status(client, certified) == "active"

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        _lapse_by_queryset_update(certified)
        assert _status(client, certified) == "lapsed"  # the writer sees its own write, not the cached answer
        raise RolledBack
    assert _status(client, certified) == "active"  # and the write that rolled back was not cached


def test_a_lost_generation_never_revives_an_old_answer(certified, staff_pair):
    client = APIClient()
    assert _status(client, certified) == "active"
    cache.delete(GENERATION_KEY)  # evicted, or a flush of part of the cache
    revoke_officer(certified, *staff_pair)
    assert _status(client, certified) == "revoked"


@pytest.mark.postgres  # a reader thread beside a writer: PostgreSQL's concurrency, as in production
def test_a_revocation_shows_to_a_reader_looping_meanwhile(certified, staff_pair):
    """A reader loops on the public lookup in its own thread (own connection) while staff revoke. Every lookup that
    started after the revocation returned says revoked; lookups before it were served (many from the cache)."""
    observations: list[tuple[float, str]] = []
    stop = threading.Event()

    def reader():
        client = APIClient()
        try:
            while not stop.is_set():
                started = time.monotonic()
                observations.append((started, _status(client, certified)))
        finally:
            connections.close_all()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    wait_until(lambda: len(observations) >= 20, timeout=30, interval=0.01, what="20 lookups")
    revoke_officer(certified, *staff_pair)
    revoked_at = time.monotonic()
    wait_until(lambda: sum(1 for t, _ in observations if t > revoked_at) >= 20, timeout=30,
               interval=0.01, what="20 lookups after the revocation")
    stop.set()
    thread.join(timeout=30)
    before = [status for started, status in observations if started < revoked_at]
    after = [status for started, status in observations if started > revoked_at]
    assert "active" in before
    assert set(after) == {"revoked"}, after
