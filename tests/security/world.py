"""A world for the cross-cutting security tests: for agency A (and B) one of every object the API addresses by id,
built through the apps' services and test factories, and the programme's roles as API clients with real JWTs.

`world_build()` returns a `World`. Object ids are looked up by the placeholder names the URL conf uses
(`world.path_value("officer_id")`), always agency A's object (the one the other roles must not reach).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Officer, Role
from certification import services as certification_services
from certification.models import FindingSource, ProgrammeRequirement
from coaching.models import AgreementStatus, CoachingSession
from demo.data.certification import programme_ensure
from evaluations import services as evaluation_services
from tests.coaching.factories import AgreementFactory, CoacheeFactory, CoachProfileFactory, NeedsAssessmentFactory
from tests.conftest import jwt_client
from tests.evaluations.factories import answers_all, cycle_make, invite, open_cycle, respond, token_set
from tests.factories import AgencyFactory, OfficerFactory, UserFactory
from tests.support.builders import certified_agency, credits_record, peace_officer_course
from tests.training.factories import AccreditationFactory, SessionFactory, assign, designate
from training import services as training_services

ROLES = ("anon", "staff", "admin_a", "admin_b", "instructor", "coach", "reviewer", "officer")


@dataclass
class Side:
    """One agency's objects."""

    agency: object = None
    officer: object = None
    enrollment: object = None  # in session A (started)
    upcoming_enrollment: object = None  # in session B (not started: cancellable)
    officer2: object = None  # CE credits, not certified (a Good Officer Certification can be granted)
    completion: object = None
    agency_certification: object = None
    requirement_status: object = None
    renewal: object = None  # a renewal application of the issued certification: its checklist is open
    status_lines: dict = field(default_factory=dict)  # the renewal's checklist lines by requirement kind
    document_line: object = None  # the issued certification's document item, with its uploaded PDF
    plaque: object = None
    officer_certification: object = None
    finding: object = None
    cycle: object = None  # open, with the reviewer's invitation
    invitation: object = None
    released_cycle: object = None  # its report released by staff
    coach_profile: object = None
    coachee: object = None
    needs_assessment: object = None  # its coachee has the agreement
    coachee2: object = None  # officer2, whose 360 report was released; no agreement
    needs_assessment2: object = None  # open: can be confirmed and prefilled
    coachee3: object = None  # nothing yet: a needs assessment can be created
    agreement: object = None
    coaching_session: object = None
    identity_review: object = None  # pending: a lookalike of a permanently ineligible officer, queued for staff
    # Due process (issue #18): a noticed finding about `officer` with the officer's and the agency's answers.
    answered_finding: object = None
    officer_document: object = None  # attached to the officer's own answer (never the agency's to read)


@dataclass
class World:
    a: Side
    b: Side
    users: dict
    clients: dict
    reviewer_token: str
    course: object
    resource: object
    session_a: object  # taught by the instructor; officer A and officer B enrolled
    session_b: object  # not taught by the instructor
    programme: object
    requirement: object
    instrument: object
    extra: dict = field(default_factory=dict)

    def path_value(self, name: str, *, side: str = "a"):
        """The value of a URL placeholder: the id (or code) of agency A's object of that kind."""
        s = self.a if side == "a" else self.b
        values = {
            "agency_id": s.agency.pk,
            "officer_id": s.officer.pk,
            "course_id": self.course.pk,
            "state": "CA",
            "resource_id": self.resource.pk,
            "session_id": self.session_a.pk,
            "enrollment_id": s.enrollment.pk,
            "completion_id": s.completion.pk,
            "code": s.completion.verification_code,
            "programme_id": self.programme.pk,
            "requirement_id": self.requirement.pk,
            "certification_id": s.agency_certification.pk,  # overridden for officer-certifications routes
            "status_id": s.requirement_status.pk,
            "plaque_id": s.plaque.pk,
            "finding_id": s.finding.pk,
            "document_id": s.officer_document.pk,
            "instrument_id": self.instrument.pk,
            "cycle_id": s.cycle.pk,
            "invitation_id": s.invitation.pk,
            "token": self.reviewer_token,
            "certificate_number": s.agency_certification.certificate_number,
            "coach_id": s.coach_profile.pk,
            "coachee_id": s.coachee.pk,
            "assessment_id": s.needs_assessment.pk,
            "agreement_id": s.agreement.pk,
            "review_id": s.identity_review.pk,
            "account_id": self.users["officer"].pk,  # officer A's own account
            "qualification_id": self.extra.get("qualification_id"),
        }
        return values[name]


def _released_cycle(subject, admin, staff):
    cycle = cycle_make(subject=subject, actor=admin)
    invite(cycle, "self")
    open_cycle(cycle)
    evaluation_services.feedback_submit(invitation=cycle.invitations.get(relationship="self"),
                                        **answers_all(cycle, score=5))
    respond(cycle, "supervisor", score=4)
    respond(cycle, "peer", 3, score=4)
    evaluation_services.cycle_close(cycle=cycle, actor=staff)
    # The pipeline's steps, run in order here (their on-commit hand-offs never fire inside a test transaction).
    for step in (evaluation_services.report_aggregate, evaluation_services.report_summarise,
                 evaluation_services.report_render, evaluation_services.report_notify):
        step(cycle_id=cycle.pk)
    cycle.refresh_from_db()
    evaluation_services.report_release(cycle=cycle, actor=staff)
    cycle.refresh_from_db()
    return cycle


def _side(*, agency, admin, staff, recorder, coach_user, course, session_a, session_b, programme) -> Side:
    s = Side(agency=agency)
    s.officer = OfficerFactory(agency=agency)
    # Training: officer enrolled in the instructor's session and in the other one; a completion with a code.
    s.enrollment = training_services.enrollments_create(session=session_a, officer_ids=[s.officer.pk],
                                                        actor=staff)[0].enrollment
    s.upcoming_enrollment = training_services.enrollments_create(session=session_b, officer_ids=[s.officer.pk],
                                                                 actor=staff)[0].enrollment
    s.officer2 = OfficerFactory(agency=agency)
    credits_record([s.officer, s.officer2], on=timezone.localdate() - timedelta(days=30), course_code=course.code)
    s.completion = s.officer.completions.get()
    # Certification.
    s.agency_certification = certified_agency(agency, programme, staff)
    s.requirement_status = s.agency_certification.requirements.order_by("id").first()
    s.plaque = s.agency_certification.plaque
    s.document_line = s.agency_certification.requirements.filter(requirement__kind="document").order_by("id").first()
    s.renewal = certification_services.agency_certification_renew(actor=staff, certification=s.agency_certification)
    for line in s.renewal.requirements.select_related("requirement").order_by("id"):
        s.status_lines.setdefault(line.requirement.kind, line)
    s.officer_certification = certification_services.officer_certification_grant(actor=staff, officer=s.officer)
    s.finding = certification_services.finding_record(actor=recorder, officer=s.officer, incident_date=date(2025, 3, 1),
                                                      summary="Use of force complaint",
                                                      source=FindingSource.COMPLAINT)
    # Evaluations: an open cycle with one invitation, and a cycle whose report was released.
    s.cycle = cycle_make(subject=s.officer, actor=admin)
    s.invitation = invite(s.cycle, "peer", 3)[0]  # a peer group can only open at its minimum (3)
    open_cycle(s.cycle)
    s.released_cycle = _released_cycle(s.officer2, admin, staff)
    # Coaching: the coach's profile, a coachee of the agency, a needs assessment, an active agreement, a session.
    s.coach_profile = CoachProfileFactory(user=coach_user, states=[agency.state])
    s.coachee = CoacheeFactory(agency=agency, officer=s.officer)
    s.needs_assessment = NeedsAssessmentFactory(coachee=s.coachee, created_by=admin)
    start = timezone.localdate() - timedelta(days=10)
    s.agreement = AgreementFactory(coach=s.coach_profile, coachee=s.coachee, needs_assessment=s.needs_assessment,
                                   start_date=start, end_date=start + timedelta(days=120),
                                   status=AgreementStatus.ACTIVE, proposed_by=staff,
                                   coach_accepted_at=timezone.now(), sponsor_accepted_at=timezone.now(),
                                   activated_at=timezone.now())
    s.coachee2 = CoacheeFactory(agency=agency, officer=s.officer2)
    s.needs_assessment2 = NeedsAssessmentFactory(coachee=s.coachee2, created_by=admin)
    s.coachee3 = CoacheeFactory(agency=agency)
    s.coaching_session = CoachingSession.objects.create(agreement=s.agreement, held_on=start + timedelta(days=1),
                                                        duration_minutes=60, topics=["leadership"],
                                                        private_notes="coach only")
    s.identity_review = _pending_identity_review(agency, admin, staff)
    return s


def _pending_identity_review(agency, admin, staff):
    """A permanently ineligible officer (never certified) and the admin's refused create of a lookalike."""
    from agencies.models import IdentityReview
    from agencies.services import officer_create, officer_mark_permanently_ineligible
    from core.exceptions import ApplicationError

    ineligible = OfficerFactory(agency=agency, first_name="Ineligible", last_name=f"Lookalike{agency.pk}")
    officer_mark_permanently_ineligible(officer=ineligible, actor=staff, reason="finding verified")
    licence = f"SEC-LOOKALIKE-{agency.pk}"
    try:
        officer_create(actor=admin, agency=agency, first_name=ineligible.first_name, last_name=ineligible.last_name,
                       license_number=licence)
    except ApplicationError as exc:
        assert exc.code == "identity_review_required", exc.code
    return IdentityReview.objects.get(license_number=licence)


def _answered_finding(s: Side, *, recorder, officer_user, admin) -> None:
    """A noticed finding about the side's officer, answered by the officer (with a PDF) and by the agency."""
    s.answered_finding = certification_services.finding_record(
        actor=recorder, officer=s.officer, incident_date=date(2025, 4, 2), summary="Force used during an arrest",
        source=FindingSource.INTERNAL_AFFAIRS)
    certification_services.finding_notice(actor=recorder, finding=s.answered_finding)
    answer = certification_services.finding_response_add(
        actor=officer_user, finding=s.answered_finding, author_kind="officer", text="My account of the arrest.",
        files=[("statement.pdf", b"%PDF-1.4\nofficer statement\n", "application/pdf")])
    s.officer_document = answer.documents.get()
    certification_services.finding_response_add(actor=admin, finding=s.answered_finding, author_kind="agency",
                                                 text="The agency's review of the arrest.")


def world_build() -> World:
    users = {
        "staff": UserFactory(username="sec_staff", role=Role.CERTIFICATION_STAFF, is_staff=True),
        # Records the findings, so that `staff` may verify them (two-person rule).
        "staff2": UserFactory(username="sec_staff2", role=Role.CERTIFICATION_STAFF, is_staff=True),
        "instructor": UserFactory(username="sec_instructor", role=Role.INSTRUCTOR),
        "coach": UserFactory(username="sec_coach", role=Role.COACH, first_name="Casey", last_name="Coach"),
        "coach_b": UserFactory(username="sec_coach_b", role=Role.COACH, first_name="Bo", last_name="Coach"),
        "coach_new": UserFactory(username="sec_coach_new", role=Role.COACH),  # no profile yet
        "instructor2": UserFactory(username="sec_instructor2", role=Role.INSTRUCTOR),  # qualified, not assigned
    }
    staff = users["staff"]
    agency_a = AgencyFactory(name="Agency A Police", state="CA")
    agency_b = AgencyFactory(name="Agency B Sheriff", state="OH", agency_type="sheriff")
    users["admin_a"] = UserFactory(username="sec_admin_a", role=Role.AGENCY_ADMIN, agency=agency_a)
    users["admin_b"] = UserFactory(username="sec_admin_b", role=Role.AGENCY_ADMIN, agency=agency_b)

    course = peace_officer_course()
    AccreditationFactory(course=course, state="CA", hours_accepted=Decimal("8.00"))
    AccreditationFactory(course=course, state="OH", hours_accepted=Decimal("6.00"))
    resource = training_services.toolkit_resource_upload(
        course=course, actor=staff, title="Checklist", kind="checklist",
        upload=SimpleUploadedFile("checklist.pdf", b"%PDF-1.4\nroll call checklist\n", "application/pdf"))
    designate(users["instructor"], course)
    qualification = designate(users["instructor2"], course)
    # Officers are enrolled while both sessions are upcoming; session A is then moved to have started an hour ago
    # (attendance is recorded once a session has started).
    session_a = SessionFactory(course=course, capacity=10)
    assign(session_a, users["instructor"])
    session_b = SessionFactory(course=course, capacity=10)

    programme = programme_ensure(actor="test")[0]
    requirement = ProgrammeRequirement.objects.filter(programme=programme).order_by("id").first()
    instrument = evaluation_services.instrument_default_ensure()[0]

    common = {"staff": staff, "recorder": users["staff2"], "course": course, "session_a": session_a,
              "session_b": session_b, "programme": programme}
    a = _side(agency=agency_a, admin=users["admin_a"], coach_user=users["coach"], **common)
    b = _side(agency=agency_b, admin=users["admin_b"], coach_user=users["coach_b"], **common)
    start = timezone.now() - timedelta(hours=1)
    type(session_a).objects.filter(pk=session_a.pk).update(starts_at=start, ends_at=start + timedelta(hours=8))
    session_a.refresh_from_db()

    reviewer_token = token_set(a.invitation)
    # An officer's own account, for agency A's officer (it sees only its own data, under /me/officer/).
    users["officer"] = UserFactory(username="sec_officer", role=Role.OFFICER, officer=a.officer)
    _answered_finding(a, recorder=users["staff2"], officer_user=users["officer"], admin=users["admin_a"])
    _answered_finding(b, recorder=users["staff2"], officer_user=staff, admin=users["admin_b"])
    clients = {name: jwt_client(users[name])
               for name in ("staff", "admin_a", "admin_b", "instructor", "coach", "officer")}
    clients["anon"] = APIClient()
    # The reviewer has no account: their secret link is the credential. They also try it as a bearer token.
    reviewer = APIClient()
    reviewer.credentials(HTTP_AUTHORIZATION=f"Bearer {reviewer_token}")
    clients["reviewer"] = reviewer
    return World(a=a, b=b, users=users, clients=clients, reviewer_token=reviewer_token, course=course,
                 resource=resource, session_a=session_a, session_b=session_b, programme=programme,
                 requirement=requirement, instrument=instrument,
                 extra={"qualification_id": qualification.pk})


def officers_of(agency) -> set[int]:
    return set(Officer.objects.filter(agency=agency).values_list("pk", flat=True))
