"""The reviewer's web form: accessible markup, drafts, validation with an error summary, CSRF, friendly errors."""

import pytest
from django.test import Client

from evaluations import services
from evaluations.models import FeedbackResponse, Invitation

from .factories import answers_all, invite, token_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def form_link(open_cycle_a):
    invitation = invite(open_cycle_a, "peer")[0]
    return invitation, f"/feedback/{token_set(invitation)}/"


def _post_data(cycle, **extra):
    answers = answers_all(cycle, score=4, comment="Listens well")
    data = {f"score-{k}": str(v) for k, v in answers["scores"].items()}
    data.update({f"comment-{k}": v for k, v in answers["comments"].items()})
    return {**data, **extra}


def test_form_is_accessible_markup(client, form_link, open_cycle_a):
    _, url = form_link
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin" and "no-store" in response["Cache-Control"]
    assert html.count("<fieldset") == 9 + 27 + 1 and html.count("<legend") == 9 + 27 + 1
    assert 'name="csrfmiddlewaretoken"' in html and 'name="viewport"' in html
    assert 'label for="comment-' in html and "Not observed" in html
    assert open_cycle_a.subject.full_name in html


def test_save_draft_then_come_back(client, form_link, open_cycle_a):
    invitation, url = form_link
    data = _post_data(open_cycle_a, action="draft")
    first = next(k for k in data if k.startswith("score-"))
    response = client.post(url, {first: "2", "action": "draft"})
    assert response.status_code == 302 and response["Location"].endswith("?saved=1")
    page = client.get(response["Location"]).content.decode()
    assert "Draft saved" in page and f'id="{first}-2" name="{first}" value="2"\n               checked' in page
    invitation.refresh_from_db()
    assert invitation.draft["scores"] == {first.removeprefix("score-"): 2}


def test_missing_answer_shows_an_error_summary_linked_to_the_field(client, form_link, open_cycle_a):
    _, url = form_link
    data = _post_data(open_cycle_a, action="submit")
    missing = next(k for k in data if k.startswith("score-"))
    del data[missing]
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html and "There is a problem" in html
    assert f'href="#{missing}-1"' in html and f'id="{missing}-1"' in html and 'aria-invalid="true"' in html
    assert html.count('class="error" id="item-') == 1
    assert 'value="Listens well"' in html or ">Listens well</textarea>" in html  # answers kept
    assert not FeedbackResponse.objects.exists()


def test_submit_shows_a_confirmation_and_the_link_is_then_used(client, form_link, open_cycle_a):
    _, url = form_link
    response = client.post(url, _post_data(open_cycle_a, action="submit"))
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    # Held with the invitation until the cycle closes (then pooled in random order, see test_services).
    assert not FeedbackResponse.objects.exists()
    assert Invitation.objects.filter(held_answers__isnull=False).count() == 1
    used = client.get(url)
    assert used.status_code == 409 and "already submitted" in used.content.decode()


def test_form_is_csrf_protected(form_link, open_cycle_a):
    _, url = form_link
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url, _post_data(open_cycle_a, action="submit")).status_code == 403
    assert not FeedbackResponse.objects.exists()


def test_unknown_and_expired_links_get_friendly_pages(client, form_link, open_cycle_a):
    _, url = form_link
    unknown = client.get("/feedback/not-a-token/")
    assert unknown.status_code == 404 and "This link is not valid" in unknown.content.decode()
    services.cycle_close(cycle=open_cycle_a, actor="test")
    expired = client.get(url)
    assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
