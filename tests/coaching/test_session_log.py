"""The coaching session log: only the agreement's coach writes it, while it is active; private notes stay out of
the audit trail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coaching import services
from coaching.models import CoachingSession
from core.models import AuditEvent

from .conftest import raises
from .factories import CoachProfileFactory

pytestmark = pytest.mark.django_db



def test_coach_logs_a_session_and_the_notes_stay_out_of_the_audit_trail(active, coach_user):
    session = services.coaching_session_record(agreement=active, actor=coach_user, held_on=timezone.localdate(),
                                               duration_minutes=60, topics=["Budget hearing"],
                                               private_notes="Struggles with the deputy chief.")
    assert session.private_notes == "Struggles with the deputy chief."
    event = AuditEvent.objects.get(action="coaching_session.recorded")
    assert event.data["has_private_notes"] is True
    assert "deputy chief" not in str(event.data)


def test_only_the_agreements_coach_logs_sessions(active, admin_a, staff_user):
    for actor in (admin_a, staff_user, CoachProfileFactory().user):
        with raises("permission_denied"):
            services.coaching_session_record(agreement=active, actor=actor, held_on=timezone.localdate(),
                                             duration_minutes=60)
    assert not CoachingSession.objects.exists()


def test_sessions_need_an_active_agreement(proposed, coach_user):
    with raises("agreement_not_active"):
        services.coaching_session_record(agreement=proposed, actor=coach_user, held_on=timezone.localdate(),
                                         duration_minutes=60)


def test_sessions_happen_within_the_agreement_and_not_in_the_future(active, coach_user):
    for held_on in (active.start_date - timedelta(days=1), timezone.localdate() + timedelta(days=1)):
        with raises("validation_error"):
            services.coaching_session_record(agreement=active, actor=coach_user, held_on=held_on,
                                             duration_minutes=60)
