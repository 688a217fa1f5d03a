"""The database and the model's full_clean() both refuse a row: the rule holds for every client."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


def database_and_full_clean_refuse(make) -> None:
    """`make` is an unsaved model instance, or a callable building one (called once per check, so each path sees a
    fresh instance). full_clean() raises ValidationError and a raw save() raises IntegrityError (rolled back)."""
    build = make if callable(make) else (lambda: make)
    with pytest.raises(ValidationError):
        build().full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        build().save()
