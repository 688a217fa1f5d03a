from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: audit trail and system"

    def ready(self):
        # Registers the OpenAPI extension for our authentication class with drf-spectacular.
        from . import openapi  # noqa: F401
