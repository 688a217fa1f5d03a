"""Cohort-matching benchmark (`make bench` material, not a test): 200 coachees x 50 coaches.

`make bench` times the solver alone (`time_pure`, from bench/scenarios.py). `make bench-coaching` (or
`.venv/bin/python -m bench.coaching [--coachees N] [--coaches M]`) also times loading the cohort from the database
and solving, inside a transaction that is rolled back.
"""

import argparse
import os
import random
import statistics
import time

STATES = ["CA", "OH", "NY", "TX", "FL", "IL", "AZ", "KY"]


def synthetic_cohort(coachees: int = 200, coaches: int = 50, seed: int = 7):
    from coaching.matching import CoachCandidate, CoacheeNeeds
    from core.vocabulary import COACHING_AREA_KEYS

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
    from coaching.matching import cohort_assign

    needs, coach_list = synthetic_cohort(coachees, coaches)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = cohort_assign(needs, coach_list)
        timings.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(timings), "max_ms": max(timings), "matched": len(result.assignments),
            "unmatched": len(result.unmatched), "slots": sum(c.free_slots for c in coach_list)}


class _Rollback(Exception):
    pass


def time_with_database(n_coachees: int = 200, n_coaches: int = 50) -> dict:
    """Create the cohort in the database, time `cohort_match` (load + solve) five times, roll everything back."""
    from django.db import transaction

    measured: dict = {}
    try:
        with transaction.atomic():
            measured.update(_with_database(n_coachees, n_coaches))
            raise _Rollback
    except _Rollback:
        pass
    return measured


def _with_database(n_coachees: int, n_coaches: int) -> dict:
    from agencies.models import Agency, Role, User
    from coaching.models import Coachee, CoachProfile, NeedPriority, NeedsAssessment
    from coaching.selectors import cohort_match

    needs, candidates = synthetic_cohort(n_coachees, n_coaches)
    agencies = Agency.objects.bulk_create([Agency(name=f"Bench agency {i}", state="CA") for i in range(60)])
    users = User.objects.bulk_create([User(username=f"bench-coach-{c.id}", role=Role.COACH) for c in candidates])
    CoachProfile.objects.bulk_create([
        CoachProfile(user=u, years_in_leadership=c.years_in_leadership, highest_rank="Chief",
                     expertise_areas=sorted(c.expertise_areas), states=sorted(c.states),
                     languages=sorted(c.languages), former_agency=agencies[c.former_agency_id - 1],
                     capacity=c.free_slots) for u, c in zip(users, candidates, strict=True)])
    staff = User.objects.create(username="bench-staff", role=Role.CERTIFICATION_STAFF)
    coachees = Coachee.objects.bulk_create([
        Coachee(coachee_type="police_leader", agency=agencies[nd.agency_id - 1], first_name="Bench",
                last_name=str(nd.id)) for nd in needs])
    assessments = NeedsAssessment.objects.bulk_create([
        NeedsAssessment(coachee=c, languages=list(nd.languages), states=sorted(nd.states),
                        remote_only=nd.remote_only, created_by=staff)
        for c, nd in zip(coachees, needs, strict=True)])
    NeedPriority.objects.bulk_create([
        NeedPriority(assessment=a, area=area, priority=p)
        for a, nd in zip(assessments, needs, strict=True) for area, p in nd.priorities.items()])
    ids = [a.pk for a in assessments]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        outcome = cohort_match(user=staff, assessment_ids=ids)
        timings.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(timings), "max_ms": max(timings),
            "matched": len(outcome.result.assignments), "total_score": outcome.result.total_score}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Time cohort matching: the solver alone, then loading from the "
                                                 "database (rolled back).")
    parser.add_argument("--coachees", type=int, default=200)
    parser.add_argument("--coaches", type=int, default=50)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    pure = time_pure(args.coachees, args.coaches)
    print(f"solver only ({args.coachees} x {args.coaches}, {pure['slots']} slots): median {pure['median_ms']:.1f} ms, "
          f"max {pure['max_ms']:.1f} ms; matched {pure['matched']}, unmatched {pure['unmatched']}")
    loaded = time_with_database(args.coachees, args.coaches)
    print(f"database load + solve ({args.coachees} x {args.coaches}): median {loaded['median_ms']:.1f} ms, max "
          f"{loaded['max_ms']:.1f} ms; matched {loaded['matched']}, total score {loaded['total_score']:.1f}")


if __name__ == "__main__":
    main()
