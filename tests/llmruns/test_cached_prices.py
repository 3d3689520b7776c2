"""Cached prompt tokens (usage.prompt_tokens_details.cached_tokens) at the endpoint's cached
input price: set and checked through the API and the admin, used for the cost of live calls."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pandas as pd
import pytest

from llmruns.models import ModelEndpoint, Run, RunStatus, Trial, TrialStatus
from llmruns.services import RunSpec, run_create, trial_execute


def _usage(trial: Trial) -> dict:
    return json.loads(trial.attempts.get().response_body)["usage"]


@pytest.mark.django_db
def test_cached_prompt_tokens_cost_the_cached_input_price(instrument, mock_endpoints):
    """The mock reads a system message it has seen before from its prompt cache, as providers
    do. Alpha charges 1.00 per million input tokens, 0.25 per million cached ones and 2.00 per
    million output tokens; beta sets no cached price, so its cached tokens cost the input price."""
    alpha, beta = mock_endpoints
    alpha.price_cached_input_per_million = Decimal("0.25")
    alpha.save()
    run = run_create(
        spec=RunSpec(
            name="cached",
            instrument=instrument,
            endpoints=[alpha, beta],
            languages=["en"],
            kinds=["interest"],
            replications=1,
            temperature=0.0,
        )
    )
    assert Decimal(run.config["endpoints"][0]["price_cached_input_per_million"]) == Decimal("0.25")
    assert run.config["endpoints"][1]["price_cached_input_per_million"] is None
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    for endpoint in (alpha, beta):
        trials = list(Trial.objects.filter(run=run, endpoint=endpoint).order_by("pk")[:3])
        for trial in trials:
            assert trial_execute(trial_id=trial.pk) == TrialStatus.OK
        usages = [_usage(trial) for trial in trials]
        cached = [usage["prompt_tokens_details"]["cached_tokens"] for usage in usages]
        assert cached[0] == 0 and all(
            0 < n < usage["prompt_tokens"] for n, usage in zip(cached[1:], usages[1:], strict=True)
        )
        for trial, usage, hits in zip(trials, usages, cached, strict=True):
            trial.refresh_from_db()
            prompt, completion = usage["prompt_tokens"], usage["completion_tokens"]
            assert (trial.input_tokens, trial.output_tokens) == (prompt, completion)
            if endpoint == alpha:
                per_million = 1 * (prompt - hits) + Decimal("0.25") * hits + 2 * completion
            else:
                per_million = Decimal(prompt) + 2 * completion
            assert trial.cost == per_million / 1_000_000


def test_the_endpoints_cost_prices_cached_tokens_apart():
    endpoint = ModelEndpoint(
        price_input_per_million=Decimal("3"),
        price_output_per_million=Decimal("15"),
        price_cached_input_per_million=Decimal("0.3"),
    )
    # 1,000 prompt tokens of which 800 cached, 100 output tokens:
    # (200 x 3 + 800 x 0.3 + 100 x 15) / 10^6 = 0.00234; without a cached price 0.0045.
    assert endpoint.cost(1000, 100, cached_input_tokens=800) == Decimal("0.00234")
    endpoint.price_cached_input_per_million = None
    assert endpoint.cost(1000, 100, cached_input_tokens=800) == Decimal("0.0045")


_ENDPOINT = {"name": "priced", "base_url": "https://api.example.org/v1", "model": "m"}


@pytest.mark.django_db
def test_the_api_sets_and_clears_the_cached_input_price(admin_api):
    body = {**_ENDPOINT, "price_cached_input_per_million": "0.125"}
    response = admin_api.post("/api/v1/endpoints/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["price_cached_input_per_million"] == "0.1250"
    url = f"/api/v1/endpoints/{response.json()['id']}/"
    response = admin_api.patch(url, {"price_cached_input_per_million": None}, format="json")
    assert response.status_code == 200
    assert response.json()["price_cached_input_per_million"] is None
    assert ModelEndpoint.objects.get().price_cached_input_per_million is None
    response = admin_api.post("/api/v1/endpoints/", {**_ENDPOINT, "name": "b"}, format="json")
    assert response.json()["price_cached_input_per_million"] is None  # not set: the input price


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["-0.01", "abc", "123456789"])
def test_a_bad_cached_input_price_is_a_400_naming_the_field(admin_api, value):
    body = {**_ENDPOINT, "price_cached_input_per_million": value}
    response = admin_api.post("/api/v1/endpoints/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["price_cached_input_per_million"]
    assert not ModelEndpoint.objects.exists()
    endpoint = ModelEndpoint.objects.create(**_ENDPOINT, price_cached_input_per_million="0.5")
    response = admin_api.patch(
        f"/api/v1/endpoints/{endpoint.pk}/",
        {"price_cached_input_per_million": value},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["price_cached_input_per_million"]
    endpoint.refresh_from_db()
    assert endpoint.price_cached_input_per_million == Decimal("0.5")


def _admin_form(**fields) -> dict:
    return {
        **_ENDPOINT,
        "token_limit_param": "max_tokens",
        "max_requests_per_minute": "60",
        "max_concurrency": "4",
        "price_input_per_million": "1",
        "price_output_per_million": "2",
        "extra_params": "{}",
        "timeout_seconds": "60",
        "archived_at_0": "",
        "archived_at_1": "",
        "batch_discount": "0.5",
        "batch_max_requests": "50000",
        "batch_max_bytes": "200000000",
        **fields,
    }


@pytest.mark.django_db
def test_the_admin_refuses_a_negative_cached_input_price(client, admin_user):
    client.force_login(admin_user)
    url = "/admin/llmruns/modelendpoint/add/"
    response = client.post(url, _admin_form(price_cached_input_per_million="-1"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["price_cached_input_per_million"]
    assert not ModelEndpoint.objects.exists()
    response = client.post(url, _admin_form(price_cached_input_per_million="0.3"))
    assert response.status_code == 302
    assert ModelEndpoint.objects.get().price_cached_input_per_million == Decimal("0.3")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_trial_stores_its_cached_prompt_tokens_and_the_run_totals_and_exports_them(
    instrument, mock_endpoints, researcher_api
):
    """Over HTTP with the mock server: each trial keeps the cached prompt tokens its call was
    billed for, so its cost is its stored tokens at the endpoint's prices (input 1.00, cached
    0.25, output 2.00 per million); the run's progress sums them, and the trials export has them
    in CSV, Parquet and JSON lines."""
    alpha, _beta = mock_endpoints
    alpha.price_cached_input_per_million = Decimal("0.25")
    alpha.save()
    run = run_create(
        spec=RunSpec(
            name="cached-stored",
            instrument=instrument,
            endpoints=[alpha],
            languages=["en"],
            kinds=["interest"],
            replications=1,
            temperature=0.0,
        )
    )
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    trials = list(Trial.objects.filter(run=run).order_by("pk")[:4])
    for trial in trials:
        assert trial_execute(trial_id=trial.pk) == TrialStatus.OK
    reported = {}
    for trial in trials:
        trial.refresh_from_db()
        usage = _usage(trial)
        reported[trial.pk] = usage["prompt_tokens_details"]["cached_tokens"]
        assert trial.cached_input_tokens == reported[trial.pk]
        uncached = trial.input_tokens - trial.cached_input_tokens
        per_million = uncached + Decimal("0.25") * trial.cached_input_tokens
        assert trial.cost == (per_million + 2 * trial.output_tokens) / 1_000_000
    assert sorted(reported.values())[0] == 0 and sum(reported.values()) > 0

    progress = researcher_api.get(f"/api/v1/runs/{run.pk}/").json()["progress"]
    assert progress["cached_input_tokens"] == sum(reported.values())
    assert progress["input_tokens"] > progress["cached_input_tokens"]

    url = f"/api/v1/runs/{run.pk}/trials/?format="
    frames = {
        "csv": pd.read_csv(io.BytesIO(_body(researcher_api.get(url + "csv")))),
        "parquet": pd.read_parquet(io.BytesIO(_body(researcher_api.get(url + "parquet")))),
        "jsonl": pd.read_json(io.BytesIO(_body(researcher_api.get(url + "jsonl"))), lines=True),
    }
    for name, frame in frames.items():
        columns = list(frame.columns)
        assert columns.index("cached_input_tokens") == columns.index("input_tokens") + 1, name
        stored = dict(zip(frame["trial_id"], frame["cached_input_tokens"], strict=True))
        assert {pk: stored[pk] for pk in reported} == reported, name
