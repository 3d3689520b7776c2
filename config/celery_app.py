"""The Celery application; tasks live in each app's `tasks.py`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("vocationlab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping")
def ping(value: str) -> str:
    """Round-trip check used by the integration test and `manage.py check_worker`."""
    return f"pong:{value}"
