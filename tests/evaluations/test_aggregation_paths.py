"""The report's numbers come from three plain SQL statements (evaluations/scoring.py). These tests hold them to an
ORM reference (the aggregation the module did before, Avg and StdDev computed by the database) on whichever database
runs the suite, so the SQLite run and the PostgreSQL run each check the same SQL against the ORM."""

import math
import statistics

import pytest
from django.db import connection
from django.db.models import Avg, Count, Max, Min, StdDev
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluations.models import Cycle, FeedbackResponse, ItemScore, OpenTextAnswer, Question, Relationship
from evaluations.scoring import cycle_aggregates_fetch

from .factories import cycle_make, items_of

pytestmark = pytest.mark.django_db

GROUPS = Relationship.values


def orm_reference(cycle) -> dict:
    """What the report needs, aggregated through the ORM: one queryset per figure, floats as the database gives."""
    competencies = list(cycle.instrument.competencies.order_by("position", "id").prefetch_related("items"))
    scored = ItemScore.objects.filter(cycle=cycle, score__isnull=False)

    def cells(key_field):
        rows = (scored.values(key_field, "relationship")
                .annotate(n=Count("response", distinct=True), ratings=Count("id"), mean=Avg("score"),
                          sd=StdDev("score"), low=Min("score"), high=Max("score")).order_by())
        return {(str(row[key_field]), row["relationship"]): row for row in rows}

    def per_group(queryset, count):
        found = dict(queryset.values("relationship").annotate(c=count).values_list("relationship", "c").order_by())
        return {g: found.get(g, 0) for g in GROUPS}

    return {
        "competencies": [(c.key, c.label) for c in competencies],
        "items": [(i.pk, i.text, c.key) for c in competencies for i in c.items.all()],
        "group_responses": per_group(FeedbackResponse.objects.filter(cycle=cycle), Count("id")),
        "group_commenters": per_group(OpenTextAnswer.objects.filter(cycle=cycle), Count("response", distinct=True)),
        "comments": list(OpenTextAnswer.objects.filter(cycle=cycle).order_by("question__position", "question_id",
                                                                             "text")
                         .values_list("relationship", "question_id", "question__text", "text")),
        "competency_cells": cells("item__competency__key"),
        "item_cells": cells("item_id"),
    }


def assert_same_as_reference(aggregates, reference):
    assert aggregates.competencies == reference["competencies"]
    assert aggregates.items == reference["items"]
    assert aggregates.group_responses == reference["group_responses"]
    assert aggregates.group_commenters == reference["group_commenters"]
    assert [(c.relationship, c.question_id, c.question, c.text) for c in aggregates.comments] == reference["comments"]
    for field in ("competency_cells", "item_cells"):
        cells = {(c.key, c.relationship): c for c in getattr(aggregates, field)}
        assert cells.keys() == reference[field].keys(), field
        for key, row in reference[field].items():
            cell = cells[key]
            assert (cell.n, cell.ratings, cell.low, cell.high) == (row["n"], row["ratings"], row["low"], row["high"])
            # The ORM's floats went through the database's own arithmetic (numeric on PostgreSQL): equal to the
            # last bits or so, not bit for bit.
            assert cell.mean == pytest.approx(float(row["mean"]), rel=1e-12)
            assert cell.sd == pytest.approx(float(row["sd"] or 0.0), rel=1e-12, abs=1e-12)


def _write(cycle, items, questions, group, responses):
    for scores, comments in responses:
        response = FeedbackResponse.objects.create(cycle=cycle, relationship=group)
        ItemScore.objects.bulk_create([ItemScore(response=response, cycle=cycle, relationship=group, item=item,
                                                 score=value) for item, value in zip(items, scores, strict=True)])
        OpenTextAnswer.objects.bulk_create([
            OpenTextAnswer(response=response, cycle=cycle, relationship=group, question=question, text=text)
            for question, text in zip(questions, comments, strict=True) if text])


score_value = st.one_of(st.integers(min_value=1, max_value=5), st.none())  # None: "not observed"
comment_text = st.sampled_from(["", "", "b", "a", "Kind", "kind", "a b"])  # repeats: the ORDER BY text tie-break
response_st = st.tuples(st.lists(score_value, min_size=6, max_size=6), st.lists(comment_text, min_size=2, max_size=2))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_sql_aggregates_equal_the_orm_reference_for_any_answers(data, subject_a):
    cycle = cycle_make(subject=subject_a)
    every_item = items_of(cycle)
    # Two items from each of three competencies: pooling within a competency and "not observed" gaps both matter.
    items = [i for key in ("leadership", "communication", "de_escalation")
             for i in [i for i in every_item if i.competency.key == key][:2]]
    questions = list(Question.objects.filter(instrument=cycle.instrument).order_by("position", "id")[:2])
    for group in GROUPS:
        _write(cycle, items, questions, group, data.draw(st.lists(response_st, max_size=6), label=group))

    assert_same_as_reference(cycle_aggregates_fetch(cycle=cycle), orm_reference(cycle))
    Cycle.objects.filter(pk=cycle.pk).delete()


def test_the_bench_shape_equals_the_orm_reference(subject_a):
    """60 raters x the whole default instrument (27 items), every group, comments on every question."""
    cycle = cycle_make(subject=subject_a)
    items = items_of(cycle)
    questions = list(Question.objects.filter(instrument=cycle.instrument).order_by("position", "id"))
    sizes = {"self": 1, "supervisor": 5, "peer": 18, "direct_report": 18, "community": 18}
    for group, size in sizes.items():
        _write(cycle, items, questions, group, [
            ([None if n and (n + i.pk) % 7 == 0 else 1 + (n * 3 + i.pk) % 5 for i in items],
             [f"note {n % 4}" if (n + q) % 3 else "" for q in range(len(questions))])
            for n in range(size)])

    aggregates = cycle_aggregates_fetch(cycle=cycle)

    assert_same_as_reference(aggregates, orm_reference(cycle))
    assert len(aggregates.item_cells) == len(items) * len(sizes)  # each group's first rater observed every item


def test_cell_mean_and_spread_are_the_same_floats_on_every_database(subject_a):
    # The database returns integer sums; Python divides. 5/3 and sqrt(2/9) are what any backend must give.
    cycle = cycle_make(subject=subject_a)
    item = items_of(cycle)[0]
    _write(cycle, [item], [], "peer", [([1], []), ([2], []), ([2], [])])

    cell = next(c for c in cycle_aggregates_fetch(cycle=cycle).item_cells if c.relationship == "peer")

    assert (cell.n, cell.ratings, cell.low, cell.high) == (3, 3, 1, 2)
    assert cell.mean == 5 / 3
    assert cell.sd == math.sqrt(2 / 9) == pytest.approx(statistics.pstdev([1, 2, 2]), rel=1e-15)


def test_not_observed_ratings_make_no_cell_but_the_response_still_counts(subject_a):
    cycle = cycle_make(subject=subject_a)
    items = items_of(cycle)[:2]
    _write(cycle, items, [], "supervisor", [([None, None], [])])

    aggregates = cycle_aggregates_fetch(cycle=cycle)

    assert aggregates.group_responses["supervisor"] == 1
    assert aggregates.competency_cells == [] and aggregates.item_cells == []


def test_a_report_reads_three_statements_whatever_its_size(subject_a):
    cycle = cycle_make(subject=subject_a)
    items = items_of(cycle)
    questions = list(Question.objects.filter(instrument=cycle.instrument))
    _write(cycle, items, questions, "peer", [([4] * len(items), ["kind"] * len(questions))] * 3)
    with CaptureQueriesContext(connection) as few:
        cycle_aggregates_fetch(cycle=cycle)
    _write(cycle, items, questions, "community", [([2] * len(items), ["fair"] * len(questions))] * 20)
    with CaptureQueriesContext(connection) as many:
        cycle_aggregates_fetch(cycle=cycle)

    # Structure (competencies and items), every number in one statement, the comments.
    assert len(few.captured_queries) == len(many.captured_queries) == 3
