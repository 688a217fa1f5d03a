"""Excessive-force findings (record, notice, response, determination, two-person verification) and the
linking of officer records, both of which end certifications permanently."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Officer, User
from agencies.services import officer_link_same_person, officer_mark_permanently_ineligible
from core.access import require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError
from core.notifications import email_send_on_commit
from core.transitions import Lifecycle

from ..models import (
    Determination,
    Finding,
    FindingResponseAuthor,
    FindingSource,
    FindingStatus,
    OfficerCertification,
)
from ._common import _agency_admin_emails
from .finding_responses import finding_officer_notify, finding_response_add, officer_has_account
from .officer_certifications import _officer_certifications_revoke

# --- findings -------------------------------------------------------------------------------------------------

FS = FindingStatus
FINDING_ALLOWED = {
    FS.RECORDED: {FS.NOTICED},
    FS.NOTICED: {FS.RESPONDED, FS.DETERMINED},
    FS.RESPONDED: {FS.DETERMINED},
    FS.DETERMINED: {FS.VERIFIED},
}
FINDING_VERBS = {FS.NOTICED: "noticed", FS.RESPONDED: "response_recorded", FS.DETERMINED: "determined",
                 FS.VERIFIED: "verified"}
EVIDENCE_MAX_ITEMS = 50


FINDING_LIFECYCLE = Lifecycle(model=Finding, allowed=FINDING_ALLOWED, verbs=FINDING_VERBS, noun="finding")


def _finding_transition(*, finding, to, actor, reason="", fields=None, data=None):
    return FINDING_LIFECYCLE.transition(obj=finding, to=to, actor=actor, reason=reason, fields=fields, data=data)


def finding_record(*, actor, officer: Officer, incident_date: date, summary: str, source: str,
                   evidence_references: list[str] | None = None, agency: Agency | None = None) -> Finding:
    """Staff record an excessive-force incident about an officer (against the officer's agency by default)."""
    require_staff(actor, "may record findings")
    evidence = [str(e).strip() for e in (evidence_references or []) if str(e).strip()]
    errors = {}
    if incident_date > timezone.localdate():
        errors["incident_date"] = ["The incident cannot be in the future."]
    if not summary.strip():
        errors["summary"] = ["This field is required."]
    if source not in FindingSource.values:
        errors["source"] = [f"Choose one of {', '.join(FindingSource.values)}."]
    if len(evidence) > EVIDENCE_MAX_ITEMS:
        errors["evidence_references"] = [f"At most {EVIDENCE_MAX_ITEMS} references."]
    if errors:
        raise ApplicationError("validation_error", "The request is not valid.", fields=errors)
    finding = Finding(officer=officer, agency=agency or officer.agency, incident_date=incident_date,
                      summary=summary.strip(), evidence_references=evidence, source=source,
                      recorded_at=timezone.now(), recorded_by=actor)
    with transaction.atomic():
        finding.save()
        audit_record(actor=actor, action="finding.recorded", target=finding,
                     data={"officer": officer.pk, "agency": finding.agency_id, "incident_date": incident_date,
                           "source": source, "evidence_references": len(evidence)})
    return finding


def finding_notice(*, actor, finding: Finding) -> Finding:
    """Notify the agency, and the officer personally through their own account's e-mail (copying a representative
    they named); the response window opens (settings.FINDING_RESPONSE_DAYS). An officer without an account e-mail is
    reached through the roster address on the agency's notice; the ledger entry says which (`officer_notice`)."""
    require_staff(actor, "may send notices")
    due = timezone.localdate() + timedelta(days=settings.FINDING_RESPONSE_DAYS)
    officer = finding.officer
    subject = f"Notice of finding F-{finding.pk}: response due {due:%Y-%m-%d}"
    body = (f"An excessive-force finding about officer {officer.full_name} ({officer.state} "
            f"{officer.license_number}), incident of {finding.incident_date:%Y-%m-%d}, has been recorded by the "
            f"certification programme (reference F-{finding.pk}).\n\nThe officer and the agency may respond until "
            f"{due:%Y-%m-%d}. After that date staff determine the finding: sustained, not sustained, exonerated "
            "or unfounded.")
    with transaction.atomic():
        how = finding_officer_notify(finding=finding, subject=subject, body=(
            f"{body}\n\nYou may answer in your own words, with documents, and name a representative, through your "
            f"PeaceCert account ({settings.PUBLIC_BASE_URL}/api/v1/me/officer/findings/{finding.pk}/). Your answer "
            "is read by certification staff, not by your agency."))
        _finding_transition(finding=finding, to=FS.NOTICED, actor=actor,
                            fields={"noticed_at": timezone.now(), "response_due_on": due},
                            data={"response_due_on": due, "officer_notice": how})
        roster = [officer.email] if how != "account_email" else []
        email_send_on_commit(to=[*roster, *_agency_admin_emails({finding.agency_id, officer.agency_id})],
                             subject=subject, body=body)
    return finding


def finding_response_record(*, actor, finding: Finding, text: str, author_kind: str | None = None) -> Finding:
    """The agency's response, filed by its administrator within the window; or an answer staff received by other
    means (by post, say), filed for the officer (the default) or the agency, also after the window. Each answer is
    kept apart (finding_responses.finding_response_add)."""
    is_staff = isinstance(actor, User) and actor.is_certification_staff
    if not is_staff:
        author_kind = FindingResponseAuthor.AGENCY
    finding_response_add(actor=actor, finding=finding, author_kind=author_kind or FindingResponseAuthor.OFFICER,
                         text=text)
    return finding


def finding_determine(*, actor, finding: Finding, determination: str, reason: str) -> Finding:
    """Staff determine the finding, after the response — or after the window closed without one."""
    require_staff(actor, "may determine findings")
    if determination not in Determination.values or not determination:
        raise ApplicationError("validation_error", "The request is not valid.", fields={
            "determination": [f"Choose one of {', '.join(v for v in Determination.values if v)}."]})
    if not reason.strip():
        raise ApplicationError("validation_error", "A determination needs its reasons.",
                               fields={"reason": ["This field is required."]})
    window_open = finding.response_due_on and timezone.localdate() <= finding.response_due_on
    if finding.status == FS.NOTICED and window_open:
        raise ApplicationError("response_window_open", f"The officer and agency may respond until "
                               f"{finding.response_due_on}; determine after that or once they respond.",
                               status_code=409)
    if (finding.status == FS.RESPONDED and window_open and officer_has_account(finding.officer)
            and not finding.responses.filter(author_kind=FindingResponseAuthor.OFFICER).exists()):
        # Due process: the agency's answer does not close the officer's own chance to answer.
        raise ApplicationError("officer_response_window_open", f"The officer may answer in their own words until "
                               f"{finding.response_due_on}; determine after that or once they answer.",
                               status_code=409)
    with transaction.atomic():
        _finding_transition(finding=finding, to=FS.DETERMINED, actor=actor, reason=reason.strip(),
                            fields={"determination": determination, "determination_reason": reason.strip(),
                                    "determined_at": timezone.now(), "determined_by": actor},
                            data={"determination": determination})
        finding_officer_notify(finding=finding, subject=f"Finding F-{finding.pk} determined: {determination}", body=(
            f"Certification staff determined finding F-{finding.pk} (incident of {finding.incident_date:%Y-%m-%d}): "
            f"{Determination(determination).label.lower()}.\n\nReasons: {reason.strip()}\n\n"
            + ("A sustained finding takes effect once a second staff member verifies it; you will be told."
               if determination == Determination.SUSTAINED else
               "This determination does not affect your eligibility for the Good Officer Certification.")
            + f"\n\nDetails: {settings.PUBLIC_BASE_URL}/api/v1/me/officer/findings/{finding.pk}/"))
    return finding


def finding_verify(*, actor, finding: Finding) -> Finding:
    """The two-person rule: a second staff member, who neither recorded nor determined a sustained finding,
    verifies it. In the same transaction the officer becomes permanently ineligible, every certification of theirs
    is revoked and the agency is notified. Parallel verifications: the compare-and-swap lets exactly one through."""
    require_staff(actor, "may verify findings")
    if finding.status == FS.DETERMINED and finding.determination != Determination.SUSTAINED:
        raise ApplicationError("not_sustained", "Only a sustained finding is verified.", status_code=409)
    if actor.pk in (finding.recorded_by_id, finding.determined_by_id):
        raise ApplicationError("two_person_rule", "A finding is verified by a second staff member, not the one who "
                               "recorded or determined it.", status_code=403)
    now = timezone.now()
    with transaction.atomic():
        _finding_transition(finding=finding, to=FS.VERIFIED, actor=actor,
                            fields={"verified_at": now, "verified_by": actor})
        # Lock order: the officer's certification rows, then the officer row — the order the database guard takes
        # them (an UPDATE holds its certification row, then its trigger reads the officer FOR SHARE). The opposite
        # order deadlocks against a concurrent write of a certification.
        list(OfficerCertification.objects.select_for_update().filter(officer_id=finding.officer_id)
             .order_by("pk").values_list("pk", flat=True))
        # Then mark: it locks the officer row, so a grant racing this transaction waits and then sees the mark.
        officer = officer_mark_permanently_ineligible(officer=finding.officer, actor=actor,
                                                      reason=f"Sustained excessive-force finding F-{finding.pk} "
                                                             "verified")
        _officer_certifications_revoke(officer=officer, actor=actor, now=now, finding=finding,
                                       reason=f"finding F-{finding.pk} verified")
        email_send_on_commit(
            to=[officer.email, *_agency_admin_emails({finding.agency_id, officer.agency_id})],
            subject=f"Finding F-{finding.pk} verified: certification revoked",
            body=(f"The sustained excessive-force finding F-{finding.pk} about officer {officer.full_name} "
                  f"({officer.state} {officer.license_number}) was verified on {now:%Y-%m-%d}. The officer's Good "
                  "Officer Certification is revoked and the officer is permanently ineligible for certification."),
        )
        finding_officer_notify(finding=finding, subject=f"Finding F-{finding.pk} verified: certification revoked",
                               body=(f"The sustained finding F-{finding.pk} about you was verified by a second staff "
                                     f"member on {now:%Y-%m-%d}. Your Good Officer Certification is revoked and you "
                                     "are permanently ineligible for it, in every state, also under another "
                                     "licence. Details: "
                                     f"{settings.PUBLIC_BASE_URL}/api/v1/me/officer/findings/{finding.pk}/"))
    return finding


def officer_records_link(*, actor, officer: Officer, same_person_as: Officer, reason: str) -> Officer:
    """Staff record that two officer records are one person (e.g. re-licensed in another state). What the registry
    says follows the person: if either record is permanently ineligible, the other becomes so too, in the same
    transaction, and its certifications are revoked. A link is never undone."""
    require_staff(actor, "may link officer records")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("validation_error", "A link needs a reason.",
                               fields={"reason": ["This field is required."]})
    if officer.pk == same_person_as.pk:
        raise ApplicationError("validation_error", "A record cannot be linked to itself.",
                               fields={"same_person_as": ["Choose another record."]})
    now = timezone.now()
    with transaction.atomic():
        # Lock both rows in id order, so two links of the same pair in opposite directions cannot deadlock.
        locked = {o.pk: o for o in Officer.objects.select_for_update().filter(
            pk__in=[officer.pk, same_person_as.pk]).order_by("pk")}
        officer, other = locked[officer.pk], locked[same_person_as.pk]
        officer_link_same_person(officer=officer, same_person_as=other, actor=actor, reason=reason)
        ineligible = [o for o in (officer, other) if o.permanently_ineligible_at is not None]
        if ineligible:
            source = ineligible[0]
            for record in (officer, other):
                if record.permanently_ineligible_at is None:
                    officer_mark_permanently_ineligible(
                        officer=record, actor=actor,
                        reason=f"Same person as permanently ineligible officer #{source.pk}")
                    _officer_certifications_revoke(officer=record, actor=actor, now=now, finding=None,
                                                   reason=f"linked to permanently ineligible officer #{source.pk}")
    officer.refresh_from_db()
    return officer
