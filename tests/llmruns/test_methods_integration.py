"""Elicitation methods through a real Celery worker on PostgreSQL and Redis, against the mock
over HTTP with injected faults: every method's trials end once each, token probabilities still
recover the configured distributions, and a reasoning model's reasoning is kept apart."""

from __future__ import annotations

import pytest

from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.models import FINAL_TRIAL_STATUSES, Run, RunStatus, Trial, TrialStatus
from llmruns.services import RunSpec, run_create, run_start
from llmruns.services.capabilities import endpoint_probe
from tests.llmruns.test_methods import PATTERNS, _endpoint, _remove_items_above, distributions
from tests.services import wait_for

pytestmark = pytest.mark.integration


def test_three_methods_and_a_reasoning_model_through_a_real_worker(
    settings, instrument, celery_worker_process
):
    settings.RATE_LIMIT_URL = settings.CELERY_BROKER_URL
    from llmruns import limiter

    limiter._cached = None
    answers = {**distributions(), "mock-reasoner": {"*": [0, 1, 0, 0, 0]}}
    with MockLLMServer(MockConfig(seed=5, answer_distributions=answers)) as server:
        alpha = endpoint_probe(endpoint=_endpoint(server, "mock-alpha"))
        reasoner = endpoint_probe(endpoint=_endpoint(server, "mock-reasoner"))
        server.set_config(
            MockConfig(
                seed=5,
                answer_distributions=answers,
                rate_500=0.05,
                rate_429=0.05,
                retry_after_s=0.1,
            )
        )
        _remove_items_above(instrument, 12)
        run = run_create(
            spec=RunSpec(
                name="methods through a worker",
                instrument=instrument,
                endpoints=[alpha, reasoner],
                languages=["en", "zh-hans"],
                kinds=["interest"],
                replications=4,
                methods=["verbal", "structured", "token_probability"],
                method_fallback="verbal",
            )
        )
        run_start(run=run, check_reachable=False)
        wait_for(
            lambda: Run.objects.get(pk=run.pk).status == RunStatus.FINISHED,
            timeout=300,
            interval=1.0,
            message="the run to finish",
        )
    trials = Trial.objects.filter(run=run).select_related("item", "endpoint")
    assert trials.count() == 2 * 2 * 3 * 4 * 12
    assert not trials.exclude(status__in=FINAL_TRIAL_STATUSES).exists()
    assert set(trials.values_list("status", flat=True)) == {TrialStatus.OK}
    for trial in trials.filter(endpoint=alpha, method="token_probability"):
        expected = PATTERNS[trial.item.number % 6]
        got = [trial.option_probabilities[str(v)] for v in range(1, 6)]
        assert max(abs(g - e) for g, e in zip(got, expected, strict=True)) < 0.02
    # The reasoner has no logprobs: its token_probability trials fell back to verbal.
    assert set(
        trials.filter(endpoint=reasoner, method="token_probability").values_list(
            "method_fallback", flat=True
        )
    ) == {"verbal"}
    from_reasoner = trials.filter(endpoint=reasoner)
    assert set(from_reasoner.values_list("value", flat=True)) == {2}
    assert not from_reasoner.filter(reasoning_tokens=0).exists()
    assert all("5" in text for text in from_reasoner.values_list("reasoning_text", flat=True))
