"""Helpers every certification service module shares."""

from datetime import date, timedelta

from django.conf import settings

from agencies.models import Role, User

# --- shared helpers -------------------------------------------------------------------------------------------


def _user_or_none(actor):
    return actor if isinstance(actor, User) else None


def _agency_admin_emails(agency_ids) -> list[str]:
    return list(User.objects.filter(role=Role.AGENCY_ADMIN, agency_id__in=list(agency_ids), is_active=True)
                .exclude(email="").values_list("email", flat=True))


def _staff_emails() -> list[str]:
    return list(User.objects.filter(role=Role.CERTIFICATION_STAFF, is_active=True).exclude(email="")
                .values_list("email", flat=True))


def _one_year_cycle(start: date) -> date:
    """The last day of a one-year cycle starting on `start` (29 February starts end on 27 February)."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:
        anniversary = start.replace(year=start.year + 1, day=28)
    return anniversary - timedelta(days=1)


def agency_certificate_public_url(certificate_number: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/registry/agencies/{certificate_number}/"
