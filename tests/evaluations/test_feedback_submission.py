"""A reviewer's feedback through the services: draft, submit once, every item answered on the scale, distinct
answers for used, expired and unknown links, and token guessing limited per address."""

from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import AuditEvent
from evaluations import services
from evaluations.models import Cycle, FeedbackResponse, ItemScore

from .factories import answers_all, invite, token_set

pytestmark = pytest.mark.django_db


def test_draft_then_submit_writes_anonymous_rows_and_erases_the_draft(open_cycle_a):
    invitation = invite(open_cycle_a, "peer")[0]
    answers = answers_all(open_cycle_a, score=3, comment="Listens well")
    first_item = next(iter(answers["scores"]))
    services.feedback_draft_save(invitation=invitation, scores={first_item: "not_observed"})
    invitation.refresh_from_db()
    assert invitation.draft == {"scores": {first_item: "not_observed"}, "comments": {}}
    services.feedback_submit(invitation=invitation, **answers)
    invitation.refresh_from_db()
    assert invitation.submitted_at is not None and invitation.draft is None
    # Held with the invitation until close; then pooled into the anonymous tables and erased from the invitation.
    assert invitation.held_answers is not None and not FeedbackResponse.objects.exists()
    services.cycle_close(cycle=open_cycle_a, actor="test")
    invitation.refresh_from_db()
    assert invitation.held_answers is None
    response = FeedbackResponse.objects.get(cycle=open_cycle_a)
    assert response.relationship == "peer"
    assert ItemScore.objects.filter(response=response).count() == 27
    # Nothing on the response side points back to the invitation or the rater.
    for model in (FeedbackResponse, ItemScore):
        names = {f.name for f in model._meta.get_fields()}
        assert not names & {"invitation", "rater_name", "rater_email", "created_at", "submitted_at"}
    audit = AuditEvent.objects.get(action="evaluation_invitation.submitted")
    assert str(response.pk) not in str(audit.data)


def test_submit_needs_every_item_and_reports_each_missing_one(open_cycle_a):
    invitation = invite(open_cycle_a, "peer")[0]
    answers = answers_all(open_cycle_a)
    missing = list(answers["scores"])[:2]
    for key in missing:
        del answers["scores"][key]
    with pytest.raises(ApplicationError) as exc:
        services.feedback_submit(invitation=invitation, **answers)
    assert set(exc.value.fields) == {f"scores.{k}" for k in missing}
    assert not FeedbackResponse.objects.exists()


@pytest.mark.parametrize("bad", [0, 6, "5.5", "maybe", True, [3]])
def test_scores_outside_the_scale_are_refused(open_cycle_a, bad):
    invitation = invite(open_cycle_a, "peer")[0]
    answers = answers_all(open_cycle_a)
    key = next(iter(answers["scores"]))
    answers["scores"][key] = bad
    with pytest.raises(ApplicationError) as exc:
        services.feedback_draft_save(invitation=invitation, scores=answers["scores"])
    assert f"scores.{key}" in exc.value.fields


def test_second_submission_is_a_conflict(open_cycle_a):
    invitation = invite(open_cycle_a, "peer")[0]
    services.feedback_submit(invitation=invitation, **answers_all(open_cycle_a))
    with pytest.raises(ApplicationError) as exc:
        services.feedback_submit(invitation=invitation, **answers_all(open_cycle_a))
    assert exc.value.status_code == 409
    services.cycle_close(cycle=open_cycle_a, actor="test")
    assert FeedbackResponse.objects.count() == 1


def test_used_expired_and_unknown_links_give_distinct_errors(open_cycle_a):
    used, later = invite(open_cycle_a, "peer", 2)
    used_token, later_token = token_set(used), token_set(later)
    services.feedback_submit(invitation=used, **answers_all(open_cycle_a))
    codes = {}
    for name, token in (("used", used_token), ("unknown", "nope" * 11)):
        with pytest.raises(ApplicationError) as exc:
            services.feedback_invitation_resolve(token=token, address="9.9.9.9")
        codes[name] = (exc.value.code, exc.value.status_code)
    services.cycle_close(cycle=open_cycle_a, actor="test")
    with pytest.raises(ApplicationError) as exc:
        services.feedback_invitation_resolve(token=later_token, address="9.9.9.9")
    codes["expired"] = (exc.value.code, exc.value.status_code)
    assert codes == {"used": ("feedback_already_submitted", 409), "unknown": ("feedback_link_unknown", 404),
                     "expired": ("feedback_link_expired", 410)}


def test_link_expires_at_the_closing_time_even_before_the_sweep(open_cycle_a):
    invitation = invite(open_cycle_a, "peer")[0]
    token = token_set(invitation)
    Cycle.objects.filter(pk=open_cycle_a.pk).update(closes_at=timezone.now() - timedelta(seconds=1),
                                                     opens_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ApplicationError) as exc:
        services.feedback_invitation_resolve(token=token, address="a")
    assert exc.value.code == "feedback_link_expired"


@override_settings(EVALUATION_TOKEN_GUESSES_PER_ADDRESS=5)
def test_token_guessing_is_limited_per_address_counting_only_failed_lookups(open_cycle_a):
    token = token_set(invite(open_cycle_a, "peer")[0])
    results = []
    for i in range(8):
        if i < 5:  # valid lookups in between do not use up the budget
            services.feedback_invitation_resolve(token=token, address="6.6.6.6")
        try:
            services.feedback_invitation_resolve(token=f"guess-{i}", address="6.6.6.6")
        except ApplicationError as exc:
            results.append(exc.status_code)
    assert results == [404] * 5 + [429] * 3
    # A valid link always works, even from an address that spent its budget (issue #12, finding 3).
    assert services.feedback_invitation_resolve(token=token, address="6.6.6.6")
    assert services.feedback_invitation_resolve(token=token, address="7.7.7.7")  # other addresses unaffected
