"""The Django admin of the rating app: ratings are the study's data, and deleting them (or what
they hang on) from the admin is refused, as the API refuses it."""

from __future__ import annotations

import pytest
from django.test import Client

from ratings.models import Campaign, Rating, Unit
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
