"""Shared set-up for benchmark scripts: Django on a throwaway database, the instrument loaded.

With DATABASE_URL pointing at PostgreSQL the benchmark creates (and drops) a test database there;
otherwise it uses a SQLite file under var/. Benchmarks print figures; they assert nothing.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ.setdefault("DJANGO_DEBUG", "1")


def setup_django(*, sqlite_name: str = "bench.sqlite3"):
    import django
    from django.conf import settings

    django.setup()
    from django.test.utils import setup_databases

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        path = REPO / "var" / sqlite_name
        path.unlink(missing_ok=True)
        database["TEST"] = {**database.get("TEST", {}), "NAME": str(path)}
    old = setup_databases(verbosity=0, interactive=False)
    from careers.services import instrument_load_file

    instrument_load_file()
    return old


def teardown_django(old) -> None:
    from django.test.utils import teardown_databases

    teardown_databases(old, verbosity=0)


def machine() -> str:
    from django.db import connection

    load = os.getloadavg()
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"database {connection.vendor}, load average {load[0]:.2f}"
    )


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
