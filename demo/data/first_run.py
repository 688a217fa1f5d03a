"""First run: after `make run` alone the product is alive. Franklin County Sheriff's Office is certified and its plaque
delivered; its officers hold active, lapsed and revoked Good Officer Certifications (the revocation through a
sustained excessive-force finding verified under the two-person rule); a 360 report is released; a coaching
agreement is active; and a second 360 cycle is open, so a reviewer link can be tried.

Everything goes through the services (each write with its audit entry), never by writing statuses. Every step looks
its rows up first and continues from where they stand, so a second run creates nothing. Riverside is left to the
narrated walk (`make demo`), which certifies it step by step."""

import hashlib
import io
import logging
import random
import re
from contextlib import contextmanager
from datetime import date, timedelta

from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import override_settings
from django.utils import timezone
from reportlab.pdfgen import canvas

from agencies.models import Agency, Officer, Role, User
from agencies.services import officer_create, user_create
from certification import services as certification_services
from certification.models import (
    AgencyCertification,
    AgencyCertificationStatus,
    CertificationProgramme,
    Finding,
    FindingStatus,
    OfficerCertification,
    PlaqueStatus,
    RequirementKind,
    RequirementState,
)
from coaching.models import Agreement, AgreementStatus, Coachee, CoachProfile, NeedsAssessmentStatus
from coaching.services import agreement_accept, agreement_propose, months_after
from evaluations import services as evaluation_services
from evaluations.models import Cycle, CycleStatus, Invitation, Relationship
from training.models import PEACE_OFFICER_COURSE_CODE, Completion
from training.services import credits_import

from .agencies import DEMO_PASSWORD
from .certification import PROGRAMME_CODE, SECOND_STAFF_USERNAME

FRANKLIN = "Franklin County Sheriff's Office"
# Franklin's roster beyond the three officers every demo has: eight sworn officers, all on the roster.
FRANKLIN_ROSTER = [
    # (first, last, licence, rank, hire date)
    ("Ken", "Foster", "OH-550104", "Deputy", date(2015, 10, 5)),
    ("Olivia", "Grant", "OH-550105", "Deputy", date(2019, 3, 18)),
    ("Ethan", "Brooks", "OH-550106", "Corporal", date(2016, 8, 1)),
    ("Nadia", "Rahman", "OH-550107", "Deputy", date(2023, 1, 9)),
    ("Luis", "Ortega", "OH-550108", "Lieutenant", date(2009, 6, 22)),
]
ACTIVE_LICENCES = ["OH-550101", "OH-550102", "OH-550105", "OH-550106"]  # Tom Becker first: his code is printed
LAPSED_LICENCE = "OH-550104"  # Ken Foster: certified 400 days ago, never renewed
REVOKED_LICENCE = "OH-550103"  # Samuel Reed: a verified excessive-force finding
REPORT_SUBJECT_LICENCE, REPORT_TARGET = "OH-550102", "Lieutenant"  # Grace Liu: released 360, then coaching
OPEN_CYCLE_SUBJECT_LICENCE, OPEN_CYCLE_TARGET = "OH-550101", "Sergeant"  # Tom Becker: a cycle open for answers
COACH_USERNAME = "coach_okonkwo"
REVIEWER_EMAIL = "dana.kerr@demo.peacecert.invalid"  # the open cycle's supervisor: their link is printed
REPORT_RATERS = [
    ("Grace Liu", Relationship.SELF), ("Luis Ortega", Relationship.SUPERVISOR),
    ("Tom Becker", Relationship.PEER), ("Ethan Brooks", Relationship.PEER), ("Olivia Grant", Relationship.PEER),
    ("Nadia Rahman", Relationship.DIRECT_REPORT), ("Ken Foster", Relationship.DIRECT_REPORT),
    ("Ray Cole", Relationship.DIRECT_REPORT),
]
OPEN_CYCLE_RATERS = [
    ("Tom Becker", Relationship.SELF), ("Dana Kerr", Relationship.SUPERVISOR), ("Ethan Brooks", Relationship.PEER),
    ("Olivia Grant", Relationship.PEER), ("Nadia Rahman", Relationship.PEER),
]
COMMENTS = ["Stays calm under pressure and explains her decisions to the public.",
            "Could hand more of the scheduling work to the corporals."]


@contextmanager
def _on_commit_now():
    """Run after-commit work (e-mails, the report pipeline) before going on. Outside a transaction (the command) it
    already ran at commit; inside one (a test) this runs the captured callbacks, like the commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


@contextmanager
def _tasks_here_and_quiet():
    """Run this load's tasks (e-mails, the report pipeline) in this process even when a broker is configured, so
    the data is complete when the command ends and no worker is needed; and keep Celery from logging every task it
    ran (dozens of e-mails): `make run` prints what to try instead."""
    from celery import current_app

    trace = logging.getLogger("celery.app.trace")
    level, eager = trace.level, current_app.conf.task_always_eager
    trace.setLevel(logging.WARNING)
    current_app.conf.task_always_eager = True
    try:
        yield
    finally:
        trace.setLevel(level)
        current_app.conf.task_always_eager = eager


def _rater_email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@demo.peacecert.invalid"


def _officer(licence: str) -> Officer:
    return Officer.objects.get(state="OH", license_number=licence)


def demo_data_load() -> dict:
    """Create what is missing of the first-run story; return counts (all zero on a second run)."""
    created = dict.fromkeys(("officers", "completions", "officer_certifications", "findings",
                             "agency_certifications", "cycles", "agreements", "reviewer_links", "officer_logins"), 0)
    staff = User.objects.get(username="staff")
    staff2 = User.objects.get(username=SECOND_STAFF_USERNAME)
    admin = User.objects.get(username="admin_franklin")
    franklin = Agency.objects.get(name=FRANKLIN)
    # E-mails stay in memory (a reviewer link is read from one); the 360 summary is the built-in one (no LLM server
    # needed), produced in this process before the report is released.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", LLM_BASE_URL="",
                           EVALUATION_PIPELINE_IN_BACKGROUND=False), _tasks_here_and_quiet():
        if not hasattr(mail, "outbox"):  # a test's outbox is kept; the newest reviewer e-mail is the one read
            mail.outbox = []
        created["officers"] = _roster_ensure(franklin)
        created["completions"] = _credits_ensure(franklin, staff)
        created["officer_certifications"], created["findings"] = _officer_certifications_ensure(staff, staff2)
        created["agency_certifications"] = _agency_certification_ensure(franklin, staff, admin)
        report_cycle, cycles = _released_report_ensure(franklin, staff, admin)
        created["cycles"] = cycles
        created["agreements"] = _agreement_ensure(report_cycle, staff, admin)
        cycles, links = _open_cycle_ensure(franklin, staff, admin)
        created["cycles"] += cycles
        created["reviewer_links"] = links
        created["officer_logins"] = _officer_login_ensure()
    return created


# --- the certified agency and its officers -----------------------------------------------------------------------

def _roster_ensure(franklin: Agency) -> int:
    created = 0
    for first, last, licence, rank, hired in FRANKLIN_ROSTER:
        if not Officer.objects.filter(state=franklin.state, license_number=licence).exists():
            officer_create(actor="demo-data", agency=franklin, first_name=first, last_name=last,
                           license_number=licence, rank=rank, hire_date=hired)
            created += 1
    return created


def _credits_ensure(franklin: Agency, staff: User) -> int:
    """Historical Peace Officer course completions, through training's credit import (all or nothing)."""
    today = timezone.localdate()
    done = set(Completion.objects.filter(officer__agency=franklin, course__code=PEACE_OFFICER_COURSE_CODE)
               .values_list("officer__license_number", flat=True))
    rows = []
    for officer in Officer.objects.filter(agency=franklin).exclude(license_number__in=done).order_by("pk"):
        # The lapsed officer trained long ago (enough for the certification granted 400 days ago); the rest lately.
        on = today - timedelta(days=420 if officer.license_number == LAPSED_LICENCE else 45)
        rows.append(f"{officer.state},{officer.license_number},{PEACE_OFFICER_COURSE_CODE},{on.isoformat()}")
    if not rows:
        return 0
    raw = ("state,license_number,course_code,completed_on\n" + "\n".join(rows) + "\n").encode()
    result = credits_import(raw=raw, actor=staff)
    if result.errors:
        raise RuntimeError(f"Demo credit import refused: {result.errors}")
    return result.created


def _officer_certifications_ensure(staff: User, staff2: User) -> tuple[int, int]:
    granted = findings = 0
    for licence in ACTIVE_LICENCES:
        officer = _officer(licence)
        if not OfficerCertification.objects.filter(officer=officer).exists():
            certification_services.officer_certification_grant(actor=staff, officer=officer)
            granted += 1
    lapsed = _officer(LAPSED_LICENCE)
    if not OfficerCertification.objects.filter(officer=lapsed).exists():
        back_then = timezone.localdate() - timedelta(days=400)
        certification_services.officer_certification_grant(actor=staff, officer=lapsed, today=back_then)
        granted += 1
        certification_services.officer_certifications_lapse_due()  # the daily sweep, run now
    revoked = _officer(REVOKED_LICENCE)
    finding = Finding.objects.filter(officer=revoked).order_by("pk").first()
    if finding is None:
        if not OfficerCertification.objects.filter(officer=revoked).exists():
            certification_services.officer_certification_grant(actor=staff, officer=revoked)
            granted += 1
        finding = certification_services.finding_record(
            actor=staff, officer=revoked, incident_date=timezone.localdate() - timedelta(days=75),
            summary="Struck a handcuffed person during a traffic stop arrest.", source="internal_affairs",
            evidence_references=["BWC-4471", "IA-2026-031"])
        findings += 1
    _finding_verify(finding, staff, staff2)
    return granted, findings


OFFICER_LOGIN = "officer"  # Tom Becker's own login: his record, credits and certificate at /me/


def _officer_login_ensure() -> int:
    if User.objects.filter(username=OFFICER_LOGIN).exists():
        return 0
    tom = _officer(ACTIVE_LICENCES[0])
    user_create(actor="demo-data", username=OFFICER_LOGIN, password=DEMO_PASSWORD, role=Role.OFFICER, officer=tom,
                email="tom.becker@demo.peacecert.invalid", first_name=tom.first_name, last_name=tom.last_name)
    return 1


def _finding_verify(finding: Finding, staff: User, staff2: User) -> None:
    """Carry the finding through notice, response and a sustained determination to verification by a second staff
    member, from wherever it stands."""
    if finding.status == FindingStatus.RECORDED:
        certification_services.finding_notice(actor=staff, finding=finding)
    if finding.status == FindingStatus.NOTICED:
        certification_services.finding_response_record(
            actor=staff, finding=finding, text="The deputy states the person was reaching for his belt.")
    if finding.status == FindingStatus.RESPONDED:
        certification_services.finding_determine(
            actor=staff, finding=finding, determination="sustained",
            reason="Body-camera footage shows both hands cuffed behind the back throughout.")
    if finding.status == FindingStatus.DETERMINED:
        certification_services.finding_verify(actor=staff2, finding=finding)


def _manual_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 760, "Franklin County Sheriff's Office - Use-of-force policy manual (2026 edition)")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _agency_certification_ensure(franklin: Agency, staff: User, admin: User) -> int:
    """Apply, meet the checklist, submit, issue; the plaque is printed, shipped and delivered."""
    programme = CertificationProgramme.objects.get(code=PROGRAMME_CODE)
    current = AgencyCertification.objects.filter(agency=franklin, programme=programme).order_by("-pk").first()
    created = 0
    if current is None:
        current = certification_services.agency_certification_apply(actor=admin, agency=franklin,
                                                                     programme=programme)
        created = 1
    if current.status == AgencyCertificationStatus.APPLIED:
        for line in current.requirements.select_related("requirement").exclude(state=RequirementState.MET):
            kind = line.requirement.kind
            if kind == RequirementKind.ATTESTATION:
                certification_services.requirement_attest(
                    actor=admin, status=line, text="Franklin County commits to the Peace Officer principles.",
                    attested_by_name="Sheriff Jordan Hughes")
            elif kind == RequirementKind.DOCUMENT:
                certification_services.requirement_document_upload(actor=admin, status=line,
                                                                    name="use-of-force-manual.pdf",
                                                                    content=_manual_pdf())
        certification_services.agency_certification_submit(actor=admin, certification=current)
    if current.status == AgencyCertificationStatus.UNDER_REVIEW:
        for line in current.requirements.select_related("requirement").exclude(state=RequirementState.MET):
            if line.requirement.kind != RequirementKind.COMPUTED:
                certification_services.requirement_status_mark(actor=staff, status=line, state=RequirementState.MET,
                                                               note="Checked on the site visit")
        certification_services.agency_certification_issue(actor=staff, certification=current)
    plaque = getattr(current, "plaque", None)
    steps = {PlaqueStatus.ORDERED: {"to": PlaqueStatus.PRINTED},
             PlaqueStatus.PRINTED: {"to": PlaqueStatus.SHIPPED, "carrier": "UPS",
                                    "tracking_number": "1Z999AA10123456784"},
             PlaqueStatus.SHIPPED: {"to": PlaqueStatus.DELIVERED}}
    while plaque is not None and plaque.status in steps:
        plaque = certification_services.plaque_advance(actor=staff, plaque=plaque, **steps[plaque.status])
    return created


# --- 360 evaluations and coaching --------------------------------------------------------------------------------

def _cycle_start(franklin: Agency, admin: User, staff: User, subject: Officer, target: str, raters) -> Cycle:
    """A cycle with its raters, approved by staff and opened (the links are e-mailed on commit)."""
    now = timezone.now()
    cycle = evaluation_services.cycle_create(actor=admin, subject=subject, agency=franklin, target_position=target,
                                             opens_at=now, closes_at=now + timedelta(days=21))
    for name, relationship in raters:
        evaluation_services.invitation_create(cycle=cycle, actor=admin, rater_name=name,
                                              rater_email=_rater_email(name), relationship=relationship)
    cycle.refresh_from_db()
    evaluation_services.raters_approve(cycle=cycle, actor=staff, version=cycle.raters_version)
    with _on_commit_now():
        evaluation_services.cycle_open(cycle=cycle, actor=admin)
    return cycle


def _answers(invitation: Invitation, rng: random.Random) -> tuple[dict, dict]:
    items, questions = evaluation_services.instrument_structure(invitation.cycle.instrument)
    lift = 0.5 if invitation.relationship == Relationship.SELF else 0.0
    scores = {str(item_id): max(1, min(5, round(3.7 + lift + rng.uniform(-0.9, 0.9)))) for item_id in items}
    comments = {str(question_id): COMMENTS[i % len(COMMENTS)] for i, question_id in enumerate(questions)}
    return scores, comments


def _released_report_ensure(franklin: Agency, staff: User, admin: User) -> tuple[Cycle, int]:
    """Grace Liu's 360: every rater answers, the sponsor closes it, the pipeline runs here, staff release it."""
    subject = _officer(REPORT_SUBJECT_LICENCE)
    cycle = (Cycle.objects.filter(subject=subject, agency=franklin, target_position=REPORT_TARGET)
             .order_by("-pk").first())
    created = 0
    if cycle is None:
        cycle = _cycle_start(franklin, admin, staff, subject, REPORT_TARGET, REPORT_RATERS)
        created = 1
    if cycle.status == CycleStatus.OPEN:
        rng = random.Random(cycle.pk)
        for invitation in cycle.invitations.filter(submitted_at__isnull=True, refused_at__isnull=True):
            scores, comments = _answers(invitation, rng)
            evaluation_services.feedback_submit(invitation=invitation, scores=scores, comments=comments)
        with _on_commit_now():  # the report pipeline runs after the close commits: here, in this process
            evaluation_services.cycle_close(cycle=cycle, actor=admin)
        cycle.refresh_from_db()
    if cycle.status == CycleStatus.REPORT_READY:
        evaluation_services.report_release(cycle=cycle, actor=staff)
        cycle.refresh_from_db()
    return cycle, created


def _agreement_ensure(cycle: Cycle, staff: User, admin: User) -> int:
    """Grace Liu is matched with a coach, her 360 as the baseline; coach and sponsor accept: the agreement runs."""
    coachee = Coachee.objects.filter(officer=cycle.subject).first()
    coach = CoachProfile.objects.filter(user__username=COACH_USERNAME).select_related("user").first()
    if coachee is None or coach is None:
        return 0  # the coaching demo data makes both
    agreement = Agreement.objects.filter(coachee=coachee).order_by("-pk").first()
    created = 0
    if agreement is None:
        assessment = coachee.needs_assessments.filter(status=NeedsAssessmentStatus.OPEN).order_by("pk").first()
        if assessment is None:
            return 0
        start = timezone.localdate()
        agreement = agreement_propose(
            assessment=assessment, coach=coach, actor=staff, start_date=start, end_date=months_after(start, 4),
            goals="Lead a de-escalation first shift culture as a new lieutenant.",
            baseline_cycle_id=cycle.pk if cycle.status == CycleStatus.RELEASED else None)
        created = 1
    if agreement.status == AgreementStatus.PROPOSED:
        for party in (coach.user, admin):
            agreement.refresh_from_db()
            if agreement.status == AgreementStatus.PROPOSED:
                agreement_accept(agreement=agreement, actor=party)
    return created


def _open_cycle_ensure(franklin: Agency, staff: User, admin: User) -> tuple[int, int]:
    """Tom Becker's 360, open for answers; the supervisor's link is kept (see reviewer_link) to print."""
    subject = _officer(OPEN_CYCLE_SUBJECT_LICENCE)
    now = timezone.now()
    cycles = links = 0
    stale = Cycle.objects.filter(subject=subject, status=CycleStatus.OPEN, closes_at__lte=now).first()
    if stale is not None:  # an earlier run's cycle ran out of time: close it (its report follows) and start anew
        with _on_commit_now():
            evaluation_services.cycle_close(cycle=stale, actor=admin, reason="closing time passed")
    cycle = Cycle.objects.filter(subject=subject, status=CycleStatus.OPEN, closes_at__gt=now).first()
    if cycle is None:
        cycle = _cycle_start(franklin, admin, staff, subject, OPEN_CYCLE_TARGET, OPEN_CYCLE_RATERS)
        cycles = 1
    invitation = cycle.invitations.filter(rater_email=REVIEWER_EMAIL).first()
    if invitation is not None and invitation.submitted_at is None and reviewer_link() is None:
        if not _link_from_outbox():  # the link went out on an earlier run and is not kept: send a new one
            with _on_commit_now():
                evaluation_services.invitation_resend(invitation=invitation, actor=admin)
            _link_from_outbox()
        links = 1
    return cycles, links


# --- what `make run` prints --------------------------------------------------------------------------------------

def _reviewer_link_file():
    """One file per database (SQLite, PostgreSQL, parallel test databases), next to the walk's files."""
    from demo.walk import demo_files_dir

    database = hashlib.sha256(str(connection.settings_dict["NAME"]).encode()).hexdigest()[:12]
    return demo_files_dir() / f"reviewer-token-{database}.txt"


def _link_from_outbox() -> bool:
    """Keep the reviewer's secret token from the e-mail just sent (only its hash is in the database)."""
    for message in reversed(mail.outbox):
        if REVIEWER_EMAIL in message.to:
            match = re.search(r"/feedback/([\w-]+)/", message.body)
            if match:
                path = _reviewer_link_file()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(match.group(1))
                return True
    return False


def reviewer_link() -> str | None:
    """The open cycle's reviewer link, when the kept token still opens an unanswered invitation of an open cycle."""
    path = _reviewer_link_file()
    token = path.read_text().strip() if path.exists() else ""
    if not token:
        return None
    if not Invitation.objects.filter(token_hash=evaluation_services.token_hash(token), submitted_at__isnull=True,
                                     cycle__status=CycleStatus.OPEN, cycle__closes_at__gt=timezone.now()).exists():
        return None
    return evaluation_services.feedback_url(token)


def things_to_try() -> dict:
    """Codes and links from the first-run data, for `load_demo_data` to print."""
    tom = Officer.objects.filter(state="OH", license_number=ACTIVE_LICENCES[0]).first()
    completion = Completion.objects.filter(officer=tom).order_by("-completed_on").first() if tom else None
    certificate = (AgencyCertification.objects.filter(agency__name=FRANKLIN, status=AgencyCertificationStatus.ISSUED)
                   .order_by("-pk").first())
    return {
        "completion_code": completion.verification_code if completion else None,
        "agency_certificate": certificate.certificate_number if certificate else None,
        "reviewer_link": reviewer_link(),
    }
