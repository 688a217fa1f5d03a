"""Strict JSON types for the whole API.

DRF's CharField accepts numbers and turns them into strings (`{"rank": 0}` becomes "0"). A JSON API should refuse
a value of the wrong type, so every CharField (and subclass: EmailField, RegexField, SlugField, URLField, ...)
only takes strings. Applied once at start-up, for every app, instead of a custom field in each serializer.
"""

import re

from rest_framework import serializers
from rest_framework.utils import html

from .text import FORBIDDEN_CHARACTER_MESSAGE, forbidden_character

_original_to_internal_value = serializers.CharField.to_internal_value


def _strict_to_internal_value(self, data):
    if not isinstance(data, str):
        self.fail("invalid")
    # One rule for text wherever it comes from (core.text; the CSV imports apply it too): checked before trimming,
    # which would silently drop some control characters from the ends.
    if forbidden_character(data) is not None:
        self.fail("control_character")
    return _original_to_internal_value(self, data)


def make_char_fields_strict() -> None:
    if serializers.CharField.to_internal_value is not _strict_to_internal_value:
        serializers.CharField.to_internal_value = _strict_to_internal_value
        serializers.CharField.default_error_messages = {
            **serializers.CharField.default_error_messages, "invalid": "Not a valid string.",
            "control_character": FORBIDDEN_CHARACTER_MESSAGE,
        }
    make_json_scalars_strict()


def _json_input(field) -> bool:
    """True when the value came from a JSON body (not a query string or a multipart form, where every value is a
    string and DRF's usual coercion is what the schema describes)."""
    data = getattr(field.root, "initial_data", None)
    return data is not None and not html.is_html_input(data)


_original_boolean = serializers.BooleanField.to_internal_value
_original_integer = serializers.IntegerField.to_internal_value


def _strict_boolean(self, data):
    # DRF reads 0, 1, "yes", "on"... as booleans; in JSON the schema says true or false.
    if _json_input(self) and not isinstance(data, bool):
        self.fail("invalid", input=data)
    return _original_boolean(self, data)


def _strict_integer(self, data):
    # DRF takes "5", 5.0 and true as integers; in JSON the schema says a whole number.
    if _json_input(self) and (isinstance(data, bool) or not isinstance(data, int)):
        self.fail("invalid")
    return _original_integer(self, data)


def make_json_scalars_strict() -> None:
    """Booleans and integers in a JSON body must be JSON booleans and integers."""
    if serializers.BooleanField.to_internal_value is not _strict_boolean:
        serializers.BooleanField.to_internal_value = _strict_boolean
        serializers.IntegerField.to_internal_value = _strict_integer


class PatternDecimalField(serializers.DecimalField):
    """A decimal sent as a string that must match `pattern`, which states the format and the range exactly (the
    OpenAPI document publishes it; drf-spectacular's generic decimal pattern also allows "", "-" and "."). A JSON
    number is refused, as the schema says string."""

    def __init__(self, *, pattern: str, **kwargs):
        self.pattern = pattern
        self._regex = re.compile(pattern)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        # DRF reads "" (and blanks) as null when a decimal may be null; the pattern does not allow it.
        if isinstance(data, str) and not self._regex.fullmatch(data):
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not self._regex.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictQuerySerializer(serializers.Serializer):
    """Validates query parameters: an empty typed parameter (`?to=`) is refused rather than read as absent (DRF
    skips an empty optional value of a form or query string); free text that may be blank is the exception."""

    def to_internal_value(self, data):
        empty = [name for name, field in self.fields.items()
                 if data.get(name, None) == "" and not getattr(field, "allow_blank", False)]
        if empty:
            raise serializers.ValidationError({name: ["This value may not be empty."] for name in empty})
        return super().to_internal_value(data)
