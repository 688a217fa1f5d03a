"""Reads with access rules. Staff see everything; an agency administrator sees only their agency's rows; other
roles see none of these (they reach officers through their own apps' selectors, e.g. an instructor's roster).
A row the user may not see is indistinguishable from a missing one: the same 404."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.access import AgencyScope, agency_scope, scope_queryset, scope_to_agency
from core.rows import CompiledRows, rows

from .models import Agency, EmploymentRecord, IdentityReview, Officer, OfficerLicense, Role, User, license_key

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


def _officers_in_scope(scope: AgencyScope) -> QuerySet[Officer]:
    return scope_queryset(Officer.objects.select_related("agency"), scope)


def officer_visible_to(user) -> QuerySet[Officer]:
    return _officers_in_scope(agency_scope(user))


def officer_get_for_user(*, user, officer_id) -> Officer:
    return get_object_or_404(officer_visible_to(user), pk=officer_id)


# The officer detail is the hottest authenticated read: its three queries are compiled once (core.rows.CompiledRows),
# per access scope for the officer row, so the scope is part of the SQL exactly as officer_visible_to builds it.
_officer_detail_row = CompiledRows(
    lambda officer_id, agency_id=None: _officers_in_scope(
        AgencyScope("agency" if agency_id is not None else "all", agency_id)).filter(pk=officer_id),
    OFFICER_ROW)
_officer_employment_rows = CompiledRows(
    lambda officer_id: EmploymentRecord.objects.filter(officer_id=officer_id).order_by("-started_on", "-id"),
    EMPLOYMENT_ROW)
_officer_license_rows = CompiledRows(
    lambda officer_id: OfficerLicense.objects.filter(officer_id=officer_id).order_by("-held_from", "-id"),
    LICENSE_ROW)


def officer_detail_for_user(*, user, officer_id) -> dict:
    """The officer (as officer_visible_to(user) sees them) with employment and licence history as plain data: three
    queries, whatever the histories' length."""
    scope = agency_scope(user)
    if scope.kind == "none":
        raise Http404
    scoped = {"agency_id": scope.agency_id} if scope.kind == "agency" else {}
    found = _officer_detail_row.rows(variant=scope.kind, officer_id=officer_id, **scoped)
    if not found:
        raise Http404
    detail = found[0]
    detail["employment_history"] = _officer_employment_rows.rows(officer_id=officer_id)
    detail["licenses"] = _officer_license_rows.rows(officer_id=officer_id)
    return detail


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


# --- accounts (onboarding) ----------------------------------------------------------------------------------

def account_visible_to(user) -> QuerySet:
    """Staff: every account. An agency administrator: the officer accounts of their agency's current officers (an
    account follows its officer, so a transferred officer's account shows under the new agency). Others: none."""
    qs = User.objects.select_related("agency", "officer", "officer__agency").order_by("username", "id")
    return scope_to_agency(qs, user, agency_field="officer__agency_id")


def account_get_for_user(*, user, account_id):
    return get_object_or_404(account_visible_to(user), pk=account_id)


def officer_of_account(user) -> Officer | None:
    """The officer record an officer's own account is linked to (None for every other account)."""
    if not (getattr(user, "is_authenticated", False) and user.is_officer):
        return None
    return Officer.objects.select_related("agency").filter(pk=user.officer_id).first()


def officer_own_detail(*, user) -> dict:
    """An officer account's own record (as the officer detail, without staff's same-person link), or 404."""
    officer = officer_of_account(user)
    if officer is None:
        raise Http404
    own_row = {key: path for key, path in OFFICER_ROW.items() if key != "same_person_as"}
    detail = rows(Officer.objects.filter(pk=officer.pk), own_row)[0]
    history = EmploymentRecord.objects.filter(officer_id=officer.pk).order_by("-started_on", "-id")
    detail["employment_history"] = rows(history, EMPLOYMENT_ROW)
    detail["licenses"] = rows(OfficerLicense.objects.filter(officer_id=officer.pk).order_by("-held_from", "-id"),
                              LICENSE_ROW)
    return detail


# --- people other apps write to or pick (one definition each; other apps never query User themselves) ------------

def users_for_lookup(*, active_only: bool = False) -> QuerySet:
    """Accounts an id in a staff request may name (an instructor to assign, a coach's login)."""
    qs = User.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def agencies_for_lookup() -> QuerySet[Agency]:
    """Every agency, for ids that name an agency outside the caller's own (a coach's former agency)."""
    return Agency.objects.all()


def staff_emails() -> list[str]:
    """Where staff notices go: every active certification-staff member (a superuser counts as staff)."""
    return list(User.objects.filter(Q(role=Role.CERTIFICATION_STAFF) | Q(is_superuser=True), is_active=True)
                .exclude(email="").order_by("pk").values_list("email", flat=True))


def agency_admin_emails_by_agency(agency_ids) -> dict[int, list[str]]:
    """The active administrators' addresses of each agency (agencies without one are absent)."""
    by_agency: dict[int, list[str]] = {}
    for agency_id, email in (User.objects.filter(role=Role.AGENCY_ADMIN, agency_id__in=list(agency_ids),
                                                 is_active=True).exclude(email="")
                             .order_by("pk").values_list("agency_id", "email")):
        by_agency.setdefault(agency_id, []).append(email)
    return by_agency


def agency_admin_emails(agency_ids) -> list[str]:
    return [email for emails in agency_admin_emails_by_agency(agency_ids).values() for email in emails]
