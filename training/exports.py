"""Reads for the completions download (issue #14), with the same access rule as the completion list: staff see
every agency's officers (or the agency they name), an agency administrator their own officers, anyone else
nothing."""

from collections.abc import Iterator
from datetime import date

from .selectors import completion_visible_to

# CSV column -> ORM path. One query (completion joined to officer, agency and course), whatever the row count.
COMPLETION_EXPORT_COLUMNS = {
    "completion_id": "id", "completed_on": "completed_on", "officer_id": "officer_id",
    "last_name": "officer__last_name", "first_name": "officer__first_name", "license_state": "officer__state",
    "license_number": "officer__license_number", "agency_id": "officer__agency_id",
    "agency_name": "officer__agency__name", "course_code": "course__code", "course_title": "course__title",
    "ce_hours": "ce_hours", "source": "source", "verification_code": "verification_code",
}


def completion_export_rows(*, user, agency_id: int | None = None, start: date | None = None,
                           end: date | None = None, state: str | None = None) -> Iterator[tuple]:
    qs = completion_visible_to(user)
    if agency_id is not None:
        qs = qs.filter(officer__agency_id=agency_id)  # a foreign or unknown agency: an empty file, as in the list
    if start is not None:
        qs = qs.filter(completed_on__gte=start)
    if end is not None:
        qs = qs.filter(completed_on__lte=end)
    if state is not None:
        qs = qs.filter(officer__state=state)
    qs = qs.order_by("completed_on", "officer__last_name", "officer__first_name", "id")
    return qs.values_list(*COMPLETION_EXPORT_COLUMNS.values()).iterator(chunk_size=2000)
