"""PeaceCert settings: every knob comes from the environment (django-environ), documented in .env.example.

DJANGO_ENV selects the posture: "development" (default; DEBUG on, SQLite under var/, in-process Celery),
"test" (set by config.settings_test) and "production" (secrets required, HTTPS hardening on).
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}")
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")

# In production a missing secret must stop the process at start-up, not surface later as a weak default.
_DEV_SECRET = "django-insecure-development-only-key-do-not-use-in-production-0123456789"  # noqa: S105 - development only; production refuses to start without SECRET_KEY
if IS_PRODUCTION:
    # CACHE_URL: the rate-limit counters must be shared by every worker process (see "Cache" below).
    _missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CACHE_URL")
                if not env.str(name, default="")]
    if _missing:
        raise ImproperlyConfigured(f"DJANGO_ENV=production needs these environment variables: {', '.join(_missing)}")
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public base URL printed into QR codes and e-mails (verification links, reviewer links). Unset in development,
# it follows the HOST and PORT the server runs on (`make run` and `make demo` pass them), so links open it.
_SERVED = ("127.0.0.1", "8000")
if DJANGO_ENV == "development":
    _SERVED = (env.str("HOST", default="127.0.0.1"), env.str("PORT", default="8000"))
    if _SERVED[0] in {"0.0.0.0", "::", ""}:  # noqa: S104 - a bind-all address is no link; the loopback one is
        _SERVED = ("127.0.0.1", _SERVED[1])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://{_SERVED[0]}:{_SERVED[1]}").rstrip("/")

INSTALLED_APPS = [
    "core.admin_site.StaffConsoleAdminConfig",  # django.contrib.admin, with the role-based staff console site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "agencies",
    "training",
    "certification",
    "evaluations",
    "coaching",
    "demo",  # demo data and the narrated walk (`make run`, `make demo`); no product app imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    # A GET under /api/v1/ naming a query parameter its schema does not document is a 400 (issue #14).
    "core.query_parameters.UnknownQueryParameterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'peacecert.sqlite3'}")}
# Persistent connections: opening a PostgreSQL connection per request costs more than the request itself.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite under runserver: wait for the writer lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "agencies.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Cache (login and token-guess counters live here; Redis in production so limits hold across workers) -------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://peacecert")}
# A per-process cache (local memory, dummy) or one whose incr is a read-then-write (file, database) would let
# every gunicorn worker count on its own, multiplying each limit by the number of workers: production refuses it.
SHARED_COUNTER_CACHE_BACKENDS = (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
)
if IS_PRODUCTION and CACHES["default"]["BACKEND"] not in SHARED_COUNTER_CACHE_BACKENDS:
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs CACHE_URL to name a shared cache with atomic counters (redis:// or "
        f"pymemcache://), not {CACHES['default']['BACKEND']}: rate limits must hold across worker processes"
    )

# Public registry answers are cached until a write to a table they are read from commits (core/public_cache.py).
# Default: on (60 s bound) with a shared cache; off with a per-process one, which would miss other processes' writes.
PUBLIC_ANSWER_CACHE_SECONDS = env.int(
    "PUBLIC_ANSWER_CACHE_SECONDS",
    default=60 if CACHES["default"]["BACKEND"] in SHARED_COUNTER_CACHE_BACKENDS else 0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # The manifest storage needs `collectstatic`; without a manifest it turns /api/docs/ into a 500, so only
    # production (which runs collectstatic) uses it.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: rosters and toolkit files. Bigger bodies are refused with a 413 JSON error, never read into memory.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
# Outside production whitenoise serves static files straight from the apps (no collectstatic needed).
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
ROSTER_IMPORT_MAX_ROWS = env.int("ROSTER_IMPORT_MAX_ROWS", default=200_000)

# --- E-mail ---------------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PeaceCert <no-reply@peacecert.invalid>")

# --- REST API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["agencies.auth.SessionBoundJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    # Search and ordering act (and are documented) only on views declaring search_fields / ordering_fields.
    "DEFAULT_FILTER_BACKENDS": ["core.filters.StrictFilterBackend", "core.filters.AllowListSearchFilter",
                                "core.filters.AllowListOrderingFilter"],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only; upload endpoints opt into multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_REFRESH_HOURS", default=24)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Pinned so that a token signed with "none", another algorithm, another key or for another audience fails.
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUDIENCE": env.str("JWT_AUDIENCE", default="peacecert-api"),
    "ISSUER": env.str("JWT_ISSUER", default="peacecert"),
    "LEEWAY": 0,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": "agencies.auth.LoginSerializer",
    "TOKEN_REFRESH_SERIALIZER": "agencies.auth.SessionBoundRefreshSerializer",
}

# Login rate limits (API and admin share them): failed attempts per window, reserved atomically in the cache before
# the password is checked and given back on success. Per address sized for an agency office of 500 people behind
# one NAT address (a shift change of typos fits; a password spray of more than 300 accounts per 15 minutes does not).
LOGIN_MAX_ATTEMPTS_PER_ACCOUNT = env.int("LOGIN_MAX_ATTEMPTS_PER_ACCOUNT", default=10)
LOGIN_MAX_ATTEMPTS_PER_ADDRESS = env.int("LOGIN_MAX_ATTEMPTS_PER_ADDRESS", default=300)
LOGIN_WINDOW_SECONDS = env.int("LOGIN_WINDOW_SECONDS", default=900)

# Onboarding: the one-time "set your password" link (invitation and forgot-password) is Django's password-reset
# token; it stops working after this many hours, or as soon as the password is set.
ACCOUNT_LINK_VALID_HOURS = env.int("ACCOUNT_LINK_VALID_HOURS", default=72)
PASSWORD_RESET_TIMEOUT = ACCOUNT_LINK_VALID_HOURS * 3600

_ACCESS_MINUTES = int(SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() // 60)
_REFRESH_HOURS = int(SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds() // 3600)
# The docs page (Swagger UI) shows this first: what the API is, and how to get, use and refresh a token.
API_DESCRIPTION = f"""Training credits, agency and officer certification, 360 evaluations and coaching for a
police-reform certification programme.

## Getting a token

1. `POST /api/v1/auth/token/` with `{{"username": "...", "password": "..."}}` answers an `access` and a `refresh`
   token (failed logins are limited per account and per address; too many answer 429).
2. Send the access token on every request: `Authorization: Bearer <access>`. In this page: **Authorize**, paste the
   access token (without `Bearer`).
3. The access token lives **{_ACCESS_MINUTES} minutes** (`JWT_ACCESS_MINUTES`), the refresh token
   **{_REFRESH_HOURS} hours** (`JWT_REFRESH_HOURS`).
4. Before the access token expires, `POST /api/v1/auth/token/refresh/` with `{{"refresh": "<refresh>"}}` answers a
   new access token *and* a new refresh token; the old refresh token stops working (use each one once).
5. `POST /api/v1/auth/logout/` blacklists a refresh token; `POST /api/v1/auth/logout-all/` (or a password change)
   revokes every token of the account on every device.

Public endpoints (`/api/v1/public/...`) need no token; a 360 reviewer's secret link (`/api/v1/feedback/<token>/`) is
its own credential.

## Errors

Every 4xx answers one JSON shape: `{{"code": "...", "message": "...", "fields": {{"field": ["..."]}}}}`; `code` is
stable (e.g. `validation_error`, `invalid_transition`), `fields` names the offending input.
"""

API_TAGS = [
    {"name": "auth", "description": "Tokens: log in, refresh, log out; set or reset a password with an e-mailed link."},
    {"name": "me", "description": "The signed-in user: profile, password, their own officer record."},
    {"name": "accounts", "description": "Staff (and agency administrators, for their officers) create, invite, "
                                        "deactivate and reactivate user accounts."},
    {"name": "agencies", "description": "Law-enforcement agencies taking part in the programme."},
    {"name": "officers", "description": "Agency rosters: officers, licence history, CSV import and export, identity "
                                        "corrections and the identity review queue."},
    {"name": "training", "description": "Course catalogue, sessions, enrolment, attendance, completions (CE "
                                        "credits), transcripts, certificates and state reports."},
    {"name": "certification: agencies", "description": "Agency certification: programmes and checklists, "
                                                       "applications, review, issue, renewal, revocation."},
    {"name": "certification: plaques", "description": "The plaque mailed to a certified agency: printing, shipping "
                                                      "and delivery."},
    {"name": "certification: officers", "description": "Individual Good Officer Certifications and eligibility."},
    {"name": "certification: findings", "description": "Excessive-force findings: record, notice, response, "
                                                       "determination and two-person verification."},
    {"name": "certification: ledger", "description": "The hash-chained audit ledger of certification events."},
    {"name": "evaluations", "description": "360-degree evaluations: instruments, cycles, raters, the promotability "
                                           "report and its release."},
    {"name": "feedback", "description": "A 360 reviewer's questionnaire behind their secret link (no account)."},
    {"name": "coaching", "description": "Coaches, coachees, needs assessments, matching, agreements and sessions."},
    {"name": "public", "description": "Completion certificate verification, without login."},
    {"name": "public registry", "description": "The public registry: officer and agency look-up, certificate "
                                               "verification, eligibility checks, revocations and metrics."},
    {"name": "system", "description": "Operational health."},
]

SPECTACULAR_SETTINGS = {
    "TITLE": "PeaceCert API",
    "DESCRIPTION": API_DESCRIPTION,
    "TAGS": API_TAGS,
    "SERVERS": [{"url": PUBLIC_BASE_URL, "description": "This installation (PUBLIC_BASE_URL)"}],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One way to name enums: every choice set the API publishes is named here, after the choices class it comes
    # from (`<Class>Enum`), or after what it means for a set declared in a serializer. drf-spectacular would
    # otherwise name it after the field and number the collisions ("Source234Enum"); a test holds the rule.
    "ENUM_NAME_OVERRIDES": {
        "AgencyTypeEnum": "agencies.models.AgencyType",
        "IdentityReviewStatusEnum": "agencies.models.IdentityReviewStatus",
        "StateEnum": "agencies.states.US_STATE_CHOICES",
        "IdentityReviewDecisionEnum": ["linked", "cleared", "dismissed"],
        "AccountRoleEnum": ["agency_admin", "instructor", "coach", "staff", "officer"],
        "CourseKindEnum": "training.models.CourseKind",
        "DeliveryModeEnum": "training.models.DeliveryMode",
        "SessionStatusEnum": "training.models.SessionStatus",
        "EnrollmentStatusEnum": "training.models.EnrollmentStatus",
        "CompletionSourceEnum": "training.models.CompletionSource",
        "QualificationSourceEnum": "training.models.QualificationSource",
        "ToolkitResourceKindEnum": "training.models.ToolkitResourceKind",
        "EnrollmentResultEnum": ["enrolled", "waitlisted", "refused"],
        "AttendanceMarkEnum": [("attended", "Attended"), ("no_show", "No-show"), ("completed", "Completed")],
        "CertificateVerificationStatusEnum": ["valid", "revoked"],
        "CompetencyEnum": "core.vocabulary.COMPETENCIES",
        "CoachingAreaEnum": "core.vocabulary.COACHING_AREAS",
        "ReadinessBandEnum": "evaluations.models.ReadinessBand",
        "RatersStatusEnum": "evaluations.models.RatersStatus",
        "RelationshipEnum": "evaluations.models.Relationship",
        "InvitationStatusEnum": "evaluations.apis.invitations.INVITATION_STATUSES",
        "AgreementStatusEnum": "coaching.models.AgreementStatus",
        "CadenceEnum": "coaching.models.Cadence",
        "CoacheeTypeEnum": "coaching.models.CoacheeType",
        "NeedsAssessmentStatusEnum": "coaching.models.NeedsAssessmentStatus",
        "FindingResponseAuthorEnum": "certification.models.FindingResponseAuthor",
        "FindingEligibilityEffectEnum": "certification.selectors.finding_responses.ELIGIBILITY_EFFECT_CHOICES",
    },
}

# --- Celery ---------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured (make run, tests): tasks run in-process, synchronously, when they are sent.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task that dies with its worker is delivered again; services are idempotent so the effect happens once.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# Redis redelivers an unacknowledged task after this; no ETA/countdown in the code may exceed it.
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TIMEZONE = TIME_ZONE
# Periodic work is scheduled here (beat), never as long countdowns. Schedules are in seconds.
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "core.tasks.record_worker_heartbeat", "schedule": 60.0},
    "agency-certifications-expire": {"task": "certification.tasks.agency_certifications_expire_due",
                                     "schedule": 3600.0},
    "agency-certification-reminders": {"task": "certification.tasks.agency_certification_reminders_send",
                                       "schedule": 3600.0},
    "officer-certifications-lapse": {"task": "certification.tasks.officer_certifications_lapse_due",
                                     "schedule": 3600.0},
    "plaques-overdue-digest": {"task": "certification.tasks.plaques_overdue_digest_send", "schedule": 86400.0},
    "evaluation-cycles-close": {"task": "evaluations.tasks.cycles_close_due", "schedule": 300.0},
    "evaluation-invitation-reminders": {"task": "evaluations.tasks.invitation_reminders_send", "schedule": 900.0},
}

# --- LLM (used by evaluations/llm.py only) ----------------------------------------------------------------
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="gpt-4o-mini")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=30.0)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=2)
# One deadline around the whole model step (every retry and re-ask included); then the built-in summariser.
LLM_OVERALL_DEADLINE_SECONDS = env.float("LLM_OVERALL_DEADLINE_SECONDS", default=90.0)
LLM_MAX_TOKENS = env.int("LLM_MAX_TOKENS", default=1500)
# The model is asked only when at least this many comments are shown; fewer get the built-in summary.
EVALUATION_LLM_MIN_COMMENTS = env.int("EVALUATION_LLM_MIN_COMMENTS", default=5)
# Without a broker (eager Celery), run the report pipeline in a background thread after the response, so closing a
# cycle never waits for the model. Off in tests that need the pipeline to have run when `cycle_close` returns.
EVALUATION_PIPELINE_IN_BACKGROUND = env.bool("EVALUATION_PIPELINE_IN_BACKGROUND", default=True)

# --- Programme thresholds (defaults from the programme's rules) --------------------------------------------
AGENCY_CERTIFICATION_VALID_DAYS = env.int("AGENCY_CERTIFICATION_VALID_DAYS", default=730)
AGENCY_TRAINED_SHARE_PERCENT = env.int("AGENCY_TRAINED_SHARE_PERCENT", default=80)
PLAQUE_DUE_DAYS = env.int("PLAQUE_DUE_DAYS", default=14)
OFFICER_CE_HOURS_PER_CYCLE = env.float("OFFICER_CE_HOURS_PER_CYCLE", default=8.0)
FINDING_RESPONSE_DAYS = env.int("FINDING_RESPONSE_DAYS", default=30)
INSTRUCTOR_QUALIFICATION_DAYS = env.int("INSTRUCTOR_QUALIFICATION_DAYS", default=730)
EVALUATION_ANONYMOUS_GROUP_MINIMUM = env.int("EVALUATION_ANONYMOUS_GROUP_MINIMUM", default=3)
EVALUATION_REPORT_PROMISE_HOURS = env.int("EVALUATION_REPORT_PROMISE_HOURS", default=72)
AGENCY_CERTIFICATION_REMINDER_DAYS = env.list("AGENCY_CERTIFICATION_REMINDER_DAYS", cast=int, default=[90, 30, 7])
EVALUATION_REMINDER_HOURS_BEFORE_CLOSE = env.list("EVALUATION_REMINDER_HOURS_BEFORE_CLOSE", cast=int,
                                                  default=[72, 24])
# Unknown reviewer links per address per hour (a valid link always works, whatever the count).
EVALUATION_TOKEN_GUESSES_PER_ADDRESS = env.int("EVALUATION_TOKEN_GUESSES_PER_ADDRESS", default=100)
# Disclosure by statistics: an anonymous group shows min/max/sd only from this many raters (at 3, mean, min, max and
# sd together reveal every rating), and its comments only when at least this many of its raters wrote one.
EVALUATION_SPREAD_MINIMUM = env.int("EVALUATION_SPREAD_MINIMUM", default=5)
EVALUATION_COMMENT_MINIMUM = env.int("EVALUATION_COMMENT_MINIMUM", default=3)
COACHING_AGREEMENT_MIN_MONTHS = env.int("COACHING_AGREEMENT_MIN_MONTHS", default=3)
COACHING_AGREEMENT_MAX_MONTHS = env.int("COACHING_AGREEMENT_MAX_MONTHS", default=6)
TOOLKIT_MAX_FILE_BYTES = env.int("TOOLKIT_MAX_FILE_BYTES", default=25 * 1024 * 1024)
TRAINING_CREDIT_IMPORT_MAX_ROWS = env.int("TRAINING_CREDIT_IMPORT_MAX_ROWS", default=200_000)
PUBLIC_REGISTRY_REQUESTS_PER_MINUTE = env.int("PUBLIC_REGISTRY_REQUESTS_PER_MINUTE", default=120)

# --- Security -------------------------------------------------------------------------------------------
# How many reverse proxies of ours sit in front of the app; core.client.client_address trusts that many
# X-Forwarded-For entries from the right and no more. 0 = the header is ignored (the app is reached directly).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
# Our limits key on client_address; should a DRF throttle ever be added, its get_ident trusts the same hops.
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
)
SESSION_COOKIE_HTTPONLY = True
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Reviewer links carry their secret in the path: every handler masks it (core.log_masking). Django's own "django" and
# "django.server" (runserver's access log) loggers are redefined here so no handler from Django's defaults, which
# would print the path unmasked, stays attached.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_secret_links": {"()": "core.log_masking.SecretLinkFilter"}},
    "formatters": {"django.server": {"()": "django.utils.log.ServerFormatter",
                                     "format": "[{server_time}] {message}", "style": "{"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_secret_links"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server",
                          "filters": ["mask_secret_links"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
