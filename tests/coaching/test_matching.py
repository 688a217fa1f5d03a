"""The matcher as pure functions: factors, exclusions, ranking and the cohort optimum (checked by brute force)."""

import itertools
import random

import pytest

from coaching import matching
from coaching.matching import CoachCandidate, CoacheeNeeds, cohort_assign, exclusion_reason, rank, score_table
from core.vocabulary import COACHING_AREA_KEYS


def coach(id, *, areas=("leadership",), states=("CA",), languages=("en",), years=10, former=None, free=1):
    return CoachCandidate(id=id, name=f"Coach {id}", years_in_leadership=years, expertise_areas=frozenset(areas),
                          states=frozenset(states), languages=frozenset(languages), former_agency_id=former,
                          free_slots=free)


def needs(id, *, agency=1, state="CA", priorities=None, languages=("en",), states=(), remote_only=False,
          conflicts=()):
    return CoacheeNeeds(id=id, agency_id=agency, agency_state=state,
                        priorities={"leadership": 3} if priorities is None else priorities,
                        languages=tuple(languages), states=frozenset(states), remote_only=remote_only,
                        conflict_coach_ids=frozenset(conflicts))


def factors(match):
    return {f.name: f.value for f in match.factors}


def test_weights_add_up_to_one():
    assert sum(weight for _, weight in matching.FACTORS) == pytest.approx(1.0)


def test_needs_factor_is_the_share_of_weighted_need_the_coach_covers():
    nd = needs(1, priorities={"leadership": 3, "budgeting": 1, "de_escalation": 0})
    [match] = rank(nd, [coach(7, areas=("leadership", "de_escalation"))])
    assert factors(match)["needs_expertise"] == pytest.approx(3 / 4)
    assert match.matched_areas == ("leadership",)


def test_score_is_the_sum_of_the_factor_points():
    nd = needs(1, priorities={"leadership": 2, "budgeting": 2}, languages=("es", "en"))
    [match] = rank(nd, [coach(7, areas=("budgeting",), states=("NV",), years=30, languages=("en",))])
    assert factors(match) == {"needs_expertise": 0.5, "region": 0.0, "experience": 1.0, "language": 0.5}
    assert match.score == pytest.approx(sum(f.points for f in match.factors))
    expected = 100 * (matching.NEEDS_WEIGHT * 0.5 + matching.EXPERIENCE_WEIGHT + matching.LANGUAGE_WEIGHT * 0.5)
    assert match.score == pytest.approx(expected)


def test_region_counts_the_agency_state_and_the_named_states():
    nd = needs(1, state="OH", states=("KY",), remote_only=True)
    ranked = {m.coach_id: factors(m)["region"] for m in rank(nd, [coach(1, states=("OH",)), coach(2, states=("KY",)),
                                                                  coach(3, states=("TX",))])}
    assert ranked == {1: 1.0, 2: 1.0, 3: 0.0}


def test_experience_is_capped():
    nd = needs(1)
    ranked = {m.coach_id: factors(m)["experience"] for m in rank(nd, [coach(1, years=40), coach(2, years=5)])}
    assert ranked == {1: 1.0, 2: pytest.approx(5 / matching.EXPERIENCE_CAP_YEARS)}


@pytest.mark.parametrize(("nd", "candidate", "reason"), [
    (needs(1), coach(1, free=0), "at_capacity"),
    (needs(1, agency=5), coach(1, former=5), "own_agency"),
    (needs(1, conflicts=(1,)), coach(1), "declared_conflict"),
    (needs(1, languages=("es",)), coach(1, languages=("en",)), "no_shared_language"),
    (needs(1, states=("NV",)), coach(1, states=("CA",)), "out_of_region"),
])
def test_each_exclusion_rule(nd, candidate, reason):
    assert exclusion_reason(nd, candidate) == reason
    assert rank(nd, [candidate]) == []


def test_remote_only_lifts_the_region_exclusion():
    assert exclusion_reason(needs(1, states=("NV",), remote_only=True), coach(1, states=("CA",))) is None


def test_the_first_exclusion_reason_wins():
    assert exclusion_reason(needs(1, agency=5, conflicts=(1,)), coach(1, former=5, free=0)) == "at_capacity"


def test_rank_orders_by_score_then_experience_and_honours_the_limit():
    nd = needs(1, priorities={"leadership": 3, "budgeting": 3})
    coaches = [coach(1, areas=("leadership",)), coach(2, areas=("leadership", "budgeting")),
               coach(3, areas=("leadership",), years=20), coach(4, areas=())]
    assert [m.coach_id for m in rank(nd, coaches, limit=10)] == [2, 3, 1, 4]
    assert [m.coach_id for m in rank(nd, coaches, limit=2)] == [2, 3]


def test_cohort_beats_greedy_on_the_total():
    # Greedy would give coach 1 (best for both) to coachee 1 and leave coachee 2 with nothing useful.
    a = needs(1, priorities={"leadership": 3, "budgeting": 3})
    b = needs(2, priorities={"leadership": 3})
    c1 = coach(1, areas=("leadership", "budgeting"))
    c2 = coach(2, areas=("budgeting",))
    result = cohort_assign([a, b], [c1, c2])
    assert {nid: m.coach_id for nid, m in result.assignments.items()} == {1: 2, 2: 1}
    table = score_table([a, b], [c1, c2])
    assert result.total_score == pytest.approx(table.score[0, 1] + table.score[1, 0], abs=0.02)


def test_cohort_respects_capacity_slots():
    coaches = [coach(1, free=2), coach(2, free=1)]
    result = cohort_assign([needs(i) for i in range(1, 5)], coaches)
    used = [m.coach_id for m in result.assignments.values()]
    assert used.count(1) == 2 and used.count(2) == 1
    assert [(u.needs_id, u.reason) for u in result.unmatched] == [
        (next(i for i in range(1, 5) if i not in result.assignments), "capacity_taken")]


def test_cohort_lists_why_a_coachee_has_no_eligible_coach():
    result = cohort_assign([needs(1, agency=5, conflicts=(2,))], [coach(1, former=5), coach(2), coach(3, free=0)])
    [unmatched] = result.unmatched
    assert unmatched.reason == "no_eligible_coach"
    assert unmatched.exclusions == {"own_agency": 1, "declared_conflict": 1, "at_capacity": 1}
    assert "coachee's agency" in unmatched.detail


def test_cohort_with_no_coaches_leaves_everyone_unmatched():
    result = cohort_assign([needs(1), needs(2)], [])
    assert result.assignments == {} and {u.reason for u in result.unmatched} == {"no_eligible_coach"}


def _brute_force(cohort, coaches):
    """Best (matched count, total score) over every assignment of coachees to slots or to nobody."""
    table = score_table(cohort, coaches)
    slots = [c for c, cand in enumerate(coaches) for _ in range(cand.free_slots)]
    best = (0, 0.0)
    options = [None, *range(len(slots))]
    for choice in itertools.product(options, repeat=len(cohort)):
        taken = [s for s in choice if s is not None]
        if len(taken) != len(set(taken)):
            continue
        pairs = [(r, slots[s]) for r, s in enumerate(choice) if s is not None]
        if any(table.excluded[r, c] for r, c in pairs):
            continue
        value = (len(pairs), sum(table.score[r, c] for r, c in pairs))
        if value[0] > best[0] or (value[0] == best[0] and value[1] > best[1] + 1e-9):
            best = value
    return best


@pytest.mark.parametrize("seed", range(12))
def test_cohort_is_optimal_against_brute_force(seed):
    rng = random.Random(seed)
    coaches = [coach(c, areas=rng.sample(COACHING_AREA_KEYS, 3), states=rng.sample(["CA", "OH", "NV"], 1),
                     languages=rng.choice([("en",), ("en", "es"), ("es",)]), years=rng.randint(1, 30),
                     former=rng.choice([None, 1, 2]), free=rng.randint(0, 2)) for c in range(1, 4)]
    cohort = [needs(i, agency=rng.choice([1, 2, 3]), priorities={a: rng.randint(0, 3) for a in COACHING_AREA_KEYS},
                    languages=rng.choice([("en",), ("es",), ("es", "en")]), states=rng.choice([(), ("CA",)]),
                    conflicts=rng.sample(range(1, 4), rng.randint(0, 1))) for i in range(1, 5)]
    result = cohort_assign(cohort, coaches)
    count, total = _brute_force(cohort, coaches)
    assert len(result.assignments) == count
    assert result.total_score == pytest.approx(total, abs=0.01 * max(count, 1))
    for nd in cohort:
        if nd.id in result.assignments:
            chosen = next(c for c in coaches if c.id == result.assignments[nd.id].coach_id)
            assert exclusion_reason(nd, chosen) is None
