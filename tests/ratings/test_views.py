"""The expert's pages and JSON endpoints, the admin progress page, admin forms and navigation."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from ratings.models import Assignment, AssignmentStatus, Campaign, Rating
from ratings.services import campaign_close, campaign_create, rating_submit
from tests.ratings.conftest import assignment_of, build_run, queue_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def expert_client(expert1) -> Client:
    client = Client()
    client.force_login(expert1)
    return client


def _rating_post(value: int | None = 4, **extra) -> dict:
    data = {"comment": "", "submission_id": str(uuid.uuid4()), "active_seconds": "8.5", **extra}
    if value is not None:
        data["value"] = str(value)
    return data


# --------------------------------------------------------------------------------------------
# Queue


def test_queue_shows_progress_and_continues_at_the_first_unfinished_unit(
    expert_client, campaign, expert1
):
    codes = queue_codes(expert1)
    rating_submit(assignment=assignment_of(expert1, codes[0]), value=3)
    html = expert_client.get("/rate/").content.decode()
    progress = re.search(r'<p id="queue-progress"[^>]*>', html).group(0)
    assert 'data-done="1"' in progress and 'data-skipped="0"' in progress
    assert 'data-left="47"' in progress
    assert f'id="continue-button" href="/rate/{codes[1]}/"' in html
    # The listed order is the stored queue order.
    listed = re.findall(r'<td><a href="/rate/([A-Z0-9]+)/">', html)
    assert listed == codes
    statuses = re.findall(r'<tr class="status-(\w+)">.*?<td>([^<]*)</td>\s*</tr>', html, re.S)
    assert statuses[:2] == [("submitted", "Rated"), ("pending", "To do")]


def test_queue_labels_follow_the_page_language(expert_client, campaign, expert1):
    codes = queue_codes(expert1)
    rating_submit(assignment=assignment_of(expert1, codes[0]), value=3)
    expert_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = expert_client.get("/rate/").content.decode()
    statuses = re.findall(r'<tr class="status-(\w+)">.*?<td>([^<]*)</td>\s*</tr>', html, re.S)
    with translation.override("zh-hans"):
        assert statuses[:2] == [
            ("submitted", translation.gettext("Rated")),
            ("pending", translation.gettext("To do")),
        ]
    assert statuses[0][1] != "Rated"
    # The switcher names each language in that language, whatever the page language.
    assert '<option value="en">English</option>' in html
    assert '<option value="zh-hans" selected>简体中文</option>' in html


def test_queue_leaves_out_closed_campaigns(expert_client, campaign):
    campaign_close(campaign=campaign)
    html = expert_client.get("/rate/").content.decode()
    assert "No units are assigned to you yet." in html
    assert 'data-left="0"' in html


def test_queue_is_for_experts_only(client, researcher):
    assert client.get("/rate/").status_code == 302  # to the login page
    client.force_login(researcher)
    assert client.get("/rate/").status_code == 403


def test_error_pages_follow_the_page_language_and_lead_back(expert_client, campaign):
    expert_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    missing = expert_client.get("/rate/ZZZZZZZZZZ/")
    refused = expert_client.get("/overview/")
    assert (missing.status_code, refused.status_code) == (404, 403)
    with translation.override("zh-hans"):
        for response in (missing, refused):
            html = response.content.decode()
            assert '<html lang="zh-hans">' in html
            assert translation.gettext("My rating queue") in html
        assert "页面未找到" in missing.content.decode()
        # The reason the view gave, translated.
        assert translation.gettext("This page is for study admins.") in refused.content.decode()
    assert "Not Found" not in missing.content.decode()
    assert "ZZZZZZZZZZ" not in missing.content.decode()
    assert "Forbidden" not in refused.content.decode()


# --------------------------------------------------------------------------------------------
# Unit page


def test_unit_page_shows_the_task_the_redacted_answer_and_the_scale(
    expert_client, campaign, expert1
):
    code = queue_codes(expert1)[0]
    unit = assignment_of(expert1, code).unit
    html = expert_client.get(f"/rate/{code}/").content.decode()
    task = unit.item.texts.get(language=unit.language).task
    assert escape(task.split("\n")[0]) in html
    assert "[model name removed]" in html
    assert 'id="rating-form"' in html and f'data-blind-code="{code}"' in html
    assert 'id="id_comment"' in html and 'id="skip-button"' in html
    assert 'id="queue-progress"' in html
    assert [int(v) for v in re.findall(r'data-value="(\d)"', html)] == [1, 2, 3, 4, 5]
    assert "Not at all competent" in html and "Highly competent" in html
    assert "<details" in html and "Rate the answer as a practitioner would." in html
    assert 'name="submission_id"' in html


def test_unit_page_follows_the_page_language_but_shows_the_task_in_the_units_language(
    expert_client, campaign, expert1
):
    english_code = next(
        code for code in queue_codes(expert1) if assignment_of(expert1, code).unit.language == "en"
    )
    expert_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = expert_client.get(f"/rate/{english_code}/").content.decode()
    assert "完全不胜任" in html and "Not at all competent" not in html
    assert "请按从业者标准评分。" in html
    unit = assignment_of(expert1, english_code).unit
    assert unit.item.texts.get(language="en").activity in html


def test_model_output_is_escaped_and_keeps_its_whitespace(
    instrument, model_endpoints, expert1, expert_client
):
    from ratings.models import Panel

    def hostile(endpoint, *, language, item_number):
        return '<script>alert("x")</script>\n  indented <b>bold</b> line'

    run = build_run(
        instrument, model_endpoints[:1], languages=["en"], item_numbers=[1], text=hostile
    )
    panel = Panel.objects.create(name="Solo")
    panel.experts.set([expert1.expert])
    campaign_create(skip_review=True, name="Hostile", run=run, panel=panel, raters_per_unit=1)
    html = expert_client.get(f"/rate/{queue_codes(expert1)[0]}/").content.decode()
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\n  indented &lt;b&gt;bold" in html
    assert 'class="prewrap response"' in html


def test_first_opening_is_recorded_once(expert_client, campaign, expert1):
    code = queue_codes(expert1)[0]
    expert_client.get(f"/rate/{code}/")
    first = assignment_of(expert1, code).opened_at
    assert first is not None
    expert_client.get(f"/rate/{code}/")
    assignment = assignment_of(expert1, code)
    assert assignment.opened_at == first and assignment.last_opened_at > first


def test_plain_post_submits_and_opens_the_next_unit(expert_client, campaign, expert1):
    first, second = queue_codes(expert1)[:2]
    expert_client.get(f"/rate/{first}/")
    response = expert_client.post(
        f"/rate/{first}/", _rating_post(4, action="submit", flags=["truncated"])
    )
    assert response.status_code == 302 and response["Location"] == f"/rate/{second}/"
    rating = Rating.objects.get(assignment__unit__blind_code=first)
    assert (rating.value, rating.flags, rating.active_seconds) == (4, ["truncated"], 8.5)
    assert rating.server_seconds is not None


def test_plain_post_without_value_rerenders_with_the_error(expert_client, campaign, expert1):
    code = queue_codes(expert1)[0]
    response = expert_client.post(
        f"/rate/{code}/", _rating_post(None, action="submit", comment="kept text")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a value on the scale." in html and "kept text</textarea>" in html
    assert not Rating.objects.exists()


def test_plain_post_with_a_value_that_is_no_number_rerenders_with_the_error(
    expert_client, campaign, expert1
):
    # "²" passes str.isdigit() but is not a number int() reads.
    code = queue_codes(expert1)[0]
    response = expert_client.post(f"/rate/{code}/", _rating_post("²", action="submit"))
    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()
    assert not Rating.objects.exists()


def test_reopening_a_rated_unit_prefills_it_and_submitting_again_is_a_revision(
    expert_client, campaign, expert1
):
    code = queue_codes(expert1)[0]
    expert_client.post(f"/rate/{code}/", _rating_post(2, action="submit", comment="thin"))
    html = expert_client.get(f"/rate/{code}/").content.decode()
    assert "You rated this unit <strong>2</strong> (revision 1)" in html
    assert re.search(r'value="2" id="value-2" checked', html)
    assert "thin</textarea>" in html
    expert_client.post(f"/rate/{code}/", _rating_post(5, action="submit"))
    assert list(
        Rating.objects.filter(assignment__unit__blind_code=code, assignment__expert__user=expert1)
        .order_by("revision")
        .values_list("revision", "value")
    ) == [(1, 2), (2, 5)]


def test_plain_post_skip_needs_a_reason(expert_client, campaign, expert1):
    first, second = queue_codes(expert1)[:2]
    refused = expert_client.post(f"/rate/{first}/", {"action": "skip", "skip_reason": ""})
    assert (
        refused.status_code == 400 and "Choose a reason for skipping." in refused.content.decode()
    )
    skipped = expert_client.post(
        f"/rate/{first}/", {"action": "skip", "skip_reason": "language", "skip_note": ""}
    )
    assert skipped["Location"] == f"/rate/{second}/"
    assert assignment_of(expert1, first).status == AssignmentStatus.SKIPPED


# --------------------------------------------------------------------------------------------
# JSON endpoints


def test_draft_endpoint_saves_and_the_page_restores_the_draft(expert_client, campaign, expert1):
    code = queue_codes(expert1)[0]
    response = expert_client.post(
        f"/rate/{code}/draft/", {"value": "3", "comment": "so far", "flags": ["unsafe"]}
    )
    assert response.status_code == 200 and response.json()["status"] == "draft"
    html = expert_client.get(f"/rate/{code}/").content.decode()
    assert re.search(r'value="3" id="value-3" checked', html)
    assert "so far</textarea>" in html
    assert re.search(r'value="unsafe" checked', html)


def test_submit_endpoint_returns_the_next_unit_and_is_idempotent(expert_client, campaign, expert1):
    first, second = queue_codes(expert1)[:2]
    data = _rating_post(5)
    response = expert_client.post(f"/rate/{first}/submit/", data)
    assert response.status_code == 200
    assert response.json() == {"status": "submitted", "revision": 1, "next_url": f"/rate/{second}/"}
    # A retried request (same submission id) is recognised: still one rating.
    again = expert_client.post(f"/rate/{first}/submit/", data)
    assert again.status_code == 200 and again.json()["revision"] == 1
    assert Rating.objects.filter(assignment__unit__blind_code=first).count() == 1
    # A new submission from a reopened page is a revision.
    revised = expert_client.post(f"/rate/{first}/submit/", _rating_post(3))
    assert revised.json()["revision"] == 2


def test_submit_endpoint_reports_field_errors(expert_client, campaign, expert1):
    code = queue_codes(expert1)[0]
    response = expert_client.post(f"/rate/{code}/submit/", _rating_post(9))
    assert response.status_code == 400
    assert "not on the scale" in response.json()["errors"]["value"][0]


def test_skip_endpoint(expert_client, campaign, expert1):
    first, second = queue_codes(expert1)[:2]
    response = expert_client.post(f"/rate/{first}/skip/", {"skip_reason": "unreadable"})
    assert response.json() == {"status": "skipped", "next_url": f"/rate/{second}/"}
    missing = expert_client.post(f"/rate/{second}/skip/", {})
    assert missing.status_code == 400 and "skip_reason" in missing.json()["errors"]


def test_closed_campaign_page_is_read_only_and_submissions_are_409(
    expert_client, campaign, expert1
):
    code = queue_codes(expert1)[0]
    campaign_close(campaign=campaign)
    html = expert_client.get(f"/rate/{code}/").content.decode()
    assert "This campaign is closed" in html and 'id="submit-button"' not in html
    assert expert_client.post(f"/rate/{code}/submit/", _rating_post(3)).status_code == 409
    assert expert_client.post(f"/rate/{code}/draft/", {"value": "3"}).status_code == 409
    assert not Rating.objects.exists()


@pytest.mark.parametrize("suffix", ["", "draft/", "submit/", "skip/"])
def test_another_experts_unit_is_404_everywhere(
    expert_client, expert1, finished_run, panel, suffix
):
    from ratings.models import Panel

    others = Panel.objects.create(name="Others")
    others.experts.set([panel.experts.exclude(user=expert1).first()])
    campaign_create(
        skip_review=True, name="Not yours", run=finished_run, panel=others, raters_per_unit=1
    )
    foreign = Assignment.objects.exclude(expert__user=expert1).first()
    code = foreign.unit.blind_code
    data = {**_rating_post(3), "skip_reason": "other"}
    response = (
        expert_client.get(f"/rate/{code}/")
        if suffix == ""
        else expert_client.post(f"/rate/{code}/{suffix}", data)
    )
    assert response.status_code == 404
    # The same answer as for a code that does not exist at all.
    unknown = "/rate/ZZZZZZZZZZ/" + suffix
    assert (expert_client.get if suffix == "" else expert_client.post)(unknown).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == AssignmentStatus.PENDING and foreign.opened_at is None


def test_unit_page_gives_its_script_where_to_log_in_again_and_the_queue(
    expert_client, campaign, expert1
):
    code = queue_codes(expert1)[0]
    expert_client.cookies["django_language"] = "zh-hans"
    html = expert_client.get(f"/rate/{code}/").content.decode()
    assert f'data-login-url="/accounts/login/?next=/rate/{code}/"' in html
    assert 'data-queue-url="/rate/"' in html
    script_messages = json.loads(
        re.search(r'<script id="rate-messages" type="application/json">(.*?)</script>', html)[1]
    )
    assert script_messages["sessionExpired"] == "您的登录已过期，因此未能保存。"
    assert "{status}" in script_messages["serverError"]

    # What the script reads: a session that expired gets the login page, not JSON.
    response = Client().post(f"/rate/{code}/submit/", _rating_post(4), follow=True)
    assert response.redirect_chain[-1][0] == f"/accounts/login/?next=/rate/{code}/submit/"
    assert response["Content-Type"].startswith("text/html")


# --------------------------------------------------------------------------------------------
# Query counts: constant in the number of units


def _solo_campaign(instrument, endpoints, expert_user, item_numbers) -> Campaign:
    from ratings.models import Panel

    run = build_run(instrument, endpoints, languages=["en"], item_numbers=item_numbers)
    panel = Panel.objects.create(name=f"Solo {len(item_numbers)}")
    panel.experts.set([expert_user.expert])
    return campaign_create(skip_review=True, name="Solo", run=run, panel=panel, raters_per_unit=1)


@pytest.mark.parametrize(
    ("endpoint_count", "item_numbers"), [(1, [1, 2, 3]), (2, list(range(1, 16)))]
)
def test_queue_page_query_count_is_constant(
    instrument,
    model_endpoints,
    expert1,
    expert_client,
    django_assert_num_queries,
    endpoint_count,
    item_numbers,
):
    campaign = _solo_campaign(instrument, model_endpoints[:endpoint_count], expert1, item_numbers)
    assert campaign.units.count() in (3, 30)
    # Queries: the user, the expert profile, the queue (assignments of open campaigns with their
    # blind codes, in queue order). The session comes from the cache.
    with django_assert_num_queries(3):
        response = expert_client.get("/rate/")
    assert response.content.decode().count('<td><a href="/rate/') == campaign.units.count()


@pytest.mark.parametrize(
    ("endpoint_count", "item_numbers"), [(1, [1, 2, 3]), (2, list(range(1, 16)))]
)
def test_unit_page_query_count_is_constant(
    instrument,
    model_endpoints,
    expert1,
    expert_client,
    django_assert_num_queries,
    endpoint_count,
    item_numbers,
):
    campaign = _solo_campaign(instrument, model_endpoints[:endpoint_count], expert1, item_numbers)
    assert campaign.units.count() in (3, 30)
    code = queue_codes(expert1)[0]
    # Queries: the user, the expert profile, the assignment with its unit and campaign, the
    # item's task text, the scale's points, the queue progress counts (one row per status), and
    # one UPDATE recording the opening. The session comes from the cache.
    with django_assert_num_queries(7):
        response = expert_client.get(f"/rate/{code}/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("endpoint_count", "item_numbers"), [(1, [1, 2, 3]), (2, list(range(1, 16)))]
)
def test_submit_query_count_is_constant(
    instrument,
    model_endpoints,
    expert1,
    expert_client,
    django_assert_num_queries,
    endpoint_count,
    item_numbers,
):
    _solo_campaign(instrument, model_endpoints[:endpoint_count], expert1, item_numbers)
    first, second = queue_codes(expert1)[:2]
    # Queries: the user, the expert profile, the assignment's id and status; in a transaction
    # (here a savepoint and its release, inside the test's own transaction): the assignment
    # locked with its campaign, the scale's values, the new rating, the assignment's update;
    # then the next unit's code. The session comes from the cache.
    with django_assert_num_queries(10):
        response = expert_client.post(f"/rate/{first}/submit/", _rating_post(4))
    assert response.json()["next_url"] == f"/rate/{second}/"


# --------------------------------------------------------------------------------------------
# Admin progress page, admin forms, navigation


def test_progress_page_for_study_admins(client, admin_user, campaign, expert1):
    rating_submit(assignment=assignment_of(expert1, queue_codes(expert1)[0]), value=4)
    client.force_login(admin_user)
    html = client.get(f"/ratings/campaigns/{campaign.pk}/progress/").content.decode()
    assert "1 / 144" in html  # ratings submitted of assigned
    assert expert1.username in html
    response = client.post(f"/ratings/campaigns/{campaign.pk}/progress/", {"action": "close"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    client.post(f"/ratings/campaigns/{campaign.pk}/progress/", {"action": "reopen"})
    campaign.refresh_from_db()
    assert campaign.status == "open"


def test_progress_page_says_when_closing_or_reopening_changed_nothing(client, admin_user, campaign):
    client.force_login(admin_user)
    url = f"/ratings/campaigns/{campaign.pk}/progress/"

    def message(action: str) -> str:
        response = client.post(url, {"action": action}, follow=True)
        return " ".join(str(message) for message in response.context["messages"])

    assert message("reopen") == "Nothing changed: only a closed campaign can be reopened."
    assert message("close") == "The campaign is closed."
    assert message("close") == "Nothing changed: only an open campaign can be closed."
    assert message("reopen") == "The campaign is open again."
    client.cookies["django_language"] = "zh-hans"
    assert message("reopen") == "未作任何更改：只有已关闭的评分活动才能重新开放。"


def test_progress_page_names_the_flags_in_the_page_language(client, admin_user, campaign, expert1):
    rating_submit(
        assignment=assignment_of(expert1, queue_codes(expert1)[0]),
        value=4,
        flags=["identifies_model", "off_task"],
    )
    client.force_login(admin_user)
    url = f"/ratings/campaigns/{campaign.pk}/progress/"
    summary = re.compile(r'<div class="progress-summary" id="overall-progress">.*?</section>', re.S)

    english = summary.search(client.get(url).content.decode()).group(0)
    assert "identifies the model: 1" in english and "off task: 1" in english
    client.cookies["django_language"] = "zh-hans"
    chinese = summary.search(client.get(url).content.decode()).group(0)
    assert "暴露模型: 1" in chinese and "偏题: 1" in chinese and "截断: 0" in chinese
    assert "identifies_model" not in chinese and "off_task" not in chinese


def test_progress_page_is_refused_to_experts_and_researchers(client, campaign, expert1, researcher):
    for user in (expert1, researcher):
        client.force_login(user)
        assert client.get(f"/ratings/campaigns/{campaign.pk}/progress/").status_code == 403


def test_admin_invites_an_expert_and_sees_the_link(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/ratings/expertprofile/add/",
        {"username": "ivy", "email": "", "languages": ["en"], "areas": ["C"]},
        follow=True,
    )
    html = response.content.decode()
    assert re.search(r"http://testserver/accounts/set-password/\w+/[\w-]+/", html)
    assert "/accounts/set-password/" in html  # the change page shows it too


def test_admin_creates_a_campaign_and_lands_on_its_progress(
    client, admin_user, finished_run, panel
):
    client.force_login(admin_user)
    form_page = client.get("/admin/ratings/campaign/add/")
    assert form_page.status_code == 200
    response = client.post(
        "/admin/ratings/campaign/add/",
        {
            "name": "From the admin",
            "run": finished_run.pk,
            "panel": panel.pk,
            "areas": ["A"],
            "samples_per_cell": 1,
            "raters_per_unit": 2,
            "match_expertise": "on",
            "instructions_en": "Be fair.",
            "gold": "",
        },
    )
    campaign = Campaign.objects.get(name="From the admin")
    assert response["Location"] == f"/ratings/campaigns/{campaign.pk}/progress/"
    assert campaign.units.count() == 8 and campaign.instructions == {"en": "Be fair."}
    refused = client.post(
        "/admin/ratings/campaign/add/",
        {
            "name": "Too many",
            "run": finished_run.pk,
            "panel": panel.pk,
            "samples_per_cell": 1,
            "raters_per_unit": 9,
            "gold": "",
        },
    )
    assert "9 raters per unit, but only 3 experts" in refused.content.decode()
    assert not Campaign.objects.filter(name="Too many").exists()


def _adaptive_form(run, panel, **fields) -> dict:
    """The admin's create-campaign form for an adaptive campaign of the run's English A units."""
    return {
        "run": run.pk,
        "panel": panel.pk,
        "languages": ["en"],
        "areas": ["A"],
        "samples_per_cell": 1,
        "raters_per_unit": 2,
        "match_expertise": "on",
        "adaptive": "on",
        "max_raters_per_unit": 3,
        "rating_budget": 9,
        "target_ci_half_width": "0.05",
        "gold": "",
        **fields,
    }


def test_admin_creates_an_adaptive_calibrated_campaign(client, admin_user, finished_run, panel):
    trials = list(finished_run.trials.filter(language="en", item__area="A").order_by("pk")[:2])
    client.force_login(admin_user)
    form_page = client.get("/admin/ratings/campaign/add/").content.decode()
    for field in (
        "adaptive",
        "max_raters_per_unit",
        "rating_budget",
        "target_ci_half_width",
        "calibration",
        "qualification_threshold",
    ):
        assert f'name="{field}"' in form_page
    response = client.post(
        "/admin/ratings/campaign/add/",
        _adaptive_form(
            finished_run,
            panel,
            name="Adaptive from the admin",
            calibration="\n".join(
                f"{trial.pk}, 2, 3, Names the steps, misses the check" for trial in trials
            ),
            qualification_threshold="0.5",
        ),
    )
    campaign = Campaign.objects.get(name="Adaptive from the admin")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert campaign.adaptive and campaign.raters_per_unit == 2
    assert campaign.max_raters_per_unit == 3 and campaign.rating_budget == 9
    assert campaign.target_ci_half_width == 0.05 and campaign.qualification_threshold == 0.5
    calibration = campaign.units.filter(is_calibration=True)
    assert sorted(calibration.values_list("trial_id", flat=True)) == [t.pk for t in trials]
    assert set(calibration.values_list("rationale", flat=True)) == {
        "Names the steps, misses the check"
    }
    assert campaign.units.filter(is_calibration=False).count() == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"raters_per_unit": 3, "max_raters_per_unit": 2}, "must be at least raters_per_unit"),
        ({"rating_budget": 3}, "is below the initial ratings"),
        ({"target_ci_half_width": "1.5"}, "must lie strictly between 0 and 1"),
        ({"calibration": "12, 2, 3"}, "Line 1: the rationale is missing"),
        ({"calibration": "x, 2, 3, why"}, "Line 1: expected trial id, minimum and maximum"),
    ],
)
def test_admin_form_refuses_bad_adaptive_and_calibration_settings(
    client, admin_user, finished_run, panel, fields, message
):
    client.force_login(admin_user)
    data = _adaptive_form(finished_run, panel, name="Refused", **fields)
    response = client.post("/admin/ratings/campaign/add/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Campaign.objects.filter(name="Refused").exists()


def test_admin_lists_show_the_original_text_to_admins(client, admin_user, campaign):
    client.force_login(admin_user)
    for url in (
        "/admin/ratings/campaign/",
        "/admin/ratings/unit/",
        "/admin/ratings/assignment/",
        "/admin/ratings/rating/",
        "/admin/ratings/panel/",
        "/admin/ratings/expertprofile/",
    ):
        assert client.get(url).status_code == 200, url
    unit = campaign.units.first()
    html = client.get(f"/admin/ratings/unit/{unit.pk}/change/").content.decode()
    assert "Zephyrion-Ultra" in html or "Borealis-Max" in html


def test_navigation_links_the_queue_for_experts_only(client, expert1, researcher):
    from django.contrib.auth import get_user_model

    client.force_login(expert1)
    assert 'href="/rate/"' in client.get("/", follow=True).content.decode()
    client.force_login(researcher)
    assert 'href="/rate/"' not in client.get("/", follow=True).content.decode()
    # A user in the expert group without a profile gets no link and no error.
    plain = get_user_model().objects.create_user(username="noprofile", password="x-12345678")
    client.force_login(plain)
    response = client.get("/")
    assert response.status_code == 200 and 'href="/rate/"' not in response.content.decode()
