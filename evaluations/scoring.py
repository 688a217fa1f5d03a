"""Scores of a cycle: aggregation in the database, the anonymity rules, the readiness band.

Aggregation
    Three statements whatever the number of raters: the instrument's competencies and items, the comments, and one
    statement of GROUP BYs that returns every number (competency x group and item x group: count of raters, count
    of ratings, sum, sum of squares, min, max; responses per group; raters per group who wrote a comment). The
    database returns integers only; Python derives each cell's mean and population standard deviation from them
    (so SQLite and PostgreSQL give the same floats) and then applies the rules below to those few rows. The SQL is
    plain text in this module, valid on both databases: a report of 60 raters x 40 items spends its time in the
    database, not in building queries.

Anonymity (applied before anything leaves this module)
    * A group with fewer submitted responses than its minimum (self 1, supervisor 1, anonymous groups at least
      EVALUATION_ANONYMOUS_GROUP_MINIMUM) is dropped whole: no scores, no comments, not even its response count
      ("not shown" looks the same for 0 and for minimum - 1 responses).
    * Within a shown group, a competency or item rated by fewer raters than the group's minimum (the others chose
      "not observed") is suppressed too, or it would show one person's ratings.
    * "Others" is pooled from the shown, non-self cells only, so no dropped group can be worked out by subtracting.
    * Disclosure by statistics: at n = 3, mean, min, max and sd together reveal every rating. An anonymous group's
      cell shows its mean and n only; min, max and sd appear only when n >= EVALUATION_SPREAD_MINIMUM (default 5).
    * An anonymous group's comments appear only when at least EVALUATION_COMMENT_MINIMUM (default 3) of its raters
      wrote one; fewer, and a comment would be one of very few identifiable voices.

Gaps
    gap = self mean - others mean per competency. The scale spans 4 points (1-5); a gap of at least a third of it
    (4/3) is a blind spot (self higher) or a hidden strength (others higher).

Readiness band (computed here from the scores, never by the language model; a staff reviewer may override it with
a written reason)
    Let O_c be the others' mean of competency c, over the competencies that have one.
    * No O_c at all, or fewer than half the instrument's competencies have one: development_needed (too little
      evidence to recommend promotion).
    * ready_now: mean of O_c >= 4.0, every O_c >= 3.5, and no blind spot.
    * ready_1_2_years: mean of O_c >= 3.25 and every O_c >= 2.5.
    * otherwise development_needed.
    Eligibility gates (certification, findings, CE hours) are reported next to the band and do not change it.

Development areas (the list coaching reads)
    Competencies with O_c < 3.5 or a blind spot, lowest O_c first (ties: larger blind-spot gap first); when none
    qualifies, the two lowest-rated competencies. Empty when there is no O_c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from .models import ANONYMOUS_GROUPS, OTHER_GROUPS, Competency, Cycle, ReadinessBand, Relationship

SCALE_SPAN = 4  # 1..5
GAP_THRESHOLD = SCALE_SPAN / 3
TOP_ITEMS = 3


@dataclass(frozen=True)
class CellAggregate:
    """One GROUP BY row: a competency (or item) rated by one relationship group."""

    key: str  # competency key, or str(item id)
    relationship: str
    n: int  # raters who gave this cell at least one score
    mean: float
    sd: float
    low: int
    high: int
    ratings: int = 0  # number of scores (sum over items) - used to pool means


@dataclass(frozen=True)
class CommentRow:
    relationship: str
    question_id: int
    question: str
    text: str


@dataclass(frozen=True)
class CycleAggregates:
    competencies: list[tuple[str, str]]  # (key, label) in instrument order
    items: list[tuple[int, str, str]]  # (id, text, competency key)
    group_responses: dict[str, int]
    competency_cells: list[CellAggregate]
    item_cells: list[CellAggregate]
    comments: list[CommentRow]
    minimums: dict[str, int]
    group_commenters: dict[str, int] | None = None  # raters per group who wrote at least one comment
    spread_minimum: int = 5  # EVALUATION_SPREAD_MINIMUM when fetched
    comment_minimum: int = 3  # EVALUATION_COMMENT_MINIMUM when fetched


# The statements of cycle_aggregates_fetch. Plain SQL valid on SQLite and PostgreSQL, written once rather than built by
# the ORM on every call (building and compiling seven querysets was half of the time of a 60 x 40 report).
_STRUCTURE_SQL = """
    SELECT c.id, c.key, i.id, i.text
    FROM evaluations_competency c LEFT JOIN evaluations_item i ON i.competency_id = c.id
    WHERE c.instrument_id = %s
    ORDER BY c.position, c.id, i.position, i.id"""

# One row per cell or count: (kind, competency or item id, relationship, raters, ratings, sum, sum of squares, min,
# max). Only scored rows count ("not observed" is a NULL score). An item's raters are its ratings: a response rates
# an item at most once (evaluations_item_score_once), so that branch needs no COUNT(DISTINCT). A competency's raters
# are the distinct responses that rated at least one of its items.
_NUMBERS_SQL = """
    SELECT 'competency', i.competency_id, s.relationship, COUNT(DISTINCT s.response_id), COUNT(*), SUM(s.score),
           SUM(s.score * s.score), MIN(s.score), MAX(s.score)
    FROM evaluations_itemscore s JOIN evaluations_item i ON i.id = s.item_id
    WHERE s.cycle_id = %s AND s.score IS NOT NULL
    GROUP BY i.competency_id, s.relationship
    UNION ALL
    SELECT 'item', s.item_id, s.relationship, COUNT(*), COUNT(*), SUM(s.score), SUM(s.score * s.score),
           MIN(s.score), MAX(s.score)
    FROM evaluations_itemscore s
    WHERE s.cycle_id = %s AND s.score IS NOT NULL
    GROUP BY s.item_id, s.relationship
    UNION ALL
    SELECT 'responses', NULL, relationship, COUNT(*), 0, 0, 0, 0, 0
    FROM evaluations_feedbackresponse WHERE cycle_id = %s GROUP BY relationship
    UNION ALL
    SELECT 'commenters', NULL, relationship, COUNT(DISTINCT response_id), 0, 0, 0, 0, 0
    FROM evaluations_opentextanswer WHERE cycle_id = %s GROUP BY relationship"""

# Never ordered by id or time: that would be submission order.
_COMMENTS_SQL = """
    SELECT a.relationship, a.question_id, q.text, a.text
    FROM evaluations_opentextanswer a JOIN evaluations_question q ON q.id = a.question_id
    WHERE a.cycle_id = %s
    ORDER BY q.position, a.question_id, a.text"""

_COMPETENCY_LABELS = dict(Competency._meta.get_field("key").choices)


def cycle_aggregates_fetch(*, cycle: Cycle) -> CycleAggregates:
    """Read everything the report needs, aggregated by the database."""
    with connection.cursor() as cursor:
        cursor.execute(_STRUCTURE_SQL, [cycle.instrument_id])
        structure = cursor.fetchall()
        cursor.execute(_NUMBERS_SQL, [cycle.pk] * 4)
        numbers = cursor.fetchall()
        cursor.execute(_COMMENTS_SQL, [cycle.pk])
        comments = [CommentRow(relationship=r, question_id=qid, question=q, text=t) for r, qid, q, t in cursor]
    competency_keys: dict[int, str] = {}
    items = []
    for competency_id, key, item_id, item_text in structure:
        competency_keys.setdefault(competency_id, key)
        if item_id is not None:
            items.append((item_id, item_text, key))
    competency_cells, item_cells = [], []
    counts: dict[str, dict[str, int]] = {"responses": {}, "commenters": {}}
    for kind, key, relationship, n, ratings, total, squares, low, high in numbers:
        if kind in counts:
            counts[kind][relationship] = n
            continue
        if kind == "competency" and key not in competency_keys:
            continue  # a score of another instrument's item (the services never write one) is no part of this report
        cell = CellAggregate(key=competency_keys[key] if kind == "competency" else str(key),
                             relationship=relationship, n=n, mean=total / ratings,
                             sd=_population_sd(ratings, total, squares), low=low, high=high, ratings=ratings)
        (competency_cells if kind == "competency" else item_cells).append(cell)
    return CycleAggregates(
        competencies=[(key, _COMPETENCY_LABELS.get(key, key)) for key in competency_keys.values()],
        items=items,
        group_responses={r: counts["responses"].get(r, 0) for r in Relationship.values},
        competency_cells=competency_cells,
        item_cells=item_cells,
        comments=comments,
        minimums=cycle.group_minimums,
        group_commenters={r: counts["commenters"].get(r, 0) for r in Relationship.values},
        spread_minimum=settings.EVALUATION_SPREAD_MINIMUM,
        comment_minimum=settings.EVALUATION_COMMENT_MINIMUM,
    )


def _population_sd(ratings: int, total: int, squares: int) -> float:
    # Variance = (N * sum(x^2) - sum(x)^2) / N^2, exact in integers (never negative by rounding) until one division.
    return math.sqrt((ratings * squares - total * total) / (ratings * ratings))


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _pool(cells: list[CellAggregate]) -> tuple[float | None, int]:
    ratings = sum(c.ratings for c in cells)
    if not ratings:
        return None, 0
    return sum(c.mean * c.ratings for c in cells) / ratings, sum(c.n for c in cells)


def report_content_build(aggregates: CycleAggregates) -> dict:
    """Apply the anonymity rules and compute every figure the report shows. Pure: same input, same output."""
    minimums = aggregates.minimums
    shown_groups = [r for r in Relationship.values if aggregates.group_responses.get(r, 0) >= minimums[r]
                    and aggregates.group_responses.get(r, 0) > 0]

    def visible(cell: CellAggregate) -> bool:
        return cell.relationship in shown_groups and cell.n >= minimums[cell.relationship]

    def figures(cell: CellAggregate) -> dict:
        # An anonymous group's spread only from EVALUATION_SPREAD_MINIMUM raters: mean and n alone at fewer.
        spread = cell.relationship not in ANONYMOUS_GROUPS or cell.n >= aggregates.spread_minimum
        return {"mean": _r(cell.mean), "n": cell.n, "sd": _r(cell.sd) if spread else None,
                "min": cell.low if spread else None, "max": cell.high if spread else None}

    comp_cells: dict[str, dict[str, CellAggregate]] = {}
    for cell in aggregates.competency_cells:
        if visible(cell):
            comp_cells.setdefault(cell.key, {})[cell.relationship] = cell
    item_cells: dict[str, dict[str, CellAggregate]] = {}
    for cell in aggregates.item_cells:
        if visible(cell):
            item_cells.setdefault(cell.key, {})[cell.relationship] = cell

    competencies = []
    blind_spots, hidden_strengths = [], []
    for key, label in aggregates.competencies:
        cells = comp_cells.get(key, {})
        self_cell = cells.get(Relationship.SELF)
        others_mean, others_n = _pool([cells[g] for g in OTHER_GROUPS if g in cells])
        gap = None if self_cell is None or others_mean is None else self_cell.mean - others_mean
        flag = None
        if gap is not None and gap >= GAP_THRESHOLD - 1e-9:
            flag = "blind_spot"
            blind_spots.append(key)
        elif gap is not None and -gap >= GAP_THRESHOLD - 1e-9:
            flag = "hidden_strength"
            hidden_strengths.append(key)
        competencies.append({
            "key": key,
            "label": label,
            "by_group": {g: figures(c) for g, c in cells.items()},
            "self": _r(self_cell.mean) if self_cell else None,
            "others": None if others_mean is None else {"mean": _r(others_mean), "n": others_n},
            "gap": _r(gap),
            "flag": flag,
        })

    ranked_items = []
    for item_id, text, competency_key in aggregates.items:
        cells = item_cells.get(str(item_id), {})
        mean, n = _pool([cells[g] for g in OTHER_GROUPS if g in cells])
        if mean is not None:
            ranked_items.append({"item_id": item_id, "text": text, "competency": competency_key,
                                 "others_mean": _r(mean), "n": n})
    ranked_items.sort(key=lambda i: (-i["others_mean"], i["item_id"]))
    highest = ranked_items[:TOP_ITEMS]
    lowest = sorted(ranked_items, key=lambda i: (i["others_mean"], i["item_id"]))[:TOP_ITEMS]

    commenters = aggregates.group_commenters or {}
    commenting_groups = {g for g in shown_groups
                         if g not in ANONYMOUS_GROUPS or commenters.get(g, 0) >= aggregates.comment_minimum}
    comments = []
    for row in aggregates.comments:
        if row.relationship in commenting_groups:
            comments.append({"id": f"c{len(comments) + 1}", "group": row.relationship, "question": row.question,
                             "text": row.text})

    others_means = [c["others"]["mean"] for c in competencies if c["others"]]
    return {
        "groups": [
            {"relationship": r, "label": Relationship(r).label, "shown": r in shown_groups,
             "responses": aggregates.group_responses[r] if r in shown_groups else None,
             "minimum": minimums[r]}
            for r in Relationship.values
        ],
        "competencies": competencies,
        "overall_others_mean": _r(sum(others_means) / len(others_means)) if others_means else None,
        "blind_spots": blind_spots,
        "hidden_strengths": hidden_strengths,
        "highest_items": highest,
        "lowest_items": lowest,
        "comments": comments,
    }


def readiness_band_compute(content: dict) -> str:
    """The documented rule (module docstring). Reads only scores."""
    others = [c["others"]["mean"] for c in content["competencies"] if c["others"]]
    total = len(content["competencies"])
    if not others or len(others) * 2 < total:
        return ReadinessBand.DEVELOPMENT_NEEDED
    overall = sum(others) / len(others)
    if overall >= 4.0 and min(others) >= 3.5 and not content["blind_spots"]:
        return ReadinessBand.READY_NOW
    if overall >= 3.25 and min(others) >= 2.5:
        return ReadinessBand.READY_1_2_YEARS
    return ReadinessBand.DEVELOPMENT_NEEDED


def development_areas_compute(content: dict) -> list[str]:
    """Competency keys, most needed first (rule in the module docstring)."""
    rated = [c for c in content["competencies"] if c["others"]]
    order = sorted(rated, key=lambda c: (c["others"]["mean"], -(c["gap"] or 0.0), c["key"]))
    areas = [c["key"] for c in order if c["others"]["mean"] < 3.5 or c["flag"] == "blind_spot"]
    return areas or [c["key"] for c in order[:2]]
