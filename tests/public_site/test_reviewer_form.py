"""The reviewer form and the invitation e-mail: progress count, skip link, required items marked, a static script
(allowed by the CSP) instead of an inline one, and honest wording for the self-rater."""

import re

import pytest
from django.core import mail

from evaluations import services
from tests.evaluations.conftest import subject_a  # noqa: F401 - fixture
from tests.evaluations.factories import approve, cycle_make, invite, items_of, token_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def emailed_cycle(subject_a, django_capture_on_commit_callbacks):  # noqa: F811 - fixture by name
    cycle = cycle_make(subject=subject_a)
    invite(cycle, "self")
    invite(cycle, "supervisor")
    invite(cycle, "peer", 3)
    approve(cycle)
    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_open(cycle=cycle, actor="test")
    cycle.refresh_from_db()
    return cycle


def message_to(cycle, relationship):
    invitation = cycle.invitations.filter(relationship=relationship).first()
    return next(m for m in mail.outbox if m.to == [invitation.rater_email])


def test_self_rater_email_says_their_answers_are_their_self_rating_not_anonymous(emailed_cycle):
    message = message_to(emailed_cycle, "self")
    assert message.subject == "Your self-assessment is requested"
    assert "as their self" not in message.body
    assert "not anonymous" in message.body and "self-rating" in message.body
    assert "stored without your name" not in message.body and "group" not in message.body


def test_peer_and_supervisor_emails_keep_their_group_promises(emailed_cycle):
    peer = message_to(emailed_cycle, "peer")
    assert "as their peer" in peer.body and "only as group results" in peer.body
    supervisor = message_to(emailed_cycle, "supervisor")
    assert "names the supervisor group" in supervisor.body and "only as group results" not in supervisor.body


def form_page(client, cycle, relationship="peer"):
    invitation = cycle.invitations.filter(relationship=relationship).first()
    token = token_set(invitation)
    return client, f"/feedback/{token}/", client.get(f"/feedback/{token}/")


def test_form_counts_answers_marks_required_items_and_loads_a_static_script(client, emailed_cycle):
    _, url, page = form_page(client, emailed_cycle)
    body = page.content.decode()
    total = len(items_of(emailed_cycle))
    assert f'<span id="progress-answered">0</span> of\n  <span id="progress-total">{total}</span> answered' in body
    assert body.count('aria-required="true"') >= total and body.count("(required)") >= total
    assert 'class="skip-link" href="#questions"' in body and 'class="skip-link" href="#main"' in body
    assert re.search(r'<script src="/static/core/feedback-form\.js"></script>', body)
    assert "<script>" not in body and "style=" not in body
    assert "script-src 'self'" in page["Content-Security-Policy"]

    first = items_of(emailed_cycle)[:2]
    client.post(url, {"action": "draft", **{f"score-{item.pk}": "4" for item in first}})
    again = client.get(url).content.decode()
    assert f'<span id="progress-answered">2</span> of\n  <span id="progress-total">{total}</span>' in again


def test_failed_submit_renders_the_error_summary_the_script_focuses(client, emailed_cycle):
    _, url, _ = form_page(client, emailed_cycle)
    response = client.post(url, {"action": "submit"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-summary"' in body and 'tabindex="-1"' in body and "feedback-form.js" in body
    script = (__import__("pathlib").Path(__file__).resolve().parents[2] / "core/static/core/feedback-form.js")
    assert 'getElementById("error-summary")' in script.read_text() and ".focus()" in script.read_text()


def test_self_rater_form_and_thank_you_page_use_self_assessment_wording(client, emailed_cycle):
    _, url, page = form_page(client, emailed_cycle, "self")
    body = page.content.decode()
    assert "self-assessment" in body and "not anonymous" in body
    assert "shown only as group results" not in body
    answers = {f"score-{item.pk}": "4" for item in items_of(emailed_cycle)}
    done = client.post(url, {"action": "submit", **answers}).content.decode()
    assert "Your self-assessment was submitted." in done and "stored without your name" not in done


def test_peer_form_keeps_the_group_wording(client, emailed_cycle):
    _, _, page = form_page(client, emailed_cycle, "peer")
    body = page.content.decode()
    assert "shown only as group results" in body and "not anonymous" not in body
