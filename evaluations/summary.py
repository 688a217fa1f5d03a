"""The summary's structure (one schema for both writers) and the built-in deterministic summariser.

The language model (evaluations/llm.py) and the built-in summariser produce the same structure: strengths and
development areas (each a competency with a sentence and the ids of the comments that support it), themes (title,
sentence, comment ids) and a narrative. Neither writes the readiness band or eligibility: those come from
`scoring` and the eligibility gates.
"""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.vocabulary import COMPETENCIES, COMPETENCY_KEYS

from .models import Relationship
from .redaction import personal_data_found
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
    """The output does not satisfy the schema or the rules; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def summary_json_schema() -> dict:
    return SummaryOutput.model_json_schema()


def summary_validate(raw: str | dict, *, comment_ids: set[str], names: list[str]) -> dict:
    """Parse and check a summary: the schema, known competencies, cited comment ids that exist, no personal data."""
    try:
        parsed = SummaryOutput.model_validate(raw) if isinstance(raw, dict) else \
            SummaryOutput.model_validate_json(raw)
    except ValidationError as exc:
        raise SummaryRejected(f"schema: {exc.error_count()} error(s), first: {exc.errors()[0]['msg']}") from exc
    data = parsed.model_dump()
    for section in ("strengths", "development_areas"):
        unknown = [p["competency"] for p in data[section] if p["competency"] not in COMPETENCY_KEYS]
        if unknown:
            raise SummaryRejected(f"unknown competency in {section}: {', '.join(unknown)}")
    cited = [cid for section in ("strengths", "development_areas", "themes") for p in data[section]
             for cid in p["comment_ids"]]
    unknown_ids = sorted(set(cited) - comment_ids)
    if unknown_ids:
        raise SummaryRejected(f"cites unknown comment ids: {', '.join(unknown_ids[:10])}")
    found = personal_data_found(json.dumps(data, ensure_ascii=False), names=names)
    if found:
        raise SummaryRejected(f"personal data in the output: {', '.join(found)}")
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
    strengths = []
    for c in [c for c in by_mean if c["others"]["mean"] >= 3.5][:3]:
        text = f"Others rate {c['label'].lower()} at {c['others']['mean']:.2f} of 5"
        if c["flag"] == "hidden_strength":
            text += f", higher than the self-rating ({c['self']:.2f}): a hidden strength"
        strengths.append({"competency": c["key"], "summary": text + ".",
                          "comment_ids": _supporting(comments, c["key"])})
    development = []
    areas = development_areas_compute(content)
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
