"""Removing personal data from free text before it is shown in a report or sent to a language model.

Known names (the subject's and every invited rater's) are replaced wherever they occur, whole words and case
insensitive; e-mail addresses, phone numbers and badge / licence numbers are found by pattern. Over-redaction (a
rater called "Will" removes the word "will") is accepted: a lost word costs less than an identified rater.
"""

import re

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(
    r"(?<!\w)(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?!\w)"
    r"|(?<!\w)\d{3}[-.]\d{4}(?!\w)"
)
# "badge 4411", "badge #4411", "licence no. CA-100201", "star number 12", "ID 5521" and bare licence-like codes
# such as CA-100201 or OH-550101.
BADGE_RE = re.compile(
    r"\b(?:badge|shield|star|licen[cs]e|license|serial|employee|id)\s*(?:no\.?|number|num|#)?\s*[:#]?\s*"
    r"(?=[A-Z-]*\d)[A-Z0-9][A-Z0-9-]*\b"
    r"|\b[A-Z]{2}-\d{3,}\b"
    r"|#\s?\d{3,}\b",
    re.IGNORECASE,
)

NAME = "[name]"
EMAIL = "[email]"
PHONE = "[phone]"
BADGE = "[badge]"


def name_parts(names: list[str]) -> list[str]:
    """Full names and their parts of two letters or more, longest first (so "Ann Lee" goes before "Ann")."""
    parts = set()
    for name in names:
        cleaned = " ".join(name.split())
        if len(cleaned) >= 2:
            parts.add(cleaned)
        for word in re.split(r"[\s,]+", cleaned):
            word = word.strip(".'\"()")
            if len(word) >= 2:
                parts.add(word)
    return sorted(parts, key=lambda p: (-len(p), p.lower()))


def _names_re(names: list[str]) -> re.Pattern | None:
    parts = name_parts(names)
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in parts) + r")(?!\w)", re.IGNORECASE)


def redact(text: str, *, names: list[str]) -> str:
    text = EMAIL_RE.sub(EMAIL, text)
    text = BADGE_RE.sub(BADGE, text)
    text = PHONE_RE.sub(PHONE, text)
    pattern = _names_re(names)
    if pattern is not None:
        text = pattern.sub(NAME, text)
    return text


def personal_data_found(text: str, *, names: list[str]) -> list[str]:
    """What kinds of personal data remain in `text` (used to reject a model's output)."""
    found = []
    if EMAIL_RE.search(text):
        found.append("email")
    if PHONE_RE.search(text):
        found.append("phone")
    if BADGE_RE.search(text):
        found.append("badge")
    # Output check: full names and surnames/first names of three letters or more, so that ordinary two-letter words
    # in a narrative do not reject it.
    pattern = _names_re([p for p in name_parts(names) if len(p) >= 3])
    if pattern is not None and pattern.search(text):
        found.append("name")
    return found
