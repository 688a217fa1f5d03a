"""Query-parameter filtering that refuses what the schema refuses."""

from django import forms
from django.db import models
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
    """`filterset_fields` views get a StrictFilterSet too (see below).

    django-filter treats `?state=` as "no filter"; for typed filters (choices, numbers, dates, booleans) an empty
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

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        data = kwargs["data"]
        if any("\x00" in value for _, values in data.lists() for value in values):
            # No stored text can contain NUL (PostgreSQL text cannot hold it), so dropping it from free-text
            # filter values changes no result; refusing it would refuse a value the schema allows.
            data = data.copy()
            for name, values in list(data.lists()):
                data.setlist(name, [value.replace("\x00", "") for value in values])
            kwargs["data"] = data
        return kwargs

    @property
    def filterset_base(self):
        return StrictFilterSet


class _StrictBooleanField(forms.Field):
    """A query-string boolean: exactly `true` or `false` (what the schema's boolean serialises to); anything else,
    `null` or `1` included, is a 400 instead of being read as "no filter"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = _StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = forms.TextInput  # the raw string reaches the field (BooleanWidget maps junk to None)
        super().__init__(*args, **kwargs)


class StrictFilterSet(filters.FilterSet):
    """Filters generated from `Meta.fields` follow the strict rules: a foreign key is an `IdFilter` (a plain number:
    a model-choice filter would answer 400 for an id that does not exist, revealing which foreign rows do), and a
    boolean is `StrictBooleanFilter`."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }
