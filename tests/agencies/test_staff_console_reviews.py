"""Reviews waiting in the staff console: licence conflicts (a lookalike of a permanently ineligible person) are
listed under "Waiting for staff" and decided through identity_review_decide, with the reason in the ledger."""

import pytest

from agencies.models import IdentityReview, IdentityReviewStatus, Officer
from agencies.services import officer_mark_permanently_ineligible
from agencies.services.officers import identity_review_request
from core.models import AuditEvent
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db
REVIEWS = "/admin/agencies/identityreview/"


def test_waiting_reviews_are_listed_and_decided_through_the_service(client, staff_user, agency_a, agency_b):
    ineligible = OfficerFactory(agency=agency_b, first_name="Noah", last_name="Reyes")
    officer_mark_permanently_ineligible(officer=ineligible, actor=staff_user, reason="finding verified")
    proposed = {"first_name": "Noah", "last_name": "Reyes", "state": "CA", "license_number": "CA-NEW-1"}
    waiting = identity_review_request(actor=staff_user, agency=agency_a, matched=ineligible, proposed=proposed,
                                      source="api")
    other = identity_review_request(actor=staff_user, agency=agency_a, matched=ineligible,
                                    proposed={**proposed, "license_number": "CA-NEW-2"}, source="api")
    client.force_login(staff_user)
    html = client.post(REVIEWS, {"action": "decide_selected", "_selected_action": [other.pk], "apply": "yes",
                                 "decision": "dismissed", "reason": "Duplicate of an earlier request"},
                       follow=True).content.decode()
    assert "1 decided" in html
    rows = client.get(REVIEWS, {"status__exact": IdentityReviewStatus.PENDING}).context["cl"].result_list
    assert [r.pk for r in rows] == [waiting.pk]
    html = client.post(REVIEWS, {"action": "decide_selected", "_selected_action": [waiting.pk], "apply": "yes",
                                 "decision": "linked", "reason": "Same date of birth and academy record"},
                       follow=True).content.decode()
    waiting.refresh_from_db()
    assert "1 decided" in html and waiting.status == IdentityReviewStatus.LINKED
    created = Officer.objects.get(license_number="CA-NEW-1")
    assert created.permanently_ineligible_at is not None
    decided = AuditEvent.objects.filter(target_id=str(waiting.pk), action__startswith="officer.identity_review")
    assert decided.count() >= 2
    again = client.post(REVIEWS, {"action": "decide_selected", "_selected_action": [waiting.pk], "apply": "yes",
                                  "decision": "cleared", "reason": "Changed my mind"}, follow=True).content.decode()
    assert "already decided" in again
    assert IdentityReview.objects.get(pk=waiting.pk).status == IdentityReviewStatus.LINKED
