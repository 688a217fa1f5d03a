from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Only here so Django finds the `demo` and `load_demo_data` management commands."""

    name = "demo"
    verbose_name = "Demo data and walk"
