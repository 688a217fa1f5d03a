"""Hot reads as plain dicts: one `values_list` query, no model instances and no per-request serializer fields.

The API's output serializers still document the shape (OpenAPI); tests pin that both agree.
"""

from collections.abc import Iterable, Mapping

from django.db.models import QuerySet


def values_for(queryset: QuerySet, shape: Mapping[str, str]) -> QuerySet:
    """The queryset reduced to the columns of `shape` ({api_name: orm_path}), as tuples."""
    return queryset.values_list(*shape.values())


def rows_from(tuples: Iterable[tuple], shape: Mapping[str, str]) -> list[dict]:
    names = list(shape)
    return [dict(zip(names, values, strict=True)) for values in tuples]


def rows(queryset: QuerySet, shape: Mapping[str, str]) -> list[dict]:
    return rows_from(values_for(queryset, shape), shape)
