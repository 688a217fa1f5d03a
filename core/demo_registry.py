"""Which apps contribute demo data (`<app>/demo_data.py: demo_data_load() -> dict`) and demo walk steps
(`<app>/demo.py: run(walk)`), in dependency order. A module that does not exist yet is skipped."""

import importlib

DEMO_APPS = ["agencies", "training", "certification", "evaluations", "coaching"]


def demo_modules(kind: str):
    for app in DEMO_APPS:
        try:
            yield app, importlib.import_module(f"{app}.{kind}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.{kind}":
                raise  # a real import error inside the module must not be hidden


def demo_data_load_all() -> dict:
    """Load every app's demo data (idempotent); return {app: created counts}."""
    return {app: module.demo_data_load() for app, module in demo_modules("demo_data")}
