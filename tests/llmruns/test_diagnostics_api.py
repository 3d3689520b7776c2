"""The diagnostics through the API: the published Shrout and Fleiss values from a run's trials,
the conventions of every statistic (n, exclusions, parameters, 400s, CSV), and constant queries.

How the published 6 targets x 4 judges table becomes a run (one endpoint per layout, one
language, verbal answers, all trials ok):
- "ICC layout": the targets are items 1-6 and the judges replications 1-4; the trial of item t
  in replication j holds the rating of target t by judge j. The ICCs across replications are then
  the published ICCs.
- "Alpha layout": the targets are replications 1-6 (the respondents) and the judges the four
  Realistic items 1, 2, 13 and 14; alpha of the Realistic area, with the judges as items, is the
  published 0.9093.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache

from tests.llmruns.test_diagnostics import PUBLISHED_ALPHA, PUBLISHED_ICC, shrout_fleiss_table
from tests.ratings.stats_builders import make_endpoint, make_run

ALPHA_ITEMS = (1, 2, 13, 14)  # the first four Realistic items of the instrument


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def add_trials(run, endpoint, cells, **fields):
    """One trial per (item, replication, value, status); the rest from `fields`."""
    from django.utils import timezone

    from llmruns.models import Trial

    items = {item.number: item for item in run.instrument.items.all()}
    now = timezone.now()
    Trial.objects.bulk_create(
        Trial(
            run=run,
            endpoint=endpoint,
            language=fields.get("language", "en"),
            item=items[number],
            kind=fields.get("kind", "interest"),
            method=fields.get("method", "verbal"),
            replication=replication,
            template_variant=fields.get("template_variant", 1),
            scale_reversed=fields.get("scale_reversed", False),
            status=status,
            value=value if status == "ok" else None,
            finished_at=now,
        )
        for number, replication, value, status in cells
    )


@pytest.fixture
def shrout_fleiss_run(instrument):
    table = shrout_fleiss_table().astype(int)
    icc_layout, alpha_layout = make_endpoint("ICC layout"), make_endpoint("Alpha layout")
    run = make_run(instrument, [icc_layout, alpha_layout], kinds=("interest",), replications=6)
    add_trials(
        run,
        icc_layout,
        [(t + 1, j + 1, table[t, j], "ok") for t in range(6) for j in range(4)],
    )
    add_trials(
        run,
        alpha_layout,
        [(ALPHA_ITEMS[j], t + 1, table[t, j], "ok") for t in range(6) for j in range(4)],
    )
    return run


def _url(run, query: str = "") -> str:
    return f"/api/v1/runs/{run.pk}/diagnostics/" + (f"?{query}" if query else "")


@pytest.mark.django_db
def test_the_api_reproduces_shrout_and_fleiss(researcher_api, shrout_fleiss_run):
    body = researcher_api.get(_url(shrout_fleiss_run)).json()
    stability = [
        row
        for row in body["stability"]
        if row["endpoint"] == "ICC layout" and row["facet"] == "replication"
    ]
    assert [row["form"] for row in stability] == list(PUBLISHED_ICC)
    for row in stability:
        published, unrounded = PUBLISHED_ICC[row["form"]]
        assert round(row["icc"], 2) == published and round(row["icc"], 4) == unrounded
        assert (row["k"], row["n_targets"], row["method"]) == (4, 6, "verbal")
    consistency = [row for row in body["consistency"] if row["endpoint"] == "Alpha layout"]
    assert len(consistency) == 1
    assert round(consistency[0]["alpha"], 4) == PUBLISHED_ALPHA
    assert (consistency[0]["area"], consistency[0]["n_items"], consistency[0]["n_complete"]) == (
        "R",
        4,
        6,
    )
    # The conventions of every statistic.
    assert body["statistic"] == "diagnostics" and body["n"] == 48
    assert body["parameters"]["by"] == ["endpoint", "language", "method"]
    assert body["parameters"]["bootstrap"] == 200 and body["exclusions"] == []
    assert body["run"]["id"] == shrout_fleiss_run.pk


@pytest.mark.django_db
def test_invalid_answers_are_excluded_with_their_reason_and_rates_count_them(
    researcher_api, instrument
):
    endpoint = make_endpoint("Model-A")
    run = make_run(instrument, [endpoint], kinds=("interest",), replications=2)
    cells = [(item, rep, 3, "ok") for item in range(1, 13) for rep in (1, 2)]
    cells[0] = (1, 1, None, "invalid")
    cells[1] = (1, 2, None, "refused")
    add_trials(run, endpoint, cells)
    body = researcher_api.get(_url(run)).json()
    assert body["n"] == 22
    reasons = {row["reason"]: row["count"] for row in body["exclusions"]}
    assert reasons == {"interest: invalid answer": 1, "interest: refused answer": 1}
    rates = body["answer_rates"][0]
    assert (rates["n_trials"], rates["invalid"], rates["refused"]) == (24, 1, 1)
    assert rates["invalid_rate"] == pytest.approx(1 / 24)
    # Every respondent gives 3 to every item it answered: straight-lining, flagged.
    assert {flag["diagnostic"] for flag in body["flags"]} == {"straight-lining"}


@pytest.mark.django_db
def test_the_split_by_method_and_pooling(researcher_api, instrument):
    endpoint = make_endpoint("Model-A")
    run = make_run(instrument, [endpoint], kinds=("interest",), replications=2)
    values = {1: 2, 2: 3, 3: 4, 4: 2, 5: 3, 6: 4}
    add_trials(run, endpoint, [(i, r, v, "ok") for i, v in values.items() for r in (1, 2)])
    add_trials(
        run,
        endpoint,
        [(i, r, v + 1, "ok") for i, v in values.items() for r in (1, 2)],
        method="structured",
    )
    body = researcher_api.get(_url(run)).json()
    styles = {row["method"]: row for row in body["response_styles"]}
    assert styles["verbal"]["acquiescence_index"] == pytest.approx(0.0)
    assert styles["structured"]["acquiescence_index"] == pytest.approx(1.0)
    assert styles["structured"]["flagged"] and not styles["verbal"]["flagged"]
    comparison = body["method_comparison"][0]
    assert (comparison["method_a"], comparison["method_b"]) == ("verbal", "structured")
    assert comparison["mean_difference"] == pytest.approx(1.0)
    assert comparison["correlation"] == pytest.approx(1.0) and comparison["holland_agreement"]
    pooled = researcher_api.get(_url(run, "by=endpoint")).json()
    assert pooled["response_styles"][0]["acquiescence_index"] == pytest.approx(0.5)
    assert "method" not in pooled["response_styles"][0]


@pytest.mark.django_db
def test_bad_parameters_get_a_400_naming_the_valid_values(researcher_api, shrout_fleiss_run):
    response = researcher_api.get(_url(shrout_fleiss_run, "by=area"))
    assert response.status_code == 400
    assert "endpoint, language, method" in response.json()["by"][0]
    response = researcher_api.get(_url(shrout_fleiss_run, "basis=mean"))
    assert response.status_code == 400 and "answer, expected_value" in str(response.json())
    response = researcher_api.get(_url(shrout_fleiss_run, "format=csv&table=nonsense"))
    assert response.status_code == 400 and "stability" in str(response.json())
    response = researcher_api.get(_url(shrout_fleiss_run, "threshold=0"))
    assert response.status_code == 400 and "threshold" in response.json()


@pytest.mark.django_db
def test_each_table_as_csv(researcher_api, shrout_fleiss_run):
    response = researcher_api.get(_url(shrout_fleiss_run, "format=csv&table=stability"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0])[:7] == [
        "endpoint",
        "language",
        "method",
        "facet",
        "form",
        "description",
        "k",
    ]
    icc3k = [row for row in rows if row["endpoint"] == "ICC layout" and row["form"] == "ICC(3,k)"]
    assert round(float(icc3k[0]["icc"]), 4) == PUBLISHED_ICC["ICC(3,k)"][1]


@pytest.mark.django_db
def test_the_expected_value_of_token_probability_answers_can_enter(researcher_api, instrument):
    from llmruns.models import Trial

    endpoint = make_endpoint("Model-A")
    run = make_run(instrument, [endpoint], kinds=("interest",), replications=2)
    add_trials(
        run,
        endpoint,
        [(i, r, 3, "ok") for i in range(1, 7) for r in (1, 2)],
        method="token_probability",
    )
    Trial.objects.filter(run=run).update(expected_value=3.5)
    answer = researcher_api.get(_url(run)).json()["response_styles"][0]
    expected = researcher_api.get(_url(run, "basis=expected_value")).json()
    assert answer["mean_agreement"] == 3
    assert expected["response_styles"][0]["mean_agreement"] == pytest.approx(3.5)
    assert "expected value" in expected["notes"][0]


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_trials(researcher_api, instrument, django_assert_num_queries):
    endpoint = make_endpoint("Model-A")
    run = make_run(instrument, [endpoint], kinds=("interest",), replications=20)
    add_trials(run, endpoint, [(i, r, 1 + (i + r) % 5, "ok") for i in (1, 2) for r in (1, 2)])
    # Cold: the user's role groups, the run, the data version, the trials frame.
    with django_assert_num_queries(4):
        assert researcher_api.get(_url(run)).status_code == 200
    # Cached: the run and the data version.
    with django_assert_num_queries(2):
        researcher_api.get(_url(run))
    add_trials(
        run,
        endpoint,
        [(i, r, 1 + (i * r) % 5, "ok") for i in range(3, 61) for r in range(1, 21)]
        + [(i, r, 1 + (i * r) % 5, "ok") for i in (1, 2) for r in range(3, 21)],
    )
    cache.clear()
    with django_assert_num_queries(3):
        body = researcher_api.get(_url(run)).json()
    assert body["n"] == 1200


@pytest.mark.django_db
def test_a_run_without_answers_gives_n_zero_and_a_note(researcher_api, instrument):
    run = make_run(instrument, [make_endpoint("Model-A")], kinds=("interest",))
    body = researcher_api.get(_url(run)).json()
    assert body["n"] == 0 and body["flags"] == [] and body["consistency"] == []
    assert "the run has no interest answers" in body["notes"]
