"""The public site's words: one date format, human labels for every status and reason, licences as "CA-100201 (CA)".

Every public template loads this library (`{% load public_site %}`); no template prints a raw code."""

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from ..models import AgencyCertificationStatus, OfficerCertificationStatus, RevocationCategory
from ..selectors.public import INELIGIBLE_STATUS

register = template.Library()

PUBLIC_DATE_FORMAT = "j F Y"  # "2 December 2026": the one date format of the public site

OFFICER_STATUS_LABELS = {**dict(OfficerCertificationStatus.choices), INELIGIBLE_STATUS: "Permanently ineligible",
                         None: "Not certified", "": "Not certified"}
AGENCY_STATUS_LABELS = {**dict(AgencyCertificationStatus.choices), AgencyCertificationStatus.ISSUED: "Certified",
                        None: "Not certified", "": "Not certified"}
REASON_LABELS = {**dict(RevocationCategory.choices), "certification_revoked": "Certification revoked",
                 INELIGIBLE_STATUS: "Made permanently ineligible", "unknown": "Unknown",
                 OfficerCertificationStatus.ACTIVE: "Active certification",
                 OfficerCertificationStatus.LAPSED: "Certification lapsed",
                 OfficerCertificationStatus.REVOKED: "Certification revoked"}
# How a status reads to the eye as well (never by colour alone: the label is always printed too).
GOOD_STATUSES = {OfficerCertificationStatus.ACTIVE, AgencyCertificationStatus.ISSUED}
BAD_STATUSES = {OfficerCertificationStatus.REVOKED, INELIGIBLE_STATUS, AgencyCertificationStatus.REVOKED}


@register.filter
def public_date(value) -> str:
    """2 December 2026; a datetime is shown as its local date; nothing for no date."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return date_format(value, PUBLIC_DATE_FORMAT)


@register.filter
def officer_status_label(value) -> str:
    return OFFICER_STATUS_LABELS.get(value, str(value).replace("_", " ").capitalize())


@register.filter
def agency_status_label(value) -> str:
    return AGENCY_STATUS_LABELS.get(value, str(value).replace("_", " ").capitalize())


@register.filter
def reason_label(value) -> str:
    if not value:
        return ""
    return REASON_LABELS.get(value, str(value).replace("_", " ").capitalize())


@register.filter
def status_class(value) -> str:
    if value in GOOD_STATUSES:
        return "status-ok"
    return "status-bad" if value in BAD_STATUSES else "status-neutral"


@register.simple_tag
def licence(number, state) -> str:
    """The licence as people read it: number first, issuing state in brackets."""
    if not number:
        return ""
    return f"{number} ({state})" if state else str(number)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
