"""CSV downloads: one rule against spreadsheet formula injection and one streaming response.

A cell typed by a person (a name, a rank, an e-mail) that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return would run as a formula when the file opens in a spreadsheet; it is prefixed with `'`, which spreadsheets
show as text. Rows are written as the database hands them over, so memory stays flat for any roster size.
"""

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """The cell's text, neutralised if a spreadsheet would read it as a formula; None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_PREFIXES else text


class _Echo:
    def write(self, value):
        return value


def csv_streaming_response(*, header: Sequence[str], rows: Iterable[Sequence], filename: str) -> StreamingHttpResponse:
    """An attachment streamed row by row; every cell goes through csv_safe."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_safe(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
