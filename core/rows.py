"""Hot reads as plain dicts: one `values_list` query, no model instances and no per-request serializer fields.

The API's output serializers still document the shape (OpenAPI); tests pin that both agree.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet


def values_for(queryset: QuerySet, shape: Mapping[str, str]) -> QuerySet:
    """The queryset reduced to the columns of `shape` ({api_name: orm_path}), as tuples."""
    return queryset.values_list(*shape.values())


def rows_from(tuples: Iterable[tuple], shape: Mapping[str, str]) -> list[dict]:
    names = list(shape)
    return [dict(zip(names, values, strict=True)) for values in tuples]


def rows(queryset: QuerySet, shape: Mapping[str, str]) -> list[dict]:
    return rows_from(values_for(queryset, shape), shape)


class CompiledRows:
    """A hot `rows()` read whose SQL the ORM builds and compiles once per (database, variant), then runs with each
    request's values.

    In the officer detail's profile, building and compiling its three small querysets cost more than running them;
    the SQL is the same every time but for the ids. `build(**values)` returns the queryset; it is called once with
    stand-in integers (far outside any id) whose places in the compiled parameters are remembered, and each call
    puts the real values there. Values must be integers (ids); anything else takes the ORM path. `variant` names
    what changes the SQL itself (e.g. an access scope); a build the ORM knows to be empty answers [] every time.
    Rows pass through the converters the ORM would apply (SQLite returns dates as text)."""

    _STAND_IN = -9_007_199_254_740_000  # no id is negative; distinct stand-ins are this minus 0, 1, 2 ...

    def __init__(self, build: Callable[..., QuerySet], shape: Mapping[str, str]):
        self._build, self._shape = build, shape
        self._compiled: dict = {}

    def rows(self, *, variant: Hashable = None, **values) -> list[dict]:
        if not all(type(v) is int for v in values.values()):
            return rows(self._build(**values), self._shape)
        connection = connections[DEFAULT_DB_ALIAS]
        key = (connection.vendor, variant, tuple(sorted(values)))
        if key not in self._compiled:
            self._compiled[key] = self._compile(connection, sorted(values))
        compiled = self._compiled[key]
        if compiled is None:
            return []
        sql, template, slots, converters = compiled
        params = list(template)
        for name, positions in slots.items():
            for position in positions:
                params[position] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        if converters:
            found = [row_converted(row, converters, connection) for row in found]
        return rows_from(found, self._shape)

    def _compile(self, connection, names: list[str]):
        stand_ins = {name: self._STAND_IN - index for index, name in enumerate(names)}
        compiler = values_for(self._build(**stand_ins), self._shape).query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None
        slots = {name: [i for i, p in enumerate(params) if p == stand_in] for name, stand_in in stand_ins.items()}
        if not all(slots.values()):
            raise ValueError(f"CompiledRows: a value did not reach the SQL as itself: {slots}")
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return sql, tuple(params), slots, converters


def row_converted(row: tuple, converters: dict, connection) -> tuple:
    """A raw database row as the ORM would return it: `converters` maps a column index to (the backend's and the
    field's converter functions, the column), as `SQLCompiler.get_converters` gives them."""
    row = list(row)
    for index, (functions, column) in converters.items():
        value = row[index]
        for function in functions:
            value = function(value, column, connection)
        row[index] = value
    return tuple(row)
