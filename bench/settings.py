"""Settings for `make bench`: the real settings with DEBUG off and the bench URLs (which add the bare floor view)."""

import os
from datetime import timedelta

os.environ.setdefault("DEBUG", "false")

from config.settings import *  # noqa: E402,F403
from config.settings import SIMPLE_JWT  # noqa: E402

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# One bench run outlives a 5-minute access token.
SIMPLE_JWT = {**SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(hours=2)}
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR"}}
