"""Reads with access rules. Staff see everything; an agency administrator sees only their agency's rows; other
roles see none of these (they reach officers through their own apps' selectors, e.g. an instructor's roster).
A row the user may not see is indistinguishable from a missing one: the same 404."""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.rows import rows

from .models import Agency, EmploymentRecord, Officer

# API field -> ORM path of the officer reads served as plain rows (list and detail are the hottest reads).
OFFICER_ROW = {
    "id": "id", "agency": "agency_id", "agency_name": "agency__name", "first_name": "first_name",
    "last_name": "last_name", "state": "state", "license_number": "license_number", "rank": "rank",
    "hire_date": "hire_date", "email": "email", "created_at": "created_at", "updated_at": "updated_at",
}
EMPLOYMENT_ROW = {
    "agency": "agency_id", "agency_name": "agency__name", "rank": "rank", "started_on": "started_on",
    "ended_on": "ended_on",
}


def agency_visible_to(user) -> QuerySet[Agency]:
    qs = Agency.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.is_certification_staff:
        return qs
    if user.is_agency_admin:
        return qs.filter(pk=user.agency_id)
    return qs.none()


def agency_get_for_user(*, user, agency_id) -> Agency:
    return get_object_or_404(agency_visible_to(user), pk=agency_id)


def officer_visible_to(user) -> QuerySet[Officer]:
    qs = Officer.objects.select_related("agency")
    if not user.is_authenticated:
        return qs.none()
    if user.is_certification_staff:
        return qs
    if user.is_agency_admin:
        return qs.filter(agency_id=user.agency_id)
    return qs.none()


def officer_get_for_user(*, user, officer_id) -> Officer:
    return get_object_or_404(officer_visible_to(user), pk=officer_id)


def officer_detail_for_user(*, user, officer_id) -> dict:
    """The officer and their employment history as plain data: two queries, whatever the history's length."""
    found = rows(officer_visible_to(user).filter(pk=officer_id), OFFICER_ROW)
    if not found:
        raise Http404
    detail = found[0]
    history = EmploymentRecord.objects.filter(officer_id=officer_id).order_by("-started_on", "-id")
    detail["employment_history"] = rows(history, EMPLOYMENT_ROW)
    return detail
