"""Plaques: ordered when a certificate is issued, then printed, shipped and delivered."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from core.access import require_staff
from core.audit import audit_record
from core.exceptions import ApplicationError
from core.notifications import email_send_on_commit
from core.transitions import Lifecycle

from ..models import (
    Plaque,
    PlaqueStatus,
)
from ._common import _staff_emails, agency_certificate_public_url

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
    require_staff(actor, "may record plaque fulfilment")
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
        PLAQUE_LIFECYCLE.check(plaque.status, to)  # any other target is an invalid transition (409)
        fields = {}
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
