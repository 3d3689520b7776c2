"""Cancelling a run while its trials are being called: what was spent is kept, and every trial of a
cancelled run ends cancelled, even when the reaper or a resume comes in between."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from llmruns.mockserver import MockConfig
from llmruns.models import Run, RunStatus, Trial, TrialStatus
from llmruns.services import RunSpec, run_cancel, run_create, trial_execute


def _running_run(instrument, endpoints, **overrides) -> Run:
    values = {
        "name": "cancel test",
        "instrument": instrument,
        "endpoints": endpoints,
        "languages": ["en"],
        "kinds": ["interest"],
        "replications": 1,
        "temperature": 0.0,
    }
    values.update(overrides)
    run = run_create(spec=RunSpec(**values))
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_calls_made_before_a_cancel_between_retries_are_billed(
    instrument, mock_endpoints, mock_llm, monkeypatch
):
    """Each call is answered with a billed completion that has no choice to read (retried); the
    run is cancelled after the second call, so the trial stops there, and both calls' tokens and
    cost are the trial's."""
    from llmruns.services import execution

    mock_llm.set_config(MockConfig(rate_no_choices=1.0))
    run = _running_run(instrument, mock_endpoints[:1], max_attempts=5)
    trial = Trial.objects.filter(run=run).first()
    real_call = execution.chat_call
    made = []

    def call_then_cancel_after_the_second(**kwargs):
        result = real_call(**kwargs)
        made.append(result)
        if len(made) == 2:
            run_cancel(run=run)
        return result

    monkeypatch.setattr(execution, "chat_call", call_then_cancel_after_the_second)

    assert trial_execute(trial_id=trial.pk) == "cancelled"
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CANCELLED
    # What the server billed, read from the responses it sent.
    usages = [json.loads(a.response_body)["usage"] for a in trial.attempts.order_by("number")]
    assert len(usages) == 2 and all(u["prompt_tokens"] > 0 for u in usages)
    prompt = sum(u["prompt_tokens"] for u in usages)
    completion = sum(u["completion_tokens"] for u in usages)
    assert (trial.input_tokens, trial.output_tokens) == (prompt, completion)
    # 1.00 per million input tokens, 2.00 per million output tokens (mock_endpoints).
    assert trial.cost == (Decimal(prompt) + 2 * Decimal(completion)) / 1_000_000
    assert trial.attempt_count == 2
