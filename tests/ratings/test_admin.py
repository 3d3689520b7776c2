"""The Django admin of the rating app: ratings are the study's data, and deleting them (or what
they hang on) from the admin is refused, as the API refuses it."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from ratings.models import Assignment, Campaign, CampaignStatus, Rating, Unit
from ratings.services import rating_submit
from tests.conftest import queries_per_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_deleting_ratings_or_what_holds_them_is_refused_in_the_admin(admin_client, campaign):
    assignment = campaign.assignments.select_related("unit").first()
    rating = rating_submit(assignment=assignment, value=4)

    deletions = [
        # The list's "delete selected" action, confirmed.
        (
            "/admin/ratings/campaign/",
            {"action": "delete_selected", "_selected_action": [campaign.pk], "post": "yes"},
        ),
        (f"/admin/ratings/campaign/{campaign.pk}/delete/", {"post": "yes"}),
        (f"/admin/ratings/unit/{assignment.unit.pk}/delete/", {"post": "yes"}),
        (f"/admin/ratings/assignment/{assignment.pk}/delete/", {"post": "yes"}),
        (f"/admin/ratings/rating/{rating.pk}/delete/", {"post": "yes"}),
    ]
    for url, data in deletions:
        admin_client.post(url, data)
        assert Rating.objects.filter(pk=rating.pk).exists(), url
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert Unit.objects.filter(pk=assignment.unit.pk).exists()


def test_a_campaign_without_ratings_can_still_be_deleted_in_the_admin(admin_client, campaign):
    response = admin_client.post(f"/admin/ratings/campaign/{campaign.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Campaign.objects.exists()


def _action_message(admin_client, action: str, campaigns) -> str:
    response = admin_client.post(
        "/admin/ratings/campaign/",
        {"action": action, "_selected_action": [c.pk for c in campaigns]},
        follow=True,
    )
    return " ".join(str(message) for message in response.context["messages"])


def test_close_and_reopen_actions_count_the_campaigns_whose_status_changed(
    admin_client, campaign, finished_run, panel, admin_user
):
    from ratings.services import campaign_create

    closed = campaign_create(
        skip_review=True, name="Second campaign", run=finished_run, panel=panel, by=admin_user
    )
    Campaign.objects.filter(pk=closed.pk).update(status=CampaignStatus.CLOSED)
    both = [campaign, closed]

    assert _action_message(admin_client, "close_campaigns", both) == "Closed 1 campaign."
    assert _action_message(admin_client, "close_campaigns", both) == "Closed 0 campaigns."
    assert _action_message(admin_client, "reopen_campaigns", both) == "Reopened 2 campaigns."
    assert _action_message(admin_client, "reopen_campaigns", both) == "Reopened 0 campaigns."
    # One awaiting review is opened from its review page, never "reopened" here.
    Campaign.objects.filter(pk=closed.pk).update(status=CampaignStatus.REVIEW)
    assert _action_message(admin_client, "reopen_campaigns", [closed]) == "Reopened 0 campaigns."
    assert Campaign.objects.get(pk=closed.pk).status == CampaignStatus.REVIEW
    admin_client.cookies["django_language"] = "zh-hans"
    assert _action_message(admin_client, "close_campaigns", both) == "已关闭 1 个评分活动。"


def test_the_ratings_list_names_the_flags_in_the_page_language(admin_client, campaign):
    assignment = campaign.assignments.select_related("unit").first()
    rating_submit(assignment=assignment, value=4, flags=["identifies_model"])
    admin_client.cookies["django_language"] = "zh-hans"
    html = admin_client.get("/admin/ratings/rating/").content.decode()
    assert "暴露模型" in html and "identifies_model" not in html


@pytest.mark.parametrize(
    "language, says",
    [
        ("en", "Ratings are the study's results and are never deleted"),
        ("zh-hans", "评分是研究的结果，永不删除"),
    ],
)
def test_a_refused_rating_deletion_says_why_in_the_page_language(
    admin_client, campaign, language, says
):
    rating = rating_submit(assignment=campaign.assignments.first(), value=4)
    admin_client.cookies["django_language"] = language
    response = admin_client.get(f"/admin/ratings/rating/{rating.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"/admin/ratings/rating/{rating.pk}/change/", 302)]
    assert says in html.unescape(response.content.decode())
    assert Rating.objects.filter(pk=rating.pk).exists()


# What the admin says when it refuses to delete what holds ratings, in English and in Chinese.
HELD_RATINGS = {
    "en": {
        "campaign": "This campaign holds 2 submitted ratings; ratings are the study's results "
        "and are never deleted, and neither is the campaign that holds them. Close it instead",
        "closed": "This campaign holds 2 submitted ratings; ratings are the study's results and "
        "are never deleted, and neither is the campaign that holds them. It is closed already",
        "unit": "This unit holds 1 submitted rating; ratings are the study's results and are "
        "never deleted, and neither is the unit that holds them.",
        "assignment": "This assignment holds 1 submitted rating; ratings are the study's results "
        "and are never deleted, and neither is the assignment that holds them. A rating is "
        "corrected by a new revision",
        "nothing": "Nothing was deleted.",
    },
    "zh-hans": {
        # The reason and what to do instead are two sentences, joined without a space.
        "campaign": "该评分活动包含 2 条已提交的评分；评分是研究的结果，永不删除，包含它们的评分活动"
        "也不删除。请改为关闭",
        "closed": "该评分活动包含 2 条已提交的评分；评分是研究的结果，永不删除，包含它们的评分活动"
        "也不删除。它已关闭",
        "unit": "该单元包含 1 条已提交的评分；评分是研究的结果，永不删除，包含它们的单元也不删除。",
        "assignment": "该分配包含 1 条已提交的评分；评分是研究的结果，永不删除，包含它们的分配也不"
        "删除。评分的更正以新的修订版本进行",
        "nothing": "未删除任何内容。",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_deleting_what_holds_ratings_says_why_in_the_page_language(
    admin_client, campaign, finished_run, panel, admin_user, language
):
    from ratings.services import campaign_create

    first, second = campaign.assignments.select_related("unit")[:2]
    rating_submit(assignment=first, value=4)
    rating_submit(assignment=second, value=2)
    closed = campaign_create(
        skip_review=True, name="Closed campaign", run=finished_run, panel=panel, by=admin_user
    )
    closed_ratings = closed.assignments.all()[:2]
    for assignment in closed_ratings:
        rating_submit(assignment=assignment, value=3)
    Campaign.objects.filter(pk=closed.pk).update(status=CampaignStatus.CLOSED)
    counts = (Campaign.objects.count(), Unit.objects.count(), Assignment.objects.count())
    admin_client.cookies["django_language"] = language
    says = HELD_RATINGS[language]
    other = HELD_RATINGS["zh-hans" if language == "en" else "en"]

    def page(url: str, data: dict | None = None) -> str:
        response = (
            admin_client.post(url, data, follow=True)
            if data
            else admin_client.get(url, follow=True)
        )
        assert response.status_code == 200, url
        return html.unescape(response.content.decode())

    refused = [
        ("campaign", campaign, "campaign"),
        ("campaign", closed, "closed"),
        ("unit", first.unit, "unit"),
        ("assignment", first, "assignment"),
    ]
    for model, obj, reason in refused:
        url = f"/admin/ratings/{model}/{obj.pk}/delete/"
        for data in (None, {"post": "yes"}):
            shown = page(url, data)
            assert says[reason] in shown, (url, data)
            assert other[reason] not in shown, (url, data)
        # The list's "delete selected" names the object with its reason and deletes nothing,
        # asked for the confirmation page or confirmed.
        for confirmed in ({}, {"post": "yes"}):
            shown = page(
                f"/admin/ratings/{model}/",
                {"action": "delete_selected", "_selected_action": [obj.pk], **confirmed},
            )
            assert says[reason] in shown and says["nothing"] in shown, (model, confirmed)
            assert other[reason] not in shown, (model, confirmed)
            assert str(obj) in shown, model
    assert (Campaign.objects.count(), Unit.objects.count(), Assignment.objects.count()) == counts
    assert Rating.objects.count() == 4


def test_a_unit_or_an_assignment_nobody_rated_can_still_be_deleted_in_the_admin(
    admin_client, campaign
):
    rated, unrated = campaign.assignments.select_related("unit")[:2]
    rating_submit(assignment=rated, value=4)
    response = admin_client.post(f"/admin/ratings/assignment/{unrated.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Assignment.objects.filter(pk=unrated.pk).exists()
    unit = campaign.units.exclude(assignments__ratings__isnull=False).first()
    response = admin_client.post(f"/admin/ratings/unit/{unit.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Unit.objects.filter(pk=unit.pk).exists()


# What the admin says when it refuses to delete what runs, answers and ratings refer to.
REFERRED_TO = {
    "en": {
        "instrument": "This instrument was given in 1 run; the run's answers are to its items, "
        "so it is never deleted.",
        "item": "so the item is never deleted. Edit its texts instead",
        "scale": "This scale is used by 1 campaign; its ratings are on this scale, so it is "
        "never deleted.",
        "panel": "This panel rates in 1 campaign, so it is never deleted.",
        "expertprofile": "To stop them rating, deactivate their user account (Active)",
    },
    "zh-hans": {
        "instrument": "该量表已在 1 次运行中施测；运行的回答对应它的题目，因此永不删除。",
        "item": "因此题目永不删除。请改为编辑它的文本",
        "scale": "该量尺被 1 个评分活动使用；其评分以此量尺给出，因此永不删除。",
        "panel": "该专家组在 1 个评分活动中评分，因此永不删除。",
        "expertprofile": "要让其停止评分，请停用其用户账号",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_deleting_what_runs_and_campaigns_refer_to_says_why(admin_client, campaign, language):
    from careers.models import Instrument, Item, Scale
    from ratings.models import ExpertProfile, Panel

    assignment = campaign.assignments.select_related("unit__item", "expert").first()
    refused = [
        ("careers", "instrument", campaign.run.instrument),
        ("careers", "item", assignment.unit.item),
        ("careers", "scale", campaign.scale),
        ("ratings", "panel", campaign.panel),
        ("ratings", "expertprofile", assignment.expert),
    ]
    models = (Instrument, Item, Scale, Panel, ExpertProfile)
    counts = [model.objects.count() for model in models]
    admin_client.cookies["django_language"] = language
    says = REFERRED_TO[language]
    other = REFERRED_TO["zh-hans" if language == "en" else "en"]
    for app, model, obj in refused:
        pages = [
            admin_client.get(f"/admin/{app}/{model}/{obj.pk}/delete/", follow=True),
            admin_client.post(
                f"/admin/{app}/{model}/",
                {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
                follow=True,
            ),
        ]
        for response in pages:
            assert response.status_code == 200, model
            shown = html.unescape(response.content.decode())
            assert says[model] in shown and other[model] not in shown, model
    assert [model.objects.count() for model in models] == counts


def test_a_panel_or_scale_no_campaign_uses_can_still_be_deleted_in_the_admin(
    admin_client, campaign
):
    from careers.models import Scale
    from ratings.models import Panel

    panel = Panel.objects.create(name="Unused panel")
    scale = Scale.objects.create(
        instrument=campaign.scale.instrument, slug="unused", name="Unused scale"
    )
    for url in (
        f"/admin/ratings/panel/{panel.pk}/delete/",
        f"/admin/careers/scale/{scale.pk}/delete/",
    ):
        assert admin_client.post(url, {"post": "yes"}).status_code == 302, url
    assert not Panel.objects.filter(pk=panel.pk).exists()
    assert not Scale.objects.filter(pk=scale.pk).exists()


def test_the_rating_pages_name_their_fields_in_chinese(admin_client, campaign):
    """Column headers and labels come from the fields' verbose names, in the page language."""
    assignment = campaign.assignments.select_related("unit").first()
    rating_submit(assignment=assignment, value=4)
    admin_client.cookies["django_language"] = "zh-hans"

    def page(url: str) -> str:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        return html.unescape(response.content.decode())

    ratings = page("/admin/ratings/rating/")
    assert "提交时间" in ratings and "修订号" in ratings and "模拟" in ratings
    assert "Created at" not in ratings and "Submitted at" not in ratings
    assert "Revision" not in ratings

    assignments = page("/admin/ratings/assignment/")
    assert "提交时间" in assignments and "有效用时（秒）" in assignments
    assert "Submitted at" not in assignments and "Active seconds" not in assignments

    changing = page(f"/admin/ratings/campaign/{campaign.pk}/change/")
    for chinese in ("每单元评分者数", "每个组合的工作样本数", "合格阈值", "创建时间"):
        assert chinese in changing, chinese
    for english in ("Raters per unit", "Samples per cell", "Qualification threshold"):
        assert english not in changing, english
    # Whether the campaign assigns adaptively and how far it has got are two rows, two names.
    assert changing.count("自适应分配:") == 1 and "自适应分配进度:" in changing

    unit = page(f"/admin/ratings/unit/{assignment.unit.pk}/change/")
    assert "盲审编号" in unit and "脱敏文本" in unit
    assert "Blind code" not in unit and "Text redacted" not in unit


def test_deleting_the_user_account_of_an_expert_who_rated_says_why(admin_client, campaign):
    from django.contrib.auth import get_user_model

    user = campaign.assignments.select_related("expert__user").first().expert.user
    for response in (
        admin_client.get(f"/admin/auth/user/{user.pk}/delete/", follow=True),
        admin_client.post(
            "/admin/auth/user/",
            {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"},
            follow=True,
        ),
    ):
        assert response.status_code == 200
        assert REFERRED_TO["en"]["expertprofile"] in html.unescape(response.content.decode())
    assert get_user_model().objects.filter(pk=user.pk).exists()

    # An account that is not an expert's is Django's to delete, as before.
    someone = get_user_model().objects.create_user("someone", password="x-Pass-2026!")
    response = admin_client.post(f"/admin/auth/user/{someone.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=someone.pk).exists()


def test_the_rating_admin_pages_make_a_constant_number_of_queries(admin_client, campaign):
    """Each page of the rating app's admin makes the same queries with one rating as with 24:
    the list pages and the change pages alike. Every page starts with the session's user."""
    assignments = list(campaign.assignments.select_related("unit", "expert").order_by("pk"))
    assignment = assignments[0]
    rating = rating_submit(assignment=assignment, value=4)
    pages = {
        # the campaigns with their counts, their endpoints; the panel filter, the two counts
        "/admin/ratings/campaign/": 6,
        # the campaign with its counts, its endpoints, the ratings that refuse its deletion,
        # the units short of raters, the user who created it
        f"/admin/ratings/campaign/{campaign.pk}/change/": 6,
        # the units with their campaign, item, trial and endpoint; the campaign filter, counts
        "/admin/ratings/unit/": 5,
        # the unit with its campaign, item, trial and endpoint; the ratings that refuse deletion
        f"/admin/ratings/unit/{assignment.unit.pk}/change/": 3,
        # the assignments with unit, expert and campaign; the campaign filter, the two counts
        "/admin/ratings/assignment/": 5,
        # the assignment with unit, expert and campaign; the ratings that refuse its deletion
        f"/admin/ratings/assignment/{assignment.pk}/change/": 3,
        # the ratings with their assignment; the campaign and value filters, the two counts
        "/admin/ratings/rating/": 6,
        # the rating with its assignment, unit and expert (a rating is never deleted: no query)
        f"/admin/ratings/rating/{rating.pk}/change/": 2,
        # the experts with their users, the two counts
        "/admin/ratings/expertprofile/": 4,
        # the expert, whether they hold assignments (refusing deletion), their user
        f"/admin/ratings/expertprofile/{assignment.expert.pk}/change/": 4,
        # the panels with their expert counts, the two counts
        "/admin/ratings/panel/": 4,
        # the panel, its experts, the campaigns that refuse its deletion, the experts to choose
        f"/admin/ratings/panel/{campaign.panel.pk}/change/": 5,
    }
    for rated in (1, 24):
        for later in assignments[1:rated]:
            if not later.ratings.exists():
                rating_submit(assignment=later, value=3)
        assert Rating.objects.count() == rated
        assert queries_per_page(admin_client, pages) == pages, rated
