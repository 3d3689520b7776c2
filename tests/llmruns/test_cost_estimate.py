"""The run's cost estimate with cached prompt tokens: the uncached figure is the upper bound,
the one with the prompt prefix every call shares read from the provider's cache the lower."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from llmruns.models import Run
from llmruns.services import RunSpec, run_create, run_estimate
from tests.llmruns.estimate_runs import work_sample_run

# The estimate reads the endpoints' answered trials (their reasoning tokens).
pytestmark = pytest.mark.django_db


def _endpoint(pk: int, **prices) -> dict:
    return {"id": pk, "name": f"e{pk}", "supports_batch": True, **prices}


def _run(*, rotate: bool = False) -> Run:
    """Two templates (system messages "S" and "T" x 400) and two endpoints: see
    `tests.llmruns.estimate_runs`."""
    return work_sample_run(
        [
            _endpoint(
                1,
                price_input_per_million="200",
                price_cached_input_per_million="40",
                price_output_per_million="1000",
                batch_price_input_per_million="100",
                batch_price_output_per_million="500",
            ),
            _endpoint(
                2,
                price_input_per_million="100",
                price_cached_input_per_million=None,
                price_output_per_million="200",
                batch_price_input_per_million="50",
                batch_price_output_per_million="100",
            ),
        ],
        systems="ST",
        rotate=rotate,
    )


def test_the_estimate_prices_the_shared_prompt_prefix_at_the_cached_price_as_its_lower_bound():
    """By hand, per endpoint: 2 items x 3 replications = 6 calls of (400 + 28) / 4 + 8 = 115
    input tokens and 100 output tokens (a work sample's estimate is max_tokens). The prefix all
    six prompts share is 400 + 23 = 423 characters, 105 tokens; the first call writes it to the
    cache, the other 5 read it: 525 cached tokens, 690 - 525 = 165 uncached.

    Live, upper: e1 (200 x 690 + 1000 x 600) / 10^6 = 0.738; e2 (100 x 690 + 200 x 600) / 10^6
    = 0.189; 0.927. Live, lower: e1 (200 x 165 + 40 x 525 + 1000 x 600) / 10^6 = 0.654; e2 has
    no cached price, its cached tokens cost the input price: 0.189; 0.843.
    Batch, upper: e1 (100 x 690 + 500 x 600) / 10^6 = 0.369; e2 (50 x 690 + 100 x 600) / 10^6
    = 0.0945; 0.4635. Batch, lower: e1's batch cached price is 40 cut as its input price is
    (100 / 200): 20, so (100 x 165 + 20 x 525 + 500 x 600) / 10^6 = 0.327; e2 0.0945; 0.4215."""
    estimate = run_estimate(run=_run())
    assert estimate["calls"] == 12 and estimate["input_tokens"] == 2 * 690
    assert estimate["cached_input_tokens"] == 2 * 525
    assert (estimate["cost_live"], estimate["cost_live_cached"]) == ("0.9270", "0.8430")
    assert (estimate["cost_batch"], estimate["cost_batch_cached"]) == ("0.4635", "0.4215")
    # Live execution: the figure shown is the upper bound, the range beside it.
    assert estimate["cost"] == "0.9270"
    assert estimate["cost_range"] == {"low": "0.8430", "high": "0.9270"}
    assert "upper bound" in estimate["cost_note"] and "lower bound" in estimate["cost_note"]


def test_each_paraphrase_is_written_to_the_cache_by_its_own_first_call():
    """Rotating two paraphrases over 3 replications: variant 1 for replications 1 and 3 (4 calls,
    3 read the cache), variant 2 for replication 2 (2 calls, 1 reads it): 4 x 105 = 420 cached
    tokens an endpoint."""
    estimate = run_estimate(run=_run(rotate=True))
    assert estimate["cached_input_tokens"] == 2 * 420


def test_batch_execution_shows_the_batch_range():
    run = _run()
    run.config["execution"] = {"mode": "batch"}
    estimate = run_estimate(run=run)
    assert estimate["cost"] == "0.4635"
    assert estimate["cost_range"] == {"low": "0.4215", "high": "0.4635"}


def test_without_a_batch_api_there_is_no_batch_range():
    run = _run()
    run.config["endpoints"][1]["supports_batch"] = False
    estimate = run_estimate(run=run)
    assert estimate["cost_batch"] is None and estimate["cost_batch_cached"] is None
    assert estimate["cost_range"] == {"low": "0.8430", "high": "0.9270"}


@pytest.mark.django_db
def test_the_api_and_the_admin_show_the_range(
    admin_api, client, admin_user, instrument, mock_endpoints
):
    alpha, beta = mock_endpoints
    alpha.price_cached_input_per_million = Decimal("0.10")
    alpha.save()
    run = run_create(
        spec=RunSpec(
            name="cached estimate",
            instrument=instrument,
            endpoints=[alpha, beta],
            languages=["en"],
            kinds=["interest"],
            replications=2,
        )
    )
    estimate = admin_api.get(f"/api/v1/runs/{run.pk}/estimate/").json()
    low, high = Decimal(estimate["cost_range"]["low"]), Decimal(estimate["cost_range"]["high"])
    assert 0 < low < high == Decimal(estimate["cost"])
    assert 0 < estimate["cached_input_tokens"] < estimate["input_tokens"]
    client.force_login(admin_user)
    html = client.get(f"/admin/llmruns/run/{run.pk}/change/").content.decode()
    assert f"about {high}" in html and f"about {low} if the provider caches" in html


@pytest.mark.django_db
def test_study_create_prints_the_lower_bound(instrument, tmp_path, capsys):
    pilot = Path(__file__).resolve().parents[2] / "fixtures" / "studies" / "pilot.toml"
    priced = 'model = "mock-alpha"\nprice_input_per_million = "1.00"\n'
    priced += 'price_cached_input_per_million = "0.10"\nprice_output_per_million = "2.00"'
    study = tmp_path / "cached.toml"
    study.write_text(pilot.read_text().replace('model = "mock-alpha"', priced, 1))
    call_command("study", "create", str(study))
    out = capsys.readouterr().out
    estimate = run_estimate(run=Run.objects.get())
    assert Decimal(estimate["cost_live_cached"]) < Decimal(estimate["cost_live"])
    assert (
        f"with prompt caching about {estimate['cost_live_cached']} "
        f"(live {estimate['cost_live_cached']}, batch not offered)"
    ) in out
