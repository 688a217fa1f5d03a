"""Schema helpers: every operation documents the error responses it can return, in the one error shape."""

from django.core.validators import RegexValidator
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .text import FORBIDDEN_CHARACTERS_CLASS


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code, e.g. validation_error.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
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

    target_class = "core.strict_fields.PatternDecimalField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "format": "decimal", "pattern": self.target.pattern}
