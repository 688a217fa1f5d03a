"""Constraints hold in the database, not only in the services: full_clean() refuses, raw create() raises."""

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from evaluations.models import Competency, Cycle, FeedbackResponse, Invitation, Item, ItemScore, Question, Report
from tests.support.constraints import database_and_full_clean_refuse

from .factories import invite, items_of

pytestmark = pytest.mark.django_db


def test_likert_score_range(open_cycle_a):
    response = FeedbackResponse.objects.create(cycle=open_cycle_a, relationship="peer")
    item = items_of(open_cycle_a)[0]
    for bad in (0, 6):
        database_and_full_clean_refuse(
            lambda bad=bad: ItemScore(response=response, cycle=open_cycle_a, relationship="peer", item=item,
                                      score=bad))
    ItemScore.objects.create(response=response, cycle=open_cycle_a, relationship="peer", item=item, score=None)


def test_cycle_closes_after_it_opens_and_minimums_are_positive(draft_cycle):
    def clone(**changes):
        fields = {f.attname: getattr(draft_cycle, f.attname) for f in Cycle._meta.concrete_fields if f.name != "id"}
        return Cycle(**{**fields, **changes})

    database_and_full_clean_refuse(lambda: clone(closes_at=draft_cycle.opens_at))
    database_and_full_clean_refuse(lambda: clone(min_peer=0))
    database_and_full_clean_refuse(lambda: clone(status="archived"))


def test_one_self_invitation_and_one_invitation_per_email(draft_cycle):
    invite(draft_cycle, "self")
    database_and_full_clean_refuse(
        lambda: Invitation(cycle=draft_cycle, rater_name="Again", rater_email="other@example.org",
                           relationship="self"))
    existing = draft_cycle.invitations.get()
    database_and_full_clean_refuse(
        lambda: Invitation(cycle=draft_cycle, rater_name="Same", rater_email=existing.rater_email,
                           relationship="peer"))


def test_a_submitted_invitation_keeps_no_draft(draft_cycle):
    database_and_full_clean_refuse(
        lambda: Invitation(cycle=draft_cycle, rater_name="A", rater_email=f"{uuid.uuid4()}@example.org",
                           relationship="peer", submitted_at=timezone.now(), draft={"scores": {}}))


def test_competency_keys_come_from_the_vocabulary(draft_cycle):
    database_and_full_clean_refuse(
        lambda: Competency(instrument=draft_cycle.instrument, key="marksmanship", position=99))


def test_band_override_needs_a_reason_and_release_needs_a_reviewer(draft_cycle, staff_user):
    database_and_full_clean_refuse(
        lambda: Report(cycle=draft_cycle, band_computed="ready_now", band_final="development_needed"))
    database_and_full_clean_refuse(
        lambda: Report(cycle=draft_cycle, band_computed="ready_now", band_final="ready_now",
                       released_at=timezone.now()))
    Report(cycle=draft_cycle, band_computed="ready_now", band_final="development_needed",
           band_override_reason="Written reason", released_by=staff_user, released_at=timezone.now()).save()


def test_anonymous_group_minimums_never_go_below_the_floor_by_any_path(draft_cycle):
    """Not through the service, the admin or a raw write: the database refuses an anonymity minimum below 3."""
    def clone(**changes):
        fields = {f.attname: getattr(draft_cycle, f.attname) for f in Cycle._meta.concrete_fields if f.name != "id"}
        return Cycle(**{**fields, **changes})

    for group in ("min_peer", "min_direct_report", "min_community"):
        database_and_full_clean_refuse(lambda group=group: clone(**{group: 2}))
    database_and_full_clean_refuse(lambda: clone(min_self=2))
    with pytest.raises(IntegrityError), transaction.atomic():
        Cycle.objects.filter(pk=draft_cycle.pk).update(min_peer=1)


def test_content_of_an_instrument_in_use_cannot_change_by_any_client(draft_cycle):
    """Reports read the items of their instrument; once a cycle uses it, no write (ORM, admin, raw) changes them."""
    instrument = draft_cycle.instrument
    instrument.refresh_from_db()
    assert instrument.frozen_at is not None
    item = items_of(draft_cycle)[0]
    competency = Competency.objects.filter(instrument=instrument).first()
    for write in (
        lambda: Item.objects.filter(pk=item.pk).update(text="Rewritten after the fact"),
        lambda: Item.objects.create(competency=competency, text="A new item", position=99),
        lambda: Competency.objects.filter(pk=competency.pk).update(position=42),
        lambda: Question.objects.filter(instrument=instrument).update(text="Another question"),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            write()
    item.refresh_from_db()
    assert item.text != "Rewritten after the fact"
