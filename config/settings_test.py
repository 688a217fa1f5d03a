"""Test overrides: same settings module, with what makes a suite fast and hermetic.

DATABASE_URL / CACHE_URL from the environment still decide PostgreSQL and Redis (CI sets them); tasks run eagerly
unless a test starts a real worker (marked `broker`).
"""

import os
import tempfile

os.environ.setdefault("DJANGO_ENV", "test")

from .settings import *  # noqa: E402,F403
from .settings import CELERY_BROKER_URL as _CONFIGURED_BROKER  # noqa: E402

# MD5 hashing makes creating users in fixtures cheap; production keeps PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# Eager tasks run in the test's own transaction; the background hand-off is tested on its own (test_llm.py).
EVALUATION_PIPELINE_IN_BACKGROUND = False
# The real-worker test reads the configured broker from here and turns eager mode off for its own duration.
CELERY_BROKER_URL_FOR_WORKER_TESTS = _CONFIGURED_BROKER if _CONFIGURED_BROKER != "memory://" else ""
MEDIA_ROOT = os.path.join(tempfile.gettempdir(), "peacecert-test-media")
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Cached public answers on in every run (one process per database, so a per-process cache sees every write): the
# whole suite then reads the registry through the cache and its invalidation.
PUBLIC_ANSWER_CACHE_SECONDS = 60
