"""The run's cost estimate for reasoning models: their hidden reasoning tokens are billed, so
the estimate counts them (from the endpoint's answered trials, or an assumed figure per kind
scaled by the reasoning effort, saying which), or gives no upper bound rather than one without
them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from llmruns.models import Run, Trial, TrialStatus
from llmruns.services import RunSpec, run_create, run_estimate
from tests.llmruns.estimate_runs import work_sample_run

pytestmark = pytest.mark.django_db


def _run(**endpoint) -> Run:
    """Two items asked for a work sample, 3 replications: per endpoint 6 calls of 115 input
    tokens, 525 of them read from the cache in the lower bound (see test_cost_estimate), and 100
    answer tokens each (a work sample's estimate is max_tokens)."""
    return work_sample_run(
        [
            {
                "id": None,
                "name": "reasoner",
                "supports_batch": True,
                "price_input_per_million": "200",
                "price_cached_input_per_million": "40",
                "price_output_per_million": "1000",
                "batch_price_input_per_million": "100",
                "batch_price_output_per_million": "500",
                **endpoint,
            }
        ]
    )


def test_a_reasoning_price_makes_the_estimate_count_assumed_reasoning_tokens_at_that_price():
    """No trials to go by and no effort configured: a work sample is assumed 1,000 reasoning
    tokens (medium effort), 6 x 1,000 = 6,000, at the reasoning price 2,000.

    Live, upper: (200 x 690 + 1000 x 600 + 2000 x 6000) / 10^6 = 0.138 + 0.6 + 12 = 12.738;
    lower: (200 x 165 + 40 x 525 + 1000 x 600 + 2000 x 6000) / 10^6 = 12.654.
    Batch: the configuration has no batch reasoning price, so the live one is cut as the output
    price is (500 / 1000): 1000. Upper: (100 x 690 + 500 x 600 + 1000 x 6000) / 10^6 = 6.369;
    lower, the cached price cut to 20: (100 x 165 + 20 x 525 + 300000 + 6000000) / 10^6 = 6.327.
    """
    estimate = run_estimate(run=_run(price_reasoning_per_million="2000"))
    assert (estimate["cost_live"], estimate["cost_live_cached"]) == ("12.7380", "12.6540")
    assert (estimate["cost_batch"], estimate["cost_batch_cached"]) == ("6.3690", "6.3270")
    assert estimate["cost_range"] == {"low": "12.6540", "high": "12.7380"}
    assert estimate["reasoning_tokens"] == 6000 and estimate["output_tokens"] == 600 + 6000
    assert estimate["reasoning_basis"] == "assumed"
    assert estimate["reasoning"] == [
        {
            "endpoint": "reasoner",
            "signs": ["price_reasoning_per_million is set"],
            "effort": None,
            "kinds": {
                "work_sample": {"basis": "assumed", "tokens_per_trial": 1000, "observed_trials": 0}
            },
        }
    ]
    assert "uncertain" in estimate["reasoning_note"]


def test_the_reasoning_effort_scales_the_assumption_and_unpriced_reasoning_costs_the_output_price():
    """Effort low: half the assumption, 500 a work sample, 3,000 in all, at the output price.
    Live, upper: (200 x 690 + 1000 x 600 + 1000 x 3000) / 10^6 = 3.738. Batch, at the batch
    output price: (100 x 690 + 500 x 600 + 500 x 3000) / 10^6 = 1.869, shown in batch mode."""
    run = _run(extra_params={"reasoning_effort": "low"})
    run.config["execution"] = {"mode": "batch"}
    estimate = run_estimate(run=run)
    assert estimate["cost_live"] == "3.7380" and estimate["cost_batch"] == "1.8690"
    assert estimate["cost"] == "1.8690" and estimate["reasoning_tokens"] == 3000
    assert estimate["reasoning"][0]["signs"] == ["a reasoning effort is configured"]
    assert estimate["reasoning"][0]["effort"] == "low"


def test_a_model_that_rejects_temperature_is_taken_to_reason():
    estimate = run_estimate(run=_run(accepts_temperature=False))
    assert estimate["reasoning_basis"] == "assumed" and estimate["reasoning_tokens"] == 6000
    assert estimate["reasoning"][0]["signs"] == ["it rejects temperature"]


def test_an_effort_the_estimate_cannot_scale_leaves_the_upper_bound_unknown():
    """Nothing defensible to say about the reasoning: no upper bound; the lower bound, without
    any reasoning, stays one: live (200 x 165 + 40 x 525 + 1000 x 600) / 10^6 = 0.654."""
    run = _run(extra_params={"reasoning": {"effort": "turbo"}})
    estimate = run_estimate(run=run)
    assert estimate["cost"] is None and estimate["cost_live"] is None
    assert estimate["cost_batch"] is None
    assert estimate["cost_range"] == {"low": "0.6540", "high": None}
    assert estimate["reasoning_tokens"] is None and estimate["reasoning_basis"] == "unknown"
    assert estimate["reasoning"][0]["kinds"]["work_sample"]["tokens_per_trial"] is None
    run.config["execution"] = {"mode": "batch"}
    estimate = run_estimate(run=run)
    assert estimate["cost"] is None and estimate["cost_range"] == {"low": "0.3270", "high": None}


def test_an_endpoint_with_no_sign_of_reasoning_is_estimated_as_before():
    estimate = run_estimate(run=_run())
    assert estimate["cost_live"] == "0.7380" and estimate["reasoning_tokens"] == 0
    assert estimate["reasoning_basis"] == "none" and estimate["reasoning"] == []
    assert estimate["reasoning_note"] == ""


def _interest_run(instrument, endpoint, name: str) -> Run:
    return run_create(
        spec=RunSpec(
            name=name,
            instrument=instrument,
            endpoints=[endpoint],
            languages=["en"],
            kinds=["interest"],
            replications=1,
        )
    )


def _answered(trial: Trial, reasoning: int, status: str = TrialStatus.OK) -> None:
    Trial.objects.filter(pk=trial.pk).update(
        status=status, output_tokens=reasoning + 1, reasoning_tokens=reasoning, attempt_count=1
    )


def test_answered_trials_of_the_endpoint_give_the_median_reasoning_per_trial(
    instrument, mock_endpoints
):
    """An endpoint with no flag whose earlier run's trials reported reasoning tokens reasons.
    With 4 answered interest trials the assumption holds (400 a trial, 60 items: 24,000 tokens);
    with 5, their median: 100, 200, 250, 300, 900 give 250, 60 x 250 = 15,000 tokens, at the
    output price 2.00: 0.03 more than the estimate without reasoning. A failed trial's reasoning
    (5,000) is not an answer and is left out."""
    alpha = mock_endpoints[0]
    earlier = _interest_run(instrument, alpha, "earlier")
    run = _interest_run(instrument, alpha, "later")
    without = run_estimate(run=run)
    assert without["reasoning_basis"] == "none"
    trials = list(earlier.trials.order_by("pk")[:6])
    for trial, reasoning in zip(trials, [100, 300, 200, 900], strict=False):
        _answered(trial, reasoning)
    _answered(trials[5], 5000, status=TrialStatus.FAILED)
    estimate = run_estimate(run=run)
    assert estimate["reasoning"][0]["signs"] == ["its trials reported reasoning tokens"]
    assert estimate["reasoning"][0]["kinds"]["interest"] == {
        "basis": "assumed",
        "tokens_per_trial": 400,
        "observed_trials": 4,
    }
    assert estimate["reasoning_tokens"] == 24_000
    _answered(trials[4], 250)
    estimate = run_estimate(run=run)
    assert estimate["reasoning"][0]["kinds"]["interest"] == {
        "basis": "observed",
        "tokens_per_trial": 250,
        "observed_trials": 5,
    }
    assert estimate["reasoning_basis"] == "observed" and estimate["reasoning_tokens"] == 15_000
    assert Decimal(estimate["cost_live"]) - Decimal(without["cost_live"]) == Decimal("0.03")
    assert estimate["output_tokens"] == without["output_tokens"] + 15_000


def _reasoning_run(instrument, endpoint, **extra) -> Run:
    endpoint.price_reasoning_per_million = Decimal("3.00")
    endpoint.extra_params = extra
    endpoint.save()
    return _interest_run(instrument, endpoint, "reasoning")


def _study_create(tmp_path, capsys, reasoning: str) -> str:
    """`study create` of the pilot study, its first endpoint priced and given `reasoning`."""
    pilot = Path(__file__).resolve().parents[2] / "fixtures" / "studies" / "pilot.toml"
    priced = 'model = "mock-alpha"\nprice_input_per_million = "1.00"\n'
    priced += f'price_output_per_million = "2.00"\n{reasoning}'
    study = tmp_path / "reasoning.toml"
    study.write_text(pilot.read_text().replace('model = "mock-alpha"', priced, 1))
    call_command("study", "create", str(study))
    return capsys.readouterr().out


def test_the_api_admin_and_study_create_show_the_reasoning_basis(
    admin_api, client, admin_user, instrument, mock_endpoints, tmp_path, capsys
):
    run = _reasoning_run(instrument, mock_endpoints[0])
    estimate = admin_api.get(f"/api/v1/runs/{run.pk}/estimate/").json()
    assert estimate["reasoning_basis"] == "assumed" and estimate["reasoning_tokens"] == 24_000
    detail = admin_api.get(f"/api/v1/runs/{run.pk}/").json()["estimate"]
    assert detail["reasoning"][0]["kinds"]["interest"]["basis"] == "assumed"
    client.force_login(admin_user)
    html = client.get(f"/admin/llmruns/run/{run.pk}/change/").content.decode()
    assert "It includes 24000 reasoning tokens (an assumed figure per kind, uncertain)" in html
    html = client.get(
        f"/admin/llmruns/run/{run.pk}/change/", headers={"accept-language": "zh-hans"}
    ).content.decode()
    assert "其中含 24000 个推理词元（按题型假定的数字，不确定）" in html

    out = _study_create(tmp_path, capsys, 'price_reasoning_per_million = "3.00"')
    created = run_estimate(run=Run.objects.latest("pk"))
    assert created["reasoning_basis"] == "assumed"
    assert (
        f"including {created['reasoning_tokens']} reasoning tokens (an assumed figure per kind, "
        "uncertain" in out
    )


def test_an_unknown_reasoning_figure_is_said_so_in_the_api_admin_and_study_create(
    admin_api, client, admin_user, instrument, mock_endpoints, tmp_path, capsys
):
    run = _reasoning_run(instrument, mock_endpoints[0], reasoning_effort="turbo")
    estimate = admin_api.get(f"/api/v1/runs/{run.pk}/estimate/").json()
    assert estimate["cost"] is None and estimate["cost_range"]["high"] is None
    assert Decimal(estimate["cost_range"]["low"]) > 0
    client.force_login(admin_user)
    html = client.get(f"/admin/llmruns/run/{run.pk}/change/").content.decode()
    assert "cost unknown: the reasoning tokens of a reasoning model cannot be estimated" in html
    assert "about None" not in html
    out = _study_create(tmp_path, capsys, 'extra_params = { reasoning_effort = "turbo" }')
    low = run_estimate(run=Run.objects.latest("pk"))["cost_range"]["low"]
    assert (
        "estimated cost unknown (live execution): the reasoning tokens of a reasoning model "
        f"cannot be estimated; at least {low} without them"
    ) in out
    assert "None" not in out


def test_max_completion_tokens_bounds_the_assumed_reasoning_with_the_answer():
    """An endpoint limited by max_completion_tokens spends at most max_tokens (100) a call on
    reasoning and answer together. A work sample's answer is estimated at all 100, so none is
    left for the assumed 1,000 reasoning tokens: the estimate is the plain one, live
    (200 x 690 + 1000 x 600) / 10^6 = 0.738, where adding them would say 12.738."""
    estimate = run_estimate(
        run=_run(price_reasoning_per_million="2000", token_limit_param="max_completion_tokens")
    )
    assert estimate["cost_live"] == "0.7380" and estimate["reasoning_tokens"] == 0
    assert estimate["reasoning"][0]["kinds"]["work_sample"]["tokens_per_trial"] == 0
    assert estimate["reasoning"][0]["signs"] == [
        "price_reasoning_per_million is set",
        "it needs max_completion_tokens",
    ]


def test_max_completion_tokens_leaves_a_short_answer_s_reasoning_what_the_answer_does_not_use():
    """An interest answer is estimated at 8 tokens: with max_tokens 300 the assumed 400
    reasoning tokens (medium effort) are cut to 292, with max_tokens 600 they stay 400; an
    endpoint limited by max_tokens (reasoning not counted in it) keeps 400 either way."""
    from llmruns.services.definition import _reasoning_plan

    config = {"kinds": ["interest"]}
    limited = {"name": "r", "id": None, "token_limit_param": "max_completion_tokens"}
    plain = {"name": "r", "id": None, "accepts_temperature": False}

    def tokens(endpoint, max_tokens):
        plan = _reasoning_plan(endpoint, config, max_tokens=max_tokens)
        return plan["kinds"]["interest"]["tokens_per_trial"]

    assert tokens(limited, 300) == 292
    assert tokens(limited, 600) == 400
    assert tokens(plain, 300) == 400
