"""Deleting a panel or a campaign that the study's data depends on is a 409 naming the
dependants, and deletes nothing; the panels list shows sizes, never the experts."""

from __future__ import annotations

from ratings.models import Campaign, Panel, Rating


def test_deleting_a_panel_or_a_rated_campaign_is_a_409_naming_the_dependants(
    admin_api, researcher_api, campaign, panel, django_assert_num_queries
):
    from ratings.services import assignment_open, rating_submit

    response = admin_api.delete(f"/api/v1/panels/{panel.pk}/")
    assert response.status_code == 409
    assert response.json()["dependants"] == {"campaigns": 1}
    assert Panel.objects.filter(pk=panel.pk).exists()

    assignment = campaign.assignments.first()
    assignment_open(assignment=assignment)
    rating_submit(assignment=assignment, value=4)
    response = admin_api.delete(f"/api/v1/campaigns/{campaign.pk}/")
    assert response.status_code == 409
    assert response.json()["dependants"] == {"ratings": 1}
    assert "Close it instead" in response.json()["detail"]
    assert Campaign.objects.filter(pk=campaign.pk).exists() and Rating.objects.count() == 1

    empty = Panel.objects.create(name="Empty")
    # Queries: role groups, count, the page of panels with expert and campaign counts.
    with django_assert_num_queries(3):
        listed = researcher_api.get("/api/v1/panels/").json()["results"]
    assert [(row["name"], row["expert_count"], row["campaign_count"]) for row in listed] == [
        ("Empty", 0, 0),
        ("Main panel", 3, 1),
    ]
    assert "experts" not in listed[0]
    assert admin_api.delete(f"/api/v1/panels/{empty.pk}/").status_code == 204
