"""Schema helpers: every operation documents the error responses it can return, in the one error shape."""

from django.core.validators import RegexValidator
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .serializers import StrictCharField, StrictSerializer
from .text import FORBIDDEN_CHARACTERS_CLASS


class ApiErrorSerializer(StrictSerializer):
    code = StrictCharField(help_text="Stable machine-readable error code, e.g. validation_error.")
    message = StrictCharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=StrictCharField()),
        help_text="Per-field messages; nested fields and CSV rows are joined with dots (rows.3.license_number).",
    )


def text_pattern(field) -> str:
    """What a CharField accepts, as a pattern: no NUL or other control character (core.text; tab and line breaks
    are allowed), and - since input is trimmed before it is checked ("  " is blank, " a" is one character long) -
    unless blank is allowed, a non-space character, or with a minimum length n, n characters from the first
    non-space to the last one."""
    other, solid = rf"[^{FORBIDDEN_CHARACTERS_CLASS}]", rf"[^\s{FORBIDDEN_CHARACTERS_CLASS}]"
    if field.allow_blank or not field.trim_whitespace:
        # "+", not "*": drf-spectacular documents an allowed blank as oneOf [this pattern, maxLength 0], and "" must
        # match only one of them.
        return rf"^{other}+$"
    n = field.min_length or 1
    middle = "" if n <= 1 else rf"{other}{{{n - 2},}}{solid}"
    return rf"^{other}*{solid}{middle}{other}*$"


FORMAT_WORDS = {"email": "An e-mail address", "uri": "A URL", "date": "A date", "date-time": "A date and time"}


def blank_allowed(schema: dict) -> None:
    """Tidies drf-spectacular's `oneOf [<the field>, {"maxLength": 0}]` for a text field that may be blank, so tools
    from outside the project accept the document and no value matches both branches:
    - a field with only a `format` (e-mail, URL) becomes one string (a validator that skips formats would match ""
      against both branches, and one that checks them refuses "" in the first); the format is said in words;
    - a `default` moves out of the first branch, whose pattern refuses "" (openapi-spec-validator checks it)."""
    options = schema.get("oneOf")
    if not (isinstance(options, list) and len(options) == 2 and options[1] == {"type": "string", "maxLength": 0}):
        return
    inner = options[0]
    if "default" in inner:
        schema["default"] = inner.pop("default")
    if "format" in inner and "pattern" not in inner:
        del schema["oneOf"]
        words = FORMAT_WORDS.get(inner["format"], inner["format"])
        schema.update({key: value for key, value in inner.items() if key != "format"})
        note = f"{words}, or an empty string for none."
        schema["description"] = f"{schema['description']} {note}" if schema.get("description") else note


_METHOD_VERBS = {"get": "Read", "patch": "Update", "put": "Replace", "delete": "Delete"}
# Action path segments that are not verbs: how the summary says them ({noun}: the object acted on).
_ACTION_WORDS = {
    "document": "Upload the document of {noun}", "attendance": "Record the attendance of {noun}",
    "notice": "Send the notice of {noun}", "response": "File the response to {noun}",
    "outcome": "Rate the outcome of {noun}", "follow-up": "Start a follow-up of {noun}",
    "follow-up-360": "Start the follow-up 360 of {noun}", "prefill-from-360": "Prefill {noun} from the 360 report",
    "use-builtin": "Use the built-in summary in {noun}", "link": "Link another record to {noun}",
}


def _words(segment: str) -> str:
    return segment.replace("-", " ").replace("_", " ")


def _singular(segment: str) -> str:
    words = _words(segment)
    if words.endswith("ies"):
        return words[:-3] + "y"
    if words.endswith(("ches", "statuses")):
        return words[:-2]
    return words[:-1] if words.endswith("s") and not words.endswith("ss") else words


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _action(segment: str, noun: str) -> str:
    return _ACTION_WORDS.get(segment, _words(segment).capitalize() + " {noun}").format(noun=noun)


def operation_summary(method: str, path: str) -> str:
    """A short label for an operation without an explicit `summary`, from its method and path: "List agencies",
    "Read an officer", "Verify a finding", "Add a cycle invitation", "Download plaque (PDF)"."""
    parts = [p for p in path.split("/") if p and p not in {"api", "v1"}]
    last, placeholder = parts[-1], lambda p: p.startswith("{")
    if "." in last:
        name, ext = last.rsplit(".", 1)
        return f"Download {_words(name)} ({ext.upper()})"
    if placeholder(last):
        return f"{_METHOD_VERBS.get(method, method.title())} {_a(_singular(parts[-2]))}"
    if last == "download" and len(parts) >= 3:
        return f"Download the {_singular(parts[-3] if placeholder(parts[-2]) else parts[-2])}"
    plural = _singular(last) != _words(last)
    if len(parts) >= 3 and placeholder(parts[-2]):
        owner = _singular(parts[-3])
        if method == "get":
            return f"{'List' if plural else 'Read'} {owner} {_words(last)}"
        if plural:
            return f"Add {_a(owner + ' ' + _singular(last))}"
        return _action(last, _a(owner))
    if method == "get":
        return f"{'List' if plural else 'Read'} {_words(last)}"
    if method == "post" and plural:
        return f"Create {_a(_singular(last))}"
    target = _words(parts[-2]) if len(parts) >= 2 else ""
    noun = f"the {target}" if _singular(parts[-2]) != target else _a(target)
    return _action(last, noun)


class ErrorDocumentingAutoSchema(AutoSchema):
    """Adds 400/401/403/404/409/413 responses where a view can return them, so clients and fuzzers see them."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # drf-spectacular leaves out the item-count bounds of a nested list (`Serializer(many=True, min_length=1)`)
        # and `allow_empty=False`: the schema must say what validation requires.
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (direction == "request" and isinstance(field, serializers.CharField) and schema.get("type") == "string"
                and "pattern" not in schema and "format" not in schema
                and not any(isinstance(v, RegexValidator) for v in field.validators)):
            schema["pattern"] = text_pattern(field)
        if isinstance(field, serializers.ListSerializer | serializers.ListField) and schema.get("type") == "array":
            min_length = getattr(field, "min_length", None)
            if min_length is None and not getattr(field, "allow_empty", True):
                min_length = 1
            if min_length is not None:
                schema.setdefault("minItems", min_length)
            if getattr(field, "max_length", None) is not None:
                schema.setdefault("maxItems", field.max_length)
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        blank_allowed(schema)

    def get_summary(self):
        # An explicit extend_schema(summary=...) wins (drf-spectacular applies it over this).
        return operation_summary(self.method.lower(), self.path)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = {"400"}  # bad query parameters or bodies
        is_public = all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        if not is_public:
            codes |= {"401", "403"}
        if "{" in self.path or (self.method == "GET" and self._is_list_view() and self._get_paginator()):
            codes.add("404")  # unknown or foreign object; or a page past the end of a list
        if self.method in {"POST", "PUT", "PATCH", "DELETE"}:
            codes.add("409")
        if self.method in {"POST", "PUT", "PATCH"}:
            codes.add("413")
        for code in sorted(codes):
            responses.setdefault(code, self._get_response_for_code(ApiErrorSerializer, code, direction=direction))
        return responses


class SessionBoundJWTScheme(SimpleJWTScheme):
    """Documents our JWT authentication (simplejwt plus session binding) as a bearer scheme."""

    target_class = "agencies.auth.SessionBoundJWTAuthentication"
    name = "jwtAuth"


class PatternDecimalFieldExtension(OpenApiSerializerFieldExtension):
    """A PatternDecimalField is published with its exact pattern (format and range)."""

    target_class = "core.serializers.PatternDecimalField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "format": "decimal", "pattern": self.target.pattern}
