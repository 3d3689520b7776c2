"""Shared fixtures: named personas, API clients, the loaded instrument, real services."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from careers.accounts import role_groups_ensure
from careers.permissions import EXPERT, RESEARCHER, STUDY_ADMIN

pytest_plugins = ["tests.services"]


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
