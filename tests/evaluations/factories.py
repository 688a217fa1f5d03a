"""Building cycles with raters and answers through the real services (tokens are set directly, not mailed).

Rater lists go through certification staff's approval like in production: `invite` approves the list it changed
(as a reviewer account made here) unless told not to; `open_cycle` approves before opening."""

import random
from datetime import timedelta

from django.utils import timezone

from agencies.models import Role, User
from evaluations import services
from evaluations.models import Cycle, CycleStatus, Invitation, Item, Question, RatersStatus


def cycle_make(*, subject, agency=None, actor="test", minimums=None, status_open=False, **kwargs) -> Cycle:
    now = timezone.now()
    cycle = services.cycle_create(
        actor=actor, subject=subject, agency=agency or subject.agency, target_position=kwargs.pop("target", "Captain"),
        opens_at=kwargs.pop("opens_at", now - timedelta(hours=1)),
        closes_at=kwargs.pop("closes_at", now + timedelta(days=7)), minimums=minimums, **kwargs)
    return cycle


def raters_reviewer() -> User:
    """A certification staff account that reviews rater lists in tests."""
    user, _ = User.objects.get_or_create(username="raters-reviewer",
                                         defaults={"role": Role.CERTIFICATION_STAFF, "email": ""})
    return user


def approve(cycle) -> Cycle:
    """Staff approve the cycle's current rater list (in an open cycle this sends the new links)."""
    cycle.refresh_from_db()
    if cycle.raters_status != RatersStatus.APPROVED and cycle.status in (CycleStatus.DRAFT, CycleStatus.OPEN):
        services.raters_approve(cycle=cycle, actor=raters_reviewer(), version=cycle.raters_version)
        cycle.refresh_from_db()
    return cycle


def invite(cycle, relationship: str, n: int = 1, *, prefix: str = "", approved: bool = True) -> list[Invitation]:
    start = cycle.invitations.count()
    invitations = [services.invitation_create(cycle=cycle, actor="test", rater_name=f"{prefix}Rater{start + i} Person",
                                              rater_email=f"{prefix}rater{start + i}.{cycle.pk}@example.org",
                                              relationship=relationship) for i in range(n)]
    if approved:
        approve(cycle)
        for invitation in invitations:
            invitation.refresh_from_db()
    return invitations


def token_set(invitation: Invitation, token: str | None = None) -> str:
    """Give an invitation a known link (the real one is only ever in the e-mail)."""
    token = token or f"test-token-{invitation.pk}-{random.random()}"  # noqa: S311
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=services.token_hash(token),
                                                       sent_at=timezone.now())
    invitation.refresh_from_db()
    return token


def open_cycle(cycle: Cycle) -> Cycle:
    if not cycle.invitations.exists():
        invite(cycle, "self")
    approve(cycle)
    services.cycle_open(cycle=cycle, actor="test")
    cycle.refresh_from_db()
    return cycle


def items_of(cycle) -> list[Item]:
    return list(Item.objects.filter(competency__instrument=cycle.instrument).order_by("competency__position",
                                                                                     "position", "id"))


def answers_all(cycle, score=4, comment: str | None = None) -> dict:
    """A complete answer set: every item `score` (int, "not_observed" or a callable(item) -> value)."""
    scores = {str(i.pk): (score(i) if callable(score) else score) for i in items_of(cycle)}
    comments = {}
    if comment:
        first = Question.objects.filter(instrument=cycle.instrument).order_by("position", "id").first()
        comments[str(first.pk)] = comment
    return {"scores": scores, "comments": comments}


def respond(cycle, relationship: str, n: int = 1, *, score=4, comment: str | None = None,
            prefix: str = "") -> list[Invitation]:
    """Invite n raters of a group and submit a complete answer set for each."""
    invitations = invite(cycle, relationship, n, prefix=prefix)
    for invitation in invitations:
        services.feedback_submit(invitation=invitation, **answers_all(cycle, score=score, comment=comment))
    return invitations
