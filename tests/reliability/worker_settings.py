"""Settings for the Celery worker subprocess the task tests start (not used by pytest itself).

The project's settings, plus: the test's private queue as the default queue (so tasks a task enqueues, e.g. the next
report-pipeline step or an e-mail, stay on it) and e-mail written to files the test can count.
"""

import os

from config.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["RELIABILITY_QUEUE"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["RELIABILITY_MAIL_DIR"]
