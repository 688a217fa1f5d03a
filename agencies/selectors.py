"""Reads with access rules. Staff see everything; an agency administrator sees only their agency's rows; other
roles see none of these (they reach officers through their own apps' selectors, e.g. an instructor's roster).
A row the user may not see is indistinguishable from a missing one: the same 404."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from .models import Agency, EmploymentRecord, Officer


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
    history = EmploymentRecord.objects.select_related("agency").order_by("-started_on", "-id")
    qs = officer_visible_to(user).prefetch_related(Prefetch("employment_history", queryset=history))
    return get_object_or_404(qs, pk=officer_id)
