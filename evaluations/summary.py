"""The summary's structure (one schema for both writers) and the built-in deterministic summariser.

The language model (evaluations/llm.py) and the built-in summariser produce the same structure: strengths and
development areas (each a competency with a sentence and the ids of the comments that support it), themes (title,
sentence, comment ids) and a narrative. Neither writes the readiness band or eligibility: those come from
`scoring` and the eligibility gates.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.vocabulary import COMPETENCIES, COMPETENCY_KEYS

from .models import Relationship
from .redaction import personal_data_finds
from .scoring import development_areas_compute

BUILTIN_VERSION = "builtin-v1"
BUILTIN_MODEL = "builtin-deterministic"

ShortText = Annotated[str, Field(min_length=1, max_length=600)]
CommentIds = Annotated[list[Annotated[str, Field(max_length=12)]], Field(max_length=20)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SummaryPoint(_Strict):
    competency: str
    summary: ShortText
    comment_ids: CommentIds


class SummaryTheme(_Strict):
    title: Annotated[str, Field(min_length=1, max_length=120)]
    summary: ShortText
    comment_ids: CommentIds


class SummaryOutput(_Strict):
    strengths: Annotated[list[SummaryPoint], Field(max_length=9)]
    development_areas: Annotated[list[SummaryPoint], Field(max_length=9)]
    themes: Annotated[list[SummaryTheme], Field(max_length=10)]
    narrative: Annotated[str, Field(min_length=1, max_length=4000)]


class SummaryRejected(Exception):
    """The output does not satisfy the schema or the rules. `category` is a stable word and `count` how many finds:
    neither carries any of the rejected text (a rejected answer may hold exactly what must not be stored)."""

    def __init__(self, category: str, count: int = 1):
        super().__init__(category)
        self.category = category
        self.count = count
        self.reason = f"{category} ({count})"


def summary_json_schema(competency_keys: list[str] | None = None) -> dict:
    """The schema sent to the model, inside OpenAI's strict structured-output subset: every object closed
    (`additionalProperties: false`) with every property required, no string length, pattern or format keywords, no
    array bounds, the competency an `enum` of the instrument's keys. Lengths and counts are checked here
    (`SummaryOutput`) after the answer arrives; tests/evaluations/test_llm.py checks the schema against the rules."""
    keys = list(competency_keys or COMPETENCY_KEYS)
    ids = {"type": "array", "items": {"type": "string"},
           "description": "Ids of the supporting comments, e.g. \"c3\"; only ids present in the data."}
    point = {"type": "object", "additionalProperties": False, "required": ["competency", "summary", "comment_ids"],
             "properties": {"competency": {"type": "string", "enum": keys},
                            "summary": {"type": "string", "description": "One or two sentences, at most 600 "
                                                                          "characters."},
                            "comment_ids": ids}}
    theme = {"type": "object", "additionalProperties": False, "required": ["title", "summary", "comment_ids"],
             "properties": {"title": {"type": "string", "description": "At most 120 characters."},
                            "summary": {"type": "string", "description": "At most 600 characters."},
                            "comment_ids": ids}}
    return {"type": "object", "additionalProperties": False,
            "required": ["strengths", "development_areas", "themes", "narrative"],
            "properties": {"strengths": {"type": "array", "items": point},
                           "development_areas": {"type": "array", "items": point},
                           "themes": {"type": "array", "items": theme},
                           "narrative": {"type": "string", "description": "At most 250 words."}}}


# Claims the model (or an edit) must not make: the readiness band and eligibility come from rules and people.
CLAIM_RE = re.compile(
    r"(?i:\bready[\s-]+(?:now|for|to|in)\b|\bpromot(?:e|ed|es|ing|ion|able|ability)\b|\breadiness\b|\beligib"
    r"|\bdevelopment[\s-]+needed\b|\b(?:the\s+)?scores?\s+(?:are|is|were|was)\s+(?:wrong|incorrect|false|corrupt)"
    r"|\bnot\s+ready\b|\brecommend\w*\s+(?:him|her|them|the\s+candidate|this\s+candidate)?\s*for\b"
    r"|\bband\b|\bhire\b|\bappoint)"
)
_SECTIONS = ("strengths", "development_areas", "themes")


def _texts(data: dict) -> list[str]:
    out = [data["narrative"]]
    for section in _SECTIONS:
        for point in data[section]:
            out += [point.get("summary", ""), point.get("title", "")]
    return [t for t in out if t]


def summary_check_text(data: dict, *, names: list[str], roster: list[str] = ()) -> None:
    """The rules on the words: no personal data, no links, no readiness / promotion / eligibility claims."""
    texts = _texts(data)
    finds = [kind for t in texts for kind in personal_data_finds(t, names=names, roster=roster)]
    personal = [kind for kind in finds if kind != "link"]
    if personal:
        raise SummaryRejected("personal_data", len(personal))
    if "link" in finds:
        raise SummaryRejected("link", finds.count("link"))
    claims = sum(len(CLAIM_RE.findall(t)) for t in texts)
    if claims:
        raise SummaryRejected("readiness_claim", claims)


def summary_validate(raw: str | dict, *, comment_ids: set[str], names: list[str], roster: list[str] = (),
                     competency_keys: list[str] | None = None, development_areas: list[str] = ()) -> dict:
    """Parse and check a summary: the schema and lengths, the instrument's competencies, cited comment ids that
    exist, a competency never both a strength and a development area (nor a strength that the scoring rule made a
    development area), and the rules on the words (`summary_check_text`)."""
    try:
        parsed = SummaryOutput.model_validate(raw) if isinstance(raw, dict) else \
            SummaryOutput.model_validate_json(raw)
    except ValidationError as exc:
        raise SummaryRejected("schema", exc.error_count()) from exc
    data = parsed.model_dump()
    allowed = set(competency_keys or COMPETENCY_KEYS)
    unknown = [p for section in ("strengths", "development_areas") for p in data[section]
               if p["competency"] not in allowed]
    if unknown:
        raise SummaryRejected("unknown_competency", len(unknown))
    cited = [cid for section in _SECTIONS for p in data[section] for cid in p["comment_ids"]]
    unknown_ids = set(cited) - comment_ids
    if unknown_ids:
        raise SummaryRejected("unknown_comment_id", len(unknown_ids))
    summary_check_text(data, names=names, roster=roster)
    strengths = [p["competency"] for p in data["strengths"]]
    weaknesses = {p["competency"] for p in data["development_areas"]} | set(development_areas)
    both = [k for k in strengths if k in weaknesses]
    if both or len(set(strengths)) != len(strengths):
        raise SummaryRejected("strength_and_development_area", len(both) or 1)
    return data


# --- the built-in summariser ---------------------------------------------------------------------------------

# Words that tie a comment to a competency, for citing supporting comments without a model.
_KEYWORDS = {
    "community_engagement": ("community", "resident", "neighbo", "outreach", "public", "youth"),
    "de_escalation": ("de-escalat", "deescalat", "calm", "tension", "conflict", "force", "patien"),
    "cultural_competency": ("cultur", "language", "divers", "respect", "bias", "inclus"),
    "procedural_justice": ("fair", "explain", "voice", "dignity", "procedur", "transparen"),
    "integrity_accountability": ("integrity", "honest", "accountab", "owns", "ethic", "trust"),
    "communication": ("communicat", "listen", "clear", "explain", "inform", "brief"),
    "decision_making": ("decision", "decide", "judgment", "judgement", "prioriti", "plan"),
    "leadership": ("lead", "vision", "team", "example", "morale", "delegat"),
    "developing_others": ("mentor", "coach", "develop", "train", "feedback", "grow"),
}
_LABELS = dict(COMPETENCIES)


def _supporting(comments: list[dict], key: str, limit: int = 3) -> list[str]:
    words = _KEYWORDS.get(key, ())
    return [c["id"] for c in comments if any(w in c["text"].lower() for w in words)][:limit]


def builtin_summarise(content: dict) -> dict:
    """A summary from the scores and the (already anonymised and redacted) comments. Deterministic."""
    comments = content["comments"]
    rated = [c for c in content["competencies"] if c["others"]]
    by_mean = sorted(rated, key=lambda c: (-c["others"]["mean"], c["key"]))
    areas = development_areas_compute(content)
    strengths = []
    # A competency is never both: a development area (e.g. a blind spot rated 3.8) is not listed as a strength.
    for c in [c for c in by_mean if c["others"]["mean"] >= 3.5 and c["key"] not in areas][:3]:
        text = f"Others rate {c['label'].lower()} at {c['others']['mean']:.2f} of 5"
        if c["flag"] == "hidden_strength":
            text += f", higher than the self-rating ({c['self']:.2f}): a hidden strength"
        strengths.append({"competency": c["key"], "summary": text + ".",
                          "comment_ids": _supporting(comments, c["key"])})
    development = []
    by_key = {c["key"]: c for c in rated}
    for key in areas[:3]:
        c = by_key[key]
        text = f"Others rate {c['label'].lower()} at {c['others']['mean']:.2f} of 5"
        if c["flag"] == "blind_spot":
            text += f", below the self-rating ({c['self']:.2f}): a blind spot"
        development.append({"competency": key, "summary": text + ".", "comment_ids": _supporting(comments, key)})
    themes = []
    questions: dict[str, list[dict]] = {}
    for comment in comments:
        questions.setdefault(comment["question"], []).append(comment)
    for question, answers in questions.items():
        groups = sorted({_group_label(a["group"]) for a in answers})
        themes.append({"title": question[:120],
                       "summary": f"{len(answers)} comment(s) from: {', '.join(groups)}.",
                       "comment_ids": [a["id"] for a in answers[:5]]})
    return {"strengths": strengths, "development_areas": development, "themes": themes,
            "narrative": _narrative(content, by_mean)}


def _group_label(value: str) -> str:
    return str(Relationship(value).label)


def _narrative(content: dict, by_mean: list[dict]) -> str:
    if not by_mean:
        return ("Too few responses passed the anonymity threshold to describe how others see this candidate; "
                "no group other than the candidate's own rating can be shown.")
    parts = [
        f"Across {len(by_mean)} competencies, others' ratings average {content['overall_others_mean']:.2f} on the "
        f"1-5 scale."
    ]
    top = ", ".join(f"{c['label'].lower()} ({c['others']['mean']:.2f})" for c in by_mean[:2])
    bottom = ", ".join(f"{c['label'].lower()} ({c['others']['mean']:.2f})" for c in by_mean[-2:][::-1])
    parts.append(f"The highest-rated competencies are {top}; the lowest are {bottom}.")
    if content["blind_spots"]:
        parts.append("The candidate rates themself notably higher than others do in "
                     + ", ".join(_LABELS[k].lower() for k in content["blind_spots"]) + ".")
    if content["hidden_strengths"]:
        parts.append("Others rate the candidate notably higher than the candidate does in "
                     + ", ".join(_LABELS[k].lower() for k in content["hidden_strengths"]) + ".")
    if content["comments"]:
        parts.append(f"{len(content['comments'])} written comment(s) from the groups shown are summarised as "
                     "themes below.")
    parts.append("Written by the built-in deterministic summariser from the scores and comments.")
    return " ".join(parts)
