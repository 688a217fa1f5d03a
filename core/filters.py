"""Query-parameter filtering that refuses what the schema refuses."""

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.Filter):
    """Filter on an id by plain equality: no existence check (which would reveal foreign rows), bounded so a huge
    number is a 400 instead of a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictFilterBackend(filters.DjangoFilterBackend):
    """django-filter treats `?state=` as "no filter"; for typed filters (choices, numbers, dates, booleans) an empty
    value is not what the schema allows, so it is refused with a field error. Free-text filters may be empty."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            empty_typed = [
                name for name, declared in filterset.filters.items()
                if not isinstance(declared, filters.CharFilter) and request.query_params.get(name, None) == ""
            ]
            if empty_typed:
                raise ValidationError({name: ["This value may not be empty."] for name in empty_typed})
        return filterset
