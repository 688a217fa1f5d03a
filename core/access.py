"""The one access rule and the one way to look an id up among what a user may see.

PeaceCert's scoping is the same everywhere: certification staff see every row, an agency administrator sees their
own agency's rows, everyone else sees none (apps with other parties — an instructor's sessions, a coach's
agreements — add their own branch after this one). Lookups of an id a request names answer the same way whether the
row is missing or not the caller's, so nobody learns which foreign ids exist (Zulip's `access_*_by_id` is the model).
"""

from dataclasses import dataclass

from django.db.models import QuerySet

from .exceptions import ApplicationError


@dataclass(frozen=True)
class AgencyScope:
    """What the rule below gives a user: every row ("all"), one agency's rows ("agency"), or none ("none")."""

    kind: str
    agency_id: int | None = None


def agency_scope(user) -> AgencyScope:
    if not getattr(user, "is_authenticated", False):
        return AgencyScope("none")
    if user.is_certification_staff:
        return AgencyScope("all")
    if user.is_agency_admin:
        return AgencyScope("agency", user.agency_id)
    return AgencyScope("none")


def scope_queryset(queryset: QuerySet, scope: AgencyScope, *, agency_field: str = "agency_id") -> QuerySet:
    if scope.kind == "all":
        return queryset
    if scope.kind == "agency":
        return queryset.filter(**{agency_field: scope.agency_id})
    return queryset.none()


def scope_to_agency(queryset: QuerySet, user, *, agency_field: str = "agency_id",
                    others: QuerySet | None = None) -> QuerySet:
    """Staff: all; an agency administrator: rows whose `agency_field` is their agency; anyone else: `others` (none
    by default)."""
    scope = agency_scope(user)
    if scope.kind == "none" and others is not None and getattr(user, "is_authenticated", False):
        return others
    return scope_queryset(queryset, scope, agency_field=agency_field)


def field_error(field: str, message: str, *, code: str = "validation_error", status_code: int = 400,
                summary: str = "The request is not valid.") -> ApplicationError:
    """The one way to refuse one field: {"code", "message", "fields": {field: [message]}}."""
    return ApplicationError(code, summary, status_code=status_code, fields={field: [message]})


def access_by_id(queryset: QuerySet, pk, *, field: str, noun: str):
    """The row `pk` among `queryset` (already scoped to the user), or a 400 naming `field`: a missing row and a row
    the user may not see are the same "unknown" answer."""
    row = queryset.filter(pk=pk).first() if pk is not None else None
    if row is None:
        raise field_error(field, f"Unknown {noun} {pk}.")
    return row


def require_staff(actor, what: str) -> None:
    """Certification staff only (a system job, named by a string, acts as staff); 403 otherwise."""
    if isinstance(actor, str):
        return
    if not getattr(actor, "is_certification_staff", False):
        raise ApplicationError("permission_denied", f"Only certification staff {what}.", status_code=403)
