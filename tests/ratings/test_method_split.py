"""Every statistic of a run's answers reads one elicitation method at a time.

A run asked by several methods holds one answer per method for each item and replication; the
profiles, the mixed model and the discrepancy read the run's first method unless `method`
names another, and say which they read. Mixing methods would count each respondent twice.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.ratings.stats_builders import build_rated_campaign, make_endpoint, make_run, make_trials


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _cell(item: int, *, replication: int = 1):
    return ("Model-A", "en", item, replication)


def _copy_as(run, *, kind: str, method: str, value: int) -> int:
    """Copy the run's verbal trials of a kind as answers of another method, all `value`."""
    from llmruns.models import Trial

    copies = [
        Trial(
            run=run,
            endpoint_id=trial.endpoint_id,
            language=trial.language,
            item_id=trial.item_id,
            kind=trial.kind,
            method=method,
            replication=trial.replication,
            status="ok",
            value=value,
            finished_at=trial.finished_at,
        )
        for trial in Trial.objects.filter(run=run, kind=kind, method="verbal")
    ]
    Trial.objects.bulk_create(copies)
    return len(copies)


@pytest.fixture
def two_method_run(instrument):
    """All 60 interest items, 2 replications, verbal answers 5 in area S and 2 elsewhere (one
    refusal); the same trials asked by the structured method all answered 3."""
    endpoint = make_endpoint("Model-A")
    run = make_run(instrument, [endpoint], kinds=("interest",), replications=2)
    areas = {item.number: item.area for item in instrument.items.all()}
    values = {
        _cell(number, replication=replication): 5 if area == "S" else 2
        for number, area in areas.items()
        for replication in (1, 2)
    }
    values[_cell(1)] = None
    make_trials(
        run,
        kind="interest",
        values=values,
        statuses={_cell(1): "refused"},
        endpoints={"Model-A": endpoint},
    )
    _copy_as(run, kind="interest", method="structured", value=3)
    run.methods = ["verbal", "structured"]
    run.save(update_fields=["methods"])
    return run


@pytest.mark.django_db
def test_profiles_read_one_method_and_say_which(researcher_api, two_method_run):
    url = f"/api/v1/runs/{two_method_run.pk}/profiles/"
    first = researcher_api.get(url).json()
    assert first["method"] == "verbal" and first["n"] == 119  # 120 answers, one refused
    means = {row["area"]: row["mean"] for row in first["areas"]}
    assert means["S"] == 5.0 and means["R"] == 2.0
    structured = researcher_api.get(url, {"method": "structured"}).json()
    assert structured["method"] == "structured" and structured["n"] == 120
    assert {row["mean"] for row in structured["areas"]} == {3.0}


@pytest.mark.django_db
def test_the_mixed_model_reads_one_method_and_says_which(researcher_api, two_method_run):
    url = f"/api/v1/runs/{two_method_run.pk}/mixed-model/"
    first = researcher_api.get(url).json()
    # Both methods together would be 239 observations.
    assert (first["method"], first["n"]) == ("verbal", 119)
    structured = researcher_api.get(url, {"method": "structured"}).json()
    assert (structured["method"], structured["n"]) == ("structured", 120)
    assert structured["parameters"]["method"] == "structured"
    response = researcher_api.get(url, {"method": "telepathy"})
    assert response.status_code == 400 and "method" in response.json()


@pytest.mark.django_db
def test_discrepancy_reads_one_method_of_self_assessment(researcher_api, instrument):
    built = build_rated_campaign(
        instrument,
        ratings={
            "E-AAAAAA": {_cell(1): 2, _cell(2): 4},
            "E-BBBBBB": {_cell(1): 4, _cell(2): 4},
        },
    )
    # Verbal self-assessments 5 and 2; the token-probability ones are all 1.
    make_trials(
        built.run,
        kind="self_competence",
        values={_cell(1): 5, _cell(2): 2},
        endpoints=built.endpoints,
    )
    _copy_as(built.run, kind="self_competence", method="token_probability", value=1)
    built.run.methods = ["verbal", "token_probability"]
    built.run.save(update_fields=["methods"])
    url = f"/api/v1/campaigns/{built.campaign.pk}/discrepancy/"

    verbal = researcher_api.get(url, {"bootstrap": 0}).json()
    items = {row["item"]: row["difference"] for row in verbal["items"]}
    assert verbal["method"] == "verbal"
    assert items == {1: pytest.approx(5 - 3.0), 2: pytest.approx(2 - 4.0)}

    probabilities = researcher_api.get(url, {"bootstrap": 0, "method": "token_probability"}).json()
    items = {row["item"]: row["difference"] for row in probabilities["items"]}
    assert probabilities["method"] == "token_probability"
    assert items == {1: pytest.approx(1 - 3.0), 2: pytest.approx(1 - 4.0)}


@pytest.mark.django_db
def test_discrepancy_of_a_method_names_answers_asked_with_its_fallback(researcher_api, instrument):
    from llmruns.models import Trial

    built = build_rated_campaign(
        instrument, ratings={"E-AAAAAA": {_cell(1): 2, _cell(2): 4}, "E-BBBBBB": {_cell(1): 4}}
    )
    make_trials(
        built.run,
        kind="self_competence",
        values={_cell(1): 5, _cell(2): 2},
        endpoints=built.endpoints,
    )
    _copy_as(built.run, kind="self_competence", method="structured", value=3)
    # The endpoint lacked JSON schemas: its "structured" answers were asked verbally.
    Trial.objects.filter(run=built.run, method="structured").update(method_fallback="verbal")
    built.run.methods = ["verbal", "structured"]
    built.run.save(update_fields=["methods"])
    url = f"/api/v1/campaigns/{built.campaign.pk}/discrepancy/"

    structured = researcher_api.get(url, {"bootstrap": 0, "method": "structured"}).json()
    assert (
        "2 self-competence answers of Model-A were asked verbal in place of structured "
        "(method_fallback in the exports)"
    ) in structured["notes"], structured["notes"]
    verbal = researcher_api.get(url, {"bootstrap": 0}).json()
    assert not [note for note in verbal["notes"] if "in place of" in note]
