"""An endpoint's limits as a run's calls meet them over HTTP: a call keeps its concurrency slot
for as long as it may take, and a server's Retry-After pauses every call to the endpoint."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from llmruns.limiter import endpoint_limiter_key, get_limiter
from llmruns.mockserver import MockConfig
from llmruns.models import Run, RunStatus, Trial
from llmruns.services import RunSpec, run_create, trial_execute


def _running_run(instrument, endpoints, **overrides) -> Run:
    spec = RunSpec(
        name="limits test",
        instrument=instrument,
        endpoints=endpoints,
        languages=["en"],
        kinds=["interest"],
        replications=1,
        temperature=0.0,
        **overrides,
    )
    run = run_create(spec=spec)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    return run


@pytest.mark.django_db
def test_a_call_keeps_its_concurrency_slot_for_as_long_as_it_may_take(
    instrument, mock_endpoints, monkeypatch
):
    """An endpoint with a long timeout (a reasoning model) and one call at a time. The timeout
    bounds each phase of a call (connecting, then waiting for the reply), so a call may still be
    running just short of twice the timeout: until then no other call may get the slot."""
    from llmruns import limiter as limiter_module
    from llmruns.services import execution

    endpoint = mock_endpoints[0]
    endpoint.timeout_seconds = 100
    endpoint.max_concurrency = 1
    endpoint.save()
    run = _running_run(instrument, [endpoint])
    trial = Trial.objects.filter(run=run).first()
    # The limiter's clock, moved on while the call runs (the mock answers at once).
    clock = {"offset": 0.0}
    monkeypatch.setattr(
        limiter_module,
        "time",
        SimpleNamespace(time=lambda: time.time() + clock["offset"], sleep=time.sleep),
    )
    real_call = execution.chat_call
    another_call_got_a_slot: list[bool] = []

    def a_call_that_takes_almost_twice_the_timeout(**kwargs):
        result = real_call(**kwargs)
        clock["offset"] = 2 * endpoint.timeout_seconds - 1
        another_call_got_a_slot.append(
            get_limiter().try_acquire_slot(
                endpoint_limiter_key(endpoint.pk), limit=1, holder="another call"
            )
        )
        return result

    monkeypatch.setattr(execution, "chat_call", a_call_that_takes_almost_twice_the_timeout)

    assert trial_execute(trial_id=trial.pk) == "ok"
    assert another_call_got_a_slot == [False]


@pytest.mark.django_db
def test_a_retry_after_pauses_every_trial_of_the_endpoint(instrument, mock_endpoints, mock_llm):
    """One trial's call is answered 429 with Retry-After: 1.5 s (its run allows it no retry). The
    next trial of the same endpoint waits those 1.5 s too, instead of calling at once and being
    refused as well."""
    endpoint = mock_endpoints[0]
    run = _running_run(instrument, [endpoint], max_attempts=1)
    first, second = Trial.objects.filter(run=run).order_by("pk")[:2]
    mock_llm.set_config(MockConfig(rate_429=1.0, retry_after_s=1.5))
    assert trial_execute(trial_id=first.pk) == "failed"
    mock_llm.set_config(MockConfig())
    assert trial_execute(trial_id=second.pk) == "ok"
    refused, answered = [r for r in mock_llm.request_log() if r.path.endswith("/chat/completions")]
    assert (refused.status, answered.status) == (429, 200)
    assert answered.time - refused.time >= 1.5 - 0.05  # the mock's clock; less the reply's trip
