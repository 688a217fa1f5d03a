"""Every certification write. Each runs in one transaction together with its ledger entry (core.audit).

Lifecycles (agency certification, plaque, officer certification, finding) each move through ONE transition
function with an allowed map and a compare-and-swap update; nothing else sets their `status`. The daily sweeps
are the set-based form of the same transitions (`Lifecycle.bulk_transition`): one UPDATE per sweep.
"""

import hashlib
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, Officer, Role, User
from agencies.services import officer_link_same_person, officer_mark_permanently_ineligible
from core.audit import audit_record
from core.codes import verification_code_new
from core.exceptions import ApplicationError, full_clean_or_raise
from core.notifications import email_send_on_commit
from core.services import model_update_prepare
from core.transitions import Lifecycle
from core.uploads import DOCUMENT_TYPES, delete_stored_file_on_commit, display_name, file_type_check, storage_name

from .models import (
    AGENCY_CERTIFICATION_OPEN,
    AgencyCertification,
    AgencyCertificationReminder,
    AgencyCertificationStatus,
    CertificationProgramme,
    Determination,
    Finding,
    FindingSource,
    FindingStatus,
    OfficerCertification,
    OfficerCertificationCycle,
    OfficerCertificationStatus,
    Plaque,
    PlaqueStatus,
    ProgrammeRequirement,
    RequirementKind,
    RequirementState,
    RequirementStatus,
    RevocationCategory,
)
from .selectors import agency_certification_requirements_evaluate, officer_ce_hours_between

# --- shared helpers -------------------------------------------------------------------------------------------


def _user_or_none(actor):
    return actor if isinstance(actor, User) else None


def _require_staff(actor, what: str) -> None:
    if not (isinstance(actor, User) and actor.is_certification_staff):
        raise ApplicationError("permission_denied", f"Only certification staff may {what}.", status_code=403)


def _agency_admin_emails(agency_ids) -> list[str]:
    return list(User.objects.filter(role=Role.AGENCY_ADMIN, agency_id__in=list(agency_ids), is_active=True)
                .exclude(email="").values_list("email", flat=True))


def _staff_emails() -> list[str]:
    return list(User.objects.filter(role=Role.CERTIFICATION_STAFF, is_active=True).exclude(email="")
                .values_list("email", flat=True))


def _one_year_cycle(start: date) -> date:
    """The last day of a one-year cycle starting on `start` (29 February starts end on 27 February)."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:
        anniversary = start.replace(year=start.year + 1, day=28)
    return anniversary - timedelta(days=1)


# --- programmes and requirements ----------------------------------------------------------------------------

def certification_programme_create(*, actor, code: str, name: str, description: str = "") -> CertificationProgramme:
    programme = full_clean_or_raise(CertificationProgramme(code=code, name=name, description=description))
    with transaction.atomic():
        programme.save()
        audit_record(actor=actor, action="certification_programme.created", target=programme,
                     data={"code": code, "name": name})
    return programme


def programme_requirement_create(*, actor, programme: CertificationProgramme, code: str, title: str, kind: str,
                                 description: str = "", computed_rule: str = "",
                                 position: int | None = None) -> ProgrammeRequirement:
    if position is None:
        position = programme.requirements.count() + 1
    requirement = full_clean_or_raise(ProgrammeRequirement(programme=programme, code=code, title=title, kind=kind,
                                                  description=description, computed_rule=computed_rule,
                                                  position=position))
    with transaction.atomic():
        requirement.save()
        audit_record(actor=actor, action="programme_requirement.created", target=requirement,
                     data={"programme": programme.pk, "code": code, "kind": kind, "computed_rule": computed_rule})
    return requirement


REQUIREMENT_EDITABLE_FIELDS = ("title", "description", "position", "is_active")


def programme_requirement_update(*, actor, requirement: ProgrammeRequirement, data: dict) -> ProgrammeRequirement:
    """Edit or retire a checklist item. Applications already under way keep the checklist they started with."""
    changes = model_update_prepare(requirement, data, REQUIREMENT_EDITABLE_FIELDS)
    if not changes:
        return requirement
    full_clean_or_raise(requirement)
    with transaction.atomic():
        requirement.save(update_fields=list(changes))
        audit_record(actor=actor, action="programme_requirement.updated", target=requirement, data=changes)
    return requirement


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
    _require_staff(actor, "issue certifications")
    if certification.status != ACS.UNDER_REVIEW:
        raise ApplicationError("invalid_transition", f"A {certification.status} certification cannot be issued; "
                               "it must be under review.", status_code=409)
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
    _require_staff(actor, "revoke certifications")
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


def agency_certificate_public_url(certificate_number: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/registry/agencies/{certificate_number}/"


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
    _require_staff(actor, "decide checklist items")
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


# --- plaques --------------------------------------------------------------------------------------------------

PLAQUE_ALLOWED = {
    PlaqueStatus.ORDERED: {PlaqueStatus.PRINTED},
    PlaqueStatus.PRINTED: {PlaqueStatus.SHIPPED},
    PlaqueStatus.SHIPPED: {PlaqueStatus.DELIVERED},
}
PLAQUE_VERBS = {PlaqueStatus.PRINTED: "printed", PlaqueStatus.SHIPPED: "shipped", PlaqueStatus.DELIVERED: "delivered"}


PLAQUE_LIFECYCLE = Lifecycle(model=Plaque, allowed=PLAQUE_ALLOWED, verbs=PLAQUE_VERBS, noun="plaque")


def _plaque_transition(*, plaque, to, actor, fields=None, data=None):
    return PLAQUE_LIFECYCLE.transition(obj=plaque, to=to, actor=actor, fields=fields, data=data)


def plaque_advance(*, actor, plaque: Plaque, to: str, carrier: str = "", tracking_number: str = "") -> Plaque:
    """Move a plaque along ordered -> printed -> shipped (carrier, tracking number) -> delivered."""
    _require_staff(actor, "record plaque fulfilment")
    now = timezone.now()
    if to == PlaqueStatus.PRINTED:
        fields = {"printed_at": now}
    elif to == PlaqueStatus.SHIPPED:
        missing = {k: ["Required when the plaque ships."] for k, v in
                   (("carrier", carrier), ("tracking_number", tracking_number)) if not v.strip()}
        if missing:
            raise ApplicationError("validation_error", "A shipped plaque needs its carrier and tracking number.",
                                   fields=missing)
        fields = {"shipped_at": now, "carrier": carrier.strip(), "tracking_number": tracking_number.strip()}
    elif to == PlaqueStatus.DELIVERED:
        days = (timezone.localdate(now) - timezone.localdate(plaque.ordered_at)).days
        fields = {"delivered_at": now, "days_taken": days}
    else:
        raise ApplicationError("invalid_transition", f"A plaque cannot go from {plaque.status} to {to}.",
                               status_code=409)
    with transaction.atomic():
        return _plaque_transition(plaque=plaque, to=to, actor=actor, fields=fields,
                                  data={k: v for k, v in fields.items() if not k.endswith("_at")})


@dataclass(frozen=True)
class PlaqueData:
    agency_name: str
    agency_state: str
    programme_name: str
    certificate_number: str
    issued_on: date
    valid_until: date
    verify_url: str


def plaque_pdf_data(*, plaque: Plaque) -> PlaqueData:
    certification = plaque.certification
    return PlaqueData(
        agency_name=certification.agency.name, agency_state=certification.agency.state,
        programme_name=certification.programme.name, certificate_number=certification.certificate_number,
        issued_on=certification.valid_from, valid_until=certification.valid_until,
        verify_url=agency_certificate_public_url(certification.certificate_number),
    )


def plaques_overdue_digest_send(*, today: date | None = None) -> int:
    """E-mail staff the list of undelivered plaques past their due date, once a day."""
    today = today or timezone.localdate()
    overdue = list(Plaque.objects.filter(due_on__lt=today).exclude(status=PlaqueStatus.DELIVERED)
                   .select_related("certification__agency").order_by("due_on", "id"))
    if not overdue:
        return 0
    with transaction.atomic():
        from core.models import AuditEvent

        if AuditEvent.objects.filter(action="plaque.overdue_digest_sent", target_type="",
                                     data__date=today.isoformat()).exists():
            return 0
        audit_record(actor="plaque-digest", action="plaque.overdue_digest_sent",
                     data={"date": today.isoformat(), "plaques": [p.pk for p in overdue]})
        lines = [f"- {p.certification.agency.name}: {p.status}, due {p.due_on:%Y-%m-%d} "
                 f"({(today - p.due_on).days} days late)" for p in overdue]
        email_send_on_commit(to=_staff_emails(), subject=f"{len(overdue)} plaque(s) overdue",
                             body="Plaques past their delivery promise:\n" + "\n".join(lines))
    return len(overdue)


# --- officer certification (Good Officer Certification) -----------------------------------------------------

OCS = OfficerCertificationStatus
OFFICER_CERTIFICATION_ALLOWED = {
    OCS.ACTIVE: {OCS.LAPSED, OCS.REVOKED},
    OCS.LAPSED: {OCS.ACTIVE, OCS.REVOKED},
    # OCS.REVOKED: nothing, ever (PostgreSQL's trigger holds this for every client).
}
OFFICER_CERTIFICATION_VERBS = {OCS.ACTIVE: "regranted", OCS.LAPSED: "lapsed", OCS.REVOKED: "revoked"}


OFFICER_CERTIFICATION_LIFECYCLE = Lifecycle(model=OfficerCertification, allowed=OFFICER_CERTIFICATION_ALLOWED,
                                            verbs=OFFICER_CERTIFICATION_VERBS, noun="officer_certification")


def _officer_certification_transition(*, certification, to, actor, reason="", fields=None, data=None):
    return OFFICER_CERTIFICATION_LIFECYCLE.transition(obj=certification, to=to, actor=actor, reason=reason,
                                                      fields=fields, data=data)


def _officer_may_be_certified(officer: Officer) -> Officer:
    """Lock the officer row (a racing verification marks it first) and check the permanent rules."""
    locked = Officer.objects.select_for_update().get(pk=officer.pk)
    if locked.permanently_ineligible_at is not None:
        raise ApplicationError("officer_permanently_ineligible", "This officer's certification was revoked after a "
                               "verified finding; they can never be certified again.", status_code=409)
    if Finding.objects.filter(officer_id=officer.pk, determination=Determination.SUSTAINED).exists():
        raise ApplicationError("sustained_finding", "This officer has a sustained excessive-force finding.",
                               status_code=409)
    return locked


def _ce_hours_check(*, officer: Officer, start: date, end: date) -> Decimal:
    hours = officer_ce_hours_between(officer_id=officer.pk, start=start, end=end)
    required = Decimal(str(settings.OFFICER_CE_HOURS_PER_CYCLE))
    if hours < required:
        raise ApplicationError("insufficient_ce_hours",
                               f"{hours} CE hours between {start} and {end}; {required} are required.",
                               status_code=409, fields={"ce_hours": [f"{hours} of {required} required."]})
    return hours


def officer_certification_grant(*, actor, officer: Officer, today: date | None = None) -> OfficerCertification:
    """Grant the Good Officer Certification (or grant it again after it lapsed) for a cycle starting today. The
    officer needs the CE hours in the twelve months up to today and no sustained finding."""
    _require_staff(actor, "grant certifications")
    today = today or timezone.localdate()
    window_start, window_end = today - timedelta(days=365), today
    now = timezone.now()
    with transaction.atomic():
        officer = _officer_may_be_certified(officer)
        existing = OfficerCertification.objects.select_for_update().filter(officer=officer).first()
        if existing is not None and existing.status == OCS.REVOKED:
            raise ApplicationError("certification_revoked", "This officer's certification was revoked; revocation "
                                   "is final.", status_code=409)
        if existing is not None and existing.status == OCS.ACTIVE:
            raise ApplicationError("already_certified", "This officer is certified; renew the certification "
                                   "instead.", status_code=409)
        hours = _ce_hours_check(officer=officer, start=window_start, end=window_end)
        cycle = {"cycle_start": today, "valid_until": _one_year_cycle(today)}
        data = {"ce_hours": hours, "ce_window": [window_start, window_end], **cycle}
        if existing is None:
            certification = OfficerCertification.objects.create(officer=officer, granted_at=now, **cycle)
            audit_record(actor=actor, action="officer_certification.granted", target=certification, data=data)
        else:
            certification = _officer_certification_transition(certification=existing, to=OCS.ACTIVE, actor=actor,
                                                              fields={**cycle, "granted_at": now, "lapsed_at": None},
                                                              data=data)
        OfficerCertificationCycle.objects.create(
            certification=certification, cycle_start=today, cycle_end=cycle["valid_until"], ce_hours=hours,
            ce_window_start=window_start, ce_window_end=window_end, granted_at=now, granted_by=_user_or_none(actor))
    return certification


def officer_certification_renew(*, actor, certification: OfficerCertification) -> OfficerCertification:
    """Renew an active certification for the next cycle, with the CE hours earned in the current one."""
    _require_staff(actor, "renew certifications")
    if certification.status != OCS.ACTIVE:
        raise ApplicationError("not_renewable", f"A {certification.status} certification cannot be renewed"
                               + ("; grant it again." if certification.status == OCS.LAPSED else "."),
                               status_code=409)
    start, end = certification.cycle_start, certification.valid_until
    next_start = end + timedelta(days=1)
    next_end = _one_year_cycle(next_start)
    now = timezone.now()
    with transaction.atomic():
        officer = _officer_may_be_certified(certification.officer)
        hours = _ce_hours_check(officer=officer, start=start, end=end)
        # Compare-and-swap on the cycle: two renewals of the same cycle cannot both move it. (Not a status change.)
        moved = OfficerCertification.objects.filter(pk=certification.pk, status=OCS.ACTIVE, cycle_start=start) \
            .update(cycle_start=next_start, valid_until=next_end, renewed_at=now)
        if moved != 1:
            raise ApplicationError("concurrent_change", "This certification changed meanwhile; reload and retry.",
                                   status_code=409)
        certification.cycle_start, certification.valid_until, certification.renewed_at = next_start, next_end, now
        OfficerCertificationCycle.objects.create(
            certification=certification, cycle_start=next_start, cycle_end=next_end, ce_hours=hours,
            ce_window_start=start, ce_window_end=end, granted_at=now, granted_by=_user_or_none(actor))
        audit_record(actor=actor, action="officer_certification.renewed", target=certification,
                     data={"ce_hours": hours, "ce_window": [start, end], "cycle_start": next_start,
                           "valid_until": next_end})
    return certification


def officer_certifications_lapse_due(*, today: date | None = None,
                                     actor="officer-certification-lapse-sweep") -> list[int]:
    """Daily sweep: active certifications whose cycle ended unrenewed become lapsed, in one UPDATE."""
    today = today or timezone.localdate()
    with transaction.atomic():
        return OFFICER_CERTIFICATION_LIFECYCLE.bulk_transition(
            queryset=OfficerCertification.objects.filter(valid_until__lt=today),
            from_status=OCS.ACTIVE, to=OCS.LAPSED, actor=actor, fields={"lapsed_at": timezone.now()},
            reason="cycle ended without renewal",
        )


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
    _require_staff(actor, "record findings")
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
    """Notify the officer and the agency; the response window opens (settings.FINDING_RESPONSE_DAYS)."""
    _require_staff(actor, "send notices")
    due = timezone.localdate() + timedelta(days=settings.FINDING_RESPONSE_DAYS)
    with transaction.atomic():
        _finding_transition(finding=finding, to=FS.NOTICED, actor=actor,
                            fields={"noticed_at": timezone.now(), "response_due_on": due},
                            data={"response_due_on": due})
        officer = finding.officer
        body = (f"An excessive-force finding about officer {officer.full_name} ({officer.state} "
                f"{officer.license_number}), incident of {finding.incident_date:%Y-%m-%d}, has been recorded by the "
                f"certification programme (reference F-{finding.pk}).\n\nThe officer and the agency may respond until "
                f"{due:%Y-%m-%d}. After that date staff determine the finding: sustained, not sustained, exonerated "
                "or unfounded.")
        email_send_on_commit(to=[officer.email, *_agency_admin_emails({finding.agency_id, officer.agency_id})],
                             subject=f"Notice of finding F-{finding.pk}: response due {due:%Y-%m-%d}", body=body)
    return finding


def finding_response_record(*, actor, finding: Finding, text: str) -> Finding:
    """Record the officer's or agency's response. An agency administrator responds within the window; staff may
    also file a response received by other means."""
    if not text.strip():
        raise ApplicationError("validation_error", "The response is empty.",
                               fields={"text": ["This field is required."]})
    is_staff = isinstance(actor, User) and actor.is_certification_staff
    if not is_staff and finding.response_due_on and timezone.localdate() > finding.response_due_on:
        raise ApplicationError("response_window_closed", f"The response window closed on {finding.response_due_on}.",
                               status_code=409)
    with transaction.atomic():
        return _finding_transition(finding=finding, to=FS.RESPONDED, actor=actor,
                                   fields={"response_text": text.strip(), "response_received_at": timezone.now()},
                                   data={"length": len(text.strip())})


def finding_determine(*, actor, finding: Finding, determination: str, reason: str) -> Finding:
    """Staff determine the finding, after the response — or after the window closed without one."""
    _require_staff(actor, "determine findings")
    if determination not in Determination.values or not determination:
        raise ApplicationError("validation_error", "The request is not valid.", fields={
            "determination": [f"Choose one of {', '.join(v for v in Determination.values if v)}."]})
    if not reason.strip():
        raise ApplicationError("validation_error", "A determination needs its reasons.",
                               fields={"reason": ["This field is required."]})
    if finding.status == FS.NOTICED and finding.response_due_on and timezone.localdate() <= finding.response_due_on:
        raise ApplicationError("response_window_open", f"The officer and agency may respond until "
                               f"{finding.response_due_on}; determine after that or once they respond.",
                               status_code=409)
    with transaction.atomic():
        return _finding_transition(finding=finding, to=FS.DETERMINED, actor=actor, reason=reason.strip(),
                                   fields={"determination": determination, "determination_reason": reason.strip(),
                                           "determined_at": timezone.now(), "determined_by": actor},
                                   data={"determination": determination})


def finding_verify(*, actor, finding: Finding) -> Finding:
    """The two-person rule: a second staff member, who neither recorded nor determined a sustained finding,
    verifies it. In the same transaction the officer becomes permanently ineligible, every certification of theirs
    is revoked and the agency is notified. Parallel verifications: the compare-and-swap lets exactly one through."""
    _require_staff(actor, "verify findings")
    if finding.status == FS.DETERMINED and finding.determination != Determination.SUSTAINED:
        raise ApplicationError("not_sustained", "Only a sustained finding is verified.", status_code=409)
    if actor.pk in (finding.recorded_by_id, finding.determined_by_id):
        raise ApplicationError("two_person_rule", "A finding is verified by a second staff member, not the one who "
                               "recorded or determined it.", status_code=403)
    now = timezone.now()
    with transaction.atomic():
        _finding_transition(finding=finding, to=FS.VERIFIED, actor=actor,
                            fields={"verified_at": now, "verified_by": actor})
        # Mark first: it locks the officer row, so a grant racing this transaction waits and then sees the mark.
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
    return finding


def _officer_certifications_revoke(*, officer: Officer, actor, now, reason: str, finding: Finding | None) -> list[int]:
    revoked = []
    for certification in OfficerCertification.objects.select_for_update().filter(
            officer=officer, status__in=[OCS.ACTIVE, OCS.LAPSED]):
        _officer_certification_transition(
            certification=certification, to=OCS.REVOKED, actor=actor, reason=reason,
            fields={"revoked_at": now, "revocation_category": RevocationCategory.SUSTAINED_FINDING,
                    "revoked_by_finding": finding},
            data={"finding": finding.pk if finding else None})
        revoked.append(certification.pk)
    return revoked


def officer_records_link(*, actor, officer: Officer, same_person_as: Officer, reason: str) -> Officer:
    """Staff record that two officer records are one person (e.g. re-licensed in another state). What the registry
    says follows the person: if either record is permanently ineligible, the other becomes so too, in the same
    transaction, and its certifications are revoked. A link is never undone."""
    _require_staff(actor, "link officer records")
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
