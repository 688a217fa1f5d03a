"""Demo steps for coaching: match a cohort of demo leaders with explanations, confirm one, both parties accept,
a session is logged (its private notes stay with the coach) and the agreement completes with outcome ratings."""

from django.utils import timezone

from agencies.models import Role, User
from coaching.models import RUNNING_AGREEMENT_STATUSES, Coachee, CoachProfile, NeedsAssessment, NeedsAssessmentStatus
from coaching.services import months_after
from demo.data.coaching import DEMO_LEADERS


def _demo_coachees():
    return Coachee.objects.filter(agency__name__in={spec[0] for spec in DEMO_LEADERS}).select_related("agency")


def _explain(row) -> str:
    parts = ", ".join(f"{f['name']} {f['points']:.1f}" for f in row["factors"])
    areas = ", ".join(row["matched_areas"]) or "none of the stated needs"
    return (f"  {row['coachee_name']:<18} -> {row['coach_name']:<18} score {row['score']:5.1f}  ({parts}); "
            f"covers {areas}")


def run(walk) -> None:
    open_ids = list(NeedsAssessment.objects.filter(coachee__in=_demo_coachees(), status=NeedsAssessmentStatus.OPEN)
                    .values_list("pk", flat=True))
    if not open_ids:
        free = (_demo_coachees().exclude(needs_assessments__status=NeedsAssessmentStatus.OPEN)
                .exclude(agreements__status__in=RUNNING_AGREEMENT_STATUSES).filter(agency__name__startswith="Riverside")
                .first())
        if free is not None:
            walk.say("Every demo leader has been matched on earlier runs; Riverside files a new request:")
            response = walk.call("POST", "/api/v1/coaching/needs-assessments/", as_user="admin_riverside", body={
                "coachee": free.pk, "priorities": {"leadership": 3, "communication": 2}, "languages": ["en"],
                "remote_only": True, "goals": "A second round of coaching."}, show=False)
            open_ids = [response.json()["id"]] if response.status_code == 201 else []

    walk.say("\nAn agency administrator sees the active coaches (public profile fields only):")
    walk.call("GET", "/api/v1/coaching/coaches/?page_size=2", as_user="admin_riverside")

    walk.say(f"\nStaff match the cohort of {len(open_ids)} open requests for the best total score under every "
             "coach's free places (SciPy linear_sum_assignment over capacity slots):")
    response = walk.call("POST", "/api/v1/coaching/cohort-matches/", as_user="staff",
                         body={"needs_assessment_ids": open_ids or [0]}, show=False)
    if response.status_code != 200:
        walk.say(f"    {response.json()}")
        return
    result = response.json()
    for row in result["matched"]:
        walk.say(_explain(row))
    for row in result["unmatched"]:
        walk.say(f"  {row['coachee_name']:<18} unmatched: {row['reason']} - {row['detail']}")
    walk.say(f"  total score {result['total_score']:.1f}, solved in {result['elapsed_ms']:.1f} ms")
    if not result["matched"]:
        return

    pick = result["matched"][0]
    walk.say(f"\nThe ranked suggestions for {pick['coachee_name']}, each factor explained:")
    walk.call("GET", f"/api/v1/coaching/needs-assessments/{pick['needs_assessment']}/matches/?limit=2",
              as_user="staff")

    start = timezone.localdate()
    walk.say("\nA 7-month agreement is refused (3 to 6 months, held by the service and the database):")
    walk.call("POST", f"/api/v1/coaching/needs-assessments/{pick['needs_assessment']}/confirm/", as_user="staff",
              body={"coach": pick["coach"], "start_date": start.isoformat(),
                    "end_date": months_after(start, 7).isoformat()})

    walk.say(f"\nStaff confirm {pick['coach_name']} for {pick['coachee_name']}: a 4-month agreement is proposed.")
    response = walk.call("POST", f"/api/v1/coaching/needs-assessments/{pick['needs_assessment']}/confirm/",
                         as_user="staff", show=False, body={
                             "coach": pick["coach"], "start_date": start.isoformat(),
                             "end_date": months_after(start, 4).isoformat(), "cadence": "biweekly"})
    if response.status_code != 201:
        walk.say(f"    {response.json()}")
        return
    agreement = response.json()
    coach_username = CoachProfile.objects.select_related("user").get(pk=pick["coach"]).user.username
    sponsor = User.objects.filter(role=Role.AGENCY_ADMIN, agency_id=agreement["sponsor_agency"]).order_by("id").first()
    path = f"/api/v1/coaching/agreements/{agreement['id']}"

    walk.say("\nBoth parties accept: the coach, then the sponsoring agency's administrator. Then it is active:")
    walk.call("POST", f"{path}/accept/", as_user=coach_username, show=False)
    response = walk.call("POST", f"{path}/accept/", as_user=sponsor.username, show=False)
    walk.say(f"    status: {response.json()['status']}")

    walk.say("\nThe coach logs a session with private notes; the agency sees the date, duration and topics only:")
    walk.call("POST", f"{path}/sessions/", as_user=coach_username, show=False, body={
        "held_on": start.isoformat(), "duration_minutes": 60, "topics": ["First 90 days plan"],
        "private_notes": "Worried about the union contract talks."})
    walk.call("GET", f"{path}/sessions/", as_user=sponsor.username)

    walk.say("\nAt the end, both sides rate the outcome (1-5):")
    walk.call("POST", f"{path}/complete/", as_user=coach_username, body={"rating": 5}, show=False)
    response = walk.call("POST", f"{path}/outcome/", as_user=sponsor.username, body={"rating": 4}, show=False)
    body = response.json()
    walk.say(f"    status: {body['status']}, coach rating {body['coach_outcome_rating']}, "
             f"sponsor rating {body['sponsor_outcome_rating']}")
