"""An officer's own data export (issue #18): everything PeaceCert holds about the signed-in officer, as one document.

It lives here, in the highest app whose data it gathers (agencies ← training ← certification ← evaluations), and
reads each app through that app's own "own data" selectors, so the export shows exactly what the officer may see
through `/me/officer/` and nothing about anyone else:
- the officer record, employment and licence history, and the account (username, e-mail, dates);
- CE credits (per state), completions with their certificate codes, enrolments;
- the Good Officer Certification with every cycle;
- findings about them from the notice on, with their own and their agency's answers (documents as name, type,
  size and SHA-256), the representative they named, the determination with its reasons;
- 360 reports released to them: anonymised groups only, never a rater, a link or who said what.
People who acted appear only as roles ("staff", "agency"), never by name. Coaching records are not part of it:
coaching sits above this app in the layer contract, and its records are the coach's and sponsor's working notes.
"""

from django.http import Http404
from django.utils import timezone

from agencies.selectors import officer_of_account, officer_own_detail
from certification.models import FindingResponseAuthor
from certification.selectors.finding_responses import (
    finding_representative_visible,
    finding_responses_for,
    officer_own_findings,
)
from certification.selectors.officer_self import officer_own_standing
from training.selectors import completion_own, enrollment_own, officer_transcript

from .selectors import report_released_to_subject

EXPORT_FORMAT = "peacecert-officer-export/1"


def _responses(user, finding, author_kind) -> list[dict]:
    return [{"received_at": r.received_at, "text": r.text,
             "documents": [{"name": d.name, "content_type": d.content_type, "size": d.size, "sha256": d.sha256}
                           for d in r.documents.all()]}
            for r in finding_responses_for(user=user, finding=finding, author_kind=author_kind) or []]


def _findings(user) -> list[dict]:
    found = []
    for finding in officer_own_findings(user=user):
        representative = finding_representative_visible(user=user, finding=finding)
        found.append({
            "id": finding.pk, "agency": finding.agency.name, "incident_date": finding.incident_date,
            "summary": finding.summary, "evidence_references": finding.evidence_references,
            "source": finding.source, "status": finding.status, "noticed_at": finding.noticed_at,
            "response_due_on": finding.response_due_on,
            "own_answers": _responses(user, finding, FindingResponseAuthor.OFFICER),
            "agency_answers": _responses(user, finding, FindingResponseAuthor.AGENCY),
            "representative": None if representative is None else {
                "name": representative.name, "email": representative.email, "phone": representative.phone,
                "named_at": representative.named_at},
            "determination": finding.determination, "determination_reason": finding.determination_reason,
            "determined_at": finding.determined_at, "verified_at": finding.verified_at,
        })
    return found


def _certification(user) -> dict:
    standing = officer_own_standing(user=user)
    certification = standing.certification
    return {
        "status": standing.status, "permanently_ineligible": standing.permanently_ineligible,
        "blocked_by": standing.blocked_by,
        "current": None if certification is None else {
            "cycle_start": certification.cycle_start, "valid_until": certification.valid_until,
            "granted_at": certification.granted_at, "renewed_at": certification.renewed_at,
            "lapsed_at": certification.lapsed_at, "revoked_at": certification.revoked_at,
            "revocation_category": certification.revocation_category},
        "cycles": [{"cycle_start": c["cycle_start"], "cycle_end": c["cycle_end"], "granted_at": c["granted_at"],
                    "qualifying_hours": c["qualifying_hours"]} for c in standing.cycles],
    }


def _training(user, officer) -> dict:
    transcript = officer_transcript(officer=officer)
    return {
        "ce_hours_total": transcript.total_hours,
        "ce_hours_by_state": transcript.hours_by_state,
        "completions": [{"id": c.pk, "course_code": c.course.code, "course_title": c.course.title,
                         "completed_on": c.completed_on, "ce_hours": c.ce_hours, "source": c.source,
                         "certificate_code": c.verification_code} for c in completion_own(user)],
        "enrollments": [{"id": e.pk, "course_code": e.session.course.code, "course_title": e.session.course.title,
                         "session_starts_at": e.session.starts_at, "location": e.session.location,
                         "status": e.status, "enrolled_at": e.created_at} for e in enrollment_own(user)],
    }


def _reports(user) -> list[dict]:
    return [{"cycle": r.cycle_id, "agency": r.cycle.agency.name, "target_position": r.cycle.target_position,
             "released_at": r.released_at, "band": r.band_final or r.band_computed,
             "development_areas": r.development_areas, "summary": r.summary, "content": r.content}
            for r in report_released_to_subject(user)]


def officer_own_export(*, user) -> dict:
    """Everything about the signed-in officer (404 for any other account)."""
    officer = officer_of_account(user)
    if officer is None:
        raise Http404
    record = officer_own_detail(user=user)
    for licence in record["licenses"]:
        licence.pop("recorded_by", None)  # a staff member's username: who acted is not the officer's data
    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "account": {"username": user.get_username(), "email": user.email, "date_joined": user.date_joined,
                    "last_login": user.last_login},
        "officer": record,
        "training": _training(user, officer),
        "good_officer_certification": _certification(user),
        "findings": _findings(user),
        "evaluation_reports": _reports(user),
    }
