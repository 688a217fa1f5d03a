"""One error shape for every 4xx: {"code": str, "message": str, "fields": {field: [messages]}}.

Services raise `ApplicationError` with a stable code; DRF, Django and database errors caused by what the client
sent are translated here so that no client input ends in a 500.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A business rule said no. `code` is stable (clients branch on it); `message` is for people."""

    def __init__(self, code: str, message: str, *, status_code: int = 400, fields: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.fields = fields or {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def _flatten_fields(detail) -> dict:
    """DRF's nested error detail -> {field: [str, ...]} with nested keys joined by dots (rows.3.licence)."""
    flat: dict[str, list[str]] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value):
            for index, inner in enumerate(value):
                if inner:
                    walk(f"{prefix}.{index}" if prefix else str(index), inner)
        elif isinstance(value, list):
            flat.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
        else:
            flat.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return flat


_DRF_CODES = {
    drf_exceptions.ParseError: "malformed_request",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "too_many_requests",
}


UNIQUENESS_CODES = {"unique", "unique_together"}


def validation_error_to_application_error(exc: DjangoValidationError) -> "ApplicationError":
    """A model's full_clean() failure as the API error: 409 when it only broke uniqueness, else 400."""
    fields = _django_validation_fields(exc)
    by_field = exc.error_dict if hasattr(exc, "error_dict") else {"": exc.error_list}
    codes = {error.code for errors in by_field.values() for error in errors}
    if codes and codes <= UNIQUENESS_CODES:
        return ApplicationError("already_exists", "A record with these values already exists.", fields=fields,
                                status_code=409)
    return ApplicationError("validation_error", "The request is not valid.", fields=fields)


def full_clean_or_raise(instance, *, exclude=None):
    """Run the model's validation (fields and constraints) for a service; fail as the API error, nothing written."""
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise validation_error_to_application_error(exc) from exc
    return instance


def _django_validation_fields(exc: DjangoValidationError) -> dict:
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    # Model.full_clean() reports constraint violations under "__all__"; the API calls them non_field_errors.
    return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}


def api_exception_handler(exc, context):
    response = _translate(exc, context)
    if response is not None:
        # Like DRF's own handler: an error inside ATOMIC_REQUESTS / an outer atomic block rolls it back.
        from rest_framework.views import set_rollback

        set_rollback()
    return response


def _translate(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, InvalidToken | TokenError):
        return Response(error_body("token_not_valid", "The token is invalid, expired or revoked."), status=401)
    if isinstance(exc, DjangoValidationError):
        translated = validation_error_to_application_error(exc)
        return Response(error_body(translated.code, translated.message, translated.fields),
                        status=translated.status_code)
    if isinstance(exc, Http404):
        return Response(error_body("not_found", "Not found."), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(error_body("permission_denied", "You may not do this."), status=403)
    if isinstance(exc, IntegrityError):
        # A constraint refused the write: the client's data conflicts with what is stored. The transaction was
        # rolled back by the atomic block that raised it, so nothing was written.
        logger.info("integrity error surfaced as 409: %s", exc)
        return Response(
            error_body("conflict", "This change conflicts with existing data (a uniqueness or integrity rule)."),
            status=409,
        )
    if isinstance(exc, DataError | OverflowError):
        # A number or text the database column cannot hold (e.g. ?agency=1e308, an id past 2**63): the client's
        # value is out of range, not a server fault.
        return Response(error_body("value_out_of_range", "A value in the request is out of range."), status=400)
    if isinstance(exc, SuspiciousOperation):
        too_big = type(exc).__name__ in {"RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent"}
        return Response(
            error_body("request_too_large" if too_big else "bad_request", str(exc) or "Bad request."),
            status=413 if too_big else 400,
        )

    # Imported here: rest_framework.views loads the authentication classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a genuine server error: let Django log it and answer 500
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = error_body("validation_error", "The request is not valid.", _flatten_fields(exc.detail))
        return response
    code = next((c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)), None)
    if code is None:
        code = getattr(exc, "default_code", "error")
    detail = exc.detail if isinstance(exc, drf_exceptions.APIException) else str(exc)
    message = str(detail) if not isinstance(detail, dict | list) else "The request could not be completed."
    response.data = error_body(code, message)
    if response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        response.data["message"] = f"Method {context['request'].method} is not allowed here."
    return response
