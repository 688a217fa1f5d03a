from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: audit trail and system"

    def ready(self):
        # Registers the OpenAPI extension for our authentication class with drf-spectacular.
        # Watches writes on every database connection, to retire cached public answers (core/public_cache.py).
        from . import (
            openapi,  # noqa: F401
            public_cache,  # noqa: F401
        )
