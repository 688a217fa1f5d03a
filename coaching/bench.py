"""Cohort-matching benchmark (`make bench` material, not a test): 200 coachees x 50 coaches.

Run: `.venv/bin/python manage.py coaching_bench` (also times loading the cohort from the database, inside a
transaction that is rolled back).
"""

import random
import statistics
import time

from core.vocabulary import COACHING_AREA_KEYS

from .matching import CoachCandidate, CoacheeNeeds, cohort_assign

STATES = ["CA", "OH", "NY", "TX", "FL", "IL", "AZ", "KY"]


def synthetic_cohort(coachees: int = 200, coaches: int = 50, seed: int = 7):
    rng = random.Random(seed)
    coach_list = [
        CoachCandidate(id=i, name=f"Coach {i}", years_in_leadership=rng.randint(3, 35),
                       expertise_areas=frozenset(rng.sample(COACHING_AREA_KEYS, rng.randint(2, 5))),
                       states=frozenset(rng.sample(STATES, rng.randint(1, 3))),
                       languages=frozenset(["en"] + (["es"] if rng.random() < 0.3 else [])),
                       former_agency_id=rng.randint(1, 60), free_slots=rng.randint(2, 6))
        for i in range(1, coaches + 1)
    ]
    needs = [
        CoacheeNeeds(id=i, agency_id=rng.randint(1, 60), agency_state=rng.choice(STATES),
                     priorities={a: rng.randint(0, 3) for a in COACHING_AREA_KEYS},
                     languages=("es", "en") if rng.random() < 0.2 else ("en",),
                     states=frozenset(rng.sample(STATES, 1)) if rng.random() < 0.3 else frozenset(),
                     remote_only=rng.random() < 0.5, conflict_coach_ids=frozenset(rng.sample(range(1, coaches + 1), 2)))
        for i in range(1, coachees + 1)
    ]
    return needs, coach_list


def time_pure(coachees: int = 200, coaches: int = 50, repeats: int = 20) -> dict:
    needs, coach_list = synthetic_cohort(coachees, coaches)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = cohort_assign(needs, coach_list)
        timings.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(timings), "max_ms": max(timings), "matched": len(result.assignments),
            "unmatched": len(result.unmatched), "slots": sum(c.free_slots for c in coach_list)}
