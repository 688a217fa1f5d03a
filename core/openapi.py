"""Schema helpers: every operation documents the error responses it can return, in the one error shape."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code, e.g. validation_error.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages; nested fields and CSV rows are joined with dots (rows.3.license_number).",
    )


class ErrorDocumentingAutoSchema(AutoSchema):
    """Adds 400/401/403/404/409/413 responses where a view can return them, so clients and fuzzers see them."""

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
