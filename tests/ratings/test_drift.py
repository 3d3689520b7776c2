"""Rater drift: a hand-computed case for the pure statistic, then the API and the dashboard."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ratings.stats.drift import rater_drift


def _frame(rows):
    return pd.DataFrame(rows, columns=["unit", "rater", "value", "order"])


def test_block_deviations_match_the_hand_computed_values():
    """Three raters on u1..u4 (in that order), A and B on u5; blocks of 2.

    A: u1 3-(3+3)/2 = 0, u2 4-3 = 1, u3 5-3 = 2, u4 5-(2+4)/2 = 2, u5 3-3 = 0
       blocks: (0+1)/2 = .5, (2+2)/2 = 2, then a partial block 0 (n 1)
    B: u1 0, u2 3-(4+3)/2 = -.5, u3 3-4 = -1, u4 2-(5+4)/2 = -2.5, u5 0
       blocks: -.25, -1.75, partial 0
    C: u1 0, u2 -.5, u3 -1, u4 4-(5+2)/2 = .5: blocks -.25, -.25
    With threshold .75, A (|2|) and B (|-1.75|) are flagged on their latest complete block;
    C is not. A's growth = |2| - |.5| = 1.5.
    """
    values = {
        "u1": {"A": 3, "B": 3, "C": 3},
        "u2": {"A": 4, "B": 3, "C": 3},
        "u3": {"A": 5, "B": 3, "C": 3},
        "u4": {"A": 5, "B": 2, "C": 4},
        "u5": {"A": 3, "B": 3},
    }
    rows = [
        (unit, rater, value, order)
        for order, (unit, by_rater) in enumerate(values.items())
        for rater, value in by_rater.items()
    ]
    result = rater_drift(_frame(rows), block_size=2, threshold=0.75)
    blocks = {
        (row.rater, row.block): (row.n, row.mean_deviation)
        for row in result.blocks.itertuples(index=False)
    }
    assert blocks[("A", 1)] == (2, pytest.approx(0.5))
    assert blocks[("A", 2)] == (2, pytest.approx(2.0))
    assert blocks[("A", 3)] == (1, pytest.approx(0.0))
    assert blocks[("B", 2)] == (2, pytest.approx(-1.75))
    assert blocks[("C", 2)] == (2, pytest.approx(-0.25))
    raters = result.raters.set_index("rater")
    assert raters.loc["A", "latest_block_deviation"] == pytest.approx(2.0)
    assert raters.loc["A", "growth"] == pytest.approx(1.5)
    assert raters.loc["A", "blocks"] == 2 and raters.loc["A", "n_compared"] == 5
    assert list(raters["flagged"]) == [True, True, False]


def test_a_rater_with_no_complete_block_is_not_flagged():
    rows = [("u1", "A", 1, 0), ("u1", "B", 5, 0), ("u2", "C", 3, 1)]
    result = rater_drift(_frame(rows), block_size=2, threshold=0.5)
    raters = result.raters.set_index("rater")
    assert not raters["flagged"].any()
    assert math.isnan(raters.loc["A", "latest_block_deviation"])
    assert "C" not in raters.index  # nobody else rated u2: nothing to compare


@pytest.mark.parametrize(
    ("keyword", "value"), [("block_size", 0), ("block_size", 2.5), ("threshold", -1)]
)
def test_bad_parameters_are_refused(keyword, value):
    with pytest.raises(ValueError, match=keyword):
        rater_drift(_frame([("u1", "A", 1, 0)]), **{keyword: value})


@pytest.fixture
def drifting(campaign, expert1, expert2, expert3):
    """20 units rated by all three experts, unit by unit: the first 10 alike (3), then
    erin_expert rates 5 where the others rate 3."""
    from ratings.models import Assignment
    from ratings.services import rating_submit

    codes = list(
        Assignment.objects.filter(campaign=campaign, expert__user=expert1)
        .order_by("position")
        .values_list("unit__blind_code", flat=True)[:20]
    )
    for index, code in enumerate(codes):
        for user in (expert1, expert2, expert3):
            assignment = Assignment.objects.select_related("campaign").get(
                unit__blind_code=code, expert__user=user
            )
            value = 5 if user == expert1 and index >= 10 else 3
            rating_submit(assignment=assignment, value=value)
    return campaign


@pytest.mark.django_db
def test_drift_api_flags_the_expert_who_moved_away(researcher_api, drifting, expert1):
    response = researcher_api.get(f"/api/v1/campaigns/{drifting.pk}/drift/?threshold=1.5")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["block_size"] == 10 and body["threshold"] == 1.5
    experts = {row["expert"]: row for row in body["experts"]}
    drifter = experts.pop(expert1.expert.pseudonym)
    assert [block["mean_deviation"] for block in drifter["blocks"]] == [0.0, 2.0]
    assert drifter["flagged"] and drifter["growth"] == 2.0
    # The others lie 1 point below on the later units: (3 - (5 + 3) / 2) = -1, under 1.5.
    for row in experts.values():
        assert [block["mean_deviation"] for block in row["blocks"]] == [0.0, -1.0]
        assert not row["flagged"]


@pytest.mark.django_db
def test_drift_api_rejects_a_bad_block_size(researcher_api, campaign):
    response = researcher_api.get(f"/api/v1/campaigns/{campaign.pk}/drift/?block_size=0")
    assert response.status_code == 400 and "block_size" in response.json()


@pytest.mark.django_db
def test_the_schema_states_the_drift_parameters_bounds(researcher_api):
    schema = researcher_api.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/campaigns/{id}/drift/"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
    assert parameters["block_size"]["minimum"] == 1
    assert parameters["block_size"]["maximum"] == 10_000
    assert parameters["threshold"]["minimum"] == 0
    assert parameters["threshold"]["maximum"] == 10


@pytest.mark.django_db
def test_drift_is_not_for_experts(expert_api, campaign):
    assert expert_api.get(f"/api/v1/campaigns/{campaign.pk}/drift/").status_code == 403


@pytest.mark.django_db
def test_drift_dashboard_shows_blocks_and_flags(
    client, researcher, drifting, expert1, django_assert_num_queries
):
    client.force_login(researcher)
    url = f"/dashboards/campaigns/{drifting.pk}/drift/"
    client.get(url)
    # session, user, the user's groups (researcher check), the campaign, the ratings
    with django_assert_num_queries(5):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="drift-table"' in html
    row = html.split(expert1.expert.pseudonym, 1)[1].split("</tr>", 1)[0]
    assert "2.000" in row and "drifting" in row
    assert client.get(f"{url}?block_size=x").status_code == 400


@pytest.mark.django_db
def test_progress_page_flags_the_drifting_expert_for_the_admin(admin_user, drifting, expert1):
    from django.test import Client

    client = Client()
    client.force_login(admin_user)
    html = client.get(f"/ratings/campaigns/{drifting.pk}/progress/").content.decode()
    # The default threshold (0.75) flags all three: the others lie 1 point below the drifter.
    flagged = html.split('id="drifting-experts">', 1)[1].split("</strong>", 1)[0]
    assert expert1.expert.pseudonym in flagged
