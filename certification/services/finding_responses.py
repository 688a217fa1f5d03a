"""Due process on findings (issue #18): each party's own answer, kept apart, the officer's representative, and the
officer's personal notices.

Who answers: the officer, in their own words and with documents, through their own account (`/me/officer/`); the
agency through its administrator; staff file an answer received by other means for either party. Answers are
accepted from the notice until the response date (`settings.FINDING_RESPONSE_DAYS` days after it) and never after the
determination; staff may file a late answer received on time by other means. Every answer is a `FindingResponse` row
(append-only) with its ledger entry. The officer's answer is the officer's voice, not the employer's: staff and the
officer read it, the agency does not (certification/selectors/finding_responses.py)."""

import hashlib
import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from agencies.models import User
from core.audit import audit_record
from core.exceptions import ApplicationError
from core.notifications import email_send_on_commit
from core.uploads import DOCUMENT_TYPES, display_name, file_type_check, storage_name

from ..models import (
    Finding,
    FindingRepresentative,
    FindingResponse,
    FindingResponseAuthor,
    FindingResponseDocument,
    FindingStatus,
)

FS = FindingStatus
RESPONSE_MAX_FILES = 10
RESPONSE_OPEN_STATUSES = (FS.NOTICED, FS.RESPONDED)


def officer_account_email(officer) -> str:
    """The e-mail of the officer's own active account, or "" (no account, inactive, or no address)."""
    account = User.objects.filter(officer_id=officer.pk, is_active=True).exclude(email="").first()
    return account.email if account else ""


def officer_has_account(officer) -> bool:
    return User.objects.filter(officer_id=officer.pk, is_active=True).exists()


def _representative_emails(finding: Finding) -> list[str]:
    return list(FindingRepresentative.objects.filter(finding_id=finding.pk).values_list("email", flat=True))


def finding_officer_notify(*, finding: Finding, subject: str, body: str) -> str:
    """E-mail the officer personally (their account's address), copying their representative. Returns how the
    officer was reached, for the ledger: "account_email" or "no_account_email" (the agency's notice then carries
    the roster address, if any)."""
    personal = officer_account_email(finding.officer)
    representative = _representative_emails(finding)
    if personal or representative:
        email_send_on_commit(to=[personal, *representative], subject=subject, body=body)
    return "account_email" if personal else "no_account_email"


def _window_check(*, actor, finding: Finding, staff_may_file_late: bool) -> None:
    if finding.status not in RESPONSE_OPEN_STATUSES:
        raise ApplicationError("response_not_open", "Answers are taken from the notice until the determination; "
                               f"this finding is {finding.status}.", status_code=409)
    is_staff = isinstance(actor, User) and actor.is_certification_staff
    if staff_may_file_late and is_staff:
        return
    if finding.response_due_on and timezone.localdate() > finding.response_due_on:
        raise ApplicationError(
            "response_window_closed",
            f"The response window closed on {finding.response_due_on}: answers are accepted until the response "
            f"date, {settings.FINDING_RESPONSE_DAYS} days after the notice.", status_code=409)


def _documents_check(files) -> list:
    if len(files) > RESPONSE_MAX_FILES:
        raise ApplicationError("validation_error", f"At most {RESPONSE_MAX_FILES} documents per answer.",
                               fields={"files": [f"At most {RESPONSE_MAX_FILES} files."]})
    checked = []
    for name, content, declared_type in files:
        file_type = file_type_check(io.BytesIO(content), name=name, size=len(content),
                                    max_bytes=settings.MAX_UPLOAD_BYTES, allowed=DOCUMENT_TYPES,
                                    declared_type=declared_type)
        checked.append((display_name(name, file_type), content, file_type))
    return checked


def finding_response_add(*, actor, finding: Finding, author_kind: str, text: str, files=(),
                         staff_may_file_late: bool = True) -> FindingResponse:
    """Keep one party's answer (text and optional documents: (name, bytes, declared type) each, the same upload rules
    as requirement documents). The first answer moves the finding to responded; every answer is in the ledger."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError("validation_error", "The response is empty.",
                               fields={"text": ["This field is required."]})
    if author_kind not in FindingResponseAuthor.values:
        raise ApplicationError("validation_error", "The request is not valid.", fields={
            "author_kind": [f"Choose one of {', '.join(FindingResponseAuthor.values)}."]})
    _window_check(actor=actor, finding=finding, staff_may_file_late=staff_may_file_late)
    documents = _documents_check(list(files))
    stored = []
    now = timezone.now()
    try:
        with transaction.atomic():
            # Answers to one finding queue on its row: two first answers both land (one moves the status), and a
            # determination that committed first refuses the answer.
            locked = Finding.objects.select_for_update().only("status").get(pk=finding.pk)
            if locked.status not in RESPONSE_OPEN_STATUSES:
                raise ApplicationError("response_not_open", "The finding was determined meanwhile.",
                                       status_code=409)
            finding.status = locked.status
            if finding.status == FS.NOTICED:
                from .findings import _finding_transition  # one lifecycle, defined with the findings

                _finding_transition(finding=finding, to=FS.RESPONDED, actor=actor, data={"by": author_kind})
            if author_kind == FindingResponseAuthor.AGENCY:
                # The agency's latest answer also stays on the finding, as its response fields always showed.
                Finding.objects.filter(pk=finding.pk).update(response_text=text, response_received_at=now)
                finding.response_text, finding.response_received_at = text, now
            response = FindingResponse.objects.create(finding=finding, author_kind=author_kind, text=text,
                                                      received_at=now, submitted_by=actor)
            for shown_name, content, file_type in documents:
                document = FindingResponseDocument(response=response, name=shown_name,
                                                   content_type=file_type.content_type,
                                                   sha256=hashlib.sha256(content).hexdigest(), size=len(content))
                document.file.save(storage_name(file_type), ContentFile(content), save=False)
                stored.append(document.file)
                document.save()
            audit_record(actor=actor, action="finding.response_added", target=finding, data={
                "response": response.pk, "by": author_kind, "length": len(text),
                "documents": [{"name": d.name, "sha256": d.sha256} for d in response.documents.all()]})
    except Exception:
        for field_file in stored:  # nothing may point at these files any more
            field_file.delete(save=False)
        raise
    return response


def finding_representative_set(*, actor, finding: Finding, name: str, email: str, phone: str = "") -> \
        FindingRepresentative:
    """The officer names (or replaces) their representative on one of their findings; copied on every later
    notice. Refused once the finding is verified (nothing more is sent about it)."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = ["This field is required."]
    if not (email or "").strip():
        errors["email"] = ["This field is required."]
    if errors:
        raise ApplicationError("validation_error", "The request is not valid.", fields=errors)
    if finding.status in (FS.RECORDED, FS.VERIFIED):
        raise ApplicationError("representative_closed", f"A representative is named between the notice and the "
                               f"verification; this finding is {finding.status}.", status_code=409)
    with transaction.atomic():
        representative, created = FindingRepresentative.objects.update_or_create(
            finding=finding, defaults={"name": name.strip(), "email": email.strip(), "phone": (phone or "").strip(),
                                       "named_at": timezone.now(), "named_by": actor})
        audit_record(actor=actor, action="finding.representative_named", target=finding,
                     data={"name": representative.name, "replaced": not created})
    return representative
