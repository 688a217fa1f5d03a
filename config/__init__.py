# Celery's app is loaded with Django so that `shared_task` binds to it and `delay_on_commit` works everywhere.
from .celery import app as celery_app

__all__ = ["celery_app"]
