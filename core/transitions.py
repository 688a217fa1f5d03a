"""The one lifecycle mechanism: every status change in PeaceCert is a compare-and-swap through a `Lifecycle`.

An invalid transition answers 409 `invalid_transition` and a lost race 409 `concurrent_change`, in every app; every
move appends one audit/ledger entry named `<noun>.<verb>` with `{"from", "to", "reason"?, ...}`. Callers hold the
transaction. Terminal states are simply absent from `allowed` (and, where PostgreSQL can hold it, a trigger too)."""

from dataclasses import dataclass

from django.db import connection

from .audit import audit_record
from .exceptions import ApplicationError


@dataclass(frozen=True)
class Lifecycle:
    model: type
    allowed: dict  # {from_status: {to_status, ...}}
    verbs: dict  # {to_status: "verb"} -> ledger action "<noun>.<verb>"
    noun: str
    status_field: str = "status"

    def _label(self) -> str:
        return self.noun.replace("_", " ")

    def check(self, current: str, to: str) -> None:
        if to not in self.allowed.get(current, ()):
            raise ApplicationError("invalid_transition", f"This {self._label()} cannot go from {current} to {to}.",
                                   status_code=409)

    def transition(self, *, obj, to: str, actor, reason: str = "", fields: dict | None = None,
                   data: dict | None = None, audit: bool = True):
        """Move `obj` from its current status to `to` if nobody moved it first; set `fields` in the same UPDATE."""
        current = getattr(obj, self.status_field)
        self.check(current, to)
        fields = dict(fields or {})
        moved = self.model.objects.filter(pk=obj.pk, **{self.status_field: current}).update(
            **{self.status_field: to}, **fields)
        if moved != 1:
            raise ApplicationError("concurrent_change", f"This {self._label()} changed meanwhile; reload and retry.",
                                   status_code=409)
        setattr(obj, self.status_field, to)
        for name, value in fields.items():
            setattr(obj, name, value)
        if audit:
            audit_record(actor=actor, action=f"{self.noun}.{self.verbs[to]}", target=obj,
                         data={"from": current, "to": to, **({"reason": reason} if reason else {}), **(data or {})})
        return obj

    def bulk_transition(self, *, queryset, from_status: str, to: str, actor, fields: dict,
                        reason: str = "") -> list[int]:
        """The set-based form for sweeps: ONE statement moves every due row and ONE ledger entry lists every id it
        moved (a sweep of a million rows is one UPDATE and one append, not a million).

        On PostgreSQL the UPDATE locks the due rows itself (`FOR UPDATE SKIP LOCKED` in its subquery, so a concurrent
        sweep skips them) and RETURNING gives exactly the ids it moved. SQLite has a single writer: the ids are read,
        then moved, inside the same transaction."""
        self.check(from_status, to)
        due = queryset.filter(**{self.status_field: from_status})
        values = {self.status_field: to, **fields}
        if connection.vendor == "postgresql":
            ids = _update_returning_ids(model=self.model, due=due, values=values)
        else:
            ids = list(due.order_by("pk").values_list("pk", flat=True))
            if ids:
                self.model.objects.filter(pk__in=due.values("pk")).update(**values)
        if not ids:
            return []
        ids.sort()
        audit_record(actor=actor, action=f"{self.noun}.{self.verbs[to]}", data={
            "from": from_status, "to": to, **({"reason": reason} if reason else {}), "count": len(ids), "ids": ids,
        })
        return ids


def _update_returning_ids(*, model, due, values: dict) -> list[int]:
    """UPDATE <table> SET ... WHERE id IN (<due rows, FOR UPDATE SKIP LOCKED>) RETURNING id, in one statement."""
    compiler = due.select_for_update(skip_locked=True).values("pk").query.get_compiler(connection=connection)
    subquery, sub_params = compiler.as_sql()
    assignments, params = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        assignments.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE {pk} IN ({subquery}) RETURNING {pk}",  # noqa: S608 - names from model metadata, values as parameters
                       [*params, *sub_params])
        return [row[0] for row in cursor.fetchall()]
