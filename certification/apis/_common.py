"""What every certification API module shares: the OpenAPI tags and the inline choice field."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

TAG_AGENCY = ["certification: agencies"]
TAG_PLAQUE = ["certification: plaques"]
TAG_OFFICER = ["certification: officers"]
TAG_FINDING = ["certification: findings"]
TAG_LEDGER = ["certification: ledger"]


def inline_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field documented as a string listing its values: field names such as status, kind, state and source
    recur across apps with different choice sets, and shared enum components would collide."""
    values = [value for value, _ in choices]
    # The enum sits inside allOf: drf-spectacular hoists an "enum" key of a property into a component named after
    # the field, which collides; nested, it stays inline and clients (and fuzzers) still see the exact values.
    schema = {"type": "string", "allOf": [{"enum": list(values)}],
              "description": "One of: " + ", ".join(v or '""' for v in values) + "."}
    if kwargs.get("allow_null"):
        schema["nullable"] = True
        schema["allOf"][0]["enum"].append(None)
    field_class = extend_schema_field(schema)(type("InlineChoiceField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, **kwargs)
