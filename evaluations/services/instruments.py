"""Instruments: the questionnaire a cycle freezes (competencies, items, questions), versioned once used."""

from __future__ import annotations

from django.db import transaction

from core.access import field_error
from core.audit import audit_record
from core.exceptions import ApplicationError, full_clean_or_raise
from core.vocabulary import COMPETENCIES, COMPETENCY_KEYS

from ..models import Competency, Instrument, Item, Question

DEFAULT_INSTRUMENT_KEY = "peace-officer-leadership-360"

# --- the default instrument --------------------------------------------------------------------------------

DEFAULT_ITEMS = {
    "community_engagement": [
        "Builds relationships with residents and community groups beyond enforcement contacts.",
        "Involves the community in identifying and solving local problems.",
        "Is visible and approachable in the community.",
    ],
    "de_escalation": [
        "Uses time, distance and communication to calm tense situations.",
        "Chooses the least intrusive effective option.",
        "Coaches others to slow situations down.",
    ],
    "cultural_competency": [
        "Treats people of every background with respect.",
        "Adapts their approach to language and cultural differences.",
        "Recognises and addresses bias in themself and the team.",
    ],
    "procedural_justice": [
        "Explains decisions and the reasons for them.",
        "Gives people a voice before deciding.",
        "Treats people with dignity, including when enforcing the law.",
    ],
    "integrity_accountability": [
        "Acts honestly and ethically when nobody is watching.",
        "Owns mistakes and reports problems.",
        "Holds others accountable consistently and fairly.",
    ],
    "communication": [
        "Communicates clearly and in time.",
        "Listens actively and checks understanding.",
        "Keeps the team and partners informed.",
    ],
    "decision_making": [
        "Makes sound decisions under pressure.",
        "Weighs evidence, risks and community impact.",
        "Decides at the right time and explains the trade-offs.",
    ],
    "leadership": [
        "Sets a clear direction and example.",
        "Builds trust and morale in the team.",
        "Delegates and supports people in their work.",
    ],
    "developing_others": [
        "Gives useful, timely feedback.",
        "Creates opportunities for others to learn and grow.",
        "Mentors and coaches colleagues.",
    ],
}
DEFAULT_QUESTIONS = [
    ("What should this person keep doing?", False),
    ("What should this person start or do differently?", False),
    ("Anything else the report should consider?", False),
]


# --- instruments -------------------------------------------------------------------------------------------

def _instrument_content_write(*, instrument: Instrument, competencies: list[dict], questions: list[dict]) -> None:
    errors = {}
    keys = [c["key"] for c in competencies]
    if not competencies:
        errors["competencies"] = "An instrument needs at least one competency."
    for index, spec in enumerate(competencies):
        if spec["key"] not in COMPETENCY_KEYS:
            errors[f"competencies.{index}.key"] = f"Unknown competency {spec['key']!r}."
        elif keys.count(spec["key"]) > 1:
            errors[f"competencies.{index}.key"] = "Each competency appears once."
        if not spec.get("items"):
            errors[f"competencies.{index}.items"] = "A competency needs at least one item."
    if errors:
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={k: [v] for k, v in errors.items()})
    for position, spec in enumerate(competencies):
        competency = Competency.objects.create(instrument=instrument, key=spec["key"], position=position)
        Item.objects.bulk_create([Item(competency=competency, text=text, position=i)
                                  for i, text in enumerate(spec["items"])])
    Question.objects.bulk_create([Question(instrument=instrument, text=q["text"], required=q.get("required", False),
                                           position=i) for i, q in enumerate(questions)])


def instrument_create(*, actor, key: str, title: str, competencies: list[dict], questions: list[dict],
                      description: str = "") -> Instrument:
    with transaction.atomic():
        latest = Instrument.objects.filter(key=key).order_by("-version").first()
        if latest is not None:
            raise field_error("key", "An instrument with this key exists; edit it to make a new version.",
                              code="instrument_exists")
        instrument = full_clean_or_raise(Instrument(key=key, version=1, title=title, description=description))
        instrument.save()
        _instrument_content_write(instrument=instrument, competencies=competencies, questions=questions)
        audit_record(actor=actor, action="evaluation_instrument.created", target=instrument,
                     data={"key": key, "version": 1, "competencies": [c["key"] for c in competencies]})
    return instrument


def instrument_update(*, instrument: Instrument, actor, title: str, competencies: list[dict],
                      questions: list[dict], description: str = "") -> tuple[Instrument, bool]:
    """Replace an instrument's content. Unused: edited in place. Used by a cycle (frozen): a new version is made
    and the old one stays exactly as the cycles that used it saw it. Returns (instrument, created_new_version)."""
    with transaction.atomic():
        # Lock: a cycle freezing this instrument at the same moment must not see half an edit.
        instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
        if instrument.frozen_at is None:
            instrument.title, instrument.description = title, description
            full_clean_or_raise(instrument)
            instrument.save(update_fields=["title", "description"])
            instrument.competencies.all().delete()
            instrument.questions.all().delete()
            _instrument_content_write(instrument=instrument, competencies=competencies, questions=questions)
            audit_record(actor=actor, action="evaluation_instrument.updated", target=instrument,
                         data={"version": instrument.version})
            return instrument, False
        latest_version = Instrument.objects.filter(key=instrument.key).order_by("-version").values_list(
            "version", flat=True).first()
        new = full_clean_or_raise(Instrument(key=instrument.key, version=latest_version + 1, title=title,
                                    description=description))
        new.save()
        _instrument_content_write(instrument=new, competencies=competencies, questions=questions)
        audit_record(actor=actor, action="evaluation_instrument.versioned", target=new,
                     data={"from_instrument": instrument.pk, "version": new.version})
        return new, True


def instrument_default_ensure(*, actor="evaluations-setup") -> tuple[Instrument, bool]:
    """The default instrument (the programme's competencies); created if missing. Returns (instrument, created)."""
    existing = Instrument.objects.filter(key=DEFAULT_INSTRUMENT_KEY).order_by("-version").first()
    if existing is not None:
        return existing, False
    instrument = instrument_create(
        actor=actor, key=DEFAULT_INSTRUMENT_KEY, title="Peace Officer leadership 360",
        description="The programme's default 360 instrument: nine competencies, three behaviours each.",
        competencies=[{"key": key, "items": DEFAULT_ITEMS[key]} for key, _ in COMPETENCIES],
        questions=[{"text": text, "required": required} for text, required in DEFAULT_QUESTIONS],
    )
    return instrument, True


def instrument_default() -> Instrument:
    return instrument_default_ensure()[0]


def instrument_structure(instrument: Instrument) -> tuple[dict[int, Item], dict[int, Question]]:
    items = {i.pk: i for i in Item.objects.filter(competency__instrument=instrument)}
    questions = {q.pk: q for q in instrument.questions.all()}
    return items, questions
