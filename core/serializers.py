"""Strict JSON types for the project's own serializers (third-party serializers keep DRF's behaviour).

DRF's CharField accepts numbers and turns them into strings (`{"rank": 0}` becomes "0"), reads 0, 1, "yes" as
booleans and "5", 5.0, true as integers. A JSON API should refuse a value of the wrong type, so the project's
serializers use the strict fields below, explicitly in declarations and through `StrictModelSerializer`'s field
mapping for model serializers. Nothing in DRF is patched: a plain `rest_framework.serializers.CharField` (simplejwt's,
say) behaves as DRF documents. tests/core/test_strict_serializers.py checks that every project serializer follows
this rule.
"""

import re

from rest_framework import serializers
from rest_framework.utils import html

from .text import FORBIDDEN_CHARACTER_MESSAGE, forbidden_character


def _json_input(field) -> bool:
    """True when the value came from a JSON body (not a query string or a multipart form, where every value is a
    string and DRF's usual coercion is what the schema describes)."""
    data = getattr(field.root, "initial_data", None)
    return data is not None and not html.is_html_input(data)


class StrictTextMixin:
    """Only a JSON string is text, and no control character (core.text: the rule the CSV imports apply too)."""

    # Only the new message: "invalid" stays each field's own ("Not a valid string.", "Enter a valid email address.").
    default_error_messages = {"control_character": FORBIDDEN_CHARACTER_MESSAGE}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # Checked before trimming, which would silently drop some control characters from the ends.
        if forbidden_character(data) is not None:
            self.fail("control_character")
        return super().to_internal_value(data)


class StrictCharField(StrictTextMixin, serializers.CharField):
    pass


class StrictEmailField(StrictTextMixin, serializers.EmailField):
    pass


class StrictRegexField(StrictTextMixin, serializers.RegexField):
    pass


class StrictSlugField(StrictTextMixin, serializers.SlugField):
    pass


class StrictURLField(StrictTextMixin, serializers.URLField):
    pass


class StrictIPAddressField(StrictTextMixin, serializers.IPAddressField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """In a JSON body only true or false (DRF also reads 0, 1, "yes", "on"...); a query string or form keeps
    DRF's reading of "true"/"false"."""

    def to_internal_value(self, data):
        if _json_input(self) and not isinstance(data, bool):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class StrictIntegerMixin:
    """In a JSON body only a whole JSON number (DRF also takes "5", 5.0 and true)."""

    def to_internal_value(self, data):
        if _json_input(self) and (isinstance(data, bool) or not isinstance(data, int)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(StrictIntegerMixin, serializers.IntegerField):
    pass


class StrictBigIntegerField(StrictIntegerMixin, serializers.BigIntegerField):
    pass


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


# DRF field class -> its strict replacement (used for model serializers and by the project-wide test).
STRICT_FIELDS = {
    serializers.CharField: StrictCharField,
    serializers.EmailField: StrictEmailField,
    serializers.RegexField: StrictRegexField,
    serializers.SlugField: StrictSlugField,
    serializers.URLField: StrictURLField,
    serializers.IPAddressField: StrictIPAddressField,
    serializers.BooleanField: StrictBooleanField,
    serializers.IntegerField: StrictIntegerField,
    serializers.BigIntegerField: StrictBigIntegerField,
}


# The bases below carry comments, not docstrings: drf-spectacular publishes the nearest docstring in a serializer's
# class hierarchy as its component description.
class StrictSerializer(serializers.Serializer):
    # Base of every project serializer: declare fields with the Strict* classes above.
    pass


class StrictModelSerializer(serializers.ModelSerializer):
    # Base of every project model serializer: the fields it builds from model fields are the strict ones.

    serializer_field_mapping = {
        model_field: STRICT_FIELDS.get(field, field)
        for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
    }


class StrictQuerySerializer(StrictSerializer):
    # Validates query parameters: an empty typed parameter (`?to=`) is refused rather than read as absent (DRF
    # skips an empty optional value of a form or query string); free text that may be blank is the exception.

    def to_internal_value(self, data):
        empty = [name for name, field in self.fields.items()
                 if data.get(name, None) == "" and not getattr(field, "allow_blank", False)]
        if empty:
            raise serializers.ValidationError({name: ["This value may not be empty."] for name in empty})
        return super().to_internal_value(data)

