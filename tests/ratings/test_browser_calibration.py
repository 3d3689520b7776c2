"""Calibration in a real browser (Debian Chromium driven by Playwright over real HTTP).

Two experts sign in and rate the campaign's three calibration units with the keyboard; after
each, the page shows the expected range and the admin's rationale. The first misses the range
twice, fails the qualification threshold and is told so on the queue, with no real unit to
open; the second stays within range, passes and goes on to the campaign's real units.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.ratings.conftest import build_run, calibration_gold
from tests.ratings.test_browser import (
    SCREENSHOTS,
    _rate_with_keyboard,
    _unit_url,
    chromium,  # noqa: F401 - the fixture
    chromium_page,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RATIONALE = "The plan is sound but skips the safety check an expert would insist on."


@pytest.fixture
def calibrated_campaign(instrument, model_endpoints, expert1, expert2):
    """English work samples of 6 items x 2 models; three are calibration units (2 to 3),
    two of three within range needed; the other nine go to both experts."""
    from ratings.models import Panel
    from ratings.services import campaign_create

    run = build_run(instrument, model_endpoints, languages=["en"], item_numbers=range(1, 7))
    panel = Panel.objects.create(name="Calibration panel")
    panel.experts.set([expert1.expert, expert2.expert])
    trials = list(run.trials.order_by("pk")[:3])
    return campaign_create(
        name="Calibrated browser campaign",
        skip_review=True,
        run=run,
        panel=panel,
        raters_per_unit=2,
        gold=calibration_gold(trials, rationale=RATIONALE),
        qualification_threshold=0.66,
        seed=11,
    )


def _codes(campaign, user, *, calibration: bool) -> list[str]:
    from ratings.models import Assignment

    return list(
        Assignment.objects.filter(
            campaign=campaign, expert__user=user, unit__is_calibration=calibration
        )
        .order_by("position")
        .values_list("unit__blind_code", flat=True)
    )


def _sign_in(page: Page, live_server: LiveServer, user) -> None:
    page.goto(f"{live_server.url}/rate/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f"{user.username}-pw-12345")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/rate/"


def _calibrate(page: Page, live_server: LiveServer, codes: list[str], values: list[int]) -> None:
    """Rate each calibration unit from the queue's continue button, read the feedback."""
    for code, value in zip(codes, values, strict=True):
        assert page.locator("#calibration-calibrating").count() == 1
        page.click("#continue-button")
        page.wait_for_url(_unit_url(live_server, code))
        assert page.locator("#calibration-notice").is_visible()
        _rate_with_keyboard(page, value=value)
        # The same page again, now with the feedback instead of the form.
        page.wait_for_selector("#calibration-feedback")
        assert page.url == _unit_url(live_server, code)
        feedback = page.locator("#calibration-feedback").inner_text()
        assert "2 to 3" in feedback and RATIONALE in feedback
        within = 2 <= value <= 3
        assert ("within the expected range" in feedback) is within
        assert page.locator("#rating-form").count() == 0
        page.click("#continue-button")
        page.wait_for_load_state()
        if page.url != f"{live_server.url}/rate/":
            page.goto(f"{live_server.url}/rate/")


def test_failing_expert_is_told_why_and_passing_expert_reaches_the_real_units(
    chromium: Path,  # noqa: F811 - the fixture
    calibrated_campaign,
    expert1,
    expert2,
    live_server: LiveServer,
) -> None:
    from ratings.models import Calibration

    failing_codes = _codes(calibrated_campaign, expert1, calibration=True)
    passing_codes = _codes(calibrated_campaign, expert2, calibration=True)
    first_real = _codes(calibrated_campaign, expert2, calibration=False)[0]
    withheld = _codes(calibrated_campaign, expert1, calibration=False)[0]

    with chromium_page(chromium) as page:
        _sign_in(page, live_server, expert1)
        _calibrate(page, live_server, failing_codes, [5, 3, 1])
        message = page.locator("#calibration-not_qualified").inner_text()
        assert "You did not pass the calibration: 1 of 3" in message
        assert "will not be given to you" in message
        assert page.locator("#continue-button").count() == 0
        page.screenshot(path=str(SCREENSHOTS / "calibration-failed.png"), full_page=True)
        response = page.goto(_unit_url(live_server, withheld))
        assert response is not None and response.status == 404

    with chromium_page(chromium) as page:
        _sign_in(page, live_server, expert2)
        _calibrate(page, live_server, passing_codes, [2, 3, 4])
        assert "You passed the calibration" in page.locator("#calibration-qualified").inner_text()
        page.click("#continue-button")
        page.wait_for_url(_unit_url(live_server, first_real))
        assert page.locator("#calibration-notice").count() == 0
        _rate_with_keyboard(page, value=4)
        page.wait_for_url(lambda url: url != _unit_url(live_server, first_real))

    statuses = dict(
        Calibration.objects.filter(campaign=calibrated_campaign).values_list(
            "expert__user__username", "status"
        )
    )
    assert statuses == {expert1.username: "not_qualified", expert2.username: "qualified"}
    from ratings.models import Assignment

    rated = Assignment.objects.get(unit__blind_code=first_real, expert__user=expert2)
    assert rated.status == "submitted"
