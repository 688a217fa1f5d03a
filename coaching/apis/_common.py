"""What the coaching views share."""

from rest_framework import serializers

from core.serializers import StrictRegexField

TAGS = ["coaching"]


def _language_list(**kwargs):
    return serializers.ListField(child=StrictRegexField(r"^[a-z]{2,3}$"), max_length=20,
                                 help_text="Lower-case ISO 639 language codes, e.g. [\"en\", \"es\"].", **kwargs)


def _state_list(**kwargs):
    # Plain strings (the model validates the codes): a ChoiceField would publish a second enum of the same states.
    kwargs.setdefault("help_text", "Two-letter state codes, e.g. [\"CA\", \"NV\"].")
    return serializers.ListField(child=StrictRegexField(r"^[A-Z]{2}$"), max_length=60, **kwargs)

