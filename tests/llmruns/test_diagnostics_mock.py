"""End to end on the mock over HTTP: the diagnostics flag the response styles the mock models
are built with, and not the model they are built on.

Three mock models answer 12 items (two per RIASEC area) in 4 replications (2 and 4 present the
scale reversed), verbally and through a JSON schema, from configured answer distributions that
put all mass on one value per item:
- "mock-alpha" answers its item's value (values 2, 3, 4 in turn: mean 3, the scale midpoint);
- "mock-acquiescent" has the same distribution and answers one point higher;
- "mock-flip" (values 1, 2, 3 in turn: mean 2) writes the number its value has on the normal
  scale even when the scale is reversed, so its reversed answers are 6 - value.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from llmruns.mockserver import MockConfig
from llmruns.services import run_create
from tests.llmruns.test_methods import _endpoint, _execute_all, _remove_items_above, _spec

MIDPOINT_VALUES = (2, 3, 4)  # item n answers MIDPOINT_VALUES[n % 3]
LOW_VALUES = (1, 2, 3)


def point_mass(value: int) -> list[float]:
    return [1.0 if option == value else 0.0 for option in range(1, 6)]


def distributions() -> dict:
    return {
        model: {str(n): point_mass(values[n % 3]) for n in range(1, 61)}
        for model, values in (
            ("mock-alpha", MIDPOINT_VALUES),
            ("mock-acquiescent", MIDPOINT_VALUES),
            ("mock-flip", LOW_VALUES),
        )
    }


@pytest.mark.django_db
def test_acquiescent_and_direction_flipping_mock_models_are_flagged(
    instrument, mock_llm, researcher_api
):
    cache.clear()
    mock_llm.set_config(MockConfig(seed=7, answer_distributions=distributions()))
    endpoints = [
        _endpoint(mock_llm, model, supports_json_schema=True)
        for model in ("mock-alpha", "mock-acquiescent", "mock-flip")
    ]
    _remove_items_above(instrument, 12)
    run = run_create(
        spec=_spec(
            instrument,
            endpoints,
            replications=4,
            methods=["verbal", "structured"],
            reverse_half=True,
            temperature=0.0,
        )
    )
    _execute_all(run)
    body = researcher_api.get(f"/api/v1/runs/{run.pk}/diagnostics/").json()
    flags = {(flag["diagnostic"], flag["endpoint"], flag["method"]) for flag in body["flags"]}

    # The acquiescent model, with either method; the flipping model's direction effect.
    for method in ("verbal", "structured"):
        assert ("acquiescence", "Mock mock-acquiescent", method) in flags
        assert ("scale direction", "Mock mock-flip", method) in flags
    # Nothing about the model they are built on, nor acquiescence of the flipping one.
    assert not [flag for flag in flags if flag[1] == "Mock mock-alpha"], flags
    assert not [flag for flag in flags if flag[:2] == ("acquiescence", "Mock mock-flip")]
    # Templates are compared within the same scale direction: the flipping shows in no template.
    assert not [flag for flag in flags if flag[0] == "template"], flags

    styles = {(row["endpoint"], row["method"]): row for row in body["response_styles"]}
    for method in ("verbal", "structured"):
        assert styles["Mock mock-alpha", method]["acquiescence_index"] == pytest.approx(0, abs=0.1)
        assert styles["Mock mock-acquiescent", method]["acquiescence_index"] == pytest.approx(
            1, abs=0.1
        )
    effects = {
        (row["endpoint"], row["method"]): row
        for row in body["presentation_effects"]
        if row["effect"] == "scale direction"
    }
    for method in ("verbal", "structured"):
        # Reversed minus normal per item: 6 - 2 * value, whose mean over 1, 2, 3 is 2.
        flip = effects["Mock mock-flip", method]
        assert flip["mean_difference"] == pytest.approx(2, abs=0.2) and flip["ci_low"] > 0
        assert flip["item_correlation"] < 0
        alpha = effects["Mock mock-alpha", method]
        assert alpha["mean_difference"] == pytest.approx(0, abs=0.1) and not alpha["flagged"]

    # The method comparison reports the two methods of each model: same answers, same code.
    comparison = {row["endpoint"]: row for row in body["method_comparison"]}
    assert set(comparison) == {"Mock mock-alpha", "Mock mock-acquiescent", "Mock mock-flip"}
    for row in comparison.values():
        assert (row["method_a"], row["method_b"]) == ("verbal", "structured")
        assert row["n_items"] == 12 and row["holland_agreement"]
        assert row["mean_difference"] == pytest.approx(0, abs=0.2)


@pytest.mark.django_db
def test_trials_asked_with_a_fallback_method_stay_out_of_the_method_comparison(
    instrument, mock_llm, researcher_api
):
    """A model without JSON schemas answers its "structured" trials verbally (method_fallback
    verbal): comparing them with its verbal trials would report a method effect of zero that no
    structured answer supports, and pooling it on one side only would report one that is a
    difference between models."""
    cache.clear()
    mock_llm.set_config(
        MockConfig(
            seed=7,
            answer_distributions={
                "mock-alpha": {str(n): point_mass(MIDPOINT_VALUES[n % 3]) for n in range(1, 61)},
                "mock-nojson": {str(n): point_mass(LOW_VALUES[n % 3]) for n in range(1, 61)},
            },
        )
    )
    endpoints = [
        _endpoint(mock_llm, "mock-alpha", supports_json_schema=True),
        _endpoint(mock_llm, "mock-nojson", supports_json_schema=False),
    ]
    _remove_items_above(instrument, 12)
    run = run_create(
        spec=_spec(
            instrument,
            endpoints,
            replications=2,
            methods=["verbal", "structured"],
            method_fallback="verbal",
            temperature=0.0,
        )
    )
    _execute_all(run)
    assert run.trials.filter(method_fallback="verbal").count() == 24

    body = researcher_api.get(f"/api/v1/runs/{run.pk}/diagnostics/").json()
    assert [row["endpoint"] for row in body["method_comparison"]] == ["Mock mock-alpha"]
    assert any(
        "Mock mock-nojson structured asked verbal (24 trials)" in note for note in body["notes"]
    ), body["notes"]

    pooled = researcher_api.get(f"/api/v1/runs/{run.pk}/diagnostics/?by=language").json()
    (row,) = pooled["method_comparison"]
    # Only mock-alpha answered both ways, and its answers are the same: no method effect.
    assert row["n_items"] == 12 and row["mean_difference"] == pytest.approx(0, abs=1e-9)
    assert row["holland_agreement"] is not None

    # Statistics of one method say which of its answers were asked with the fallback.
    expected = (
        "24 interest answers of Mock mock-nojson were asked verbal in place of structured "
        "(method_fallback in the exports)"
    )
    for statistic in ("profiles", "mixed-model"):
        result = researcher_api.get(f"/api/v1/runs/{run.pk}/{statistic}/?method=structured")
        assert result.status_code == 200, result.content
        assert expected in result.json()["notes"], (statistic, result.json()["notes"])
        verbal = researcher_api.get(f"/api/v1/runs/{run.pk}/{statistic}/?method=verbal").json()
        assert not [note for note in verbal["notes"] if "in place of" in note]
