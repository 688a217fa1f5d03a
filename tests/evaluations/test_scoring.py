"""Scores: aggregation in the database, anonymity threshold (incl. a hypothesis property), gaps, band rule."""

import json
import statistics

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.vocabulary import COMPETENCY_KEYS
from evaluations import services
from evaluations.models import Cycle, FeedbackResponse, ItemScore, OpenTextAnswer, Question
from evaluations.scoring import (
    cycle_aggregates_fetch,
    development_areas_compute,
    readiness_band_compute,
    report_content_build,
)

from .factories import cycle_make, items_of, respond

pytestmark = pytest.mark.django_db


def content_of(cycle):
    """The report content; an open cycle is closed first (closing pools the held answers)."""
    cycle.refresh_from_db()
    if cycle.status == "open":
        services.cycle_close(cycle=cycle, actor="test")
    return report_content_build(cycle_aggregates_fetch(cycle=cycle))


def competency(content, key):
    return next(c for c in content["competencies"] if c["key"] == key)


def test_group_means_spread_and_counts_come_from_the_database(open_cycle_a):
    cycle = open_cycle_a
    values = (1, 2, 4, 5, 5)  # five peers: the spread threshold (EVALUATION_SPREAD_MINIMUM = 5) is reached
    for value in values:
        respond(cycle, "peer", score=value)
    content = content_of(cycle)
    cell = competency(content, "leadership")["by_group"]["peer"]
    assert cell["mean"] == round(statistics.mean(values), 2)
    assert cell["n"] == 5 and cell["min"] == 1 and cell["max"] == 5
    # Population standard deviation of every rating in the cell (each peer gave one value to all three items).
    assert cell["sd"] == round(statistics.pstdev(values), 2)


def test_three_raters_show_mean_and_n_only_because_min_max_and_sd_would_reveal_each_rating(open_cycle_a):
    # At n = 3, mean 11/3, min 2, max 5 give the third rating (4): the attack of issue #13.
    for value in (2, 4, 5):
        respond(open_cycle_a, "peer", score=value)
    content = content_of(open_cycle_a)
    cell = competency(content, "leadership")["by_group"]["peer"]
    assert cell == {"mean": round(11 / 3, 2), "n": 3, "sd": None, "min": None, "max": None}


def test_disclosed_groups_keep_their_spread(open_cycle_a):
    respond(open_cycle_a, "supervisor", score=4)
    cell = competency(content_of(open_cycle_a), "leadership")["by_group"]["supervisor"]
    assert cell == {"mean": 4.0, "n": 1, "sd": 0.0, "min": 4, "max": 4}


def test_group_comments_need_the_comment_threshold_of_commenting_raters(open_cycle_a):
    # Three peers are shown (minimum 3) but only two wrote a comment: under EVALUATION_COMMENT_MINIMUM (3).
    respond(open_cycle_a, "peer", 2, score=4, comment="Peer quiet remark")
    respond(open_cycle_a, "peer", 1, score=4)
    respond(open_cycle_a, "direct_report", 3, score=4, comment="Report remark")
    content = content_of(open_cycle_a)
    assert next(g for g in content["groups"] if g["relationship"] == "peer")["shown"] is True
    assert "Peer quiet remark" not in json.dumps(content)
    assert sum(c["group"] == "direct_report" for c in content["comments"]) == 3


def test_aggregation_is_three_queries_whatever_the_number_of_raters(open_cycle_a):
    respond(open_cycle_a, "peer", 3, score=4)
    with CaptureQueriesContext(connection) as few:
        cycle_aggregates_fetch(cycle=open_cycle_a)
    respond(open_cycle_a, "direct_report", 12, score=3)
    with CaptureQueriesContext(connection) as many:
        cycle_aggregates_fetch(cycle=open_cycle_a)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_group_below_minimum_is_dropped_whole_scores_and_comments(open_cycle_a):
    respond(open_cycle_a, "peer", 3, score=4, comment="Peer remark about teamwork")
    respond(open_cycle_a, "community", 2, score=1, comment="Community secret remark")
    content = content_of(open_cycle_a)
    groups = {g["relationship"]: g for g in content["groups"]}
    assert groups["community"]["shown"] is False and groups["community"]["responses"] is None
    assert all("community" not in c["by_group"] for c in content["competencies"])
    assert "Community secret remark" not in json.dumps(content)
    assert any(c["text"] == "Peer remark about teamwork" for c in content["comments"])
    # "others" is the shown peers only: the dropped ratings of 1 do not pull it down.
    assert competency(content, "leadership")["others"]["mean"] == 4.0


def test_cell_rated_by_fewer_raters_than_the_minimum_is_suppressed(open_cycle_a):
    # Three peers answer, but only one of them observed de-escalation: that cell would be one person's rating.
    first = items_of(open_cycle_a)
    deesc = {i.pk for i in first if i.competency.key == "de_escalation"}
    respond(open_cycle_a, "peer", 1, score=lambda i: 5)
    respond(open_cycle_a, "peer", 2, score=lambda i: "not_observed" if i.pk in deesc else 3)
    content = content_of(open_cycle_a)
    assert "peer" not in competency(content, "de_escalation")["by_group"]
    assert competency(content, "de_escalation")["others"] is None
    assert all(i["competency"] != "de_escalation" for i in content["highest_items"] + content["lowest_items"])
    assert competency(content, "leadership")["by_group"]["peer"]["n"] == 3


def test_blind_spot_and_hidden_strength_at_a_third_of_the_scale(open_cycle_a):
    keys = {i.pk: i.competency.key for i in items_of(open_cycle_a)}
    self_invitation = open_cycle_a.invitations.get(relationship="self")
    services.feedback_submit(invitation=self_invitation, scores={
        str(pk): (5 if key == "leadership" else 1 if key == "communication" else 3) for pk, key in keys.items()})
    respond(open_cycle_a, "peer", 3, score=lambda i: 3)  # leadership gap +2, communication gap -2
    content = content_of(open_cycle_a)
    assert content["blind_spots"] == ["leadership"]
    assert content["hidden_strengths"] == ["communication"]
    assert competency(content, "leadership")["gap"] == 2.0
    assert competency(content, "de_escalation")["flag"] is None


@pytest.mark.parametrize(("others", "blind", "band"), [
    ({k: 4.5 for k in COMPETENCY_KEYS}, [], "ready_now"),
    ({k: 4.5 for k in COMPETENCY_KEYS}, ["leadership"], "ready_1_2_years"),
    ({**{k: 4.5 for k in COMPETENCY_KEYS}, "leadership": 3.4}, [], "ready_1_2_years"),
    ({k: 3.3 for k in COMPETENCY_KEYS}, [], "ready_1_2_years"),
    ({**{k: 4.0 for k in COMPETENCY_KEYS}, "leadership": 2.4}, [], "development_needed"),
    ({k: 3.0 for k in COMPETENCY_KEYS}, [], "development_needed"),
    ({k: 4.9 for k in COMPETENCY_KEYS[:4]}, [], "development_needed"),  # under half the competencies rated
])
def test_readiness_band_rule(others, blind, band):
    content = {"competencies": [{"key": k, "others": {"mean": others[k], "n": 3} if k in others else None,
                                 "gap": None, "flag": "blind_spot" if k in blind else None}
                                for k in COMPETENCY_KEYS],
               "blind_spots": blind, "hidden_strengths": []}
    assert readiness_band_compute(content) == band


def test_development_areas_lowest_first_then_blind_spots():
    content = {"competencies": [
        {"key": "leadership", "others": {"mean": 3.0, "n": 3}, "gap": 0.1, "flag": None},
        {"key": "communication", "others": {"mean": 2.5, "n": 3}, "gap": 0.0, "flag": None},
        {"key": "de_escalation", "others": {"mean": 4.2, "n": 3}, "gap": 1.5, "flag": "blind_spot"},
        {"key": "integrity_accountability", "others": {"mean": 4.8, "n": 3}, "gap": 0.0, "flag": None},
    ]}
    assert development_areas_compute(content) == ["communication", "leadership", "de_escalation"]


def test_development_areas_fall_back_to_the_two_lowest():
    content = {"competencies": [
        {"key": k, "others": {"mean": 4.0 + i / 10, "n": 3}, "gap": 0.0, "flag": None}
        for i, k in enumerate(COMPETENCY_KEYS)]}
    assert development_areas_compute(content) == COMPETENCY_KEYS[:2]


# --- the property: no under-threshold group leaks through any report field -----------------------------------

GROUPS = ["self", "supervisor", "peer", "direct_report", "community"]
ANONYMOUS = ["peer", "direct_report", "community"]
score_value = st.one_of(st.integers(min_value=1, max_value=5), st.none())
response_st = st.tuples(st.lists(score_value, min_size=4, max_size=4), st.sampled_from(["", "kind", "harsh", "x"]))


def _write(cycle, items, question, group, responses):
    for scores, comment in responses:
        response = FeedbackResponse.objects.create(cycle=cycle, relationship=group)
        ItemScore.objects.bulk_create([ItemScore(response=response, cycle=cycle, relationship=group, item=item,
                                                 score=value) for item, value in zip(items, scores, strict=True)])
        if comment:
            OpenTextAnswer.objects.create(response=response, cycle=cycle, relationship=group, question=question,
                                          text=f"{comment} from {group} LEAKMARK")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_no_under_threshold_group_leaks_through_any_report_field(data, subject_a):
    cycle = cycle_make(subject=subject_a)
    chosen = items_of(cycle)
    # Four items from two competencies so that pooling across items is exercised.
    items = [i for i in chosen if i.competency.key == "leadership"][:2] + \
            [i for i in chosen if i.competency.key == "communication"][:2]
    question = Question.objects.filter(instrument=cycle.instrument).first()
    responses = {g: data.draw(st.lists(response_st, max_size=5), label=g) for g in GROUPS}
    for group, rows in responses.items():
        _write(cycle, items, question, group, rows)
    minimums = cycle.group_minimums
    dropped = [g for g in GROUPS if len(responses[g]) < minimums[g]]
    # Shown anonymous groups whose comments stay hidden: fewer than EVALUATION_COMMENT_MINIMUM raters commented.
    quiet = [g for g in ANONYMOUS if g not in dropped
             and sum(1 for _, comment in responses[g] if comment) < django_settings.EVALUATION_COMMENT_MINIMUM]
    content = content_of(cycle)

    # A twin cycle where every dropped group answered completely differently (or not at all) gives the same report.
    twin = cycle_make(subject=subject_a)
    twin_items = [i for i in items_of(twin) if i.competency.key == "leadership"][:2] + \
                 [i for i in items_of(twin) if i.competency.key == "communication"][:2]
    twin_question = Question.objects.filter(instrument=twin.instrument).first()
    for group in GROUPS:
        rows = responses[group] if group not in dropped else data.draw(
            st.lists(response_st, max_size=minimums[group] - 1), label=f"twin-{group}")
        if group in quiet:  # same ratings, same commenters, other words: the report must not change
            rows = [(scores, f"other-{comment}" if comment else "") for scores, comment in rows]
        _write(twin, twin_items, twin_question, group, rows)
    twin_content = content_of(twin)
    assert json.dumps(content, sort_keys=True) == json.dumps(twin_content, sort_keys=True)

    text = json.dumps(content)
    for group in dropped:
        assert f"from {group} LEAKMARK" not in text
        assert all(group not in c["by_group"] for c in content["competencies"])
        assert next(g for g in content["groups"] if g["relationship"] == group)["responses"] is None
    for group in quiet:
        assert f"from {group} LEAKMARK" not in text
    # Disclosure by statistics: an anonymous cell under EVALUATION_SPREAD_MINIMUM raters shows mean and n only.
    for competency_row in content["competencies"]:
        for group, cell in competency_row["by_group"].items():
            if group in ANONYMOUS and cell["n"] < django_settings.EVALUATION_SPREAD_MINIMUM:
                assert cell["sd"] is None and cell["min"] is None and cell["max"] is None
    Cycle.objects.filter(pk__in=[cycle.pk, twin.pk]).delete()
