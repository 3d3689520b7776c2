"""The Django admin of the rating app: ratings are the study's data, and deleting them (or what
they hang on) from the admin is refused, as the API refuses it."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from ratings.models import Campaign, CampaignStatus, Rating, Unit
from ratings.services import rating_submit

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
