"""Demo coaches and a cohort of demo leaders asking for coaching. Idempotent: a second run creates nothing."""

from agencies.models import Agency, Officer, Role, User
from agencies.services import user_create
from coaching.models import Coachee, CoachProfile, NeedsAssessment
from coaching.services import coach_profile_create, coachee_create, needs_assessment_create
from demo.data.agencies import DEMO_PASSWORD

ACTOR = "demo-data"

DEMO_COACHES = [
    # username, first, last, years, rank, former agency (name, state) or free text, areas, states, languages, capacity
    ("coach", "Morgan", "Reyes", 22, "Chief of Police", ("Riverside Police Department", "CA"),
     ["leadership", "organisational_change", "community_engagement"], ["CA", "NV"], ["en", "es"], 2),
    ("coach_okonkwo", "Adaeze", "Okonkwo", 18, "Deputy Chief", "Columbus Division of Police",
     ["de_escalation", "crisis_management", "developing_others"], ["OH", "KY"], ["en"], 2),
    ("coach_delgado", "Ramon", "Delgado", 26, "Sheriff", "San Diego County Sheriff's Department",
     ["budgeting", "labour_relations", "leadership"], ["CA", "AZ"], ["en", "es"], 1),
    ("coach_whitfield", "Helen", "Whitfield", 14, "Captain", "Louisville Metro Police Department",
     ["procedural_justice", "integrity_accountability", "communication"], ["KY", "OH"], ["en"], 2),
    ("coach_tran", "Minh", "Tran", 11, "Commander", "Oakland Police Department",
     ["cultural_competency", "community_engagement", "communication"], ["CA"], ["en", "vi"], 1),
    ("coach_hughes", "Patricia", "Hughes", 20, "Chief of Police", "Dayton Police Department",
     ["decision_making", "crisis_management", "budgeting"], ["OH"], ["en"], 1),
]

DEMO_LEADERS = [
    # agency name, officer licence or None, type, first, last, title, priorities, languages, states, remote, conflicts
    ("Riverside Police Department", "CA-100203", "police_leader", "", "", "Lieutenant",
     {"leadership": 3, "community_engagement": 3, "communication": 2}, ["en"], [], True, []),
    ("Riverside Police Department", "CA-100205", "police_leader", "", "", "Captain",
     {"budgeting": 3, "labour_relations": 2, "organisational_change": 2}, ["es", "en"], ["CA"], False, []),
    ("Riverside Police Department", None, "city_manager", "Elena", "Vasquez", "City Manager, City of Riverside",
     {"organisational_change": 3, "community_engagement": 2, "budgeting": 1}, ["en"], [], True,
     ["coach_delgado"]),
    ("Franklin County Sheriff's Office", "OH-550102", "police_leader", "", "", "Sergeant",
     {"de_escalation": 3, "procedural_justice": 2, "developing_others": 1}, ["en"], ["OH"], False, []),
    ("Franklin County Sheriff's Office", None, "city_manager", "Marcus", "Bell", "County Administrator, Franklin",
     {"crisis_management": 3, "decision_making": 2, "budgeting": 2}, ["en"], [], True, []),
]


def demo_data_load() -> dict:
    created = {"coach_users": 0, "coach_profiles": 0, "coachees": 0, "needs_assessments": 0}
    for username, first, last, years, rank, former, areas, states, languages, capacity in DEMO_COACHES:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(actor=ACTOR, username=username, password=DEMO_PASSWORD, role=Role.COACH,
                               email=f"{username}@demo.peacecert.invalid", first_name=first, last_name=last)
            created["coach_users"] += 1
        if not CoachProfile.objects.filter(user=user).exists():
            former_agency = (Agency.objects.filter(name=former[0], state=former[1]).first()
                             if isinstance(former, tuple) else None)
            coach_profile_create(actor=_staff(), user=user, years_in_leadership=years, highest_rank=rank,
                                 former_agency=former_agency,
                                 former_agency_name=former[0] if isinstance(former, tuple) else former,
                                 expertise_areas=areas, states=states, languages=languages, capacity=capacity)
            created["coach_profiles"] += 1
    for spec in DEMO_LEADERS:
        agency_name, licence, kind, first, last, title, priorities, languages, states, remote, conflicts = spec
        agency = Agency.objects.get(name=agency_name)
        officer = Officer.objects.filter(license_number=licence, agency=agency).first() if licence else None
        coachee = (Coachee.objects.filter(officer=officer).first() if officer else
                   Coachee.objects.filter(agency=agency, first_name=first, last_name=last).first())
        if coachee is None:
            coachee = coachee_create(actor=ACTOR, agency=agency, coachee_type=kind, officer=officer,
                                     first_name=first, last_name=last, title=title)
            created["coachees"] += 1
        if not NeedsAssessment.objects.filter(coachee=coachee).exists():
            conflict_ids = list(CoachProfile.objects.filter(user__username__in=conflicts).values_list("pk", flat=True))
            needs_assessment_create(actor=_admin_of(agency), coachee=coachee, priorities=priorities,
                                    goals=f"Grow as {title.lower()} in a reforming agency.", languages=languages,
                                    states=states, remote_only=remote, conflicts=conflict_ids)
            created["needs_assessments"] += 1
    return created


def _staff() -> User:
    """Profiles are created as the demo staff member (only staff may set a coach's former agency)."""
    return User.objects.get(username="staff")


def _admin_of(agency: Agency) -> User:
    return User.objects.filter(role=Role.AGENCY_ADMIN, agency=agency).order_by("id").first()
