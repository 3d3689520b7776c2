"""Start-up stays light: Django's set-up, the admin and every view module load without the
statistics stack or the LLM SDK, which every `manage.py` command, Celery worker, gunicorn worker
and test subprocess would otherwise pay for; the code that computes a statistic or calls a
provider imports them on use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What start-up must not import: each top-level package is seconds or a good part of one.
HEAVY = ("krippendorff", "openai", "pandas", "scipy", "statsmodels")
LOADED = """
import sys

import django

django.setup()
from django.urls import get_resolver

get_resolver().url_patterns
print(" ".join(sorted(name for name in sys.argv[1:] if name in sys.modules)))
"""


def test_setup_and_every_view_module_import_none_of_the_heavy_packages():
    """A fresh interpreter, as a command or a worker starts: `django.setup()` (apps, admin
    autodiscovery) and the URL conf (every view module)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED, *HEAVY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert loaded.stdout.split() == []
