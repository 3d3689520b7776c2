"""Settings for the test suite: the normal settings with a throwaway secret and fast hashing.

`make test` runs the suite in parallel (pytest-xdist workers gw0, gw1, ...), and no worker may
see another's messages, results, rate-limit state or files. pytest-django gives each worker its
own test database (test_<name>_gw0, ...); here each worker also gets
- the database index of every Redis URL offset by its number: with CELERY_BROKER_URL
  redis://127.0.0.1:6379/8, gw0 uses /8 and gw1 /9 (broker, results, rate limiter, cache);
- its own folder under var/ (var/test-gw0/; var/test-main/ without xdist): the filesystem
  broker, its results, the rate limiter's files, the logs of the processes the tests start.
The Celery worker and beat processes a test starts inherit this environment and read these
settings too, so they land on the same Redis database and the same folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
REDIS_URL_VARIABLES = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "RATE_LIMIT_URL", "CACHE_URL")
# Set once the URLs above are this worker's, so the processes the tests start (which inherit
# the environment and read these settings again) do not offset them a second time.
_OFFSET_DONE = "VOCATIONLAB_TEST_REDIS_WORKER"


def redis_url_for_worker(url: str, number: int) -> str:
    """`url` with its Redis database index moved up by `number`; other URLs unchanged."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or number == 0:
        return url
    index = parts.path.strip("/") or "0"
    if not index.isdigit():
        raise ImproperlyConfigured(f"a Redis URL for the tests needs a database index: {url}")
    moved = int(index) + number
    if moved > 15:
        raise ImproperlyConfigured(
            f"test worker {number} would use Redis database {moved} of {url}; Redis has 16 "
            "(0-15) unless configured otherwise: use a lower index or fewer workers"
        )
    return urlunsplit(parts._replace(path=f"/{moved}"))


if XDIST_WORKER and os.environ.get(_OFFSET_DONE) != XDIST_WORKER:
    # The URLs may come from .env, which the settings read into the environment (never
    # overriding it); read it first so those are offset too.
    environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)
    _number = int(XDIST_WORKER.removeprefix("gw"))
    for _name in REDIS_URL_VARIABLES:
        if os.environ.get(_name):
            os.environ[_name] = redis_url_for_worker(os.environ[_name], _number)
    os.environ[_OFFSET_DONE] = XDIST_WORKER

from config.settings import *  # noqa: E402,F403
from config.settings import (  # noqa: E402
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_BROKER_URL,
    VAR_DIR,
)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TEST_VAR_DIR = VAR_DIR / f"test-{XDIST_WORKER or 'main'}"
RATE_LIMIT_DIR = TEST_VAR_DIR / "ratelimit"
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR = TEST_VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
    if not os.environ.get("CELERY_RESULT_BACKEND"):
        CELERY_RESULT_BACKEND = f"file://{TEST_VAR_DIR / 'celery-results'}"
for _folder in ("broker/queue", "broker/control", "celery-results", "ratelimit"):
    (TEST_VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # A commit returns before its WAL record is on disk (it is visible to every other connection
    # at once all the same). Nothing in the suite crashes PostgreSQL, so the tests, and the
    # worker processes they start, need not wait for the disk thousands of times.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
