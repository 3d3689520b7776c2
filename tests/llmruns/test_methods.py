"""Elicitation methods end to end: verbal, structured and token probability on the mock over HTTP.

The mock model answers from a configured distribution per item, so what each method recovers can
be checked against the distribution itself, not against numbers the platform produced.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from llmruns.mockserver import MockConfig
from llmruns.models import Attempt, ModelEndpoint, Run, RunStatus, Trial, TrialStatus
from llmruns.services import RunSpec, run_create, trials_execute

# Six distributions over the values 1..5; item n answers from PATTERNS[n % 6].
PATTERNS = (
    (0.05, 0.10, 0.20, 0.40, 0.25),
    (0.50, 0.30, 0.10, 0.05, 0.05),
    (0.00, 0.00, 1.00, 0.00, 0.00),
    (0.10, 0.20, 0.40, 0.20, 0.10),
    (0.30, 0.00, 0.00, 0.10, 0.60),
    (0.00, 0.25, 0.25, 0.25, 0.25),
)


def distributions(model: str = "mock-alpha") -> dict:
    return {model: {str(n): list(PATTERNS[n % 6]) for n in range(1, 61)}}


def _endpoint(server, model: str, **fields) -> ModelEndpoint:
    values = {
        "name": f"Mock {model}",
        "provider": "mock",
        "base_url": server.base_url,
        "model": model,
        "max_requests_per_minute": 100_000,
        "max_concurrency": 8,
        "price_input_per_million": "1.00",
        "price_output_per_million": "2.00",
        "timeout_seconds": 5,
        "is_mock": True,
    }
    values.update(fields)
    return ModelEndpoint.objects.create(**values)


def _execute_all(run: Run) -> None:
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    while ids := list(
        Trial.objects.filter(run=run, status=TrialStatus.PENDING).values_list("pk", flat=True)
    ):
        for start in range(0, len(ids), 50):
            trials_execute(trial_ids=ids[start : start + 50])
    run.refresh_from_db()


def _spec(instrument, endpoints, **overrides) -> RunSpec:
    values = {
        "name": "methods",
        "instrument": instrument,
        "endpoints": endpoints,
        "languages": ["en"],
        "kinds": ["interest"],
        "replications": 2,
        "temperature": 1.0,
    }
    values.update(overrides)
    return RunSpec(**values)


ALL_METHODS = ["verbal", "structured", "token_probability"]


def _remove_items_above(instrument, last: int) -> None:
    """Keep the first `last` items (two per RIASEC area for 12), so 50 replications stay quick."""
    instrument.items.filter(number__gt=last).delete()


@pytest.mark.slow
@pytest.mark.django_db
def test_three_methods_on_one_model_recover_its_answer_distribution(
    instrument, mock_llm, monkeypatch, researcher_api
):
    mock_llm.set_config(MockConfig(seed=7, answer_distributions=distributions()))
    endpoint = _endpoint(mock_llm, "mock-alpha", supports_logprobs=True, supports_json_schema=True)
    _remove_items_above(instrument, 12)
    from llmruns.services import execution

    text_parser_calls = []
    real_parse_likert = execution.parse_likert

    def counting_parse_likert(*args, **kwargs):
        text_parser_calls.append(1)
        return real_parse_likert(*args, **kwargs)

    monkeypatch.setattr(execution, "parse_likert", counting_parse_likert)
    run = run_create(spec=_spec(instrument, [endpoint], replications=50, methods=ALL_METHODS))
    assert run.config["elicitation"]["methods"] == ALL_METHODS
    _execute_all(run)
    trials = Trial.objects.filter(run=run).select_related("item")
    assert Counter(trials.values_list("method", "status")) == {
        (method, "ok"): 12 * 50 for method in ALL_METHODS
    }
    # The text parser read the verbal answers and nothing else.
    assert len(text_parser_calls) == 12 * 50

    # token_probability: every trial's distribution is the item's, whichever the direction.
    for trial in trials.filter(method="token_probability"):
        expected = PATTERNS[trial.item.number % 6]
        got = [trial.option_probabilities[str(v)] for v in range(1, 6)]
        assert max(abs(g - e) for g, e in zip(got, expected, strict=True)) < 0.02, trial.pk
        assert trial.valid_mass == pytest.approx(0.98, abs=0.005)  # the mock's 0.02 elsewhere
        assert trial.expected_value == pytest.approx(
            sum(v * p for v, p in zip(range(1, 6), expected, strict=True)), abs=0.05
        )
        assert trial.value == 1 + max(range(5), key=lambda i: (expected[i], -i))
    body = Attempt.objects.filter(trial__run=run, trial__method="token_probability").first()
    assert body.request_body["logprobs"] is True and body.request_body["top_logprobs"] == 20
    assert body.request_body["max_tokens"] == 1 and "response_format" not in body.request_body

    # verbal and structured sample from it: 50 replications x 2 items per pattern.
    for method in ("verbal", "structured"):
        samples = defaultdict(list)
        for trial in trials.filter(method=method):
            samples[trial.item.number % 6].append(trial.value)
        for pattern, values in samples.items():
            shares = [values.count(v) / len(values) for v in range(1, 6)]
            distance = max(abs(s - p) for s, p in zip(shares, PATTERNS[pattern], strict=True))
            assert distance < 0.15, (method, pattern, shares)
    structured = trials.filter(method="structured")
    assert set(structured.values_list("outcome_reason", flat=True)) == {"json"}
    attempt = Attempt.objects.filter(trial__run=run, trial__method="structured").first()
    assert attempt.request_body["response_format"]["json_schema"]["schema"]["properties"]["answer"][
        "enum"
    ] == [1, 2, 3, 4, 5]
    verbal = Attempt.objects.filter(trial__run=run, trial__method="verbal").first()
    assert "response_format" not in verbal.request_body and "logprobs" not in verbal.request_body

    # Profiles per method, on the basis asked for, saying which. Expected values: every
    # token_probability trial of an item has its pattern's mean, so an area's mean is the mean
    # of its items' pattern means, computed here from the patterns.
    def profile(query: str) -> dict:
        response = researcher_api.get(f"/api/v1/runs/{run.pk}/profiles/?by=endpoint&{query}")
        assert response.status_code == 200, response.json()
        return response.json()

    pattern_mean = [sum(v * p for v, p in zip(range(1, 6), q, strict=True)) for q in PATTERNS]
    by_expected = profile("method=token_probability&basis=expected_value")
    assert by_expected["method"] == "token_probability" and by_expected["basis"] == "expected_value"
    assert by_expected["n"] == 12 * 50
    areas = dict(instrument.items.values_list("number", "area"))
    for row in by_expected["areas"]:
        numbers = [n for n, area in areas.items() if area == row["area"]]
        expected = sum(pattern_mean[n % 6] for n in numbers) / len(numbers)
        assert row["mean"] == pytest.approx(expected, abs=1e-9), row["area"]
    by_answer = profile("method=token_probability")
    assert by_answer["basis"] == "answer"
    first = profile("")  # the run's first method, verbal
    assert first["method"] == "verbal" and first["n"] == 12 * 50
    verbal_means = {row["area"]: row["mean"] for row in first["areas"]}
    for row in by_expected["areas"]:
        # 100 sampled answers per area and respondent set: near the expected values.
        assert verbal_means[row["area"]] == pytest.approx(row["mean"], abs=0.35)
    bad = researcher_api.get(f"/api/v1/runs/{run.pk}/profiles/?basis=median")
    assert bad.status_code == 400 and "basis" in bad.json()


@pytest.mark.django_db
def test_token_probability_below_the_valid_mass_threshold_is_invalid_not_imputed(
    instrument, mock_llm
):
    # Half the first-token mass on words: with a threshold of 0.6 every answer is invalid.
    mock_llm.set_config(
        MockConfig(seed=7, answer_distributions=distributions(), logprob_invalid_mass=0.5)
    )
    endpoint = _endpoint(mock_llm, "mock-alpha", supports_logprobs=True)
    _remove_items_above(instrument, 6)
    run = run_create(
        spec=_spec(instrument, [endpoint], methods=["token_probability"], min_valid_mass=0.6)
    )
    assert run.config["elicitation"]["min_valid_mass"] == 0.6
    _execute_all(run)
    trials = Trial.objects.filter(run=run)
    assert set(trials.values_list("status", flat=True)) == {TrialStatus.INVALID}
    trial = trials.first()
    assert trial.value is None and trial.expected_value is None
    assert trial.valid_mass == pytest.approx(0.5, abs=0.005)
    assert trial.outcome_reason == "valid probability mass 0.500 below 0.6"


@pytest.mark.django_db
def test_chinese_prompts_count_chinese_numerals_and_spaced_digits(instrument, mock_llm):
    mock_llm.set_config(MockConfig(seed=7, answer_distributions=distributions()))
    endpoint = _endpoint(mock_llm, "mock-alpha", supports_logprobs=True)
    _remove_items_above(instrument, 6)
    run = run_create(
        spec=_spec(instrument, [endpoint], languages=["zh-hans"], methods=["token_probability"])
    )
    _execute_all(run)
    for trial in Trial.objects.filter(run=run).select_related("item"):
        expected = PATTERNS[trial.item.number % 6]
        got = [trial.option_probabilities[str(v)] for v in range(1, 6)]
        assert max(abs(g - e) for g, e in zip(got, expected, strict=True)) < 0.02
    # The mock put a tenth of each value's mass on "三"-style numerals: counted, not lost.
    attempt = Attempt.objects.filter(trial__run=run).first()
    assert "\u4e09" in attempt.response_body or "\u4e8c" in attempt.response_body
    assert trial.valid_mass == pytest.approx(0.98, abs=0.005)
