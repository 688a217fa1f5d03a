"""Minimal valid request bodies per write route, so that a matrix cell tests access and not validation.

Each entry is `key -> callable(world) -> (data, format)`; multipart files are new objects on every call (a file is
consumed by the request that sends it)."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import TEST_PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _iso(delta: timedelta) -> str:
    return (timezone.now() + delta).isoformat()


def _refresh(world) -> str:
    from agencies.auth import LoginSerializer

    return str(LoginSerializer.get_token(world.users["admin_a"]))


def _roster(world):
    csv = f"license_number,first_name,last_name\nSEC-NEW-1,New,Officer\n{world.a.officer.license_number}," \
          f"{world.a.officer.first_name},{world.a.officer.last_name}\n"
    return {"agency": world.a.agency.pk, "file": SimpleUploadedFile("roster.csv", csv.encode(), "text/csv")}, \
        "multipart"


def _credits(world):
    officer = world.a.officer
    csv = (f"state,license_number,course_code,completed_on\n{officer.state},{officer.license_number},"
           f"{world.course.code},{(timezone.localdate() - timedelta(days=3)).isoformat()}\n")
    return {"file": SimpleUploadedFile("credits.csv", csv.encode(), "text/csv")}, "multipart"


def _password_link(world) -> dict:
    """A valid one-time link for a user with no password yet (each cell is rolled back, so it stays unused)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_encode

    user = world.users["coach_new"]
    return {"uid": urlsafe_base64_encode(str(user.pk).encode()), "token": default_token_generator.make_token(user),
            "password": "Harbour lantern 1987"}


def _json(data_fn):
    return lambda world: (data_fn(world), "json")


BODIES = {
    "POST /api/v1/auth/token/": _json(lambda w: {"username": "sec_admin_a", "password": TEST_PASSWORD}),
    "POST /api/v1/auth/token/refresh/": _json(lambda w: {"refresh": _refresh(w)}),
    "POST /api/v1/auth/logout/": _json(lambda w: {"refresh": _refresh(w)}),
    "POST /api/v1/me/password/": _json(lambda w: {"current_password": TEST_PASSWORD,
                                                  "new_password": "An0ther-long-passphrase!"}),
    "POST /api/v1/auth/password/set/": _json(_password_link),
    "POST /api/v1/auth/password/forgot/": _json(lambda w: {"email": "nobody@nowhere.example.org"}),
    "POST /api/v1/accounts/": _json(lambda w: {"role": "officer", "email": "sec.invited@example.org",
                                               "officer": w.a.officer2.pk}),
    "POST /api/v1/agencies/": _json(lambda w: {"name": "Security New Agency", "state": "CA"}),
    "PATCH /api/v1/agencies/<int:agency_id>/": _json(lambda w: {"county": "Elsewhere"}),
    "POST /api/v1/officers/": _json(lambda w: {"agency": w.a.agency.pk, "first_name": "New", "last_name": "Officer",
                                               "license_number": "SEC-NEW-2"}),
    "POST /api/v1/officers/import/": _roster,
    "PATCH /api/v1/officers/<int:officer_id>/": _json(lambda w: {"rank": "Sergeant"}),
    "POST /api/v1/officers/<int:officer_id>/identity-corrections/": _json(lambda w: {
        "last_name": "Corrected", "reason": "Misspelt on the roster"}),
    "POST /api/v1/identity-reviews/<int:review_id>/decide/": _json(lambda w: {
        "decision": "dismissed", "reason": "Duplicate submission"}),
    "POST /api/v1/certification/officers/<int:officer_id>/link/": _json(lambda w: {
        "same_person_as": w.a.officer2.pk, "reason": "Same person, two records"}),
    # training
    "POST /api/v1/training/courses/": _json(lambda w: {"code": "SEC-101", "title": "Security course",
                                                       "ce_hours": "2.00"}),
    "PATCH /api/v1/training/courses/<int:course_id>/": _json(lambda w: {"title": "Peace Officer (revised)"}),
    "PUT /api/v1/training/courses/<int:course_id>/accreditations/<str:state>/": _json(
        lambda w: {"accepted": True, "hours_accepted": "7.00"}),
    "POST /api/v1/training/courses/<int:course_id>/resources/": lambda w: (
        {"title": "Guide", "resource_kind": "checklist",
         "file": SimpleUploadedFile("guide.pdf", PDF, "application/pdf")}, "multipart"),
    "POST /api/v1/training/sessions/": _json(lambda w: {
        "course": w.course.pk, "starts_at": _iso(timedelta(days=10)), "ends_at": _iso(timedelta(days=10, hours=8)),
        "time_zone": "America/Los_Angeles", "mode": "in_person", "location": "Hall 2", "capacity": 5}),
    "POST /api/v1/training/sessions/<int:session_id>/instructors/": _json(
        lambda w: {"user": w.users["instructor2"].pk}),
    "POST /api/v1/training/sessions/<int:session_id>/enrollments/": _json(
        lambda w: {"officer_ids": [w.a.officer2.pk]}),
    "POST /api/v1/training/sessions/<int:session_id>/attendance/": _json(
        lambda w: {"records": [{"officer_id": w.a.officer.pk, "status": "attended"}]}),
    "POST /api/v1/training/enrollments/<int:enrollment_id>/cancel/": _json(lambda w: {"reason": "Sick"}),
    "PATCH /api/v1/training/sessions/<int:session_id>/": _json(lambda w: {"capacity": 12}),
    "POST /api/v1/training/sessions/<int:session_id>/cancel/": _json(lambda w: {"reason": "Instructor ill"}),
    "POST /api/v1/training/instructor-qualifications/": _json(lambda w: {
        "course": w.course.pk, "user": w.users["instructor2"].pk}),
    "POST /api/v1/training/instructor-qualifications/<int:qualification_id>/revoke/": _json(
        lambda w: {"reason": "Left the training unit"}),
    "POST /api/v1/training/completions/import/": _credits,
    # certification
    "POST /api/v1/certification/programmes/": _json(lambda w: {"code": "sec-programme", "name": "Security"}),
    "POST /api/v1/certification/programmes/<int:programme_id>/requirements/": _json(
        lambda w: {"code": "sec-item", "title": "Security item", "kind": "attestation"}),
    "PATCH /api/v1/certification/requirements/<int:requirement_id>/": _json(lambda w: {"title": "Renamed"}),
    "POST /api/v1/certification/agency-certifications/": _json(
        lambda w: {"programme": w.programme.pk, "agency": w.a.agency.pk}),
    "POST /api/v1/certification/agency-certifications/<int:certification_id>/revoke/": _json(
        lambda w: {"reason": "Policy breach"}),
    "POST /api/v1/certification/requirement-statuses/<int:status_id>/mark/": _json(lambda w: {"state": "met"}),
    "POST /api/v1/certification/requirement-statuses/<int:status_id>/document/": lambda w: (
        {"file": SimpleUploadedFile("manual.pdf", PDF, "application/pdf")}, "multipart"),
    "POST /api/v1/certification/requirement-statuses/<int:status_id>/attest/": _json(
        lambda w: {"text": "We commit.", "attested_by_name": "Chief Doe"}),
    "POST /api/v1/certification/plaques/<int:plaque_id>/advance/": _json(lambda w: {"to": "printed"}),
    "POST /api/v1/certification/officer-certifications/": _json(lambda w: {"officer": w.a.officer2.pk}),
    "POST /api/v1/certification/findings/": _json(lambda w: {
        "officer": w.a.officer.pk, "incident_date": "2025-04-01", "summary": "Complaint", "source": "complaint"}),
    "POST /api/v1/certification/findings/<int:finding_id>/response/": _json(lambda w: {"text": "Our response."}),
    "POST /api/v1/me/officer/findings/<int:finding_id>/response/": lambda w: (
        {"text": "My answer.", "files": SimpleUploadedFile("answer.pdf", PDF, "application/pdf")}, "multipart"),
    "PUT /api/v1/me/officer/findings/<int:finding_id>/representative/": _json(lambda w: {
        "name": "Dana Whitfield", "email": "dwhitfield@peacelaw.example.org"}),
    "POST /api/v1/certification/findings/<int:finding_id>/determine/": _json(
        lambda w: {"determination": "not_sustained", "reason": "No evidence."}),
    # evaluations
    "POST /api/v1/evaluations/instruments/": _json(lambda w: {
        "key": "sec-instrument", "title": "Security instrument",
        "competencies": [{"key": "de_escalation", "items": ["Calms situations"]}]}),
    "PUT /api/v1/evaluations/instruments/<int:instrument_id>/": _json(lambda w: {
        "title": "Revised", "competencies": [{"key": "de_escalation", "items": ["Calms situations"]}]}),
    "POST /api/v1/evaluations/cycles/": _json(lambda w: {
        "subject": w.a.officer2.pk, "target_position": "Captain", "opens_at": _iso(timedelta(days=1)),
        "closes_at": _iso(timedelta(days=8))}),
    "POST /api/v1/evaluations/cycles/<int:cycle_id>/follow-up/": _json(lambda w: {
        "opens_at": _iso(timedelta(days=30)), "closes_at": _iso(timedelta(days=37))}),
    "POST /api/v1/evaluations/cycles/<int:cycle_id>/invitations/": _json(lambda w: {
        "rater_name": "New Rater", "rater_email": "new.rater@example.org", "relationship": "peer"}),
    "POST /api/v1/evaluations/cycles/<int:cycle_id>/report/release/": _json(lambda w: {}),
    "POST /api/v1/evaluations/cycles/<int:cycle_id>/raters/approve/": _json(lambda w: {"version": 0}),
    "POST /api/v1/evaluations/cycles/<int:cycle_id>/raters/refuse/": _json(lambda w: {
        "version": 0, "reason": "Two addresses belong to the sponsor."}),
    "POST /api/v1/evaluations/cycles/<int:cycle_id>/invitations/<int:invitation_id>/refuse/": _json(lambda w: {
        "reason": "This address belongs to the sponsor."}),
    "PATCH /api/v1/evaluations/cycles/<int:cycle_id>/report/review/": _json(lambda w: {
        "narrative": "Peers describe a steady, fair colleague."}),
    "POST /api/v1/evaluations/cycles/<int:cycle_id>/report/use-builtin/": _json(lambda w: {}),
    "PUT /api/v1/feedback/<str:token>/": _json(lambda w: {"scores": {}, "comments": {}}),
    "POST /api/v1/feedback/<str:token>/": lambda w: (_feedback_answers(w), "json"),
    # coaching
    "POST /api/v1/coaching/coaches/": _json(lambda w: {"user": w.users["coach_new"].pk, "years_in_leadership": 12,
                                                       "highest_rank": "Chief"}),
    "PATCH /api/v1/coaching/coaches/<int:coach_id>/": _json(lambda w: {"bio": "Thirty years of service."}),
    "POST /api/v1/coaching/coachees/": _json(lambda w: {"agency": w.a.agency.pk, "coachee_type": "police_leader",
                                                        "first_name": "New", "last_name": "Leader"}),
    "POST /api/v1/coaching/needs-assessments/": _json(lambda w: {"coachee": w.a.coachee3.pk,
                                                                 "priorities": {"leadership": 3}}),
    "PATCH /api/v1/coaching/needs-assessments/<int:assessment_id>/": _json(lambda w: {"goals": "New goals"}),
    "POST /api/v1/coaching/needs-assessments/<int:assessment_id>/withdraw/": _json(lambda w: {"reason": "Moved"}),
    "POST /api/v1/coaching/needs-assessments/<int:assessment_id>/confirm/": _json(lambda w: {
        "coach": w.a.coach_profile.pk, "start_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "end_date": (timezone.localdate() + timedelta(days=121)).isoformat()}),
    "POST /api/v1/coaching/cohort-matches/": _json(lambda w: {"needs_assessment_ids": [w.a.needs_assessment.pk]}),
    "POST /api/v1/coaching/agreements/<int:agreement_id>/terminate/": _json(lambda w: {"reason": "Ended early"}),
    "POST /api/v1/coaching/agreements/<int:agreement_id>/complete/": _json(lambda w: {"rating": 4}),
    "POST /api/v1/coaching/agreements/<int:agreement_id>/outcome/": _json(lambda w: {"rating": 4}),
    "POST /api/v1/coaching/agreements/<int:agreement_id>/follow-up-360/": _json(lambda w: {
        "opens_at": _iso(timedelta(days=30)), "closes_at": _iso(timedelta(days=37))}),
    "POST /api/v1/coaching/agreements/<int:agreement_id>/sessions/": _json(lambda w: {
        "held_on": (timezone.localdate() - timedelta(days=2)).isoformat(), "duration_minutes": 60}),
}


def _feedback_answers(world) -> dict:
    from tests.evaluations.factories import answers_all

    return answers_all(world.a.cycle, score=4)


def body_for(world, key: str):
    """(data, format) for a route key; (None, "json") when the route takes no body."""
    build = BODIES.get(key)
    return build(world) if build else (None, "json")


# Query strings the GET routes need to answer 200 (the rest need none).
QUERIES = {
    "GET /api/v1/training/reports/state-roster.csv": {"state": "CA", "from": "2020-01-01", "to": "2035-12-31"},
    "GET /api/v1/public/officers/": {"q": "Last"},
    "GET /api/v1/public/agencies/": {"q": "Agency"},
    "GET /api/v1/public/eligibility/": lambda w: {"state": w.a.officer.state, "licence": w.a.officer.license_number},
}


def query_for(world, key: str) -> dict:
    query = QUERIES.get(key) or {}
    return query(world) if callable(query) else query
