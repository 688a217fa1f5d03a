"""Coach matching: pure functions over plain data (no ORM). `coaching.selectors` loads the data.

Score of a coach for a coachee, 0-100, the weighted sum of four factors, each 0-1:

- needs x expertise (weight NEEDS_WEIGHT = 0.55): the share of the coachee's need the coach covers,
  sum(priority of each area the coach is expert in) / sum(all priorities). Priorities are 0-3 per area. A
  coachee with no stated need gets 0 here for everybody (the other factors then decide).
- state/region (REGION_WEIGHT = 0.15): 1 if the coach works in the coachee's agency state or in one of the states
  the assessment names, else 0. Police law, training standards and labour rules differ by state.
- experience (EXPERIENCE_WEIGHT = 0.15): years in leadership, capped at EXPERIENCE_CAP_YEARS (25) and scaled to 0-1.
- language (LANGUAGE_WEIGHT = 0.15): 1 if the coach speaks the coachee's first (preferred) language, 0.5 if only
  another language the coachee listed.

Exclusions (a coach is never suggested, and the cohort solver never assigns them), in the order reported:

- ``at_capacity``: no free slot (capacity minus proposed and active agreements);
- ``own_agency``: the coach's former agency is the coachee's agency (conflict of interest);
- ``declared_conflict``: the assessment declares a conflict with this coach;
- ``no_shared_language``: the coach speaks none of the coachee's languages;
- ``out_of_region``: the assessment names states for in-person sessions, is not remote only, and the coach
  works in none of them.

Inactive coaches are not passed in at all (the selector loads active coaches only).

Everything is computed as numpy matrices (coachees x coaches), so ranking one coachee and scoring a cohort of
200 x 50 use the same code; the cohort solver is SciPy's `linear_sum_assignment` over capacity slots.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from core.vocabulary import COACHING_AREA_KEYS

NEEDS_WEIGHT = 0.55
REGION_WEIGHT = 0.15
EXPERIENCE_WEIGHT = 0.15
LANGUAGE_WEIGHT = 0.15
EXPERIENCE_CAP_YEARS = 25
MAX_SCORE = 100.0

FACTORS = (
    ("needs_expertise", NEEDS_WEIGHT),
    ("region", REGION_WEIGHT),
    ("experience", EXPERIENCE_WEIGHT),
    ("language", LANGUAGE_WEIGHT),
)
EXCLUSION_REASONS = ("at_capacity", "own_agency", "declared_conflict", "no_shared_language", "out_of_region")
EXCLUSION_TEXT = {
    "at_capacity": "the coach has no free place",
    "own_agency": "the coach comes from the coachee's agency",
    "declared_conflict": "a conflict with the coach was declared",
    "no_shared_language": "the coach speaks none of the coachee's languages",
    "out_of_region": "the coach works in none of the states named for in-person sessions",
}

_AREA_INDEX = {key: i for i, key in enumerate(COACHING_AREA_KEYS)}


@dataclass(frozen=True)
class CoachCandidate:
    id: int
    name: str
    years_in_leadership: int
    expertise_areas: frozenset[str]
    states: frozenset[str]
    languages: frozenset[str]
    former_agency_id: int | None
    free_slots: int


@dataclass(frozen=True)
class CoacheeNeeds:
    id: int  # the needs assessment
    agency_id: int
    agency_state: str
    priorities: dict[str, int]  # area -> 0..3
    languages: tuple[str, ...]  # preferred first
    states: frozenset[str] = frozenset()
    remote_only: bool = False
    conflict_coach_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Factor:
    name: str
    value: float  # 0..1
    weight: float
    points: float  # value x weight x 100


@dataclass(frozen=True)
class Match:
    coach_id: int
    coach_name: str
    score: float
    factors: tuple[Factor, ...]
    matched_areas: tuple[str, ...]  # areas of need (priority > 0) the coach covers, most needed first


@dataclass(frozen=True)
class Unmatched:
    needs_id: int
    reason: str  # "no_eligible_coach" or "capacity_taken"
    detail: str
    exclusions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CohortResult:
    assignments: dict[int, Match]  # needs id -> match
    unmatched: list[Unmatched]
    total_score: float


@dataclass(frozen=True)
class ScoreTable:
    """Per-factor values (n x m), the total score and the first exclusion reason per pair ('' if allowed)."""

    factors: dict[str, np.ndarray]
    score: np.ndarray
    excluded: np.ndarray  # bool
    reason_codes: np.ndarray  # int: 0 = allowed, k = EXCLUSION_REASONS[k - 1]


def _vocabulary_index(values) -> dict[str, int]:
    return {v: i for i, v in enumerate(sorted(set(values)))}


def _one_hot(rows: list, index: dict[str, int]) -> np.ndarray:
    out = np.zeros((len(rows), max(len(index), 1)), dtype=np.float64)
    for r, items in enumerate(rows):
        for item in items:
            out[r, index[item]] = 1.0
    return out


def score_table(needs: list[CoacheeNeeds], coaches: list[CoachCandidate]) -> ScoreTable:
    n, m = len(needs), len(coaches)
    # needs x expertise: priority matrix (n x areas) times the coaches' expertise (areas x m), normalised.
    priorities = np.zeros((n, len(COACHING_AREA_KEYS)))
    for r, nd in enumerate(needs):
        for area, value in nd.priorities.items():
            if area in _AREA_INDEX:
                priorities[r, _AREA_INDEX[area]] = value
    expertise = np.zeros((m, len(COACHING_AREA_KEYS)))
    for c, coach in enumerate(coaches):
        for area in coach.expertise_areas:
            if area in _AREA_INDEX:
                expertise[c, _AREA_INDEX[area]] = 1.0
    need_totals = priorities.sum(axis=1, keepdims=True)
    needs_factor = np.divide(priorities @ expertise.T, need_totals, out=np.zeros((n, m)), where=need_totals > 0)

    # Region: agency state and named states against the coach's states.
    states = _vocabulary_index([s for nd in needs for s in (*nd.states, nd.agency_state)]
                               + [s for coach in coaches for s in coach.states])
    wanted = _one_hot([{*nd.states, nd.agency_state} for nd in needs], states)
    named = _one_hot([nd.states for nd in needs], states)
    coach_states = _one_hot([coach.states for coach in coaches], states)
    region_factor = ((wanted @ coach_states.T) > 0).astype(np.float64)
    in_person = np.array([bool(nd.states) and not nd.remote_only for nd in needs], dtype=bool)
    out_of_region = in_person[:, None] & ((named @ coach_states.T) == 0)

    # Experience: a per-coach value broadcast over the rows.
    years = np.array([min(coach.years_in_leadership, EXPERIENCE_CAP_YEARS) for coach in coaches], dtype=np.float64)
    experience_factor = np.broadcast_to(years / EXPERIENCE_CAP_YEARS, (n, m))

    # Language: 1 for the preferred language, 0.5 for another listed one.
    languages = _vocabulary_index([lang for nd in needs for lang in nd.languages]
                                  + [lang for coach in coaches for lang in coach.languages])
    preferred = _one_hot([nd.languages[:1] for nd in needs], languages)
    listed = _one_hot([nd.languages for nd in needs], languages)
    spoken = _one_hot([coach.languages for coach in coaches], languages)
    speaks_preferred = (preferred @ spoken.T) > 0
    speaks_any = (listed @ spoken.T) > 0
    language_factor = np.where(speaks_preferred, 1.0, np.where(speaks_any, 0.5, 0.0))

    score = MAX_SCORE * (NEEDS_WEIGHT * needs_factor + REGION_WEIGHT * region_factor
                         + EXPERIENCE_WEIGHT * experience_factor + LANGUAGE_WEIGHT * language_factor)

    # Exclusions, first reason wins (the order of EXCLUSION_REASONS).
    at_capacity = np.broadcast_to(np.array([coach.free_slots <= 0 for coach in coaches], dtype=bool), (n, m))
    former = np.array([coach.former_agency_id if coach.former_agency_id is not None else -1 for coach in coaches])
    own_agency = np.array([nd.agency_id for nd in needs])[:, None] == former[None, :]
    coach_col = {coach.id: c for c, coach in enumerate(coaches)}
    conflict = np.zeros((n, m), dtype=bool)
    for r, nd in enumerate(needs):
        for coach_id in nd.conflict_coach_ids:
            if coach_id in coach_col:
                conflict[r, coach_col[coach_id]] = True
    masks = (at_capacity, own_agency, conflict, ~speaks_any, out_of_region)
    reason_codes = np.zeros((n, m), dtype=np.int8)
    for code, mask in reversed(list(enumerate(masks, start=1))):
        reason_codes[mask] = code
    return ScoreTable(
        factors={"needs_expertise": needs_factor, "region": region_factor, "experience": experience_factor,
                 "language": language_factor},
        score=score, excluded=reason_codes > 0, reason_codes=reason_codes,
    )


def _explain(table: ScoreTable, r: int, c: int, nd: CoacheeNeeds, coach: CoachCandidate) -> Match:
    factors = tuple(
        Factor(name=name, value=round(float(table.factors[name][r, c]), 4), weight=weight,
               points=round(float(table.factors[name][r, c]) * weight * MAX_SCORE, 2))
        for name, weight in FACTORS
    )
    covered = sorted((area for area, p in nd.priorities.items() if p > 0 and area in coach.expertise_areas),
                     key=lambda a: (-nd.priorities[a], _AREA_INDEX.get(a, 99)))
    return Match(coach_id=coach.id, coach_name=coach.name, score=round(float(table.score[r, c]), 2),
                 factors=factors, matched_areas=tuple(covered))


def exclusion_reason(needs: CoacheeNeeds, coach: CoachCandidate) -> str | None:
    """Why this coach may not coach this coachee, or None."""
    code = int(score_table([needs], [coach]).reason_codes[0, 0])
    return EXCLUSION_REASONS[code - 1] if code else None


def rank(needs: CoacheeNeeds, coaches: list[CoachCandidate], *, limit: int = 5) -> list[Match]:
    """The best `limit` eligible coaches for one coachee, best first (ties: more experience, then lower id)."""
    if not coaches:
        return []
    table = score_table([needs], coaches)
    eligible = [c for c in range(len(coaches)) if not table.excluded[0, c]]
    eligible.sort(key=lambda c: (-table.score[0, c], -coaches[c].years_in_leadership, coaches[c].id))
    return [_explain(table, 0, c, needs, coaches[c]) for c in eligible[:limit]]


def cohort_assign(needs: list[CoacheeNeeds], coaches: list[CoachCandidate]) -> CohortResult:
    """The assignment of coachees to coaches with the best total score under every coach's free slots.

    Each coach contributes one column per free slot; `linear_sum_assignment` minimises the cost (-score) of a
    one-to-one assignment of rows to slot columns. An excluded pair costs FORBIDDEN, more than any sum of scores
    can win back, so the solver first uses as few excluded pairs as possible (i.e. matches as many coachees as
    the exclusions and capacities allow) and then maximises the total score; an excluded pair it still had to
    use (or a row left without a column when there are fewer slots than coachees) is reported as unmatched.
    """
    if not needs:
        return CohortResult(assignments={}, unmatched=[], total_score=0.0)
    table = score_table(needs, coaches)
    slot_coach = np.repeat(np.arange(len(coaches)), [max(coach.free_slots, 0) for coach in coaches])
    forbidden = MAX_SCORE * (len(needs) + 1)
    assignments: dict[int, Match] = {}
    if slot_coach.size:
        cost = np.where(table.excluded[:, slot_coach], forbidden, -table.score[:, slot_coach])
        rows, cols = linear_sum_assignment(cost)
        for r, col in zip(rows, cols, strict=True):
            c = int(slot_coach[col])
            if not table.excluded[r, c]:
                assignments[needs[r].id] = _explain(table, int(r), c, needs[r], coaches[c])
    unmatched = []
    for r, nd in enumerate(needs):
        if nd.id in assignments:
            continue
        counts = Counter(EXCLUSION_REASONS[code - 1] for code in table.reason_codes[r] if code)
        if sum(counts.values()) == len(coaches):  # also true when there are no coaches at all
            detail = "; ".join(f"{EXCLUSION_TEXT[k]} ({v})" for k, v in sorted(counts.items())) or "no coaches"
            unmatched.append(Unmatched(needs_id=nd.id, reason="no_eligible_coach",
                                       detail=f"No coach is eligible: {detail}.", exclusions=dict(counts)))
        else:
            unmatched.append(Unmatched(needs_id=nd.id, reason="capacity_taken",
                                       detail="Every eligible coach's free places went to other coachees of the "
                                              "cohort in the best overall assignment.", exclusions=dict(counts)))
    total = round(sum(match.score for match in assignments.values()), 2)
    return CohortResult(assignments=assignments, unmatched=unmatched, total_score=total)
