"""The cohort-matching benchmark (bench/coaching.py, `make bench-coaching`) measures and leaves nothing behind."""

import pytest

from bench.coaching import time_pure, time_with_database
from coaching.models import Coachee, CoachProfile, NeedsAssessment


def test_the_solver_alone_matches_a_synthetic_cohort():
    timing = time_pure(coachees=20, coaches=5, repeats=2)
    assert 0 < timing["matched"] <= timing["slots"] and timing["median_ms"] > 0


@pytest.mark.django_db
def test_the_database_run_matches_the_cohort_and_rolls_every_row_back():
    measured = time_with_database(20, 5)
    assert measured["matched"] > 0 and measured["median_ms"] > 0
    assert not (Coachee.objects.exists() or CoachProfile.objects.exists() or NeedsAssessment.objects.exists())
