"""Each role's first page, and a researcher's API token, in a real browser (Debian Chromium).

Every persona signs in through the login form at `/` and must land where its work is. The
researcher then creates a token on the tokens page, reads the API with it over real HTTP (no
session: a separate HTTP client with only the header), revokes it on the page, and gets 401.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from tests.ratings.test_browser import (  # noqa: F401 - fixtures
    PHONE,
    _has_no_horizontal_overflow,
    chromium,
    chromium_page,
)

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-pw-12345")  # what tests.conftest gives each persona
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()


def test_each_role_lands_on_its_work_after_signing_in(
    chromium: Path,  # noqa: F811 - the fixture
    admin_user,
    researcher,
    expert1,
    live_server: LiveServer,
) -> None:
    landed = {}
    with chromium_page(chromium) as page:
        for user in (admin_user, researcher, expert1):
            _sign_in(page, live_server, user.username)
            landed[user.username] = (page.url, page.locator("h1").first.inner_text())
            page.locator("form[action='/accounts/logout/'] button").click()
            page.wait_for_load_state()
    assert landed[admin_user.username] == (f"{live_server.url}/overview/", "Study overview")
    assert landed[researcher.username] == (f"{live_server.url}/dashboards/", "Dashboards")
    assert landed[expert1.username] == (f"{live_server.url}/rate/", "Your rating queue")


def test_a_researcher_creates_a_token_uses_it_and_revokes_it(
    chromium: Path,  # noqa: F811 - the fixture
    researcher,
    instrument,
    live_server: LiveServer,
) -> None:
    api = f"{live_server.url}/api/v1/instruments/"
    with chromium_page(chromium) as page:
        _sign_in(page, live_server, researcher.username)
        page.click("#researcher-links >> text=API tokens")
        page.click("#create-token")
        token = page.locator("#new-token").inner_text().strip()
        assert token.startswith("vl_")
        # The token and the curl line that uses it wrap, on a laptop and on a phone.
        assert token in page.locator("#new-token-box pre").inner_text()
        assert _has_no_horizontal_overflow(page)
        page.set_viewport_size(PHONE)
        assert _has_no_horizontal_overflow(page)
        revoke = page.locator(".revoke-token").first.bounding_box()
        assert revoke is not None and revoke["x"] + revoke["width"] <= PHONE["width"]

        # The token alone, from another client, over real HTTP.
        headers = {"Authorization": f"Token {token}"}
        answer = httpx.get(api, headers=headers, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["results"][0]["slug"] == "oip-sf"
        assert httpx.get(api, timeout=10).status_code == 401  # nothing without it

        # Shown once: the list shows only its beginning after a reload.
        page.goto(f"{live_server.url}/account/tokens/")
        listing = page.locator("#token-list").inner_text()
        assert token[:15] in listing and token not in page.content()

        page.locator(".revoke-token").first.click()
        page.wait_for_load_state()
        assert "revoked" in page.locator(".messages").inner_text()
        assert httpx.get(api, headers=headers, timeout=10).status_code == 401
