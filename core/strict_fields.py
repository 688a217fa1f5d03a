"""Strict JSON types for the whole API.

DRF's CharField accepts numbers and turns them into strings (`{"rank": 0}` becomes "0"). A JSON API should refuse
a value of the wrong type, so every CharField (and subclass: EmailField, RegexField, SlugField, URLField, ...)
only takes strings. Applied once at start-up, for every app, instead of a custom field in each serializer.
"""

from rest_framework import serializers

_original_to_internal_value = serializers.CharField.to_internal_value


def _strict_to_internal_value(self, data):
    if not isinstance(data, str):
        self.fail("invalid")
    return _original_to_internal_value(self, data)


def make_char_fields_strict() -> None:
    if serializers.CharField.to_internal_value is not _strict_to_internal_value:
        serializers.CharField.to_internal_value = _strict_to_internal_value
        serializers.CharField.default_error_messages = {
            **serializers.CharField.default_error_messages, "invalid": "Not a valid string.",
        }
