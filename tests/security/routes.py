"""The URL conf as data: every route under /api/ with the HTTP methods its view implements, and how to fill its
placeholders with agency A's objects of the security world."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
MISSING_ID = 999999999
PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    pattern: str  # "api/v1/officers/<int:officer_id>/" (a regex route keeps its regex, e.g. "^api/")
    view: object
    methods: tuple[str, ...]

    def key(self, method: str) -> str:
        return f"{method.upper()} /{self.pattern}"

    @property
    def placeholders(self) -> list[tuple[str, str]]:
        return [(m["converter"] or "str", m["name"]) for m in PLACEHOLDER.finditer(self.pattern)]


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def api_routes() -> list[Route]:
    """Every route of the URL conf under /api/, with the methods its view implements (a plain function view, such
    as the JSON 404 catch-all, answers every method: GET and POST stand for them)."""
    routes = []
    for pattern, callback in _walk(get_resolver().url_patterns):
        if not pattern.lstrip("^").startswith("api/"):
            continue
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        methods = ("get", "post") if view_class is None else tuple(m for m in HTTP_METHODS if hasattr(view_class, m))
        routes.append(Route(pattern=pattern, view=callback, methods=methods))
    return routes


# Placeholders whose meaning depends on the route (the same name addresses different kinds of object).
def placeholder_value(world, route: Route, name: str, *, side: str = "a"):
    s = world.a if side == "a" else world.b
    pattern = route.pattern
    if name == "certification_id" and "officer-certifications" in pattern:
        return s.officer_certification.pk
    if name == "cycle_id" and "/report" in pattern:
        return s.released_cycle.pk
    if name == "status_id" and pattern.endswith("/document/download/"):
        return s.document_line.pk  # a line with an uploaded document
    if name == "status_id":
        kind = {"/mark/": "staff_verified", "/document/": "document", "/attest/": "attestation"}
        for marker, wanted in kind.items():
            if marker in pattern:
                return s.status_lines[wanted].pk
    if name == "certification_id" and pattern.endswith(("/submit/", "/issue/")):
        return s.renewal.pk  # the open application (the issued one is past these steps)
    if name == "assessment_id" and pattern.endswith(("/confirm/", "/prefill-from-360/")):
        return s.needs_assessment2.pk  # open, no agreement yet; its coachee's 360 report was released
    if name == "finding_id" and "/me/officer/findings/" in pattern:
        return s.answered_finding.pk  # the officer reads findings from the notice on
    if name == "enrollment_id":
        return s.upcoming_enrollment.pk  # cancellable: its session has not started
    return world.path_value(name, side=side)


def url_for(world, route: Route, *, side: str = "a", missing: bool = False) -> str:
    """The route's URL with its placeholders filled with agency A's (or B's) objects; `missing` puts an id that
    exists nowhere in every integer placeholder."""
    if route.pattern.startswith("^"):
        return "/api/v1/no-such-endpoint/"

    def fill(match):
        converter, name = match["converter"] or "str", match["name"]
        if missing and converter == "int":
            return str(MISSING_ID)
        return str(placeholder_value(world, route, name, side=side))

    return "/" + PLACEHOLDER.sub(fill, route.pattern)
