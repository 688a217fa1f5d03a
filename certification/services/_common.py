"""Helpers every certification service module shares."""

from datetime import date, timedelta

from django.conf import settings

from agencies.models import User
from agencies.selectors import agency_admin_emails, staff_emails

# --- shared helpers -------------------------------------------------------------------------------------------


def _user_or_none(actor):
    return actor if isinstance(actor, User) else None


# Who is told: one definition in agencies.selectors (the names stay for this app's service modules).
_agency_admin_emails = agency_admin_emails
_staff_emails = staff_emails


def _one_year_cycle(start: date) -> date:
    """The last day of a one-year cycle starting on `start` (29 February starts end on 27 February)."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:
        anniversary = start.replace(year=start.year + 1, day=28)
    return anniversary - timedelta(days=1)


def agency_certificate_public_url(certificate_number: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/registry/agencies/{certificate_number}/"
