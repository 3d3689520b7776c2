"""Settings, read from the environment in this one place (django-environ).

Every variable is listed in `.env.example` and in the README. A bad value fails loudly at start-up;
a production secret has no default.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
for _folder in ("static", "broker/queue", "broker/control", "celery-results", "cache", "ratelimit"):
    (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)

env = environ.Env()

# Arrow's default allocator keeps freed memory for reuse; the system allocator hands it back, which
# keeps a long-lived web process's peak low while it streams Parquet exports.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="development-only-not-secret")
else:
    try:
        SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production)."
        ) from exc
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "careers",
    "llmruns",
    "ratings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ratings.context_processors.expert_navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vocationlab.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Workers and web processes keep their connection: a new PostgreSQL connection per task or
    # request costs more than the work itself.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CACHES = {
    "default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}"),
}
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    # Django's default of 300 files would soon evict the sessions (below) of a study's experts;
    # `?max_entries=` on CACHE_URL sets another bound.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 5000)
# Sessions are read from the shared cache and written through to the database: no session query
# per request, and logging out still deletes the session everywhere (cache and table). The cache
# must be shared by all web processes (the file cache or Redis, never a per-process one).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "careers.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only: every write takes nested lists and objects that forms cannot express.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.BoundedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.negotiation.FormatNamingContentNegotiation",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.rest.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "config.schema.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "config.rest.exception_handler",
}
# Personal API tokens (django-rest-knox): stored as SHA-512 digests, shown once, valid until
# revoked; `Authorization: Token vl_...`. A deactivated user's tokens stop working.
REST_KNOX = {"TOKEN_TTL": None, "TOKEN_PREFIX": "vl_", "AUTO_REFRESH": False}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vocation Lab API",
    "DESCRIPTION": "Career interests and competence of large language models: instruments, "
    "runs, campaigns, agreement and discrepancy statistics, exports.\n\n"
    "**Authentication.** In the browser, your signed-in session is used. From scripts, send a "
    "personal token: `Authorization: Token vl_...`. Researchers and study admins create one on "
    "the page [API tokens](/account/tokens/) (it is shown once; keep it like a password, revoke "
    "it there), or on the server with `.venv/bin/python manage.py api_token create USERNAME`. "
    "A token stops working when it is revoked or its user is deactivated.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its pages describe the researcher API: for those who may use it, not for
    # experts (401 without a login or token; the HTML pages send to the login page instead).
    "SERVE_PERMISSIONS": ["careers.permissions.ResearchReadOnly"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "ratings.models.CampaignStatus",
        "RunStatusEnum": "llmruns.models.RunStatus",
    },
}

# Celery. The embedded default is kombu's filesystem transport: a real broker that needs no server
# (see the README for why it was chosen over the SQLAlchemy transport).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The transport polls its folder; kombu's default of once a second would hold a worker
        # to about one task per second per process.
        "polling_interval": 0.05,
    }
    _default_result_backend = f"file://{VAR_DIR / 'celery-results'}"
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    _default_result_backend = CELERY_BROKER_URL
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
    _default_result_backend = "rpc://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_result_backend)
# Celery closes the database connection around every task unless told to reuse it; with
# CONN_MAX_AGE the connection is then kept for that many tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Batch execution: the beat tick that submits, polls and collects provider batches; the first
# and the longest wait between polls of one batch; how long a step holds a batch row.
LLM_BATCH_TICK_SECONDS = env.float("LLM_BATCH_TICK_SECONDS", default=30.0)
LLM_BATCH_POLL_INITIAL = env.float("LLM_BATCH_POLL_INITIAL", default=30.0)
LLM_BATCH_POLL_MAX = env.float("LLM_BATCH_POLL_MAX", default=600.0)
LLM_BATCH_LEASE_SECONDS = env.int("LLM_BATCH_LEASE_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "reap-expired-leases": {"task": "llmruns.tasks.reap_expired_leases", "schedule": 30.0},
    "advance-batches": {
        "task": "llmruns.tasks.advance_batches",
        "schedule": LLM_BATCH_TICK_SECONDS,
    },
}

# Shared rate limiter: Redis when one is configured, a file lock on this machine otherwise.
RATE_LIMIT_URL = env.str(
    "RATE_LIMIT_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "",
)
RATE_LIMIT_DIR = VAR_DIR / "ratelimit"
LLM_LEASE_SECONDS = env.int("LLM_LEASE_SECONDS", default=300)
LLM_MAX_ATTEMPTS = env.int("LLM_MAX_ATTEMPTS", default=5)
LLM_REQUEST_TIMEOUT = env.float("LLM_REQUEST_TIMEOUT", default=60.0)
LLM_ENQUEUE_CHUNK = env.int("LLM_ENQUEUE_CHUNK", default=200)
LLM_BACKOFF_INITIAL = env.float("LLM_BACKOFF_INITIAL", default=1.0)
# Runs with more trials than this are prepared by a background task (status `preparing`), a
# batch of LLM_PREPARE_BATCH trials per transaction; smaller ones within the request.
LLM_PREPARE_INLINE_TRIALS = env.int("LLM_PREPARE_INLINE_TRIALS", default=20_000)
LLM_PREPARE_BATCH = env.int("LLM_PREPARE_BATCH", default=5_000)
MOCK_LLM_URL = env.str("MOCK_LLM_URL", default="http://127.0.0.1:8089/v1")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # One line per HTTP call from the SDK's transport, and two per task from the worker
    # ("received", "succeeded"), are noise at study scale; progress is on the run instead.
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("httpx", "httpx2", "openai", "celery.app.trace", "celery.worker.strategy")
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
