"""The agency certification aggregate: its lifecycle (apply, submit, issue, revoke, renew, expire,
reminders) and its checklist items."""

import hashlib
import io
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency
from core.access import require_staff
from core.audit import audit_record
from core.codes import verification_code_new
from core.exceptions import ApplicationError
from core.notifications import email_send_on_commit
from core.transitions import Lifecycle
from core.uploads import DOCUMENT_TYPES, delete_stored_file_on_commit, display_name, file_type_check, storage_name

from ..models import (
    AGENCY_CERTIFICATION_OPEN,
    AgencyCertification,
    AgencyCertificationReminder,
    AgencyCertificationStatus,
    CertificationProgramme,
    Plaque,
    RequirementKind,
    RequirementState,
    RequirementStatus,
)
from ..selectors import agency_certification_requirements_evaluate
from ._common import _agency_admin_emails, _user_or_none, agency_certificate_public_url

# --- agency certification lifecycle -------------------------------------------------------------------------

ACS = AgencyCertificationStatus
AGENCY_CERTIFICATION_ALLOWED = {
    ACS.APPLIED: {ACS.UNDER_REVIEW},
    ACS.UNDER_REVIEW: {ACS.ISSUED},
    ACS.ISSUED: {ACS.EXPIRED, ACS.REVOKED},
}
AGENCY_CERTIFICATION_VERBS = {ACS.UNDER_REVIEW: "submitted", ACS.ISSUED: "issued", ACS.EXPIRED: "expired",
                              ACS.REVOKED: "revoked"}


AGENCY_CERTIFICATION_LIFECYCLE = Lifecycle(model=AgencyCertification, allowed=AGENCY_CERTIFICATION_ALLOWED,
                                           verbs=AGENCY_CERTIFICATION_VERBS, noun="agency_certification")


def _agency_certification_transition(*, certification, to, actor, reason="", fields=None, data=None):
    return AGENCY_CERTIFICATION_LIFECYCLE.transition(obj=certification, to=to, actor=actor, reason=reason,
                                                     fields=fields, data=data)


def _checklist_create(certification: AgencyCertification) -> int:
    """Snapshot the programme's active requirements as this certification's checklist (all pending)."""
    requirements = certification.programme.requirements.filter(is_active=True).order_by("position", "id")
    rows = RequirementStatus.objects.bulk_create(
        [RequirementStatus(certification=certification, requirement=r) for r in requirements]
    )
    return len(rows)


def _application_create(*, actor, agency: Agency, programme: CertificationProgramme,
                        previous: AgencyCertification | None) -> AgencyCertification:
    if not programme.is_active:
        raise ApplicationError("programme_inactive", "This programme is not accepting applications.", status_code=409)
    if AgencyCertification.objects.filter(agency=agency, programme=programme,
                                          status__in=AGENCY_CERTIFICATION_OPEN).exists():
        raise ApplicationError("application_open", "This agency already has an application in progress for this "
                               "programme.", status_code=409)
    certification = AgencyCertification(agency=agency, programme=programme, previous=previous,
                                        applied_at=timezone.now(), applied_by=_user_or_none(actor))
    try:
        with transaction.atomic():
            certification.save()
            items = _checklist_create(certification)
            audit_record(actor=actor, action="agency_certification.applied", target=certification,
                         data={"agency": agency.pk, "programme": programme.code, "requirements": items,
                               "renews": previous.pk if previous else None})
    except IntegrityError as exc:  # a parallel apply won the one-open-application constraint
        raise ApplicationError("application_open", "This agency already has an application in progress for this "
                               "programme.", status_code=409) from exc
    return certification


def agency_certification_apply(*, actor, agency: Agency, programme: CertificationProgramme) -> AgencyCertification:
    """An agency applies for certification; the programme's checklist starts for it."""
    if AgencyCertification.objects.filter(agency=agency, programme=programme, status=ACS.ISSUED).exists():
        raise ApplicationError("already_certified", "This agency holds a valid certificate of this programme; "
                               "renew it instead.", status_code=409)
    return _application_create(actor=actor, agency=agency, programme=programme, previous=None)


def agency_certification_renew(*, actor, certification: AgencyCertification) -> AgencyCertification:
    """Start the renewal of an issued or expired certificate: a new application, linked to it, with the checklist
    restarted from the programme's current requirements."""
    if certification.status not in (ACS.ISSUED, ACS.EXPIRED):
        raise ApplicationError("not_renewable", f"A {certification.status} certification cannot be renewed.",
                               status_code=409)
    if AgencyCertification.objects.filter(previous=certification).exists():
        raise ApplicationError("renewal_exists", "This certificate has already been renewed (or its renewal is in "
                               "progress).", status_code=409)
    return _application_create(actor=actor, agency=certification.agency, programme=certification.programme,
                               previous=certification)


def agency_certification_submit(*, actor, certification: AgencyCertification) -> AgencyCertification:
    """The agency hands its application to staff for review."""
    with transaction.atomic():
        return _agency_certification_transition(certification=certification, to=ACS.UNDER_REVIEW, actor=actor,
                                                fields={"submitted_at": timezone.now()})


def agency_certification_issue(*, actor, certification: AgencyCertification) -> AgencyCertification:
    """Issue the certificate once every requirement is met; order its plaque; expire the certificate it renews."""
    require_staff(actor, "may issue certifications")
    # Checked before the requirements, so an application not under review is told that first.
    AGENCY_CERTIFICATION_LIFECYCLE.check(certification.status, ACS.ISSUED)
    evaluations = agency_certification_requirements_evaluate(certification=certification)
    unmet = [e for e in evaluations if not e.met]
    if unmet:
        raise ApplicationError(
            "requirements_unmet",
            "Not every requirement is met: " + ", ".join(e.code for e in unmet) + ".",
            status_code=409,
            fields={"requirements": [f"{e.code}: {e.title}" + (f" ({e.detail})" if e.detail else "")
                                     for e in unmet]},
        )
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        previous = certification.previous
        if previous is not None and previous.status == ACS.ISSUED:
            previous.refresh_from_db(fields=["status"])
            if previous.status == ACS.ISSUED:
                _agency_certification_transition(certification=previous, to=ACS.EXPIRED, actor=actor,
                                                 reason="superseded by renewal", fields={"expired_at": now},
                                                 data={"renewed_by": certification.pk})
        _agency_certification_transition(
            certification=certification, to=ACS.ISSUED, actor=actor,
            fields={"issued_at": now, "issued_by": _user_or_none(actor), "certificate_number": verification_code_new(),
                    "valid_from": today,
                    "valid_until": today + timedelta(days=settings.AGENCY_CERTIFICATION_VALID_DAYS)},
            data={"requirements": {e.code: {"met": e.met, "detail": e.detail} for e in evaluations}},
        )
        plaque = Plaque.objects.create(certification=certification, ordered_at=now,
                                       due_on=today + timedelta(days=settings.PLAQUE_DUE_DAYS))
        audit_record(actor=actor, action="plaque.ordered", target=plaque,
                     data={"certification": certification.pk, "due_on": plaque.due_on})
        email_send_on_commit(
            to=_agency_admin_emails([certification.agency_id]),
            subject=f"{certification.programme.name}: certificate issued",
            body=(f"{certification.agency.name} is certified under {certification.programme.name} until "
                  f"{certification.valid_until:%Y-%m-%d}. Certificate number {certification.certificate_number}. "
                  f"Your plaque is on its way (due by {plaque.due_on:%Y-%m-%d}).\n"
                  f"Public verification: {agency_certificate_public_url(certification.certificate_number)}"),
        )
    certification.plaque = plaque
    return certification


def agency_certification_revoke(*, actor, certification: AgencyCertification, reason: str) -> AgencyCertification:
    require_staff(actor, "may revoke certifications")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("validation_error", "A revocation needs a reason.",
                               fields={"reason": ["This field is required."]})
    with transaction.atomic():
        _agency_certification_transition(certification=certification, to=ACS.REVOKED, actor=actor, reason=reason,
                                         fields={"revoked_at": timezone.now(), "revoked_by": _user_or_none(actor),
                                                 "revocation_reason": reason})
        email_send_on_commit(to=_agency_admin_emails([certification.agency_id]),
                             subject=f"{certification.programme.name}: certificate revoked",
                             body=f"The certificate {certification.certificate_number} of {certification.agency.name}"
                                  f" was revoked. Reason: {reason}")
    return certification


def agency_certifications_expire_due(*, today: date | None = None, actor="certification-expiry-sweep") -> list[int]:
    """Daily sweep: every issued certificate whose validity ended is expired, in one UPDATE."""
    today = today or timezone.localdate()
    with transaction.atomic():
        return AGENCY_CERTIFICATION_LIFECYCLE.bulk_transition(
            queryset=AgencyCertification.objects.filter(valid_until__lt=today),
            from_status=ACS.ISSUED, to=ACS.EXPIRED, actor=actor, fields={"expired_at": timezone.now()},
            reason="validity ended",
        )


def agency_certification_reminders_send(*, today: date | None = None) -> int:
    """Remind agency administrators 90/30/7 days before expiry. Each reminder is claimed by inserting its row
    (unique per certification and threshold), so it is sent once however often the job runs. When the job missed
    a threshold (e.g. down for a day), only the nearest one due is sent."""
    today = today or timezone.localdate()
    thresholds = sorted({int(d) for d in settings.AGENCY_CERTIFICATION_REMINDER_DAYS})
    if not thresholds:
        return 0
    due = (AgencyCertification.objects.filter(status=ACS.ISSUED, valid_until__gte=today,
                                              valid_until__lte=today + timedelta(days=thresholds[-1]))
           .select_related("agency", "programme"))
    sent = 0
    for certification in due:
        days_left = (certification.valid_until - today).days
        threshold = next(d for d in thresholds if days_left <= d)
        try:
            with transaction.atomic():
                _, created = AgencyCertificationReminder.objects.get_or_create(
                    certification=certification, days_before=threshold, defaults={"sent_at": timezone.now()})
                if not created:
                    continue
                audit_record(actor="certification-reminders", action="agency_certification.reminder_sent",
                             target=certification, data={"days_before": threshold, "days_left": days_left})
                email_send_on_commit(
                    to=_agency_admin_emails([certification.agency_id]),
                    subject=f"{certification.programme.name}: certificate expires in {days_left} days",
                    body=(f"The certificate {certification.certificate_number} of {certification.agency.name} "
                          f"expires on {certification.valid_until:%Y-%m-%d}. Start the renewal now: the checklist "
                          "restarts and staff review it before the new certificate is issued."),
                )
        except IntegrityError:  # a parallel run claimed it first
            continue
        sent += 1
    return sent


# --- checklist items ------------------------------------------------------------------------------------------

def _checklist_item_set(*, actor, status: RequirementStatus, state: str, verb: str, fields: dict,
                        data: dict | None = None) -> RequirementStatus:
    """The one place a checklist item's state changes: only while its certification is open for review."""
    certification = status.certification
    with transaction.atomic():
        current = AgencyCertification.objects.select_for_update().filter(pk=certification.pk) \
            .values_list("status", flat=True).first()
        if current not in AGENCY_CERTIFICATION_OPEN:
            raise ApplicationError("checklist_closed", f"The checklist of a {current} certification cannot change.",
                                   status_code=409)
        status.state = state
        status.updated_at = timezone.now()
        status.updated_by = _user_or_none(actor)
        for name, value in fields.items():
            setattr(status, name, value)
        status.save(update_fields=["state", "updated_at", "updated_by", *fields])
        audit_record(actor=actor, action=f"requirement_status.{verb}", target=status,
                     data={"certification": certification.pk, "requirement": status.requirement.code,
                           "state": state, **(data or {})})
    return status


def requirement_status_mark(*, actor, status: RequirementStatus, state: str, note: str = "") -> RequirementStatus:
    """Staff decide an item: met, rejected (with a note saying why) or back to pending."""
    require_staff(actor, "may decide checklist items")
    if status.requirement.kind == RequirementKind.COMPUTED:
        raise ApplicationError("requirement_computed", "This requirement is computed from training records; it "
                               "cannot be marked by hand.", status_code=409)
    verbs = {RequirementState.MET: "met", RequirementState.REJECTED: "rejected", RequirementState.PENDING: "reset"}
    if state not in verbs:
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"state": [f"Choose one of {', '.join(verbs)}."]})
    if state == RequirementState.REJECTED and not note.strip():
        raise ApplicationError("validation_error", "Say why the item is rejected.",
                               fields={"note": ["A rejection needs a note."]})
    fields = {"note": note}
    if state == RequirementState.REJECTED:
        fields["rejections"] = [*status.rejections, {"at": timezone.now().isoformat(),
                                                      "by": _actor_label(actor), "note": note}]
    return _checklist_item_set(actor=actor, status=status, state=state, verb=verbs[state], fields=fields)


def _actor_label(actor) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


def _after_agency_submission(*, actor, status: RequirementStatus, meets: bool) -> str:
    """The state an agency's new evidence leaves an item in. A staff rejection stands: once an item was rejected,
    nothing the agency sends meets it again — it goes back to staff review (submitted) until staff mark it met."""
    if status.rejections and not _is_staff(actor):
        return RequirementState.SUBMITTED
    return RequirementState.MET if meets else RequirementState.SUBMITTED


def _is_staff(actor) -> bool:
    return isinstance(actor, str) or bool(getattr(actor, "is_certification_staff", False))


def requirement_document_upload(*, actor, status: RequirementStatus, name: str, content: bytes,
                                declared_type: str = "") -> RequirementStatus:
    """The agency uploads the document a document item asks for; staff then review it.

    The type is decided by the content (PDF, PNG, JPEG, DOCX, XLSX, ODT); the file is stored under a random name and
    the file it replaces is deleted once the change commits."""
    if status.requirement.kind != RequirementKind.DOCUMENT:
        raise ApplicationError("wrong_requirement_kind", "This requirement does not take a document.",
                               status_code=409)
    if status.certification.status not in AGENCY_CERTIFICATION_OPEN:  # don't store a file we would refuse
        raise ApplicationError("checklist_closed", f"The checklist of a {status.certification.status} certification "
                               "cannot change.", status_code=409)
    file_type = file_type_check(io.BytesIO(content), name=name, size=len(content),
                                max_bytes=settings.MAX_UPLOAD_BYTES, allowed=DOCUMENT_TYPES,
                                declared_type=declared_type)
    digest = hashlib.sha256(content).hexdigest()
    shown_name = display_name(name, file_type)
    replaced, storage = status.document.name, status.document.storage
    status.document.save(storage_name(file_type), ContentFile(content), save=False)
    try:
        with transaction.atomic():
            line = _checklist_item_set(actor=actor, status=status, state=RequirementState.SUBMITTED,
                                       verb="document_uploaded",
                                       fields={"document": status.document, "document_sha256": digest,
                                               "document_name": shown_name,
                                               "document_content_type": file_type.content_type},
                                       data={"sha256": digest, "name": shown_name, "type": file_type.key})
            delete_stored_file_on_commit(storage, replaced)
    except Exception:
        # The new file is on disk before the row changes; if the change fails, nothing may point at it.
        status.document.delete(save=False)
        raise
    return line


def requirement_attest(*, actor, status: RequirementStatus, text: str, attested_by_name: str) -> RequirementStatus:
    """The agency attests to an attestation item (a signed statement); the attestation itself meets the item."""
    if status.requirement.kind != RequirementKind.ATTESTATION:
        raise ApplicationError("wrong_requirement_kind", "This requirement is not an attestation.", status_code=409)
    if not text.strip() or not attested_by_name.strip():
        raise ApplicationError("validation_error", "An attestation needs its statement and who signs it.",
                               fields={k: ["This field is required."] for k, v in
                                       (("text", text), ("attested_by_name", attested_by_name)) if not v.strip()})
    state = _after_agency_submission(actor=actor, status=status, meets=True)
    return _checklist_item_set(actor=actor, status=status, state=state, verb="attested",
                               fields={"attestation_text": text, "attested_by_name": attested_by_name},
                               data={"attested_by_name": attested_by_name})
