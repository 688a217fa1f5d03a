"""The coach's session log of an active agreement."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.access import field_error
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise

from ..models import Agreement, AgreementStatus, CoachingSession


def coaching_session_record(*, agreement: Agreement, actor, held_on: date, duration_minutes: int,
                            topics: list[str] | None = None, private_notes: str = "") -> CoachingSession:
    """The coach logs a session of an active agreement. The private notes never enter the audit trail (staff read
    it): only whether there are any."""
    if agreement.coach.user_id != actor.pk:
        raise ApplicationError("permission_denied", "Only the agreement's coach logs its sessions.", status_code=403)
    if agreement.status != AgreementStatus.ACTIVE:
        raise ApplicationError("agreement_not_active", "Sessions are logged for active agreements.",
                               status_code=409)
    if not agreement.start_date <= held_on <= min(agreement.end_date, timezone.localdate()):
        raise field_error("held_on", f"A session is held between the agreement's start ({agreement.start_date}) "
                          "and today or its end.")
    session = CoachingSession(agreement=agreement, held_on=held_on, duration_minutes=duration_minutes,
                              topics=topics or [], private_notes=private_notes)
    full_clean_or_raise(session)
    with transaction.atomic():
        session.save()
        audit_record(actor=actor, action="coaching_session.recorded", target=session, data={
            "agreement": agreement.pk, "held_on": held_on, "duration_minutes": duration_minutes,
            "topics": session.topics, "has_private_notes": bool(private_notes)})
    return session

