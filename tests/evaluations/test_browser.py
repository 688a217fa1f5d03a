"""Playwright drives Debian's Chromium through the reviewer form against the live server."""

import pytest
from django.utils import timezone

from evaluations.models import Cycle, FeedbackResponse, Invitation

from .factories import invite, token_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_fills_saves_a_draft_fixes_an_error_and_submits(page, live_server, subject_a):
    from .factories import cycle_make, open_cycle

    cycle = open_cycle(cycle_make(subject=subject_a))
    invitation = invite(cycle, "peer")[0]
    url = f"{live_server.url}/feedback/{token_set(invitation)}/"
    page.goto(url)
    assert page.get_by_role("heading", name=f"Feedback on {subject_a.full_name}").is_visible()

    radios = page.locator("fieldset[id^=item-]")
    count = radios.count()
    # Answer everything but the last behaviour, and write a comment.
    for index in range(count - 1):
        radios.nth(index).get_by_label("4 - Usually").check()
    page.get_by_label("What should this person keep doing? (optional)").fill("Stays calm and explains decisions.")
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_role("status").filter(has_text="Draft saved").is_visible()
    assert Invitation.objects.get(pk=invitation.pk).draft is not None

    page.get_by_role("button", name="Submit feedback").click()
    alert = page.get_by_role("alert").filter(has_text="There is a problem")
    assert alert.is_visible()
    alert.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.type") == "radio"
    assert FeedbackResponse.objects.count() == 0

    radios.nth(count - 1).get_by_label("Not observed").check()
    page.get_by_role("button", name="Submit feedback").click()
    assert page.get_by_role("heading", name="Thank you").is_visible()
    # Submitted answers are held on the invitation until the cycle closes and pools them (unlinkable storage).
    submitted = Invitation.objects.get(pk=invitation.pk)
    assert submitted.submitted_at is not None and submitted.held_answers is not None
    assert FeedbackResponse.objects.count() == 0


def test_expired_link_shows_a_clear_message(page, live_server, subject_a):
    from .factories import cycle_make, open_cycle

    cycle = open_cycle(cycle_make(subject=subject_a))
    invitation = invite(cycle, "peer")[0]
    token = token_set(invitation)
    Cycle.objects.filter(pk=cycle.pk).update(closes_at=timezone.now(), opens_at=timezone.now() - timezone.timedelta(
        days=1))
    response = page.goto(f"{live_server.url}/feedback/{token}/")
    assert response.status == 410
    assert page.get_by_role("heading", name="This link has expired").is_visible()
