"""Reads for the agency administrator's roster download (issue #14), with the same access rule as the officer
list: staff see every agency (or the one they name), an agency administrator their own, anyone else nothing."""

from collections.abc import Iterator

from .selectors import officer_visible_to

# CSV column -> ORM path. One query (officer joined to its agency), whatever the roster's size.
ROSTER_EXPORT_COLUMNS = {
    "officer_id": "id", "last_name": "last_name", "first_name": "first_name", "state": "state",
    "license_number": "license_number", "rank": "rank", "hire_date": "hire_date", "email": "email",
    "agency_id": "agency_id", "agency_name": "agency__name",
    "permanently_ineligible_at": "permanently_ineligible_at",
}


def officer_roster_export_rows(*, user, agency_id: int | None = None, state: str | None = None) -> Iterator[tuple]:
    qs = officer_visible_to(user)
    if agency_id is not None:
        qs = qs.filter(agency_id=agency_id)  # a foreign or unknown agency gives an empty file, as the list does
    if state is not None:
        qs = qs.filter(state=state)
    qs = qs.order_by("agency__name", "agency_id", "last_name", "first_name", "id")
    return qs.values_list(*ROSTER_EXPORT_COLUMNS.values()).iterator(chunk_size=2000)
