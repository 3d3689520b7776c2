"""The expert's rating UI in a real browser: Debian Chromium driven by Playwright over real HTTP.

One expert signs in through the login form, switches the interface to Chinese, rates three units
with the keyboard alone, skips one with a reason, revises one from the queue, and the database is
checked for exactly that work, with the server's and the browser's times. Screenshots at laptop
and phone size go to var/screenshots/ (not committed) for a human look.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import services_required
from tests.ratings.conftest import build_run, queue_codes

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
WIDE_LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Any CJK unified ideograph: enough to tell Chinese text from English.
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Long enough for the page's active-time counter to register more than 0.0 s.
READING_PAUSE_MS = 300
PASSWORD = "erin_expert-pw-12345"  # what tests.conftest gives the persona erin_expert


def _skip_or_fail(reason: str) -> None:
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def chromium() -> Path:
    """Debian Chromium and the Playwright package, or a skip (a failure in CI) saying why not."""
    if not CHROMIUM.exists():
        _skip_or_fail(f"browser test needs Debian Chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip_or_fail("browser test needs the playwright Python package")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


@contextmanager
def chromium_page(executable: Path) -> Iterator[Page]:
    """A fresh headless Chromium page at laptop size, closed on the way out.

    No ORM call belongs inside the block: Playwright's sync API runs an asyncio loop on this
    thread in a context of its own, so Django would refuse the call as async, or (allowed)
    open a second connection that nothing closes. Read the database before and after.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport=LAPTOP)
            page.set_default_timeout(10_000)
            yield page
        finally:
            browser.close()


@pytest.fixture
def chinese_campaign(instrument, model_endpoints, expert1):
    """12 Chinese work samples (6 items x 2 models), all in erin_expert's queue."""
    from ratings.models import Panel
    from ratings.services import campaign_create

    run = build_run(instrument, model_endpoints, languages=["zh-hans"], item_numbers=range(1, 7))
    panel = Panel.objects.create(name="Browser panel")
    panel.experts.set([expert1.expert])
    return campaign_create(
        skip_review=True,
        name="Browser campaign",
        run=run,
        panel=panel,
        raters_per_unit=1,
        instructions={
            "en": "Rate the answer as a practitioner would.",
            "zh-hans": "请按从业者标准评分。",
        },
        seed=7,
    )


def _unit_url(live_server: LiveServer, code: str) -> str:
    return f"{live_server.url}/rate/{code}/"


def _html_lang(page: Page) -> str:
    return page.evaluate("document.documentElement.lang")


def _has_no_horizontal_overflow(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _widest_heading_lines(page: Page, table: str) -> float:
    """How many lines the tallest heading of the table takes (padding counts as a bit more)."""
    return page.evaluate(
        """selector => Math.max(...[...document.querySelectorAll(selector + ' th')].map(
            th => th.getBoundingClientRect().height / parseFloat(getComputedStyle(th).lineHeight)))""",
        table,
    )


def _rate_with_keyboard(page: Page, *, value: int) -> None:
    page.wait_for_timeout(READING_PAUSE_MS)
    page.keyboard.press(str(value))
    assert page.locator(f"#value-{value}").is_checked()
    page.keyboard.press("Enter")


def _translated(message: str) -> str:
    """The message in Chinese if the catalog has it, else the English message itself."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return translation.gettext(message)


def test_expert_rates_skips_and_revises_in_chinese_with_the_keyboard(
    chromium: Path, chinese_campaign, expert1, live_server: LiveServer
) -> None:
    from careers.models import ScalePoint
    from ratings.models import Assignment, Rating

    codes = queue_codes(expert1)
    values = {codes[0]: 4, codes[1]: 2, codes[2]: 5}
    revised_value = 1
    skipped_code = codes[3]
    skip_note = "not my field"
    chinese_label = ScalePoint.objects.get(
        scale=chinese_campaign.scale, language="zh-hans", value=1
    ).label
    assert CHINESE.search(chinese_label)
    queue_url = f"{live_server.url}/rate/"

    with chromium_page(chromium) as page:
        # Sign in through the form; the login page sends the expert back to the queue.
        page.goto(queue_url)
        assert "/accounts/login/" in page.url
        page.fill("#id_username", expert1.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == queue_url
        assert _html_lang(page) == "en"

        # The language switcher submits on change and comes back to the same page.
        with page.expect_navigation():
            page.select_option("#language-select", "zh-hans")
        assert page.url == queue_url
        assert _html_lang(page) == "zh-hans"
        assert _translated("Your rating queue") in page.locator("h1").inner_text()

        page.click("#continue-button")
        page.wait_for_url(_unit_url(live_server, codes[0]))
        # The task is in the unit's language; scale anchors and instructions follow the page.
        assert CHINESE.search(page.locator(".task-text").inner_text())
        assert page.locator('label[data-value="1"] .scale-label').inner_text() == chinese_label
        assert "请按从业者标准评分。" in page.locator(".instructions").inner_text()
        assert _translated("Submit rating") in page.locator("#submit-button").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "unit-1280x800.png"))

        # Three ratings with the keyboard alone: a number, then Enter opens the next unit.
        for code, following in zip(codes[:3], codes[1:4], strict=True):
            assert page.url == _unit_url(live_server, code)
            _rate_with_keyboard(page, value=values[code])
            page.wait_for_url(_unit_url(live_server, following))

        # S without a reason asks for one and moves the focus to the reasons; arrows pick one,
        # Tab goes to the note, and Enter in the note skips.
        page.wait_for_timeout(READING_PAUSE_MS)
        page.keyboard.press("s")
        assert page.evaluate("document.activeElement.id") == "id_skip_reason"
        assert page.locator("#rate-status").inner_text().strip()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        assert page.locator("#id_skip_reason").input_value() == "language"
        page.keyboard.press("Tab")
        page.keyboard.type(skip_note)
        page.keyboard.press("Enter")
        page.wait_for_url(_unit_url(live_server, codes[4]))

        # Revise the first rating: reopen it from the queue, choose another value, submit.
        page.click('.rate-topbar a[href="/rate/"]')
        page.wait_for_url(queue_url)
        progress = page.locator("#queue-progress")
        assert progress.get_attribute("data-done") == "3"
        assert progress.get_attribute("data-skipped") == "1"
        page.click(f'.queue-table a[href="/rate/{codes[0]}/"]')
        page.wait_for_url(_unit_url(live_server, codes[0]))
        assert page.locator(f"#value-{values[codes[0]]}").is_checked()
        _rate_with_keyboard(page, value=revised_value)
        page.wait_for_url(_unit_url(live_server, codes[4]))

        # Phone width: one column, nothing wider than the screen.
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENSHOTS / "unit-390x844.png"), full_page=True)
        assert _has_no_horizontal_overflow(page)
        page.goto(queue_url)
        page.screenshot(path=str(SCREENSHOTS / "queue-390x844.png"), full_page=True)
        assert _has_no_horizontal_overflow(page)
        page.set_viewport_size(LAPTOP)
        page.screenshot(path=str(SCREENSHOTS / "queue-1280x800.png"), full_page=True)

    # The database holds exactly that work.
    ratings = list(
        Rating.objects.filter(assignment__expert=expert1.expert).select_related("assignment__unit")
    )
    assert sorted((r.assignment.unit.blind_code, r.revision, r.value) for r in ratings) == sorted(
        [(code, 1, value) for code, value in values.items()] + [(codes[0], 2, revised_value)]
    )
    assert Rating.objects.count() == len(ratings)
    for rating in ratings:
        assert rating.server_seconds is not None and rating.server_seconds > 0
        assert rating.active_seconds is not None and 0 < rating.active_seconds < 60

    assignments = {
        a.unit.blind_code: a
        for a in Assignment.objects.filter(expert=expert1.expert).select_related("unit")
    }
    for code in values:
        assignment = assignments[code]
        assert assignment.status == "submitted"
        assert assignment.opened_at < assignment.submitted_at
        assert assignment.server_seconds > 0
        assert assignment.active_seconds > 0
    first, revision = sorted(
        (r for r in ratings if r.assignment.unit.blind_code == codes[0]),
        key=lambda r: r.revision,
    )
    # The revision is timed from the reopening; the first submission's times stay.
    reopened = assignments[codes[0]]
    assert reopened.last_opened_at > reopened.submitted_at
    assert revision.server_seconds < (revision.created_at - reopened.opened_at).total_seconds()
    assert reopened.submitted_at < revision.created_at
    assert reopened.server_seconds == pytest.approx(first.server_seconds)

    skipped = assignments[skipped_code]
    assert (skipped.status, skipped.skip_reason, skipped.skip_note) == (
        "skipped",
        "language",
        skip_note,
    )
    assert skipped.opened_at is not None
    untouched = [a for code, a in assignments.items() if code not in {*values, skipped_code}]
    assert {a.status for a in untouched} == {"pending"}
    # Only the unit the revision led to was opened; nothing else was shown.
    assert [a.unit.blind_code for a in untouched if a.opened_at] == [codes[4]]


def _sign_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/rate/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/rate/"


def test_s_or_enter_on_a_chosen_skip_reason_skips_the_unit(
    chromium: Path, chinese_campaign, expert1, live_server: LiveServer
) -> None:
    from ratings.models import Assignment

    codes = queue_codes(expert1)
    with chromium_page(chromium) as page:
        _sign_in(page, live_server, expert1.username)
        page.goto(_unit_url(live_server, codes[0]))

        # S without a reason moves the focus to the reasons; a reason chosen there with the
        # arrow keys, S skips the unit and the next one opens.
        page.wait_for_timeout(READING_PAUSE_MS)
        page.keyboard.press("s")
        assert page.evaluate("document.activeElement.id") == "id_skip_reason"
        page.keyboard.press("ArrowDown")
        assert page.locator("#id_skip_reason").input_value() == "outside_expertise"
        page.keyboard.press("s")
        page.wait_for_url(_unit_url(live_server, codes[1]))

        # The same with Enter on the chosen reason.
        page.wait_for_timeout(READING_PAUSE_MS)
        page.keyboard.press("s")
        assert page.evaluate("document.activeElement.id") == "id_skip_reason"
        for _ in range(3):
            page.keyboard.press("ArrowDown")
        assert page.locator("#id_skip_reason").input_value() == "unreadable"
        page.keyboard.press("Enter")
        page.wait_for_url(_unit_url(live_server, codes[2]))

    skipped = {
        a.unit.blind_code: (a.status, a.skip_reason, a.skip_note)
        for a in Assignment.objects.filter(expert=expert1.expert).select_related("unit")
        if a.status != "pending"
    }
    assert skipped == {
        codes[0]: ("skipped", "outside_expertise", ""),
        codes[1]: ("skipped", "unreadable", ""),
    }
    assert not Assignment.objects.filter(expert=expert1.expert, ratings__isnull=False).exists()


def _beside_the_browser(action: Callable[[], object]) -> None:
    """Run an ORM call while a page is open: on a thread of its own (see chromium_page), whose
    connection is closed when it is done."""
    from django.db import connection

    failures: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - raised again on the test's thread
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def test_the_unit_page_says_why_the_server_did_not_take_a_rating(
    chromium: Path, chinese_campaign, expert1, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    from ratings.models import Assignment, Rating, Unit

    code = queue_codes(expert1)[0]
    unit_url = _unit_url(live_server, code)
    with chromium_page(chromium) as page:
        _sign_in(page, live_server, expert1.username)
        page.context.add_cookies(
            [{"name": "django_language", "value": "zh-hans", "url": live_server.url}]
        )
        page.goto(unit_url)
        assert _html_lang(page) == "zh-hans"
        status = page.locator("#rate-status")
        link = page.locator("#rate-status a")

        # The session expired: the server answers with the login page. The expert is told so,
        # and the link logs in again and comes back to the unit.
        page.context.clear_cookies(name="sessionid")
        _rate_with_keyboard(page, value=4)
        expect(status).to_contain_text(
            _translated("Your session has expired, so this was not saved.")
        )
        assert _translated("Could not send; check the connection and try again.") not in (
            status.inner_text()
        )
        expect(link).to_have_text(_translated("Log in again to go on with this unit"))
        assert link.get_attribute("href") == f"/accounts/login/?next=/rate/{code}/"
        with page.expect_navigation():
            link.click()
        page.fill("#id_username", expert1.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == unit_url

        # The unit was withdrawn from the expert (sent back to review): a 404 page.
        _beside_the_browser(
            lambda: Unit.objects.filter(blind_code=code).update(review_status="pending")
        )
        _rate_with_keyboard(page, value=4)
        expect(status).to_contain_text(
            _translated("This unit is no longer available to you, so this was not saved.")
        )
        expect(link).to_have_text(_translated("Back to your queue"))
        assert link.get_attribute("href") == "/rate/"

        # The page's security token no longer matches (a 403 page): reload the page.
        _beside_the_browser(
            lambda: Unit.objects.filter(blind_code=code).update(review_status="not_needed")
        )
        page.context.add_cookies([{"name": "csrftoken", "value": "x" * 32, "url": live_server.url}])
        _rate_with_keyboard(page, value=4)
        expect(status).to_contain_text(
            _translated("This page is out of date, so this was not saved.")
        )
        expect(link).to_have_text(_translated("Reload the page"))
        assert link.get_attribute("href") == unit_url

    assert not Rating.objects.exists()
    assert Assignment.objects.get(unit__blind_code=code).status != "submitted"


def test_the_dashboards_overview_and_progress_fit_laptops_and_a_phone_in_both_languages(
    chromium: Path, chinese_campaign, admin_user, researcher, live_server: LiveServer
) -> None:
    from llmruns.models import Run

    # Names as long as the demo study's: with them the dashboards' index ran past a laptop's
    # screen and the overview's progress bars past a phone's.
    chinese_campaign.name = "Demo: rate the mock models' work samples"
    chinese_campaign.save(update_fields=["name"])
    Run.objects.filter(pk=chinese_campaign.run_id).update(
        name="Demo: two mock models, English and Chinese"
    )
    progress = f"/ratings/campaigns/{chinese_campaign.pk}/progress/"
    pages = {researcher.username: ["/dashboards/"], admin_user.username: ["/overview/", progress]}
    too_wide = []
    console_errors: list[str] = []
    with chromium_page(chromium) as page:
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        for username, paths in pages.items():
            page.context.clear_cookies()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", f"{username}-pw-12345")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            for language in ("en", "zh-hans"):
                page.context.add_cookies(
                    [{"name": "django_language", "value": language, "url": live_server.url}]
                )
                for size in (LAPTOP, WIDE_LAPTOP, PHONE):
                    page.set_viewport_size(size)
                    for path in paths:
                        page.goto(f"{live_server.url}{path}")
                        assert _html_lang(page) == language
                        if not _has_no_horizontal_overflow(page):
                            too_wide.append((path, language, size["width"]))
                        # A Chinese heading in a column a phone squeezes breaks only where an
                        # English one would, not after every character ("已/分/配").
                        if path == progress and language == "zh-hans" and size == PHONE:
                            assert _widest_heading_lines(page, "#expert-progress") < 3
            page.screenshot(path=str(SCREENSHOTS / f"{paths[0].strip('/')}-390x844.png"))
    assert too_wide == []
    assert console_errors == []  # none, not even the 404 of a /favicon.ico the site lacks
