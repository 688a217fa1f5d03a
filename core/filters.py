"""Query-parameter filtering that refuses what the schema refuses; search and ordering from per-view allow-lists."""

from django import forms
from django.db import models
from django.db.models import F
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

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


MAX_DAYS = 3650


class DayCountFilter(filters.Filter):
    """A number of days from today (1 to 10 years), for "due within N days" filters; the `method` does the rest.
    The schema gives the bounds and the filter's help_text (a class-level extend_schema_field would drop it)."""

    field_class = forms.IntegerField

    def __init__(self, *args, help_text: str = "", **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DAYS)
        super().__init__(*args, help_text=help_text, **kwargs)
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_DAYS}
        extend_schema_field({**schema, "description": help_text} if help_text else schema)(self)


class StrictFilterBackend(filters.DjangoFilterBackend):
    """`filterset_fields` views get a StrictFilterSet too (see below).

    django-filter treats `?state=` as "no filter"; for typed filters (choices, numbers, dates, booleans) an empty
    value is not what the schema allows, so it is refused with a field error. Free-text filters may be empty."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        # No parameter of this filterset in the request (the common case: a plain list): nothing to filter or
        # refuse, so skip building it — a FilterSet deep-copies every declared filter on each request, ~20% of an
        # officer list's time in the profile. (Unknown parameters are refused before this: core.query_parameters.)
        names = tuple(filterset_class.base_filters)
        if not any(parameter.startswith(names) for parameter in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)

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


SEARCH_MAX_LENGTH = 100
SEARCH_MAX_TERMS = 5


class AllowListSearchFilter(drf_filters.SearchFilter):
    """`?search=` on lists that declare `search_fields` (DRF's lookups: `^` starts with, `=` exact, default
    case-insensitive contains) and `search_help` (what the words are matched against, published in the schema).
    Every word must match one of the fields. Lists without `search_fields` neither accept nor document it."""

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        if len(value) > SEARCH_MAX_LENGTH:
            raise ValidationError({self.search_param: [f"Use at most {SEARCH_MAX_LENGTH} characters."]})
        # No stored text can hold NUL (see StrictFilterBackend): dropping it changes no result.
        terms = drf_filters.search_smart_split(value.replace("\x00", ""))
        return [term for term in terms if term.strip(" \"'")][:SEARCH_MAX_TERMS]

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "search_fields", None):
            return []
        help_text = getattr(view, "search_help", "")
        return [{
            "name": self.search_param, "required": False, "in": "query",
            "description": f"Case-insensitive search; every word (up to {SEARCH_MAX_TERMS}) must match one of: "
                           f"{help_text}.",
            "schema": {"type": "string", "maxLength": SEARCH_MAX_LENGTH},
        }]


class AllowListOrderingFilter(BaseFilterBackend):
    """`?ordering=name,-created_at` from an explicit allow-list per view: `ordering_fields` maps each public name
    to the column(s) it sorts by (`{"name": ("last_name", "first_name")}`). `-` reverses; missing values sort last;
    the row id breaks ties so pages are stable. An unknown name is a 400 naming `ordering`, not a silent default.
    Lists without `ordering_fields` neither accept nor document it."""

    ordering_param = "ordering"

    @staticmethod
    def _fields(view) -> dict:
        return dict(getattr(view, "ordering_fields", None) or {})

    def filter_queryset(self, request, queryset, view):
        fields = self._fields(view)
        raw = request.query_params.get(self.ordering_param)
        if not fields or raw is None:
            return queryset
        terms = [term.strip() for term in raw.split(",")]
        choices = ", ".join(f"{name}, -{name}" for name in fields)
        unknown = [term for term in terms if term.removeprefix("-") not in fields]
        if unknown or not terms:
            shown = ", ".join(repr(term) for term in unknown) or "''"
            raise ValidationError({self.ordering_param: [f"Unknown ordering {shown}; use one of: {choices}."]})
        order = []
        for term in dict.fromkeys(terms):
            descending = term.startswith("-")
            for column in fields[term.removeprefix("-")]:
                order.append(F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True))
        descending_first = terms[0].startswith("-")
        order.append(F("pk").desc() if descending_first else F("pk").asc())
        return queryset.order_by(*order)

    def get_schema_operation_parameters(self, view):
        fields = self._fields(view)
        if not fields:
            return []
        values = [value for name in fields for value in (name, f"-{name}")]
        return [{
            "name": self.ordering_param, "required": False, "in": "query",
            "description": "Sort order: one or more of the listed names, comma-separated; `-` sorts descending. "
                           "Missing values sort last; anything else is a 400 naming `ordering`.",
            "schema": {"type": "array", "items": {"type": "string", "enum": values}, "minItems": 1},
            "style": "form", "explode": False,
        }]
