"""Reads with access rules. Staff see everything; an agency administrator sees only their agency's rows; other
roles see none of these (they reach officers through their own apps' selectors, e.g. an instructor's roster).
A row the user may not see is indistinguishable from a missing one: the same 404."""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.access import scope_to_agency
from core.rows import rows

from .models import Agency, EmploymentRecord, IdentityReview, Officer, OfficerLicense, license_key

# API field -> ORM path of the officer reads served as plain rows (list and detail are the hottest reads).
OFFICER_ROW = {
    "id": "id", "agency": "agency_id", "agency_name": "agency__name", "first_name": "first_name",
    "last_name": "last_name", "state": "state", "license_number": "license_number", "rank": "rank",
    "hire_date": "hire_date", "email": "email", "date_of_birth": "date_of_birth",
    "permanently_ineligible_at": "permanently_ineligible_at", "same_person_as": "same_person_as_id",
    "created_at": "created_at", "updated_at": "updated_at",
}
LICENSE_ROW = {
    "state": "state", "license_number": "license_number", "held_from": "held_from", "held_until": "held_until",
    "recorded_in_error": "recorded_in_error", "recorded_by": "recorded_by", "reason": "reason",
}
EMPLOYMENT_ROW = {
    "agency": "agency_id", "agency_name": "agency__name", "rank": "rank", "started_on": "started_on",
    "ended_on": "ended_on",
}


def agency_visible_to(user) -> QuerySet[Agency]:
    return scope_to_agency(Agency.objects.all(), user, agency_field="pk")


def agency_get_for_user(*, user, agency_id) -> Agency:
    return get_object_or_404(agency_visible_to(user), pk=agency_id)


def officer_visible_to(user) -> QuerySet[Officer]:
    return scope_to_agency(Officer.objects.select_related("agency"), user)


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
    detail["licenses"] = rows(OfficerLicense.objects.filter(officer_id=officer_id).order_by("-held_from", "-id"),
                              LICENSE_ROW)
    return detail


def officer_by_any_license(*, state: str, license_number: str) -> Officer | None:
    """The officer record that holds or ever held this licence: every public answer matches any licence the
    person ever held, so a renamed or re-licensed record cannot shed its history."""
    held = (OfficerLicense.objects.filter(state=state, license_key=license_key(license_number),
                                          recorded_in_error=False).select_related("officer").first())
    return held.officer if held else None


def officers_by_any_license(keys) -> dict[tuple[str, str], Officer]:
    """For bulk imports: (state, licence) -> the officer record that holds or held it (chunked queries)."""
    by_state: dict[str, dict[str, str]] = {}
    for state, license_number in keys:
        if state and license_number:
            by_state.setdefault(state, {})[license_key(license_number)] = license_number
    found = {}
    for state, numbers in by_state.items():
        wanted = list(numbers)
        for start in range(0, len(wanted), 5000):  # stay under SQLite's bound-parameter limit
            held = OfficerLicense.objects.filter(state=state, license_key__in=wanted[start:start + 5000],
                                                 recorded_in_error=False).select_related("officer")
            for row in held:
                found[(row.state, numbers[row.license_key])] = row.officer
    return found


def identity_reviews_visible_to(user) -> QuerySet[IdentityReview]:
    """The staff review queue: staff only (an agency sees its refusal in the 409 it was given)."""
    if not (user.is_authenticated and user.is_certification_staff):
        return IdentityReview.objects.none()
    return IdentityReview.objects.select_related("agency", "matched_officer", "requested_by", "decided_by")


def identity_review_get_for_user(*, user, review_id) -> IdentityReview:
    return get_object_or_404(identity_reviews_visible_to(user), pk=review_id)


def agency_roster_names(*, agency_id: int) -> list[str]:
    """Full names of every officer on an agency's roster (no access rule: for redacting names from free text)."""
    return [f"{first} {last}" for first, last in
            Officer.objects.filter(agency_id=agency_id).order_by().values_list("first_name", "last_name")]
