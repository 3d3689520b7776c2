"""Shared fixtures: named personas, API clients, the loaded instrument, real services."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from careers.accounts import role_groups_ensure
from careers.permissions import EXPERT, RESEARCHER, STUDY_ADMIN

pytest_plugins = ["tests.services"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """This process's filesystem broker queue (its own, see config/settings_test.py) starts
    empty: on SQLite the tests publish tasks that no worker takes, which would pile up run after
    run."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for message in Path(settings.BROKER_DIR, "queue").glob("*"):
            message.unlink(missing_ok=True)


# Tests that take tens of seconds or minutes: real worker processes, the fuzzer, the browser,
# and those marked `slow`.
LONG_RUNNING_MARKERS = ("slow", "integration", "fuzz", "browser")


def _database_order(item: pytest.Item) -> int:
    """pytest-django's order: database tests (0), then transactional ones (1), then the rest (2).

    A transactional test empties the tables when it ends, also what the migrations loaded, so
    no plain database test may run after one in the same process."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if (
        "transactional_db" in fixtures
        or "live_server" in fixtures
        or (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    ):
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests first, so that a parallel run (`make test`) does not end with one worker still
    on a long test while the others have nothing left to do.

    Within pytest-django's order, which this keeps (xdist hands each worker its tests in this
    order): the long tests that use no database go first of all, and the long tests of each of
    pytest-django's groups first in their group. Nothing else moves."""

    def long_running(item: pytest.Item) -> bool:
        return any(item.get_closest_marker(name) for name in LONG_RUNNING_MARKERS)

    def rank(item: pytest.Item) -> tuple[int, bool]:
        group = _database_order(item)
        long = long_running(item)
        return (-1 if group == 2 and long else group, not long)

    items.sort(key=rank)


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    settings.LANGUAGE_CODE = "en"


def _user(username: str, role: str | None, *, staff: bool = False):
    groups = role_groups_ensure()
    user = get_user_model().objects.create_user(username=username, password=f"{username}-pw-12345")
    if staff:
        user.is_staff = True
        user.is_superuser = True
        user.save()
    if role:
        user.groups.add(groups[role])
    return user


@pytest.fixture
def admin_user(db):
    return _user("ada_admin", STUDY_ADMIN, staff=True)


@pytest.fixture
def researcher(db):
    return _user("rosa_researcher", RESEARCHER)


def _expert(username: str, languages=("en", "zh-hans"), areas=("R", "I", "A", "S", "E", "C")):
    from ratings.models import ExpertProfile

    user = _user(username, EXPERT)
    ExpertProfile.objects.create(user=user, languages=list(languages), areas=list(areas))
    return user


@pytest.fixture
def expert1(db):
    return _expert("erin_expert")


@pytest.fixture
def expert2(db):
    return _expert("ethan_expert")


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return _client_for(admin_user)


@pytest.fixture
def researcher_api(researcher) -> APIClient:
    return _client_for(researcher)


@pytest.fixture
def expert_api(expert1) -> APIClient:
    return _client_for(expert1)


@pytest.fixture
def instrument(db):
    from careers.services import instrument_load_file

    return instrument_load_file()


@pytest.fixture(scope="session")
def instrument_data():
    from careers.services import DEFAULT_INSTRUMENT_FILE, read_instrument_file

    return read_instrument_file(DEFAULT_INSTRUMENT_FILE)


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


def queries_per_page(client, urls) -> dict[str, int]:
    """How many queries each page of urls makes when client asks for it, each page asked once
    before it is measured (the admin's change pages fill Django's content-type cache the first
    time). Every page must answer 200."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    measured = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        measured[url] = len(queries)
    return measured
