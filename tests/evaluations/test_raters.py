"""Rater integrity (issue #13): the sponsor is an interested party. Sock-puppet addresses are refused at invitation
time, staff approve every rater list before a cycle opens, short anonymous groups cannot open, one open cycle per
subject, links go out only after approval, re-sent links kill the old ones, and answers are held until close."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Role
from core.exceptions import ApplicationError
from core.models import AuditEvent
from evaluations import services
from evaluations.models import Cycle, FeedbackResponse, Invitation
from evaluations.raters import email_normalise
from tests.factories import OfficerFactory, UserFactory

from .factories import answers_all, approve, cycle_make, invite, open_cycle, token_set

pytestmark = pytest.mark.django_db
BASE = "/api/v1/evaluations"


def _cycle(client, officer) -> int:
    now = timezone.now()
    response = client.post(f"{BASE}/cycles/", {"subject": officer.pk, "target_position": "Captain",
                                               "opens_at": now.isoformat(),
                                               "closes_at": (now + timedelta(days=7)).isoformat()}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _invite(client, cycle_id, email, relationship="peer", name="Some Rater"):
    return client.post(f"{BASE}/cycles/{cycle_id}/invitations/",
                       {"rater_name": name, "rater_email": email, "relationship": relationship}, format="json")


def _raters(client, cycle_id) -> dict:
    return client.get(f"{BASE}/cycles/{cycle_id}/").json()["raters"]


@pytest.mark.parametrize(("address", "mailbox"), [
    ("Admin+P1@Agency.example.org", "admin@agency.example.org"),
    ("j.o.h.n.doe+360@googlemail.com", "johndoe@gmail.com"),
    ("John.Doe@GMAIL.com", "johndoe@gmail.com"),
    ("john.doe@example.org", "john.doe@example.org"),  # dots count at other providers
    ("  a+b+c@x.org ", "a@x.org"),
])
def test_addresses_are_compared_as_mailboxes(address, mailbox):
    assert email_normalise(address) == mailbox


def test_sock_puppet_attack_is_refused_at_invitation_time_and_an_unapproved_list_cannot_open(
        admin_a, admin_a_client, staff_client, subject_a, agency_a, django_capture_on_commit_callbacks):
    """The attack of issue #13: one real peer and two of the sponsor's own addresses, answered from both."""
    admin_a.email = "Chief.Sponsor@gmail.com"
    admin_a.save(update_fields=["email"])
    UserFactory(username="other_admin_a", role=Role.AGENCY_ADMIN, agency=agency_a, email="deputy@agency-a.example")
    with django_capture_on_commit_callbacks(execute=True):
        cycle_id = _cycle(admin_a_client, subject_a)
        assert _invite(admin_a_client, cycle_id, "real.peer@example.org", name="Real Peer").status_code == 201
        for puppet in ("chief.sponsor+p1@gmail.com", "chiefsponsor+p2@googlemail.com", "CHIEF.SPONSOR@gmail.com",
                       "deputy+p3@agency-a.example"):
            refused = _invite(admin_a_client, cycle_id, puppet)
            assert refused.status_code == 400, puppet
            assert refused.json()["code"] == "rater_is_sponsor" and "rater_email" in refused.json()["fields"]
        # The same mailbox spelt differently is one person.
        again = _invite(admin_a_client, cycle_id, "Real.Peer+again@Example.org")
        assert again.status_code == 400 and again.json()["code"] == "already_invited"
        assert _invite(admin_a_client, cycle_id, "self@example.org", relationship="self").status_code == 201
        # Unapproved: cannot open, whoever asks.
        unapproved = admin_a_client.post(f"{BASE}/cycles/{cycle_id}/open/")
        assert unapproved.status_code == 409 and unapproved.json()["code"] == "raters_not_approved"
        # Approved, but the peer group has 1 of 3: still cannot open, and the answer names the group.
        version = _raters(staff_client, cycle_id)["version"]
        assert staff_client.post(f"{BASE}/cycles/{cycle_id}/raters/approve/", {"version": version},
                                 format="json").status_code == 200
        short = admin_a_client.post(f"{BASE}/cycles/{cycle_id}/open/")
        assert short.status_code == 409 and short.json()["code"] == "group_below_minimum"
        assert "peer" in short.json()["message"] and "invitations.peer" in short.json()["fields"]
    assert Invitation.objects.filter(cycle_id=cycle_id).count() == 2
    assert Cycle.objects.get(pk=cycle_id).status == "draft"
    assert mail.outbox == []  # nobody holds a link


def test_staff_review_the_list_with_names_addresses_and_relationships_and_every_decision_is_audited(
        admin_a_client, staff_client, staff_user, subject_a):
    cycle_id = _cycle(admin_a_client, subject_a)
    for i in range(4):
        assert _invite(admin_a_client, cycle_id, f"peer{i}@example.org", name=f"Peer {i}").status_code == 201
    listing = staff_client.get(f"{BASE}/cycles/{cycle_id}/invitations/").json()["results"]
    assert {(r["rater_name"], r["rater_email"], r["relationship"], r["status"]) for r in listing} == {
        (f"Peer {i}", f"peer{i}@example.org", "peer", "awaiting_approval") for i in range(4)}
    raters = _raters(staff_client, cycle_id)
    assert raters["status"] == "needs_approval" and raters["version"] == 4

    # The sponsor cannot review their own list.
    assert admin_a_client.post(f"{BASE}/cycles/{cycle_id}/raters/approve/", {"version": 4},
                               format="json").status_code == 403
    # Staff refuse one rater, with the reason the sponsor reads.
    target = listing[0]["id"]
    refused = staff_client.post(f"{BASE}/cycles/{cycle_id}/invitations/{target}/refuse/",
                                {"reason": "This address belongs to the sponsor's spouse."}, format="json")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    seen = {r["id"]: r for r in admin_a_client.get(f"{BASE}/cycles/{cycle_id}/invitations/").json()["results"]}
    assert seen[target]["refusal_reason"].startswith("This address")
    # A refused mailbox cannot be invited again.
    assert _invite(admin_a_client, cycle_id, listing[0]["rater_email"]).json()["code"] == "already_invited"

    # The sponsor adds a rater after staff read version 4: approving version 4 is refused.
    assert _invite(admin_a_client, cycle_id, "late@example.org").status_code == 201
    stale = staff_client.post(f"{BASE}/cycles/{cycle_id}/raters/approve/", {"version": 4}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_change"
    # The whole list refused, then approved after the sponsor changed it.
    refused_list = staff_client.post(f"{BASE}/cycles/{cycle_id}/raters/refuse/",
                                     {"version": 5, "reason": "Please add the direct reports as agreed."},
                                     format="json")
    assert refused_list.status_code == 200 and refused_list.json()["raters"]["status"] == "refused"
    assert _raters(admin_a_client, cycle_id)["refusal_reason"] == "Please add the direct reports as agreed."
    assert _invite(admin_a_client, cycle_id, "direct@example.org", relationship="supervisor").status_code == 201
    assert _raters(staff_client, cycle_id)["status"] == "needs_approval"
    approved = staff_client.post(f"{BASE}/cycles/{cycle_id}/raters/approve/", {"version": 6}, format="json")
    assert approved.status_code == 200
    assert approved.json()["raters"]["status"] == "approved"
    assert approved.json()["raters"]["reviewed_by"] == staff_user.username
    # An added or withdrawn invitation puts the list back to review.
    withdrawn = Invitation.objects.get(cycle_id=cycle_id, rater_email="late@example.org")
    assert admin_a_client.delete(f"{BASE}/cycles/{cycle_id}/invitations/{withdrawn.pk}/").status_code == 204
    assert _raters(admin_a_client, cycle_id) | {"reviewed_at": None} == {
        "status": "needs_approval", "version": 7, "reviewed_by": staff_user.username, "reviewed_at": None,
        "refusal_reason": ""}

    actions = list(AuditEvent.objects.filter(target_id=str(cycle_id), action__startswith="evaluation_raters.")
                   .values_list("action", flat=True).order_by("sequence"))
    assert actions == ["evaluation_raters.refused", "evaluation_raters.approved"]
    refusal = AuditEvent.objects.get(action="evaluation_invitation.refused")
    assert refusal.data["reason"] == "This address belongs to the sponsor's spouse."
    assert AuditEvent.objects.filter(action="evaluation_invitation.created").count() == 6


def test_links_are_emailed_only_once_the_list_is_approved_and_the_cycle_opens(
        admin_a_client, staff_client, subject_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cycle_id = _cycle(admin_a_client, subject_a)
        for i in range(4):
            _invite(admin_a_client, cycle_id, f"peer{i}@example.org")
        puppet = Invitation.objects.get(cycle_id=cycle_id, rater_email="peer3@example.org")
        staff_client.post(f"{BASE}/cycles/{cycle_id}/invitations/{puppet.pk}/refuse/",
                          {"reason": "Second address of the sponsor."}, format="json")
        staff_client.post(f"{BASE}/cycles/{cycle_id}/raters/approve/", {"version": 4}, format="json")
        assert mail.outbox == []
        opened = admin_a_client.post(f"{BASE}/cycles/{cycle_id}/open/")
    assert opened.status_code == 200 and opened.json()["invitations_total"] == 3
    assert sorted(m.to[0] for m in mail.outbox) == ["peer0@example.org", "peer1@example.org", "peer2@example.org"]
    assert Invitation.objects.get(pk=puppet.pk).token_hash is None


def test_one_open_cycle_per_subject(subject_a):
    first = open_cycle(cycle_make(subject=subject_a))
    second = cycle_make(subject=subject_a)
    invite(second, "self")
    with pytest.raises(ApplicationError) as exc:
        services.cycle_open(cycle=second, actor="test")
    assert exc.value.code == "subject_has_open_cycle" and exc.value.status_code == 409
    # The database holds it whatever the client (a raw update, the admin, a race past the check).
    with pytest.raises(IntegrityError), transaction.atomic():
        Cycle.objects.filter(pk=second.pk).update(status="open")
    services.cycle_close(cycle=first, actor="test")
    assert services.cycle_open(cycle=second, actor="test").status == "open"


def test_resend_gives_a_new_link_and_the_old_one_dies(admin_a_client, open_cycle_a, anon_client,
                                                      django_capture_on_commit_callbacks):
    invitation = invite(open_cycle_a, "peer")[0]
    old = token_set(invitation)
    assert anon_client.get(f"/api/v1/feedback/{old}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resent = admin_a_client.post(f"{BASE}/cycles/{open_cycle_a.pk}/invitations/{invitation.pk}/resend/")
    assert resent.status_code == 200 and resent.json()["status"] == "sent"
    new = re.search(r"/feedback/([\w-]+)/", mail.outbox[-1].body).group(1)
    assert anon_client.get(f"/api/v1/feedback/{old}/").status_code == 404
    assert anon_client.get(f"/api/v1/feedback/{new}/").status_code == 200
    assert AuditEvent.objects.filter(action="evaluation_invitation.resent", target_id=str(invitation.pk)).exists()
    # Answered: nothing to re-send.
    anon_client.post(f"/api/v1/feedback/{new}/", answers_all(open_cycle_a), format="json")
    again = admin_a_client.post(f"{BASE}/cycles/{open_cycle_a.pk}/invitations/{invitation.pk}/resend/")
    assert again.status_code == 409 and again.json()["code"] == "feedback_already_submitted"


def test_invitation_list_shows_status_and_never_an_answer(admin_a_client, open_cycle_a):
    answered, waiting = invite(open_cycle_a, "peer", 2)
    services.feedback_draft_save(invitation=waiting, scores={}, comments={
        str(open_cycle_a.instrument.questions.first().pk): "DRAFT-SECRET"})
    services.feedback_submit(invitation=answered, **answers_all(open_cycle_a, score=2, comment="ANSWER-SECRET"))
    invite(open_cycle_a, "peer", approved=False)
    body = admin_a_client.get(f"{BASE}/cycles/{open_cycle_a.pk}/invitations/").content.decode()
    assert "ANSWER-SECRET" not in body and "DRAFT-SECRET" not in body and "held" not in body
    statuses = sorted(r["status"] for r in admin_a_client.get(
        f"{BASE}/cycles/{open_cycle_a.pk}/invitations/").json()["results"])
    assert statuses == ["awaiting_approval", "sent", "sent", "submitted"]


def test_refusing_a_rater_who_already_answered_discards_the_held_answers(staff_user, open_cycle_a):
    puppet = invite(open_cycle_a, "peer")[0]
    services.feedback_submit(invitation=puppet, **answers_all(open_cycle_a, score=1, comment="PUPPET"))
    services.invitation_refuse(invitation=puppet, actor=staff_user, reason="Found to be the sponsor's address.")
    services.cycle_close(cycle=open_cycle_a, actor="test")
    assert not FeedbackResponse.objects.filter(cycle=open_cycle_a, relationship="peer").exists()
    assert AuditEvent.objects.get(action="evaluation_invitation.refused").data["answers_discarded"] is True


def test_audit_rows_never_contain_answers(open_cycle_a):
    invitation = invite(open_cycle_a, "peer")[0]
    services.feedback_draft_save(invitation=invitation, scores={}, comments={
        str(open_cycle_a.instrument.questions.first().pk): "DRAFTED-WORDS"})
    services.feedback_submit(invitation=invitation, **answers_all(open_cycle_a, score=2, comment="SUBMITTED-WORDS"))
    services.cycle_close(cycle=open_cycle_a, actor="test")
    dump = str(list(AuditEvent.objects.values_list("data", flat=True)))
    assert "DRAFTED-WORDS" not in dump and "SUBMITTED-WORDS" not in dump


def test_only_staff_review_rater_lists_even_through_the_service(draft_cycle, admin_a):
    invite(draft_cycle, "self", approved=False)
    draft_cycle.refresh_from_db()
    for call in (lambda: services.raters_approve(cycle=draft_cycle, actor=admin_a, version=1),
                 lambda: services.raters_approve(cycle=draft_cycle, actor="scheduler", version=1)):
        with pytest.raises(ApplicationError) as exc:
            call()
        assert exc.value.status_code == 403
    assert Cycle.objects.get(pk=draft_cycle.pk).raters_status == "needs_approval"
    assert approve(draft_cycle).raters_status == "approved"


def test_two_spellings_of_one_mailbox_cannot_both_be_stored(draft_cycle):
    invite(draft_cycle, "peer", approved=False)
    first = draft_cycle.invitations.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(cycle=draft_cycle, rater_name="Twin", rater_email="other@example.org",
                                  rater_email_normalized=first.rater_email_normalized, relationship="peer")


def test_other_subjects_and_agencies_are_unaffected(subject_a):
    other = open_cycle(cycle_make(subject=OfficerFactory(agency=subject_a.agency)))
    assert open_cycle(cycle_make(subject=subject_a)).status == "open" and other.status == "open"


def test_approving_an_approved_rater_list_again_is_an_invalid_transition_and_writes_nothing(
        admin_a_client, staff_client, subject_a):
    """The rater list moves through the one lifecycle mechanism (core.transitions): a second approval of the same
    version is a 409 `invalid_transition`, the ledger keeps one entry, and that entry has the lifecycle's shape."""
    cycle_id = _cycle(admin_a_client, subject_a)
    assert _invite(admin_a_client, cycle_id, "peer.one@example.org").status_code == 201
    version = _raters(staff_client, cycle_id)["version"]
    first = staff_client.post(f"{BASE}/cycles/{cycle_id}/raters/approve/", {"version": version}, format="json")
    assert first.status_code == 200, first.content
    again = staff_client.post(f"{BASE}/cycles/{cycle_id}/raters/approve/", {"version": version}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    entries = AuditEvent.objects.filter(target_id=str(cycle_id), action="evaluation_raters.approved")
    assert entries.count() == 1
    assert entries.get().data == {"from": "needs_approval", "to": "approved", "version": version,
                                  "invitations": {"peer": 1}}
    # A change by the sponsor is a transition back to review (no entry of its own: the invitation's entry says it).
    assert _invite(admin_a_client, cycle_id, "peer.two@example.org").status_code == 201
    raters = _raters(staff_client, cycle_id)
    assert (raters["status"], raters["version"]) == ("needs_approval", version + 1)
    assert not AuditEvent.objects.filter(action="evaluation_raters.changed").exists()
