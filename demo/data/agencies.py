"""The demo world `make run` and `make demo` use. Idempotent: a second run finds everything and writes nothing."""

from datetime import date

from agencies.models import Agency, Officer, Role, User
from agencies.services import agency_create, officer_create, user_create

DEMO_PASSWORD = "peace-demo-2026"  # noqa: S105 - printed on purpose: these are demo logins for a local server

DEMO_AGENCIES = [
    {"name": "Riverside Police Department", "state": "CA", "county": "Riverside", "agency_type": "police",
     "sworn_headcount": 12},
    {"name": "Franklin County Sheriff's Office", "state": "OH", "county": "Franklin", "agency_type": "sheriff",
     "sworn_headcount": 8},
]

DEMO_OFFICERS = [
    # (agency index, first, last, licence, rank, hire date)
    (0, "Maria", "Alvarez", "CA-100201", "Sergeant", date(2014, 3, 1)),
    (0, "James", "Okafor", "CA-100202", "Officer", date(2019, 6, 15)),
    (0, "Lena", "Park", "CA-100203", "Lieutenant", date(2010, 9, 1)),
    (0, "David", "Nguyen", "CA-100204", "Officer", date(2021, 1, 11)),
    (0, "Aisha", "Bello", "CA-100205", "Captain", date(2006, 4, 3)),
    (1, "Tom", "Becker", "OH-550101", "Deputy", date(2018, 2, 20)),
    (1, "Grace", "Liu", "OH-550102", "Sergeant", date(2012, 7, 9)),
    (1, "Samuel", "Reed", "OH-550103", "Deputy", date(2022, 5, 2)),
]

DEMO_USERS = [
    # (username, role, agency index or None, first, last)
    ("staff", Role.CERTIFICATION_STAFF, None, "Casey", "Morgan"),
    ("admin_riverside", Role.AGENCY_ADMIN, 0, "Robin", "Diaz"),
    ("admin_franklin", Role.AGENCY_ADMIN, 1, "Jordan", "Hughes"),
    ("instructor", Role.INSTRUCTOR, None, "Pat", "Ellis"),
    ("coach", Role.COACH, None, "Morgan", "Reyes"),
]


def demo_data_load() -> dict:
    """Create what is missing; return counts of what was created (all zero on a second run)."""
    created = {"agencies": 0, "officers": 0, "users": 0}
    agencies = []
    for spec in DEMO_AGENCIES:
        agency = Agency.objects.filter(state=spec["state"], name=spec["name"]).first()
        if agency is None:
            agency = agency_create(actor="demo-data", **spec)
            created["agencies"] += 1
        agencies.append(agency)
    for index, first, last, license_number, rank, hired in DEMO_OFFICERS:
        agency = agencies[index]
        if not Officer.objects.filter(state=agency.state, license_number=license_number).exists():
            officer_create(actor="demo-data", agency=agency, first_name=first, last_name=last,
                           license_number=license_number, rank=rank, hire_date=hired)
            created["officers"] += 1
    for username, role, agency_index, first, last in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            user_create(actor="demo-data", username=username, password=DEMO_PASSWORD, role=role,
                        agency=agencies[agency_index] if agency_index is not None else None,
                        email=f"{username}@demo.peacecert.invalid", first_name=first, last_name=last)
            created["users"] += 1
    return created
