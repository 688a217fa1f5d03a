"""The access matrix as data: who gets what from each route (see test_access_matrix.py for the rule each
policy encodes). New routes add an entry here built from a named policy, e.g. `entry(STAFF_ONLY, 201)`."""

from django.db.models import Q

from .world import ROLES, officers_of

OK = "ok"  # the route's success status


def policy(anon, staff, admin_a, admin_b, instructor, coach, reviewer, officer) -> dict:
    """`officer`: an officer's own account (linked to agency A's officer); it reaches only /me/officer/ routes."""
    return dict(zip(ROLES, (anon, staff, admin_a, admin_b, instructor, coach, reviewer, officer), strict=True))


# No login (public registry, verification, health, login itself, the reviewer's secret link).
PUBLIC = policy(OK, OK, OK, OK, OK, OK, OK, OK)
# Any signed-in user; rows are filtered by the selector (lists) or the object is not agency-owned (catalogue).
AUTHENTICATED = policy(401, OK, OK, OK, OK, OK, 401, OK)
# IsCertificationStaff (or an equivalent check before any lookup).
STAFF_ONLY = policy(401, OK, 403, 403, 403, 403, 401, 403)
# IsStaffOrAgencyAdmin on a list or a catalogue: every agency admin gets 200 (the selector filters the rows).
STAFF_OR_AGENCY_ADMIN = policy(401, OK, OK, OK, 403, 403, 401, 403)
# IsStaffOrAgencyAdmin + a selector by agency: admin of B gets the 404 of a missing row.
STAFF_OR_OWN_AGENCY_ADMIN = policy(401, OK, OK, 404, 403, 403, 401, 403)
# As above, but the service lets only staff do it: the own agency's admin sees the row, then gets 403.
STAFF_ACTS_ON_OWN_AGENCY_ROW = policy(401, OK, 403, 404, 403, 403, 401, 403)
# IsAuthenticated + a selector (staff all, agency admin own, nobody else): others get 404.
SELECTOR_STAFF_OR_OWN_ADMIN = policy(401, OK, OK, 404, 404, 404, 401, 404)
# Coaching agreements: staff, the sponsoring agency's admin and the agreement's coach.
AGREEMENT_PARTIES = policy(401, OK, OK, 404, 404, OK, 401, 404)
# The JSON 404 catch-all under /api/.
NO_SUCH_ENDPOINT = policy(404, 404, 404, 404, 404, 404, 404, 404)
# IsOfficer: an officer's own account (/me/officer/...); the selectors return only that officer's rows.
OFFICER_SELF = policy(401, 403, 403, 403, 403, 403, 401, OK)


def entry(base: dict, ok: int = 200, **overrides) -> dict:
    cells = {role: (ok if status == OK else status) for role, status in base.items()}
    unknown = set(overrides) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    cells.update(overrides)
    return cells


V = "/api/v1"
T = f"{V}/training"
C = f"{V}/certification"
E = f"{V}/evaluations"
K = f"{V}/coaching"

MATRIX = {
    # --- auth, me, agencies, officers ---
    f"POST {V}/auth/token/": entry(PUBLIC),
    f"POST {V}/auth/token/refresh/": entry(PUBLIC),
    f"POST {V}/auth/logout/": entry(PUBLIC, 204),
    f"POST {V}/auth/logout-all/": entry(AUTHENTICATED, 204),
    f"GET {V}/health/": entry(PUBLIC),
    f"GET {V}/me/": entry(AUTHENTICATED),
    f"POST {V}/me/password/": entry(AUTHENTICATED, 204),
    f"GET {V}/agencies/": entry(AUTHENTICATED),
    f"POST {V}/agencies/": entry(STAFF_ONLY, 201),
    f"GET {V}/agencies/<int:agency_id>/": entry(SELECTOR_STAFF_OR_OWN_ADMIN),
    # 404 before 403: the agency's own admin sees it and is refused; everybody else gets the missing-row 404.
    f"PATCH {V}/agencies/<int:agency_id>/": entry(SELECTOR_STAFF_OR_OWN_ADMIN, admin_a=403),
    f"GET {V}/officers/": entry(STAFF_OR_AGENCY_ADMIN),
    # A foreign agency named in the BODY is a field error (400 "Unknown agency"), as for an agency that does not
    # exist: no existence leak, and a 404 would wrongly say the endpoint is missing.
    f"POST {V}/officers/": entry(STAFF_OR_AGENCY_ADMIN, 201, admin_b=400),
    f"POST {V}/officers/import/": entry(STAFF_OR_AGENCY_ADMIN, admin_b=400),
    # Roster download (issue #14): every admin gets their own agency's rows (list_scope says which).
    f"GET {V}/officers/export.csv": entry(STAFF_OR_AGENCY_ADMIN),
    f"GET {V}/officers/<int:officer_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"PATCH {V}/officers/<int:officer_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    # Identity (issue #11): corrections and the lookalike review queue are staff only (checked before any lookup).
    f"POST {V}/officers/<int:officer_id>/identity-corrections/": entry(STAFF_ONLY),
    f"GET {V}/identity-reviews/": entry(STAFF_ONLY),
    f"GET {V}/identity-reviews/<int:review_id>/": entry(STAFF_ONLY),
    f"POST {V}/identity-reviews/<int:review_id>/decide/": entry(STAFF_ONLY),
    # --- onboarding (issue #14): the one-time link answers the same whoever sends it; accounts are staff's, an
    # agency admin reads (and invites) their own officers' accounts; deactivation is staff only ---
    f"POST {V}/auth/password/set/": entry(PUBLIC, 204),
    f"POST {V}/auth/password/forgot/": entry(PUBLIC, 202),
    f"GET {V}/accounts/": entry(STAFF_OR_AGENCY_ADMIN),
    # Admin B names agency A's officer in the body: the 400 of an unknown officer.
    f"POST {V}/accounts/": entry(STAFF_OR_AGENCY_ADMIN, 201, admin_b=400),
    f"GET {V}/accounts/<int:account_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {V}/accounts/<int:account_id>/deactivate/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW),
    f"POST {V}/accounts/<int:account_id>/reactivate/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW, staff=409),  # is active
    # --- the officer's own account (issue #18): officer A's own rows; cycle A (about officer A) is still open, so
    # there is no report to read yet ---
    f"GET {V}/me/officer/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/completions/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/completions/<int:completion_id>/certificate.pdf": entry(OFFICER_SELF),
    f"GET {V}/me/officer/transcript/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/enrollments/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/sessions/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/credits/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/certification/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/reports/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/reports/<int:cycle_id>/": entry(OFFICER_SELF, officer=404),
    # Due process (issue #18): findings about the officer, from the notice on; their answer and representative.
    f"GET {V}/me/officer/export.json": entry(OFFICER_SELF),
    f"GET {V}/me/officer/export.pdf": entry(OFFICER_SELF),
    f"GET {V}/me/officer/findings/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/findings/<int:finding_id>/": entry(OFFICER_SELF),
    f"POST {V}/me/officer/findings/<int:finding_id>/response/": entry(OFFICER_SELF, 201),
    f"PUT {V}/me/officer/findings/<int:finding_id>/representative/": entry(OFFICER_SELF),
    f"GET {V}/me/officer/findings/<int:finding_id>/documents/<int:document_id>/download/": entry(OFFICER_SELF),
    # --- training (the catalogue and the sessions are programme-wide, not agency-owned) ---
    f"GET {T}/courses/": entry(AUTHENTICATED),
    f"POST {T}/courses/": entry(STAFF_ONLY, 201),
    f"GET {T}/courses/<int:course_id>/": entry(AUTHENTICATED),
    f"PATCH {T}/courses/<int:course_id>/": entry(STAFF_ONLY),
    f"PUT {T}/courses/<int:course_id>/accreditations/<str:state>/": entry(STAFF_ONLY),
    f"GET {T}/courses/<int:course_id>/resources/": entry(AUTHENTICATED),
    f"POST {T}/courses/<int:course_id>/resources/": entry(STAFF_ONLY, 201),
    f"DELETE {T}/resources/<int:resource_id>/": entry(STAFF_ONLY, 204),
    f"GET {T}/resources/<int:resource_id>/download/": entry(AUTHENTICATED),
    f"GET {T}/sessions/": entry(AUTHENTICATED),
    f"POST {T}/sessions/": entry(STAFF_ONLY, 201),
    # Session A: agency admins see every session (to enrol); the instructor teaches it; a coach does not see it.
    f"GET {T}/sessions/<int:session_id>/": entry(AUTHENTICATED, coach=404, officer=404),
    f"POST {T}/sessions/<int:session_id>/instructors/": entry(STAFF_ONLY, 201),
    # Session changes (issue #14): staff only, checked before the lookup.
    f"PATCH {T}/sessions/<int:session_id>/": entry(STAFF_ONLY),
    f"POST {T}/sessions/<int:session_id>/cancel/": entry(STAFF_ONLY),
    # Instructor qualifications (issue #14): staff only. instructor2 already holds an open-ended qualification for
    # the course, so recording another one for them is 409 already_qualified (every access check passed).
    f"GET {T}/instructor-qualifications/": entry(STAFF_ONLY),
    f"POST {T}/instructor-qualifications/": entry(STAFF_ONLY, 201, staff=409),
    f"POST {T}/instructor-qualifications/<int:qualification_id>/revoke/": entry(STAFF_ONLY),
    f"GET {T}/sessions/<int:session_id>/enrollments/": entry(AUTHENTICATED, coach=404, officer=404),
    # Admin B names agency A's officer: 200 with that officer "refused: unknown_officer" (per-officer outcomes by
    # design), nothing written (checked below).
    f"POST {T}/sessions/<int:session_id>/enrollments/": entry(STAFF_OR_AGENCY_ADMIN),
    # The session's instructors and staff record attendance; agency admins see the session, the service refuses.
    f"POST {T}/sessions/<int:session_id>/attendance/": entry(AUTHENTICATED, admin_a=403, admin_b=403, coach=404,
                                                              officer=404),
    f"POST {T}/enrollments/<int:enrollment_id>/cancel/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {T}/completions/": entry(STAFF_OR_AGENCY_ADMIN),
    f"POST {T}/completions/import/": entry(STAFF_ONLY, 201),
    f"GET {T}/completions/export.csv": entry(STAFF_OR_AGENCY_ADMIN),
    f"GET {T}/completions/<int:completion_id>/certificate.pdf": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {T}/officers/<int:officer_id>/transcript/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {T}/reports/state-roster.csv": entry(STAFF_ONLY),
    # --- certification ---
    f"GET {C}/programmes/": entry(STAFF_OR_AGENCY_ADMIN),
    f"POST {C}/programmes/": entry(STAFF_ONLY, 201),
    f"POST {C}/programmes/<int:programme_id>/requirements/": entry(STAFF_ONLY, 201),
    f"PATCH {C}/requirements/<int:requirement_id>/": entry(STAFF_ONLY),
    f"GET {C}/agency-certifications/": entry(STAFF_OR_AGENCY_ADMIN),
    # Agency A already has an application in progress (the renewal): 409 for those who may apply for A.
    f"POST {C}/agency-certifications/": entry(STAFF_OR_AGENCY_ADMIN, 201, staff=409, admin_a=409, admin_b=400),
    f"GET {C}/agency-certifications/<int:certification_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {C}/agency-certifications/<int:certification_id>/submit/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    # The renewal's checklist is not met yet: staff pass every access check and get requirements_unmet.
    f"POST {C}/agency-certifications/<int:certification_id>/issue/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW, staff=409),
    f"POST {C}/agency-certifications/<int:certification_id>/revoke/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW),
    # A renewal is already in progress.
    f"POST {C}/agency-certifications/<int:certification_id>/renew/": entry(STAFF_OR_OWN_AGENCY_ADMIN, 201,
                                                                           staff=409, admin_a=409),
    f"POST {C}/requirement-statuses/<int:status_id>/mark/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW),
    f"POST {C}/requirement-statuses/<int:status_id>/document/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {C}/requirement-statuses/<int:status_id>/document/download/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {C}/requirement-statuses/<int:status_id>/attest/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {C}/plaques/": entry(STAFF_OR_AGENCY_ADMIN),
    f"GET {C}/plaques/<int:plaque_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {C}/plaques/<int:plaque_id>/advance/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW),
    f"GET {C}/plaques/<int:plaque_id>/plaque.pdf": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {C}/officer-certifications/": entry(STAFF_OR_AGENCY_ADMIN),
    # admin A sees their officer, the service grants only for staff (403); admin B names a foreign officer (400).
    f"POST {C}/officer-certifications/": entry(STAFF_OR_AGENCY_ADMIN, 201, admin_a=403, admin_b=400),
    f"GET {C}/officer-certifications/<int:certification_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    # Just granted: not renewable yet.
    f"POST {C}/officer-certifications/<int:certification_id>/renew/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW, staff=409),
    f"GET {C}/officers/<int:officer_id>/eligibility/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {C}/officers/<int:officer_id>/link/": entry(STAFF_ONLY),
    f"GET {C}/findings/": entry(STAFF_OR_AGENCY_ADMIN),
    f"POST {C}/findings/": entry(STAFF_ONLY, 201),
    f"GET {C}/findings/<int:finding_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {C}/findings/<int:finding_id>/notice/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW),
    # The finding is only recorded (no notice yet): no response is due, no determination possible.
    f"POST {C}/findings/<int:finding_id>/response/": entry(STAFF_OR_OWN_AGENCY_ADMIN, staff=409, admin_a=409),
    f"POST {C}/findings/<int:finding_id>/determine/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW, staff=409),
    f"POST {C}/findings/<int:finding_id>/verify/": entry(STAFF_ACTS_ON_OWN_AGENCY_ROW, staff=409),
    # The document of the OFFICER's answer: the officer's own agency gets the 404 of a missing one (issue #18).
    f"GET {C}/finding-response-documents/<int:document_id>/download/": entry(STAFF_OR_OWN_AGENCY_ADMIN, admin_a=404),
    f"GET {C}/ledger/": entry(STAFF_ONLY),
    # --- evaluations ---
    f"GET {E}/instruments/": entry(STAFF_OR_AGENCY_ADMIN),
    f"POST {E}/instruments/": entry(STAFF_ONLY, 201),
    f"GET {E}/instruments/<int:instrument_id>/": entry(STAFF_OR_AGENCY_ADMIN),
    # The default instrument is used by cycles: an edit creates a new version (201).
    f"PUT {E}/instruments/<int:instrument_id>/": entry(STAFF_ONLY, 201),
    f"GET {E}/cycles/": entry(STAFF_OR_AGENCY_ADMIN),
    f"POST {E}/cycles/": entry(STAFF_OR_AGENCY_ADMIN, 201, admin_b=400),
    f"GET {E}/cycles/<int:cycle_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {E}/cycles/<int:cycle_id>/open/": entry(STAFF_OR_OWN_AGENCY_ADMIN, staff=409, admin_a=409),  # is open
    f"POST {E}/cycles/<int:cycle_id>/close/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {E}/cycles/<int:cycle_id>/follow-up/": entry(STAFF_OR_OWN_AGENCY_ADMIN, 201),
    f"GET {E}/cycles/<int:cycle_id>/invitations/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {E}/cycles/<int:cycle_id>/invitations/": entry(STAFF_OR_OWN_AGENCY_ADMIN, 201),
    # Invitations are withdrawn only while the cycle is a draft; this one is open.
    f"DELETE {E}/cycles/<int:cycle_id>/invitations/<int:invitation_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN,
                                                                               staff=409, admin_a=409),
    # Staff review of the rater list: this cycle's list is approved (and the cycle open, so no whole-list refusal);
    # a single rater can be refused; a sent, unanswered invitation can be re-sent by staff or its sponsor.
    f"POST {E}/cycles/<int:cycle_id>/raters/approve/": entry(STAFF_ONLY, staff=409),
    f"POST {E}/cycles/<int:cycle_id>/raters/refuse/": entry(STAFF_ONLY, staff=409),
    f"POST {E}/cycles/<int:cycle_id>/invitations/<int:invitation_id>/refuse/": entry(STAFF_ONLY),
    f"POST {E}/cycles/<int:cycle_id>/invitations/<int:invitation_id>/resend/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {E}/cycles/<int:cycle_id>/report/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {E}/cycles/<int:cycle_id>/report.pdf": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {E}/cycles/<int:cycle_id>/report/release/": entry(STAFF_ONLY, staff=409),  # already released
    # The review step before release: this report is already released.
    f"PATCH {E}/cycles/<int:cycle_id>/report/review/": entry(STAFF_ONLY, staff=409),
    f"POST {E}/cycles/<int:cycle_id>/report/use-builtin/": entry(STAFF_ONLY, staff=409),
    # The secret link is the credential: whoever holds it is the reviewer (JWTs are not consulted).
    f"GET {V}/feedback/<str:token>/": entry(PUBLIC),
    f"PUT {V}/feedback/<str:token>/": entry(PUBLIC),
    f"POST {V}/feedback/<str:token>/": entry(PUBLIC, 201),
    # --- coaching ---
    f"GET {K}/coaches/": entry(AUTHENTICATED),
    f"POST {K}/coaches/": entry(STAFF_ONLY, 201),
    # Coach profiles are programme-wide: staff all, agency admins the active ones (public fields), a coach their own.
    f"GET {K}/coaches/<int:coach_id>/": entry(AUTHENTICATED, instructor=404, officer=404),
    f"PATCH {K}/coaches/<int:coach_id>/": entry(AUTHENTICATED, admin_a=403, admin_b=403, instructor=404,
                                                 officer=404),
    f"GET {K}/coachees/": entry(STAFF_OR_AGENCY_ADMIN),
    f"POST {K}/coachees/": entry(STAFF_OR_AGENCY_ADMIN, 201, admin_b=400),
    f"GET {K}/coachees/<int:coachee_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {K}/needs-assessments/": entry(STAFF_OR_AGENCY_ADMIN),
    f"POST {K}/needs-assessments/": entry(STAFF_OR_AGENCY_ADMIN, 201, admin_b=400),
    f"GET {K}/needs-assessments/<int:assessment_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"PATCH {K}/needs-assessments/<int:assessment_id>/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {K}/needs-assessments/<int:assessment_id>/prefill-from-360/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {K}/needs-assessments/<int:assessment_id>/withdraw/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"GET {K}/needs-assessments/<int:assessment_id>/matches/": entry(STAFF_OR_OWN_AGENCY_ADMIN),
    f"POST {K}/needs-assessments/<int:assessment_id>/confirm/": entry(STAFF_ONLY, 201),
    f"POST {K}/cohort-matches/": entry(STAFF_ONLY),
    f"GET {K}/agreements/": entry(AUTHENTICATED),
    f"GET {K}/agreements/<int:agreement_id>/": entry(AGREEMENT_PARTIES),
    # Agreement A is active: nobody can accept it again.
    f"POST {K}/agreements/<int:agreement_id>/accept/": entry(AGREEMENT_PARTIES, staff=409, admin_a=409, coach=409),
    f"POST {K}/agreements/<int:agreement_id>/terminate/": entry(AGREEMENT_PARTIES),
    f"POST {K}/agreements/<int:agreement_id>/complete/": entry(AGREEMENT_PARTIES),
    f"POST {K}/agreements/<int:agreement_id>/outcome/": entry(AGREEMENT_PARTIES, staff=409, admin_a=409, coach=409),
    # The sponsor starts the follow-up (409: not completed yet); the coach may not (403).
    f"POST {K}/agreements/<int:agreement_id>/follow-up-360/": entry(AGREEMENT_PARTIES, staff=409, admin_a=409,
                                                                   coach=403),
    f"GET {K}/agreements/<int:agreement_id>/sessions/": entry(AGREEMENT_PARTIES),
    # Only the agreement's coach logs sessions.
    f"POST {K}/agreements/<int:agreement_id>/sessions/": entry(AGREEMENT_PARTIES, 201, staff=403, admin_a=403),
    # --- public (no login) ---
    f"GET {V}/public/verify/<str:code>/": entry(PUBLIC),
    f"GET {V}/public/officers/": entry(PUBLIC),
    f"GET {V}/public/agencies/": entry(PUBLIC),
    f"GET {V}/public/agency-certificates/<str:certificate_number>/": entry(PUBLIC),
    f"GET {V}/public/eligibility/": entry(PUBLIC),
    f"GET {V}/public/metrics/": entry(PUBLIC),
    f"GET {V}/public/revocations.csv": entry(PUBLIC),
    # --- the OpenAPI document and its viewer: public, but a presented bearer token is checked (DRF's default
    # authentication runs): the reviewer's link token is not a JWT, so 401 ---
    "GET /api/schema/": entry(PUBLIC, reviewer=401),
    "GET /api/docs/": entry(PUBLIC, reviewer=401),
    "GET /^api/": entry(NO_SUCH_ENDPOINT),
    "POST /^api/": entry(NO_SUCH_ENDPOINT),
}


# --- lists: which of their rows each non-staff role may see ----------------------------------------------------

LISTERS = ("admin_b", "instructor", "coach", "officer")
CATALOGUE = "catalogue"  # programme-wide rows, no agency owns them: nothing to check
ERROR_KEYS = {"code", "message", "fields"}
HTML_ROUTES = {"GET /api/docs/"}  # Swagger UI: an HTML page (its 401 is DRF's HTML rendering), not the JSON API


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def list_scope(world, key: str):
    """(guarded ids, {role: ids of them the role may see}) for a list route, or CATALOGUE."""
    from agencies.models import User
    from certification.models import AgencyCertification, Finding, OfficerCertification, Plaque
    from coaching.models import Agreement, Coachee, CoachingSession, CoachProfile, NeedsAssessment
    from evaluations.models import Cycle, Report
    from training.models import Completion, Enrollment, TrainingSession

    a = world.a.agency
    none = {role: set() for role in LISTERS}
    scopes = {
        f"GET {V}/agencies/": ({a.pk}, none),
        f"GET {V}/officers/": (officers_of(a), none),
        f"GET {T}/sessions/": (_ids(TrainingSession.objects.all()),
                               {"admin_b": _ids(TrainingSession.objects.all()),  # the programme's calendar
                                "instructor": {world.session_a.pk}, "coach": set(), "officer": set()}),
        f"GET {T}/sessions/<int:session_id>/enrollments/": (
            _ids(Enrollment.objects.filter(officer__agency=a)),
            {"admin_b": set(), "coach": set(), "officer": set(),
             "instructor": _ids(Enrollment.objects.filter(session=world.session_a))}),
        f"GET {T}/completions/": (_ids(Completion.objects.filter(officer__agency=a)), none),
        # CSV downloads: the ids are the first column (checked by tests/agencies/test_exports.py).
        f"GET {V}/officers/export.csv": (officers_of(a), none),
        f"GET {T}/completions/export.csv": (_ids(Completion.objects.filter(officer__agency=a)), none),
        f"GET {C}/agency-certifications/": (_ids(AgencyCertification.objects.filter(agency=a)), none),
        f"GET {C}/plaques/": (_ids(Plaque.objects.filter(certification__agency=a)), none),
        f"GET {C}/officer-certifications/": (_ids(OfficerCertification.objects.filter(officer__agency=a)), none),
        f"GET {C}/findings/": (_ids(Finding.objects.filter(officer__agency=a)), none),
        f"GET {E}/cycles/": (_ids(Cycle.objects.filter(agency=a)), none),
        f"GET {V}/accounts/": (_ids(User.objects.filter(Q(agency=a) | Q(officer__agency=a))), none),
        f"GET {V}/me/officer/completions/": (_ids(Completion.objects.all()),
                                             {**none, "officer": _ids(world.a.officer.completions.all())}),
        f"GET {V}/me/officer/enrollments/": (_ids(Enrollment.objects.all()),
                                             {**none, "officer": _ids(world.a.officer.training_enrollments.all())}),
        # Officer 2's report is released (to the subject too), officer A has none: officer A sees nothing.
        f"GET {V}/me/officer/reports/": (_ids(Report.objects.all()), none),
        f"GET {V}/me/officer/findings/": (_ids(Finding.objects.all()),
                                          {**none, "officer": {world.a.answered_finding.pk}}),
        f"GET {K}/coaches/": (_ids(CoachProfile.objects.all()),
                              {"admin_b": _ids(CoachProfile.objects.filter(active=True)),
                               "instructor": set(), "coach": {world.a.coach_profile.pk}, "officer": set()}),
        f"GET {K}/coachees/": (_ids(Coachee.objects.filter(agency=a)), none),
        f"GET {K}/needs-assessments/": (_ids(NeedsAssessment.objects.filter(coachee__agency=a)), none),
        f"GET {K}/agreements/": (_ids(Agreement.objects.all()),
                                 {"admin_b": {world.b.agreement.pk}, "instructor": set(),
                                  "coach": {world.a.agreement.pk}, "officer": set()}),
        f"GET {K}/agreements/<int:agreement_id>/sessions/": (
            _ids(CoachingSession.objects.filter(agreement__sponsor_agency=a)),
            {"admin_b": set(), "instructor": set(), "coach": {world.a.coaching_session.pk},
             "officer": set()}),
    }
    catalogue = {f"GET {T}/courses/", f"GET {T}/courses/<int:course_id>/resources/", f"GET {C}/programmes/",
                 f"GET {E}/instruments/", f"GET {V}/public/officers/", f"GET {V}/public/agencies/",
                 f"GET {V}/me/officer/sessions/"}  # the programme's calendar of upcoming sessions
    if key in catalogue:
        return CATALOGUE
    return scopes.get(key)
