"""Services: instruments, the cycle lifecycle, invitations and reminders, contracts other apps rely on, eligibility
gates (feedback: test_feedback_submission.py; the report pipeline and release: test_report_pipeline.py)."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test.utils import override_settings
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import AuditEvent
from evaluations import eligibility, services
from evaluations.eligibility import officer_eligibility_gates
from evaluations.models import (
    Cycle,
    Instrument,
    Invitation,
    InvitationReminder,
    PipelineStep,
)
from evaluations.selectors import officer_released_development_areas

from .factories import approve, cycle_make, invite, respond

pytestmark = pytest.mark.django_db


# --- instruments ---------------------------------------------------------------------------------------------

def test_default_instrument_is_seeded_with_the_programme_competencies():
    instrument = Instrument.objects.get(key=services.DEFAULT_INSTRUMENT_KEY, version=1)
    assert [c.key for c in instrument.competencies.order_by("position")] == [
        "community_engagement", "de_escalation", "cultural_competency", "procedural_justice",
        "integrity_accountability", "communication", "decision_making", "leadership", "developing_others"]
    assert all(c.items.count() == 3 for c in instrument.competencies.all())
    assert services.instrument_default_ensure() == (instrument, False)


def _content():
    return {"competencies": [{"key": "leadership", "items": ["Leads well"]}],
            "questions": [{"text": "Anything else?", "required": True}]}


def test_unused_instrument_is_edited_in_place(staff_user):
    instrument = services.instrument_create(actor=staff_user, key="mini", title="Mini", **_content())
    edited, created = services.instrument_update(
        instrument=instrument, actor=staff_user, title="Mini 2",
        competencies=[{"key": "communication", "items": ["Talks", "Listens"]}], questions=[])
    assert (edited.pk, created, edited.version) == (instrument.pk, False, 1)
    assert [c.key for c in edited.competencies.all()] == ["communication"]
    assert AuditEvent.objects.filter(action="evaluation_instrument.updated", target_id=str(instrument.pk)).exists()


def test_editing_a_used_instrument_makes_a_new_version_and_keeps_the_old(staff_user, subject_a):
    instrument = services.instrument_create(actor=staff_user, key="mini", title="Mini", **_content())
    cycle = cycle_make(subject=subject_a, instrument=instrument)
    instrument.refresh_from_db()
    assert instrument.frozen_at is not None
    new, created = services.instrument_update(
        instrument=instrument, actor=staff_user, title="Mini",
        competencies=[{"key": "leadership", "items": ["Leads well", "Sets direction"]}], questions=[])
    assert created and new.version == 2 and new.pk != instrument.pk
    assert instrument.competencies.get().items.count() == 1  # the used version is untouched
    assert cycle.instrument_id == instrument.pk
    assert AuditEvent.objects.filter(action="evaluation_instrument.versioned", target_id=str(new.pk)).exists()


def test_instrument_competencies_come_from_the_vocabulary(staff_user):
    with pytest.raises(ApplicationError) as exc:
        services.instrument_create(actor=staff_user, key="odd", title="Odd",
                                   competencies=[{"key": "marksmanship", "items": ["x"]}], questions=[])
    assert "competencies.0.key" in exc.value.fields
    assert not Instrument.objects.filter(key="odd").exists()


# --- cycles --------------------------------------------------------------------------------------------------

def test_cycle_create_uses_the_default_instrument_and_settings_minimums(subject_a, admin_a):
    cycle = cycle_make(subject=subject_a, actor=admin_a)
    assert cycle.instrument.key == services.DEFAULT_INSTRUMENT_KEY
    assert cycle.group_minimums == {"self": 1, "supervisor": 1, "peer": 3, "direct_report": 3, "community": 3}
    event = AuditEvent.objects.get(action="evaluation_cycle.created", target_id=str(cycle.pk))
    assert event.actor_label == admin_a.username


@override_settings(EVALUATION_ANONYMOUS_GROUP_MINIMUM=4)
def test_anonymous_group_minimum_cannot_go_below_the_setting(subject_a):
    with pytest.raises(ApplicationError) as exc:
        cycle_make(subject=subject_a, minimums={"peer": 3})
    assert "minimums.peer" in exc.value.fields
    assert cycle_make(subject=subject_a, minimums={"peer": 5, "supervisor": 2}).group_minimums["peer"] == 5


def test_cycle_must_close_after_it_opens_and_in_the_future(subject_a):
    now = timezone.now()
    with pytest.raises(ApplicationError):
        cycle_make(subject=subject_a, opens_at=now, closes_at=now - timedelta(hours=1))
    with pytest.raises(ApplicationError):
        cycle_make(subject=subject_a, opens_at=now - timedelta(days=3), closes_at=now - timedelta(days=1))
    assert not Cycle.objects.exists()


def test_open_needs_invitations(draft_cycle):
    with pytest.raises(ApplicationError) as exc:
        services.cycle_open(cycle=draft_cycle, actor="test")
    assert exc.value.code == "no_invitations"


def test_open_emails_each_rater_a_link_and_stores_only_its_hash(draft_cycle, django_capture_on_commit_callbacks):
    invitations = invite(draft_cycle, "peer", 3)
    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_open(cycle=draft_cycle, actor="test")
    assert len(mail.outbox) == 3
    for invitation in invitations:
        invitation.refresh_from_db()
        message = next(m for m in mail.outbox if m.to == [invitation.rater_email])
        token = re.search(r"http://127\.0\.0\.1:8000/feedback/([\w-]+)/", message.body).group(1)
        assert len(token) >= 43  # 32 random bytes
        assert invitation.token_hash == services.token_hash(token) and token not in str(invitation.__dict__)
        assert services.feedback_invitation_resolve(token=token, address="1.2.3.4").pk == invitation.pk
    assert AuditEvent.objects.filter(action="evaluation_cycle.opened").count() == 1


def test_invitation_added_to_an_open_cycle_is_sent_only_once_staff_approve_it(
        open_cycle_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(open_cycle_a, "peer", approved=False)[0]
    open_cycle_a.refresh_from_db()
    assert invitation.sent_at is None and not mail.outbox and open_cycle_a.raters_status == "needs_approval"
    with django_capture_on_commit_callbacks(execute=True):
        approve(open_cycle_a)
    invitation.refresh_from_db()
    assert invitation.sent_at is not None and [m.to for m in mail.outbox] == [[invitation.rater_email]]


def test_same_person_cannot_be_invited_twice(draft_cycle):
    invite(draft_cycle, "peer")
    with pytest.raises(ApplicationError) as exc:
        services.invitation_create(cycle=draft_cycle, actor="test", rater_name="X",
                                   rater_email=f"RATER0.{draft_cycle.pk}@example.org", relationship="supervisor")
    assert exc.value.code == "already_invited"


@pytest.mark.parametrize(("start", "to"), [("draft", "closed"), ("draft", "released"), ("open", "report_ready"),
                                           ("closed", "open"), ("released", "open")])
def test_transitions_outside_the_allowed_map_are_refused(draft_cycle, start, to):
    Cycle.objects.filter(pk=draft_cycle.pk).update(status=start)
    draft_cycle.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        services._cycle_transition(cycle=draft_cycle, to=to, actor="test")
    assert exc.value.code == "invalid_transition"


def test_transition_is_compare_and_swap(open_cycle_a):
    stale = Cycle.objects.get(pk=open_cycle_a.pk)
    services.cycle_close(cycle=open_cycle_a, actor="test")
    with pytest.raises(ApplicationError) as exc:
        services._cycle_transition(cycle=stale, to="closed", actor="test")
    assert exc.value.code == "concurrent_change"
    assert AuditEvent.objects.filter(action="evaluation_cycle.closed").count() == 1


def test_beat_opens_due_drafts_and_closes_cycles_past_their_deadline(subject_a):
    now = timezone.now()
    due_draft = cycle_make(subject=subject_a, opens_at=now - timedelta(minutes=5))
    invite(due_draft, "self")
    later = cycle_make(subject=subject_a, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=5))
    invite(later, "self")
    assert services.cycles_open_due() == 1
    due_draft.refresh_from_db()
    assert due_draft.status == "open"
    assert services.cycles_close_due(now=now + timedelta(days=8)) == 1
    due_draft.refresh_from_db()
    assert due_draft.status == "closed" and PipelineStep.objects.filter(cycle=due_draft).count() == 4
    assert Cycle.objects.get(pk=later.pk).status == "draft"
    assert services.cycles_close_due(now=now + timedelta(days=8)) == 0  # idempotent


# --- reminders -----------------------------------------------------------------------------------------------

@override_settings(EVALUATION_REMINDER_HOURS_BEFORE_CLOSE=[72, 24])
def test_each_reminder_is_sent_once_and_only_to_raters_who_have_not_submitted(
        subject_a, django_capture_on_commit_callbacks):
    now = timezone.now()
    cycle = cycle_make(subject=subject_a, opens_at=now - timedelta(days=5), closes_at=now + timedelta(hours=60))
    pending, done = invite(cycle, "peer", 2)
    Invitation.objects.filter(cycle=cycle).update(sent_at=now - timedelta(days=4))
    Cycle.objects.filter(pk=cycle.pk).update(status="open")
    Invitation.objects.filter(pk=done.pk).update(submitted_at=now)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitation_reminders_send(now=now) == 1  # the 72-hour one
        assert services.invitation_reminders_send(now=now) == 0
    assert [m.to for m in mail.outbox] == [[pending.rater_email]]
    token = re.search(r"/feedback/([\w-]+)/", mail.outbox[0].body).group(1)
    assert services.feedback_invitation_resolve(token=token, address="a").pk == pending.pk
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitation_reminders_send(now=now + timedelta(hours=40)) == 1  # the 24-hour one
        assert services.invitation_reminders_send(now=now + timedelta(hours=41)) == 0
    assert sorted(InvitationReminder.objects.values_list("hours_before", flat=True)) == [24, 72]


# --- contracts other apps depend on ---------------------------------------------------------------------------

def test_released_development_areas_for_coaching(subject_a, open_cycle_a, run_pipeline, staff_user):
    assert officer_released_development_areas(officer_id=subject_a.pk) is None
    respond(open_cycle_a, "peer", 3, score=lambda i: 2 if i.competency.key == "leadership" else
            3 if i.competency.key == "communication" else 5)
    cycle = run_pipeline(open_cycle_a)
    assert officer_released_development_areas(officer_id=subject_a.pk) is None  # not released yet
    services.report_release(cycle=cycle, actor=staff_user)
    assert officer_released_development_areas(officer_id=subject_a.pk) == ["leadership", "communication"]


def test_follow_up_cycle_reinvites_the_same_raters_with_new_links(open_cycle_a, staff_user,
                                                                  django_capture_on_commit_callbacks):
    invite(open_cycle_a, "peer", 3)
    now = timezone.now()
    follow = services.cycle_create_follow_up(source_cycle_id=open_cycle_a.pk, actor=staff_user,
                                             opens_at=now + timedelta(days=90), closes_at=now + timedelta(days=104))
    assert follow.status == "draft" and follow.follow_up_of_id == open_cycle_a.pk
    assert (follow.subject_id, follow.agency_id, follow.target_position, follow.instrument_id) == (
        open_cycle_a.subject_id, open_cycle_a.agency_id, open_cycle_a.target_position, open_cycle_a.instrument_id)
    assert sorted(follow.invitations.values_list("rater_email", "relationship")) == sorted(
        open_cycle_a.invitations.values_list("rater_email", "relationship"))
    assert not follow.invitations.filter(token_hash__isnull=False).exists()
    Cycle.objects.filter(pk=follow.pk).update(opens_at=now - timedelta(minutes=1))
    services.cycle_close(cycle=open_cycle_a, actor="test")  # one open cycle per subject
    assert services.cycles_open_due() == 0  # the new list waits for staff review
    approve(follow)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cycles_open_due() == 1
    assert len(mail.outbox) == 4 and not follow.invitations.filter(token_hash__isnull=True).exists()
    assert AuditEvent.objects.filter(action="evaluation_cycle.follow_up_created").exists()


# --- eligibility gates ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FakeEligibility:
    certification_status: str | None
    certification_valid_until: date | None
    permanently_ineligible: bool
    open_findings: int
    sustained_findings: int


def test_gates_say_unknown_when_the_other_apps_fail_at_run_time(subject_a, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("selector failed")

    monkeypatch.setattr(eligibility, "officer_eligibility_summary", broken)
    monkeypatch.setattr(eligibility, "officer_ce_hours", broken)
    gates = officer_eligibility_gates(officer=subject_a)
    assert {k: v["answer"] for k, v in gates.items()} == {"certification": "unknown", "findings": "unknown",
                                                          "ce_hours": "unknown"}


def test_gates_read_the_selectors(subject_a, monkeypatch):
    calls = {}

    def summary(*, officer_id):
        return FakeEligibility("active", date.today() + timedelta(days=30), False, 0, 0)

    def hours(*, officer_id, start, end, state=None):
        calls["args"] = (officer_id, end - start, state)
        return Decimal("8.5")

    monkeypatch.setattr(eligibility, "officer_eligibility_summary", summary)
    monkeypatch.setattr(eligibility, "officer_ce_hours", hours)
    gates = officer_eligibility_gates(officer=subject_a)
    assert {k: v["answer"] for k, v in gates.items()} == {"certification": "yes", "findings": "yes",
                                                          "ce_hours": "yes"}
    assert calls["args"] == (subject_a.pk, timedelta(days=365), "CA")


def test_gates_say_no_for_findings_lapsed_certification_and_missing_hours(subject_a, monkeypatch):
    monkeypatch.setattr(eligibility, "officer_eligibility_summary",
                        lambda officer_id: FakeEligibility("lapsed", None, False, 1, 0))
    monkeypatch.setattr(eligibility, "officer_ce_hours",
                        lambda officer_id, start, end, state=None: Decimal("7.99"))
    gates = officer_eligibility_gates(officer=subject_a)
    assert {k: v["answer"] for k, v in gates.items()} == {"certification": "no", "findings": "no", "ce_hours": "no"}


def test_permanent_ineligibility_answers_no_even_without_certification_records(subject_a, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("selector failed")

    monkeypatch.setattr(eligibility, "officer_eligibility_summary", broken)
    subject_a.permanently_ineligible_at = timezone.now()
    assert officer_eligibility_gates(officer=subject_a)["certification"]["answer"] == "no"
