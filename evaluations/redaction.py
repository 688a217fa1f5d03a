"""Removing personal data from free text before it is stored in a report, sent to a language model or sorted.

What is found, and how (every detector runs on the original text; overlapping finds are merged, then replaced):

- e-mail addresses and links (pattern) -> [email], [link];
- phone numbers: Google libphonenumber's matcher (`phonenumbers`, data shipped in the wheel), plus 7-digit local
  numbers -> [phone];
- badge, licence, employee, plate and other id numbers in any phrasing ("her badge number is 2231", "badge numbers
  of my team: 4411, 4412", "licence no. CA-100201", "#4411", bare CA-100201 / D1234567 codes, any number of five
  digits or more) -> [badge]; a comment reference such as "comment id c9999" is not an id of a person;
- street addresses ("17 Oak Avenue", "Elm Street 42", "42nd Street", "Apt 4B", "P.O. Box 12", "lives on ...")
  -> [address];
- ages and dates of birth ("34 years old", "aged 34", "born 3 May 1980", "DOB 05/03/1980"), and any full date
  -> [age], [date];
- personal names: (a) everyone known to the cycle: the subject and every invited rater (every part of their name,
  any case) and every officer on the sponsoring agency's roster (every part, when written with a capital); (b) a
  rank or courtesy title followed by a name ("Capt. Lee", "Officer T. Nguyen", "Sgt Brooks"); (c) a name after a
  cue ("written by Brooks", "Reviewer = ...", "attribute this to ...", "my name is ..."); (d) two or more
  capitalised words in a row that are not common vocabulary ("Dana Wolfe") -> [name].

No library here recognises names or addresses in running text without a language model (presidio needs a spaCy
model that is not on the package index; usaddress and probablepeople parse a string already known to be an address
or a name and label ordinary sentences as street names), so (b)-(d) and addresses are patterns. Over-redaction is
accepted: a lost word costs less than an identified rater.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers

NAME = "[name]"
EMAIL = "[email]"
PHONE = "[phone]"
BADGE = "[badge]"
ADDRESS = "[address]"
AGE = "[age]"
DATE = "[date]"
LINK = "[link]"

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LINK_RE = re.compile(
    r"(?i:\b(?:https?|ftp)://\S+|\bwww\.\S+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|gov|edu|mil|io|info|biz|us|co|uk|ly|me|app|dev|example)"
    r"\b(?:/\S*)?)"
)
LOCAL_PHONE_RE = re.compile(r"(?<![\w-])\d{3}[-.\s]\d{4}(?![\w-])")

# A word that can be part of a person's name: capitalised (O'Brien, McKay, Anne-Marie, Ñúñez) or an initial ("T.").
_NAMEWORD = (r"(?:[A-Z\u00C0-\u00DE][a-z\u00DF-\u00FF]+(?:['\u2019-][A-Za-z\u00C0-\u00FF][a-z\u00DF-\u00FF]+)*"
             r"|(?:Mc|Mac|O['\u2019])[A-Z][a-z]+|[A-Z]\.)")
_NAME_SEQ = rf"{_NAMEWORD}(?:\s+{_NAMEWORD}){{0,2}}"
_TITLES = (
    r"officer|ofc|patrolman|patrolwoman|sergeant|sgt|lieutenant|lt|captain|capt|cpt|detective|det|chief|deputy|dep"
    r"|corporal|cpl|commander|cmdr|major|maj|colonel|col|inspector|insp|superintendent|supt|trooper|tpr|sheriff"
    r"|undersheriff|marshal|agent|constable|investigator|inv|dr|mr|mrs|ms|miss|mx|prof|professor|sister|father"
    r"|pastor|rev|reverend|councilman|councilwoman|councillor|councilor|mayor|judge|commissioner|director|sir"
    r"|madam|dame"
)
TITLE_NAME_RE = re.compile(rf"(?i:\b(?:{_TITLES})\b\.?)(?:\s+(?i:(?:{_TITLES})\b\.?))*\s+(?P<name>{_NAME_SEQ})")
_CUES = (
    r"\b(?:written|signed|submitted|sent|posted|reported|authored|filed|prepared|entered|completed|said|told)\s+by"
    r"|\b(?:reviewer|rater|author|respondent|name|names|signed|signature|contact|regards|sincerely|thanks|cc|from)"
    r"\s*[:=,\-]"
    r"|\bfrom|\bmy\s+name\s+is|\bname\s+is|\bi\s+am|\bi'm|\bthis\s+is|\bask|\btell|\bcall|\bnamed|\bcalled"
    r"|\bwith|\bby|\battribut\w*\b[^.\n]{0,40}?\bto"
)
CUE_NAME_RE = re.compile(rf"(?i:{_CUES})\s*(?P<name>{_NAME_SEQ})")
NAME_RUN_RE = re.compile(rf"{_NAMEWORD}(?:\s+{_NAMEWORD})+")

# Capitalised words that are not names: they break a run of capitalised words (d) and are not a name after a cue.
_COMMON = frozenset("""
i a an the this that these those he she they we you it his her hers their our your my me him them us its who
what when where why how which whoever and or but if then so also as at by for from in into of on to with not no
yes all any every each some many most more less very just only still even ever never always please thanks thank
ignore disregard forget print output return repeat reveal list add insert set rate mark stop treat pretend
translate summarise summarize include respond answer write tell ask call new system assistant user developer
instruction instructions note policy official override end start keep do does did done is are was were be been
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september
october november december today tomorrow yesterday
police department dept county city state office unit division academy program programme training street avenue road
community engagement de-escalation deescalation cultural competency procedural justice integrity accountability
communication decision making leadership developing others self supervisor peer peers direct report reports
ready now development needed promote promotion eligible eligibility band readiness scores score json ai model
great good excellent strong weak poor calm honest fair clear
""".split())  # noqa: SIM905 - a word list reads better as text
_TITLE_WORDS = set(_TITLES.split("|"))

_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Ter|Way|Circle|Cir"
    r"|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Crescent|Close|Row|Plaza|Loop|Pike|Route|Rte|Walk|Path"
    r"|Heights|Gardens|Grove|Mews"
)
_STREET_WORD = r"(?:[A-Z][a-z'\u2019.-]*|\d+(?:st|nd|rd|th))"
ADDRESS_RES = [re.compile(pattern) for pattern in (
    # 17 Oak Avenue, 1200 W Main St, 221B Baker Street (optionally with "Apt 4")
    rf"\b\d{{1,6}}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:{_STREET_WORD}\s+){{1,4}}(?:{_STREET_TYPES})\b\.?"
    rf"(?:,?\s+(?i:apt|apartment|unit|suite|ste|#)\.?\s*\w+)?",
    # Elm Street 42, 42nd Street, Main St.
    rf"\b(?:{_STREET_WORD}\s+){{1,3}}(?:{_STREET_TYPES})\b\.?(?:\s+\d{{1,6}}[A-Za-z]?\b)?",
    r"(?i:\b(?:apt|apartment|unit|suite)\.?\s*#?\s*\d+[a-z]?\b|\bp\.?\s?o\.?\s+box\s+\d+)",
    # "lives on/at/in/near X Y 12"
    rf"(?i:\b(?:lives|living|resides|residing|home\s+is|house\s+is|moved)\s+(?:on|at|in|near|to)\s+)"
    rf"(?P<place>(?:the\s+)?(?:\d{{1,6}}[A-Za-z]?\s+)?{_STREET_WORD}(?:\s+{_STREET_WORD}){{0,3}}(?:\s+\d{{1,6}}[A-Za-z]?\b)?)",
)]

_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
           r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_DATE = (rf"(?:\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{1,4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}"
         rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})")
DATE_RE = re.compile(rf"(?i:\b{_DATE}\b)")
DOB_RE = re.compile(
    rf"(?i:\b(?:born|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday)\b[\s:,=-]*(?:on|in|is|was)?\s*"
    rf"(?:{_DATE}|\d{{4}}|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})))"
)
AGE_RE = re.compile(
    r"(?i:\b\d{1,3}\s*(?:-|\s)?\s*(?:years?|yrs?)[\s-]*(?:old|of\s+age)\b|\b\d{1,3}-year-old\b"
    r"|\b(?:aged?|age\s*[:=]|age\s+is|age\s+of)\s*\d{1,3}\b|\b\d{1,3}\s*(?:yo|y/o|y\.o\.)(?!\w))"
)

_ID_CUES = (r"badge|shield|star|licen[cs]es?|permits?|serial|employee|personnel|payroll|registration|plates?|tags?"
            r"|dl|id|ids|identification|ssn|social\s+security|call\s*sign|callsign")
_ID_FILLER = (r"(?:numbers?|nos?\.?|num|nr|#|is|was|are|were|of|my|his|her|their|our|team|the|reads|read|ending"
              r"|in|shows|showed|says|said|[:=,-])")
_ID_VALUE = r"#?(?=[A-Za-z-]*\d)[A-Za-z0-9][A-Za-z0-9-]*"
BADGE_CUE_RE = re.compile(
    rf"(?i:\b(?P<cue>{_ID_CUES})\b)(?:\s*(?i:{_ID_FILLER}))*\s*"
    rf"(?P<values>{_ID_VALUE}(?:\s*(?:,|and|&|/|;)\s*{_ID_VALUE})*)"
)
BADGE_CODE_RE = re.compile(r"\b[A-Z]{1,3}-?\d{4,}\b|#\s?\d{3,}\b|\b\d{5,}\b")
COMMENT_REF_RE = re.compile(r"c\d+$")


_WORD_RE = re.compile(r"[^\W\d_](?:[\w'\u2019-]*\w)?")


def _parts_set(names: Iterable[str], *, min_len: int = 2) -> frozenset[str]:
    out = set()
    for name in names:
        for word in _WORD_RE.findall(name or ""):
            for piece in re.split(r"['\u2019-]", word) + [word]:
                if len(piece) >= min_len:
                    out.add(piece.lower())
    return frozenset(out)


class Redactor:
    """Built once per cycle (the roster can hold thousands of names), then applied to every comment."""

    def __init__(self, *, names: Iterable[str] = (), roster: Iterable[str] = (), min_name_len: int = 2):
        self.sensitive = _parts_set(names, min_len=min_name_len)
        self.roster = _parts_set(roster, min_len=max(min_name_len, 2)) - self.sensitive

    # --- detectors: each yields (start, end, placeholder) ----------------------------------------------------

    def _known_names(self, text: str):
        for match in _WORD_RE.finditer(text):
            word = match.group(0)
            pieces = [word.lower()] + [p.lower() for p in re.split(r"['\u2019-]", word) if p]
            if any(p in self.sensitive for p in pieces):
                yield match.start(), match.end(), NAME
            elif word[0].isupper() and any(p in self.roster for p in pieces):
                # Also at the start of a sentence ("Okafor backed her up"): "Will he ..." becomes "[name] he ...",
                # a lost word rather than a named colleague.
                yield match.start(), match.end(), NAME

    @staticmethod
    def _name_groups(text: str, *, generic: bool):
        for match in TITLE_NAME_RE.finditer(text):
            yield match.start(), match.end(), NAME
        for match in CUE_NAME_RE.finditer(text):
            start, end = _trim_common(text, match.start("name"), match.end("name"))
            if start < end:
                yield start, end, NAME
        if generic:
            for match in NAME_RUN_RE.finditer(text):
                yield from _runs_of_uncommon(text, match.start(), match.end())

    @staticmethod
    def _ids(text: str):
        for match in BADGE_CUE_RE.finditer(text):
            cue = match.group("cue").lower()
            before = text[max(0, match.start() - 12):match.start()].lower()
            if cue in ("id", "ids") and re.search(r"comments?\s*$", before):
                continue
            values = match.group("values")
            if cue in ("id", "ids", "star") and all(
                    COMMENT_REF_RE.match(v.strip("#")) or not re.search(r"\d", v)
                    for v in re.split(r"\s*(?:,|and|&|/|;)\s*", values)):
                continue
            for value in re.finditer(_ID_VALUE, values):
                yield match.start("values") + value.start(), match.start("values") + value.end(), BADGE
        for match in BADGE_CODE_RE.finditer(text):
            yield match.start(), match.end(), BADGE

    @staticmethod
    def _phones(text: str):
        try:
            for match in phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE,
                                                         max_tries=200):
                yield match.start, match.end, PHONE
        except Exception:  # noqa: BLE001 - a library failure must not let a comment through unredacted
            yield 0, len(text), PHONE
        for match in LOCAL_PHONE_RE.finditer(text):
            yield match.start(), match.end(), PHONE

    def spans(self, text: str, *, generic_names: bool = True, dates: bool = True) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        found += [(m.start(), m.end(), EMAIL) for m in EMAIL_RE.finditer(text)]
        found += [(m.start(), m.end(), LINK) for m in LINK_RE.finditer(text)]
        found += [(m.start(), m.end(), AGE) for m in AGE_RE.finditer(text)]
        found += [(m.start(), m.end(), DATE) for m in DOB_RE.finditer(text)]
        if dates:
            found += [(m.start(), m.end(), DATE) for m in DATE_RE.finditer(text)]
        found += [(m.start("place") if "place" in pattern.groupindex else m.start(), m.end(), ADDRESS)
                  for pattern in ADDRESS_RES for m in pattern.finditer(text)]
        found += list(self._phones(text))
        found += list(self._ids(text))
        found += list(self._name_groups(text, generic=generic_names))
        found += list(self._known_names(text))
        return _merge(found)

    def redact(self, text: str) -> str:
        # Invisible and direction-changing characters could split a name so no detector sees it.
        text = _INVISIBLE_RE.sub("", text)
        out, last = [], 0
        for start, end, label in self.spans(text):
            out.append(text[last:start])
            out.append(label)
            last = end
        out.append(text[last:])
        return "".join(out)

    def finds(self, text: str) -> list[str]:
        """Each find in `text`, by kind (to reject a model's or a reviewer's text). Generic runs of capitalised
        words and plain dates are not counted here: a narrative may name a competency or a month."""
        text = _INVISIBLE_RE.sub("", text)
        return [label.strip("[]") for _, _, label in self.spans(text, generic_names=False, dates=False)]

    def kinds(self, text: str) -> list[str]:
        return sorted(set(self.finds(text)))


_INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _trim_common(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop common words from the front of a name found after a cue ("by The team" is not a name)."""
    for word in re.finditer(r"\S+", text[start:end]):
        token = word.group(0).strip(".").lower()
        if token and token not in _COMMON and token not in _TITLE_WORDS:
            return start + word.start(), end
    return end, end


def _runs_of_uncommon(text: str, start: int, end: int):
    run_start = run_end = None
    count = 0
    for word in re.finditer(r"\S+", text[start:end]):
        token = word.group(0).strip(".").lower()
        if token in _COMMON or token in _TITLE_WORDS:
            if count >= 2:
                yield run_start, run_end, NAME
            run_start, count = None, 0
            continue
        if run_start is None:
            run_start = start + word.start()
        run_end = start + word.end()
        count += 1
    if count >= 2:
        yield run_start, run_end, NAME


_PRIORITY = {EMAIL: 0, LINK: 1, PHONE: 2, DATE: 3, AGE: 4, ADDRESS: 5, BADGE: 6, NAME: 7}


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[list] = []
    # The more specific label wins where two finds start together (a phone number in a list of ids).
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1], _PRIORITY.get(s[2], 9))):
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
            continue
        merged.append([start, end, label])
    return [tuple(s) for s in merged]


@lru_cache(maxsize=8)
def _redactor_cached(names: tuple[str, ...], roster: tuple[str, ...], min_name_len: int) -> Redactor:
    return Redactor(names=names, roster=roster, min_name_len=min_name_len)


def redact(text: str, *, names: Iterable[str], roster: Iterable[str] = ()) -> str:
    return _redactor_cached(tuple(names), tuple(roster), 2).redact(text)


def personal_data_found(text: str, *, names: Iterable[str], roster: Iterable[str] = ()) -> list[str]:
    """What kinds of personal data remain in `text` (used to reject a model's or a reviewer's text). Known names
    count from three letters on, so that ordinary two-letter words in a narrative do not reject it."""
    return _redactor_cached(tuple(names), tuple(roster), 3).kinds(text)


def personal_data_finds(text: str, *, names: Iterable[str], roster: Iterable[str] = ()) -> list[str]:
    """Every find in `text` by kind ("name", "email", "link", ...), as `personal_data_found` counts them."""
    return _redactor_cached(tuple(names), tuple(roster), 3).finds(text)
