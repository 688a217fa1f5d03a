import statistics
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.models import Agency, Role, User
from coaching.bench import synthetic_cohort, time_pure
from coaching.models import Coachee, CoachProfile, NeedPriority, NeedsAssessment
from coaching.selectors import cohort_match


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time cohort matching of 200 coachees x 50 coaches: the solver alone, then loading from the database."

    def add_arguments(self, parser):
        parser.add_argument("--coachees", type=int, default=200)
        parser.add_argument("--coaches", type=int, default=50)

    def handle(self, *args, coachees, coaches, **options):
        pure = time_pure(coachees, coaches)
        self.stdout.write(f"solver only ({coachees} x {coaches}, {pure['slots']} slots): median "
                          f"{pure['median_ms']:.1f} ms, max {pure['max_ms']:.1f} ms; matched {pure['matched']}, "
                          f"unmatched {pure['unmatched']}")
        try:
            with transaction.atomic():
                self._with_database(coachees, coaches)
                raise _Rollback
        except _Rollback:
            pass

    def _with_database(self, n_coachees, n_coaches):
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
        self.stdout.write(f"database load + solve ({n_coachees} x {n_coaches}): median "
                          f"{statistics.median(timings):.1f} ms, max {max(timings):.1f} ms; matched "
                          f"{len(outcome.result.assignments)}, total score {outcome.result.total_score:.1f}")
