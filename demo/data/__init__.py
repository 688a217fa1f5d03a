"""The demo world, app by app in dependency order (each module's `demo_data_load() -> dict` of created counts),
then the first-run story that shows the product alive. Every loader looks rows up first and creates only what is
missing, so a second run creates nothing; the reference rows the migrations ship (the Peace Officer course, the
agency programme) are reused, never duplicated."""

from django.conf import settings
from django.core.management.base import CommandError

from . import agencies, certification, coaching, evaluations, first_run, training

LOADERS = [
    ("agencies", agencies.demo_data_load),
    ("training", training.demo_data_load),
    ("certification", certification.demo_data_load),
    ("evaluations", evaluations.demo_data_load),
    ("coaching", coaching.demo_data_load),
    ("first run", first_run.demo_data_load),
]


def demo_refuse_in_production() -> None:
    """Demo logins with a published password must never reach a production database."""
    if settings.DJANGO_ENV == "production":
        raise CommandError("Demo data is refused with DJANGO_ENV=production (it creates logins whose password is "
                           "published); set DJANGO_ENV=development to load it.")


def demo_data_load_all() -> dict:
    """Load every app's demo data (idempotent); return {part: created counts}."""
    demo_refuse_in_production()
    return {name: load() for name, load in LOADERS}
