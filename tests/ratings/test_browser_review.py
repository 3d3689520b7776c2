"""The expert side of the flag loop in a real browser (Debian Chromium via Playwright).

One expert flags a unit as identifying the model while rating it; the other expert's queue no
longer lists it and its page is a 404; a study admin edits the text; the unit is back in the
other expert's queue with the edited text, and can be rated there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.ratings.conftest import build_run
from tests.ratings.test_browser import CHROMIUM_ARGS, LAPTOP, READING_PAUSE_MS
from tests.ratings.test_browser import chromium as chromium  # noqa: PLC0414 (the fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXED = "The plan, checked by the study admin: measure twice, cut once."


@contextmanager
def chromium_browser(executable: Path) -> Iterator[Browser]:
    """A headless Chromium; no ORM call belongs inside the block (see test_browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _signed_in(browser: Browser, live_server: LiveServer, username: str) -> Page:
    page = browser.new_context(viewport=LAPTOP).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/rate/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-pw-12345")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/rate/"
    return page


def _queue_codes(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "table a[href^='/rate/']", "links => links.map(a => a.textContent.trim())"
    )


@pytest.fixture
def shared_campaign(instrument, model_endpoints, expert1, expert2):
    """Four English work samples, each in both experts' queues."""
    from ratings.models import Panel
    from ratings.services import campaign_create

    run = build_run(instrument, model_endpoints, languages=["en"], item_numbers=range(1, 3))
    panel = Panel.objects.create(name="Flag panel")
    panel.experts.set([expert1.expert, expert2.expert])
    return campaign_create(
        name="Flag campaign", run=run, panel=panel, raters_per_unit=2, seed=3, skip_review=True
    )


def test_a_flagged_unit_leaves_the_other_queue_and_returns_after_review(
    chromium: Path, shared_campaign, expert1, expert2, admin_user, live_server: LiveServer
) -> None:
    from ratings.models import Assignment, Rating, Unit, UnitReviewStatus
    from ratings.services import unit_review_save

    unit = Unit.objects.filter(campaign=shared_campaign).order_by("blind_code").first()
    code = unit.blind_code

    with chromium_browser(chromium) as browser:
        flagger = _signed_in(browser, live_server, expert2.username)
        assert code in _queue_codes(flagger)
        flagger.goto(f"{live_server.url}/rate/{code}/")
        flagger.check("input[name='flags'][value='identifies_model']")
        flagger.wait_for_timeout(READING_PAUSE_MS)
        flagger.keyboard.press("2")
        flagger.keyboard.press("Enter")
        flagger.wait_for_url(lambda url: not url.endswith(f"/rate/{code}/"))
        # One session at a time: the test server shares one in-memory database connection.
        flagger.context.close()

        other = _signed_in(browser, live_server, expert1.username)
        codes = _queue_codes(other)
        assert code not in codes and len(codes) == 3
        response = other.goto(f"{live_server.url}/rate/{code}/")
        assert response is not None and response.status == 404
        other.goto(f"{live_server.url}/rate/")
        other.screenshot(path=str(Path("var/screenshots/queue-withheld.png")))

    unit.refresh_from_db()
    assert unit.review_status == UnitReviewStatus.PENDING
    flag = Rating.objects.get(assignment__unit=unit, assignment__expert__user=expert2)
    assert flag.flag_identifies_model
    unit_review_save(unit=unit, by=admin_user, text=FIXED)

    with chromium_browser(chromium) as browser:
        other = _signed_in(browser, live_server, expert1.username)
        assert code in _queue_codes(other)
        other.goto(f"{live_server.url}/rate/{code}/")
        assert FIXED in other.locator("body").inner_text()
        other.wait_for_timeout(READING_PAUSE_MS)
        other.keyboard.press("4")
        other.keyboard.press("Enter")
        other.wait_for_url(lambda url: not url.endswith(f"/rate/{code}/"))

    rated = Assignment.objects.get(unit=unit, expert__user=expert1)
    assert rated.status == "submitted" and rated.ratings.get().value == 4
