"""Unknown query parameters answer 400 on every GET of /api/v1/ (issue #14): `?stauts=issued` must not quietly
return the unfiltered list.

One mechanism, one source of truth: a GET endpoint accepts exactly the query parameters its OpenAPI operation
documents (filterset fields, `search`, `ordering`, `page`, `page_size`, and any `extend_schema(parameters=...)` such
as the downloads' `from`/`to`/`state`). The table is built once per process from drf-spectacular's own generator,
so what the schema publishes (and schemathesis sends) and what the server accepts cannot drift apart.

Only /api/v1/ is checked: Swagger UI (/api/docs/), the schema (/api/schema/?format=json) and the server-rendered
pages keep their own parameters. An operation the schema leaves out is not checked (nor is anything, should the
schema fail to generate: that is logged, and the schema tests fail loudly instead of every filtered GET).
"""

import logging
import threading

from django.conf import settings
from django.http import JsonResponse

from .exceptions import error_body

API_PREFIX = "/api/v1/"
CHECKED_METHODS = {"GET": "get", "HEAD": "get"}

logger = logging.getLogger(__name__)
_tables: dict[str, dict] = {}
_lock = threading.Lock()


def _build_table(urlconf: str) -> dict:
    """{(view callback, http method): frozenset of documented query parameter names}."""
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator(urlconf=urlconf)
    schema = generator.get_schema(request=None, public=True)
    table: dict = {}
    for path, _regex, method, callback in generator.endpoints:
        operation = schema["paths"].get(path, {}).get(method.lower())
        if operation is None:
            continue  # excluded from the schema: not checked
        names = {p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"}
        key = (callback, method.lower())
        table[key] = frozenset(names) | table.get(key, frozenset())
    return table


def documented_query_parameters(callback, method: str, urlconf: str | None = None) -> frozenset | None:
    """The query parameters the schema documents for this view and method; None if the operation is not in it."""
    urlconf = urlconf or settings.ROOT_URLCONF
    table = _tables.get(urlconf)
    if table is None:
        with _lock:
            table = _tables.get(urlconf)
            if table is None:
                try:
                    table = _build_table(urlconf)
                except Exception:  # a broken schema must not turn every filtered GET into a 500
                    logger.exception("query parameter check disabled: the OpenAPI schema could not be generated")
                    table = {}
                _tables[urlconf] = table
    return table.get((callback, method))


def unknown_parameter_response(unknown: list[str], allowed: frozenset) -> JsonResponse:
    accepted = ", ".join(sorted(allowed)) or "none"
    message = f"Unknown query parameter(s): {', '.join(unknown)}. This endpoint accepts: {accepted}."
    fields = {name: [f"Unknown query parameter; this endpoint accepts: {accepted}."] for name in unknown}
    return JsonResponse(error_body("unknown_parameter", message, fields), status=400)


class UnknownQueryParameterMiddleware:
    """Refuse a GET under /api/v1/ whose query string names a parameter the endpoint does not document."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        method = CHECKED_METHODS.get(request.method)
        if method is None or not request.GET or not request.path_info.startswith(API_PREFIX):
            return None
        allowed = documented_query_parameters(view_func, method, getattr(request, "urlconf", None))
        if allowed is None:
            return None
        unknown = [name for name in request.GET if name not in allowed]
        if unknown:
            return unknown_parameter_response(unknown, allowed)
        return None
