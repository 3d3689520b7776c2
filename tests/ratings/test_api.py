"""The campaigns API: roles, creation from a run, refusals that name the problem."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ratings.models import Assignment, Campaign, Unit

pytestmark = pytest.mark.django_db


def _definition(run, panel, /, **changes) -> dict:
    return {
        "name": "API campaign",
        "run": run.pk,
        "panel": panel.pk,
        "languages": ["en"],
        "areas": ["S", "A"],
        "raters_per_unit": 2,
        "instructions": {"en": "Judge the substance.", "zh-hans": "请评判内容。"},
        **changes,
    }


def test_anonymous_is_refused():
    client = APIClient()
    assert client.get("/api/v1/campaigns/").status_code in (401, 403)
    assert client.post("/api/v1/campaigns/", {}, format="json").status_code in (401, 403)


def test_experts_cannot_read_or_create_campaigns(expert_api, campaign, finished_run, panel):
    assert expert_api.get("/api/v1/campaigns/").status_code == 403
    assert expert_api.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 403
    response = expert_api.post(
        "/api/v1/campaigns/", _definition(finished_run, panel), format="json"
    )
    assert response.status_code == 403
    assert Campaign.objects.count() == 1


def test_researcher_reads_but_cannot_create_or_close(
    researcher_api, campaign, finished_run, panel, django_assert_num_queries
):
    # Queries: the user's role groups, the count, the page of campaigns with run, panel, scale
    # and the counts, the prefetched endpoints.
    with django_assert_num_queries(4):
        response = researcher_api.get("/api/v1/campaigns/")
    body = response.json()
    assert body["count"] == 1
    served = body["results"][0]
    assert served["unit_count"] == 48 and served["assignment_count"] == 144
    assert served["submitted_count"] == 0 and served["seed"] == 20240601
    assert {e["name"] for e in served["endpoints"]} == {"Zephyrion-Ultra", "Borealis-Max"}
    assert researcher_api.get(f"/api/v1/campaigns/{campaign.pk}/").json()["id"] == campaign.pk
    created = researcher_api.post(
        "/api/v1/campaigns/", _definition(finished_run, panel), format="json"
    )
    assert created.status_code == 403
    assert researcher_api.post(f"/api/v1/campaigns/{campaign.pk}/close/").status_code == 403


def test_study_admin_creates_a_campaign(admin_api, finished_run, panel):
    response = admin_api.post(
        "/api/v1/campaigns/",
        _definition(finished_run, panel, seed=99, scale="competence"),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # 2 areas x 2 items x 2 endpoints x 1 language, two raters each.
    assert body["unit_count"] == 8 and body["assignment_count"] == 16
    assert body["seed"] == 99 and body["status"] == "review" and body["scale"] == "competence"
    assert body["instructions"]["zh-hans"] == "请评判内容。"
    assert Campaign.objects.get(pk=body["id"]).created_by.username == "ada_admin"


def test_study_admin_creates_a_campaign_with_gold_units(admin_api, finished_run, panel):
    trial = finished_run.trials.filter(item__area="S", language="en").first()
    response = admin_api.post(
        "/api/v1/campaigns/",
        _definition(
            finished_run,
            panel,
            gold=[{"trial": trial.pk, "expected_min": 2, "expected_max": 3}],
        ),
        format="json",
    )
    assert response.status_code == 201
    gold = Unit.objects.get(campaign_id=response.json()["id"], is_gold=True)
    assert (gold.trial_id, gold.expected_min, gold.expected_max) == (trial.pk, 2, 3)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"raters_per_unit": 4}, "raters_per_unit", "only 3 experts"),
        ({"areas": ["S"], "endpoints": []}, "endpoints", "at least one endpoint"),
        ({"languages": ["fr"]}, "languages", '"fr" is not a valid choice'),
        ({"samples_per_cell": 0}, "samples_per_cell", "greater than or equal to 1"),
        ({"scale": "nonexistent"}, "scale", "no scale 'nonexistent'"),
        ({"run": 987654}, "run", "does not exist"),
        (
            {"gold": [{"trial": 1, "expected_min": 4, "expected_max": 2}]},
            "gold",
            "above expected_max",
        ),
        ({"samples_per_cell": 10**20}, "samples_per_cell", "at most 2147483647"),
        (
            {"gold": [{"trial": 10**20, "expected_min": 2, "expected_max": 3}]},
            "gold",
            "are not ok work samples",
        ),
    ],
)
def test_bad_definition_is_a_400_naming_the_problem_and_creates_nothing(
    admin_api, finished_run, panel, changes, field, reason
):
    response = admin_api.post(
        "/api/v1/campaigns/", _definition(finished_run, panel, **changes), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert field in body, body
    assert reason in str(body[field])
    assert not Campaign.objects.exists() and not Unit.objects.exists()
    assert not Assignment.objects.exists()


def test_unfinished_run_and_empty_selection_are_400s(admin_api, instrument, model_endpoints, panel):
    from tests.ratings.conftest import build_run

    running = build_run(instrument, model_endpoints, status="running")
    response = admin_api.post("/api/v1/campaigns/", _definition(running, panel), format="json")
    assert response.status_code == 400 and "is not finished" in response.json()["run"][0]

    only_realistic = build_run(instrument, model_endpoints, item_numbers=[1])
    response = admin_api.post(
        "/api/v1/campaigns/", _definition(only_realistic, panel), format="json"
    )
    assert response.status_code == 400
    assert "selection is empty" in response.json()["non_field_errors"][0]
    assert not Campaign.objects.exists()


def test_study_admin_closes_and_reopens(admin_api, campaign):
    closed = admin_api.post(f"/api/v1/campaigns/{campaign.pk}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["closed_at"] is not None
    reopened = admin_api.post(f"/api/v1/campaigns/{campaign.pk}/reopen/")
    assert reopened.json()["status"] == "open" and reopened.json()["closed_at"] is None


def test_campaigns_cannot_be_edited_and_one_without_ratings_can_be_deleted(admin_api, campaign):
    assert admin_api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "x"}).status_code == 405
    assert admin_api.delete(f"/api/v1/campaigns/{campaign.pk}/").status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
