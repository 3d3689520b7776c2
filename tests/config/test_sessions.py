"""Sessions are read from the cache and kept in the database: logging out still ends them."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "erin_expert-pw-12345"  # what tests.conftest gives the persona erin_expert


def test_a_session_is_cached_and_stored_and_logging_out_ends_it_for_every_copy(expert1):
    browser = Client()
    assert browser.login(username=expert1.username, password=PASSWORD)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()

    # A second copy of the cookie (another tab, or a stolen cookie) is signed in too ...
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = key
    assert copy.get("/rate/").status_code == 200

    # ... until the expert logs out: the session is gone from the cache and from the table.
    assert browser.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    response = copy.get("/rate/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
