"""One world per test module: built once inside an outer transaction that is rolled back at the end of the module.

Each test (pytest-django's `db`) then runs in a savepoint inside it, and every request a test sends runs in its own
savepoint that is rolled back too (`cell`), so no request changes what the next one sees."""

import contextlib

import pytest
from django.db import transaction
from django.test.utils import override_settings

from .world import world_build


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("security-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield world_build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@contextlib.contextmanager
def rolled_back():
    """Run a block in a savepoint that is always rolled back."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
