"""The one rule for characters in text the API takes, whether it arrives as JSON or as a CSV cell.

Refused: NUL (PostgreSQL text cannot hold it), the other C0 control characters except tab, line feed and carriage
return, DEL and the C1 controls (U+007F-U+009F), and lone UTF-16 surrogates (not characters; DRF refuses them).
Such characters are invisible in every screen and export, break CSV and PDF output, and are how values are smuggled
past people who review them.
"""

import re

# As a character class: also published in the OpenAPI patterns (core.openapi.text_pattern).
FORBIDDEN_CHARACTERS_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_FORBIDDEN = re.compile(f"[{FORBIDDEN_CHARACTERS_CLASS}\ud800-\udfff]")
FORBIDDEN_CHARACTER_MESSAGE = "Control characters (such as NUL) are not allowed; tabs and line breaks are."


def forbidden_character(value: str) -> str | None:
    """The first refused character of `value` (None if there is none)."""
    match = _FORBIDDEN.search(value)
    return match.group() if match else None


def forbidden_character_message(value: str) -> str | None:
    """A message naming the first refused character of `value`, e.g. "... (U+0000 at position 4)"; None if none."""
    match = _FORBIDDEN.search(value)
    if match is None:
        return None
    return f"{FORBIDDEN_CHARACTER_MESSAGE} Found U+{ord(match.group()):04X} at position {match.start() + 1}."


def csv_cell_errors(line: int, row: dict) -> dict[str, list[str]]:
    """Row-numbered errors (`rows.<line>.<column>`) for the cells of one csv.DictReader row that hold a refused
    character. Check the cells as read, before any trimming (str.strip() removes some control characters)."""
    errors = {}
    for column, value in row.items():
        # A column whose name is itself refused is reported once, as a header error.
        if isinstance(column, str) and column and isinstance(value, str) and not forbidden_character(column):
            message = forbidden_character_message(value)
            if message:
                errors[f"rows.{line}.{column}"] = [message]
    return errors


def csv_header_errors(columns: list[str]) -> dict[str, list[str]]:
    """The header line's refused characters, as an error of the file."""
    messages = [f"Line 1 (the header): {m}" for m in map(forbidden_character_message, columns) if m]
    return {"file": messages} if messages else {}
