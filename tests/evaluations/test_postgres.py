"""Races that only PostgreSQL (with real row locks and Redis counters in CI) can show."""

import pytest
from django.db import connection
from django.test.utils import override_settings

from core.exceptions import ApplicationError
from evaluations import services
from evaluations.models import Cycle, FeedbackResponse
from tests.factories import AgencyFactory, OfficerFactory
from tests.support.races import run_together

from .factories import answers_all, cycle_make, invite, open_cycle, token_set

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n, work):
    """work(i) for i in range(n), all released at once (tests/support/races.py): its result or the refusal's status."""
    def attempt(index):
        try:
            return work(index)
        except ApplicationError as exc:
            return exc.status_code

    race = run_together(n, attempt)
    assert race.errors == [], race.errors
    return race.results


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
    services.cycle_close(cycle=Cycle.objects.get(pk=cycle.pk), actor="test")  # pools the held answers
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


def test_pooled_answers_cannot_be_linked_to_invitations_by_id_order_or_transaction_id():
    """Issue #13: answers used to be stored in submission order and in the submitting transaction. Now they are
    held until close and written at close, shuffled, in one transaction: ids are random, the physical row order is
    not the submission order, and every answer row shares one `xmin` with every invitation row of the cycle."""
    cycle = _open_cycle()
    raters = invite(cycle, "peer", 21)
    question = cycle.instrument.questions.order_by("position", "id").first()
    for index, invitation in enumerate(raters):  # submitted in a known order, each marked by its comment
        services.feedback_submit(invitation=invitation, **answers_all(cycle, comment=f"rater-{index:02d}"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM evaluations_feedbackresponse WHERE cycle_id = %s", [cycle.pk])
        assert cursor.fetchone()[0] == 0  # nothing in the anonymous tables before close
    services.cycle_close(cycle=Cycle.objects.get(pk=cycle.pk), actor="test")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.text, a.xmin::text, r.xmin::text, r.id::text FROM evaluations_opentextanswer a "
            "JOIN evaluations_feedbackresponse r ON r.id = a.response_id WHERE a.cycle_id = %s AND a.question_id = %s "
            "ORDER BY r.ctid", [cycle.pk, question.pk])
        rows = cursor.fetchall()
        cursor.execute("SELECT DISTINCT xmin::text FROM evaluations_itemscore WHERE cycle_id = %s", [cycle.pk])
        score_xmins = {r[0] for r in cursor.fetchall()}
        cursor.execute("SELECT DISTINCT xmin::text FROM evaluations_invitation WHERE cycle_id = %s", [cycle.pk])
        invitation_xmins = {r[0] for r in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM evaluations_invitation WHERE cycle_id = %s AND held_answers IS NOT NULL",
                       [cycle.pk])
        held_left = cursor.fetchone()[0]
    assert len(rows) == 21 and held_left == 0
    physical_order = [int(text.split("-")[1]) for text, *_ in rows]
    assert sorted(physical_order) == list(range(21))
    # Row order: the submission order would be recovered 1 time in 21! by chance.
    assert physical_order != list(range(21))
    # Id order: UUIDs, unrelated to the submission order.
    by_id = [int(text.split("-")[1]) for text, *_ in sorted(rows, key=lambda r: r[3])]
    assert by_id != list(range(21))
    # Transaction ids: one for every answer row, the same one that touched every invitation at close.
    xmins = {r[1] for r in rows} | {r[2] for r in rows} | score_xmins
    assert len(xmins) == 1 and invitation_xmins == xmins
