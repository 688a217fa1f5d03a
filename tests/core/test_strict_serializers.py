"""Strict JSON types live in the project's own serializers (core.serializers), not in a process-wide patch of DRF:
every project serializer takes text, booleans and integers only as JSON strings, booleans and integers, and DRF's
own fields (and third-party serializers built on them) behave exactly as DRF documents."""

import importlib

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers

from core.serializers import STRICT_FIELDS, StrictCharField, StrictModelSerializer, StrictSerializer

PROJECT_APPS = ("core", "agencies", "training", "certification", "evaluations", "coaching")


# --- DRF itself is untouched ----------------------------------------------------------------------------------

class PlainDrfSerializer(serializers.Serializer):  # deliberately DRF's own classes: the process is not patched
    name = serializers.CharField()
    active = serializers.BooleanField()
    count = serializers.IntegerField()


def test_a_plain_drf_char_field_still_turns_a_number_into_a_string():
    assert serializers.CharField().run_validation(5) == "5"


def test_a_plain_drf_serializer_keeps_drf_coercion_in_json():
    serializer = PlainDrfSerializer(data={"name": 5, "active": 1, "count": "7"})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"name": "5", "active": True, "count": 7}


def test_drf_classes_are_not_replaced_by_the_project():
    # The old start-up patch swapped these methods on DRF's classes for every serializer in the process.
    assert serializers.CharField.to_internal_value.__module__ == "rest_framework.fields"
    assert serializers.BooleanField.to_internal_value.__module__ == "rest_framework.fields"
    assert serializers.IntegerField.to_internal_value.__module__ == "rest_framework.fields"


# --- the project's fields are strict ------------------------------------------------------------------------

class StrictExample(StrictSerializer):
    name = StrictCharField()


def test_a_strict_serializer_refuses_a_number_for_text():
    serializer = StrictExample(data={"name": 5})
    assert not serializer.is_valid()
    assert serializer.errors["name"] == ["Not a valid string."]


def test_a_strict_serializer_refuses_control_characters():
    serializer = StrictExample(data={"name": "a\x00b"})
    assert not serializer.is_valid()
    assert "Control characters" in serializer.errors["name"][0]


def test_a_strict_model_serializer_builds_strict_fields():
    from agencies.models import Agency

    class AgencyExample(StrictModelSerializer):
        class Meta:
            model = Agency
            fields = ["name", "sworn_headcount"]

    fields = AgencyExample().fields
    assert type(fields["name"]) is STRICT_FIELDS[serializers.CharField]
    assert type(fields["sworn_headcount"]) is STRICT_FIELDS[serializers.IntegerField]
    serializer = AgencyExample(data={"name": 5, "sworn_headcount": "5"})
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"name", "sworn_headcount"}


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"username": 5, "password": "x"}, {"username": "staff", "password": 12345678}])
def test_the_token_endpoint_refuses_non_string_credentials(anon_client, body):
    response = anon_client.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()["fields"]) == {next(k for k, v in body.items() if not isinstance(v, str))}


# --- every project serializer follows the rule --------------------------------------------------------------

def _project_serializers() -> list[type]:
    _import_every_view(get_resolver())
    found, todo = set(), [serializers.BaseSerializer]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS:
                found.add(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _import_every_view(resolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            _import_every_view(pattern)
        elif isinstance(pattern, URLPattern):
            importlib.import_module(pattern.callback.__module__)


def _loose_fields(field, path: str) -> list[str]:
    """Writable fields under `field` that are DRF's lenient classes instead of the strict ones."""
    if getattr(field, "read_only", False):
        return []
    if isinstance(field, serializers.ListSerializer):
        return _loose_fields(field.child, path + "[]")
    if isinstance(field, serializers.Serializer):
        return [name for key, sub in field.fields.items() for name in _loose_fields(sub, f"{path}.{key}")]
    if isinstance(field, serializers.ListField | serializers.DictField):
        return _loose_fields(field.child, path + "[]")
    lenient = isinstance(field, tuple(STRICT_FIELDS)) and not isinstance(field, tuple(STRICT_FIELDS.values()))
    return [path] if lenient else []


def test_every_project_serializer_uses_strict_bases_and_fields():
    loose = []
    for cls in _project_serializers():
        name = f"{cls.__module__}.{cls.__qualname__}"
        if "<locals>" in name or cls.__module__.startswith("core.serializers"):
            continue
        try:
            instance = cls()
        except Exception:  # a serializer that needs arguments: check its declared fields
            fields = dict(cls._declared_fields)
        else:
            fields = dict(instance.fields)
        # simplejwt's serializers are subclassed (agencies.auth) only to make their fields strict.
        third_party_base = cls.__module__ == "agencies.auth"
        if (issubclass(cls, serializers.Serializer) and not third_party_base
                and not issubclass(cls, StrictSerializer | StrictModelSerializer)):
            loose.append(f"{name}: base class")
        loose += [f"{name}{path}" for key, field in fields.items() for path in _loose_fields(field, f".{key}")]
    assert loose == []
