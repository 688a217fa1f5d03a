"""Instructor accounts: the account (agencies' onboarding) and its link to the officer record whose
train-the-trainer completions qualify it, in one transaction."""

from django.db import transaction

from agencies.models import Officer, Role
from agencies.services import account_create

from .catalogue import instructor_account_link


def instructor_account_create(*, actor, officer: Officer, email: str, username: str = "", first_name: str = "",
                              last_name: str = ""):
    """Staff create an instructor's account linked to `officer`; the invitation leaves once both are saved."""
    with transaction.atomic():
        user = account_create(actor=actor, role=Role.INSTRUCTOR, email=email, username=username,
                              first_name=first_name or officer.first_name, last_name=last_name or officer.last_name,
                              officer=officer)
        instructor_account_link(user=user, officer=officer, actor=actor)
    return user
