"""Races that only PostgreSQL (with real row locks and Redis counters in CI) can show."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import override_settings

from core.exceptions import ApplicationError
from evaluations import services
from evaluations.models import Cycle, FeedbackResponse
from tests.factories import AgencyFactory, OfficerFactory

from .factories import answers_all, cycle_make, invite, open_cycle, token_set

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n, work):
    barrier = threading.Barrier(n)
    results = []
    lock = threading.Lock()

    def run(index):
        try:
            barrier.wait()
            outcome = work(index)
        except ApplicationError as exc:
            outcome = exc.status_code
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _open_cycle():
    cycle = open_cycle(cycle_make(subject=OfficerFactory(agency=AgencyFactory())))
    return cycle


def test_twenty_parallel_submissions_of_one_link_store_one_response():
    cycle = _open_cycle()
    invitation = invite(cycle, "peer")[0]
    answers = answers_all(cycle)

    def submit(_):
        services.feedback_submit(invitation=invitation, **answers)
        return 201

    results = _race(20, submit)
    assert sorted(results) == [201] + [409] * 19
    assert FeedbackResponse.objects.filter(cycle=cycle).count() == 1


def test_submission_racing_the_close_is_either_counted_or_refused():
    cycle = _open_cycle()
    invitations = invite(cycle, "peer", 10)
    answers = answers_all(cycle)

    def work(index):
        if index == 0:
            services.cycle_close(cycle=Cycle.objects.get(pk=cycle.pk), actor="test")
            return "closed"
        services.feedback_submit(invitation=invitations[index - 1], **answers)
        return 201

    results = _race(11, work)
    accepted = results.count(201)
    assert "closed" in results and accepted + results.count(410) == 10
    assert FeedbackResponse.objects.filter(cycle=cycle).count() == accepted
    assert cycle.invitations.filter(submitted_at__isnull=False).count() == accepted


@override_settings(EVALUATION_TOKEN_GUESSES_PER_ADDRESS=7)
def test_parallel_token_guesses_get_exactly_the_limit_of_lookups():
    cycle = _open_cycle()
    token_set(invite(cycle, "peer")[0])

    def guess(index):
        services.feedback_invitation_resolve(token=f"guess-{index}", address="203.0.113.9")

    results = _race(20, guess)
    assert sorted(results) == [404] * 7 + [429] * 13


def test_raw_sql_cannot_store_a_score_outside_the_scale():
    cycle = _open_cycle()
    response = FeedbackResponse.objects.create(cycle=cycle, relationship="peer")
    item_id = cycle.instrument.competencies.first().items.first().pk
    with pytest.raises(Exception, match="likert"), connection.cursor() as cursor:
        cursor.execute("INSERT INTO evaluations_itemscore (id, response_id, cycle_id, relationship, item_id, score) "
                       "VALUES (gen_random_uuid(), %s, %s, 'peer', %s, 9)", [response.pk, cycle.pk, item_id])
