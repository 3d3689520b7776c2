"""Cancelling a run while its trials are being called: what was spent is kept, and every trial of a
cancelled run ends cancelled, even when the reaper or a resume comes in between."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

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
    # The second call repeats the first one's system message: the mock reads it from its cache.
    cached = sum(u["prompt_tokens_details"]["cached_tokens"] for u in usages)
    assert trial.cached_input_tokens == cached > 0
    # 1.00 per million input tokens, 2.00 per million output tokens (mock_endpoints).
    assert trial.cost == (Decimal(prompt) + 2 * Decimal(completion)) / 1_000_000
    assert trial.attempt_count == 2


@pytest.mark.django_db
def test_the_reaper_ends_a_cancelled_runs_expired_trial_cancelled(
    instrument, mock_endpoints, mock_llm, monkeypatch
):
    """A worker is mid-call when the run is cancelled, and its lease expires before it stores the
    answer (it died, or it is slow): the reaper must not put the trial back to pending, where a
    cancelled run would keep it open for good, but end it cancelled."""
    from llmruns import tasks
    from llmruns.services import execution, trials_reap

    monkeypatch.setattr(tasks.dispatch_run, "delay", lambda run_id: None)
    run = _running_run(instrument, mock_endpoints[:1])
    trial, other = Trial.objects.filter(run=run).order_by("pk")[:2]
    real_call = execution.chat_call
    reaped: list[dict] = []

    def call_then_cancel_and_reap(**kwargs):
        result = real_call(**kwargs)
        run_cancel(run=run)
        reaped.append(trials_reap(now=timezone.now() + timedelta(hours=1)))
        return result

    monkeypatch.setattr(execution, "chat_call", call_then_cancel_and_reap)

    assert trial_execute(trial_id=trial.pk) == "lease lost"
    assert reaped[0]["expired_leases"] == 1
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CANCELLED
    assert (trial.lease_owner, trial.lease_expires_at, trial.enqueued_at) == ("", None, None)
    assert trial.finished_at is not None
    assert Trial.objects.get(pk=other.pk).status == TrialStatus.CANCELLED
    assert not Trial.objects.filter(run=run).exclude(status=TrialStatus.CANCELLED).exists()


@pytest.mark.django_db(transaction=True)
def test_the_reaper_and_a_worker_storing_an_outcome_do_not_deadlock(
    instrument, mock_endpoints, monkeypatch
):
    """The reaper comes in while a worker stores a work sample's answer, just before the worker
    takes the run's row lock (to create the self-review), and finds the trial's lease expired.
    Both must go through: the reaper waits for the worker and then leaves its answer alone."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (DATABASE_URL)")
    from llmruns import tasks
    from llmruns.services import execution, trials_reap

    monkeypatch.setattr(tasks.dispatch_run, "delay", lambda run_id: None)
    monkeypatch.setattr(tasks.execute_trials, "delay", lambda trial_ids: None)
    run = _running_run(instrument, mock_endpoints[:1], kinds=["work_sample", "self_review"])
    sample = Trial.objects.filter(run=run, kind="work_sample").first()
    real_locked = execution._run_cancelled_locked
    reaped: list = []

    def reap() -> None:
        try:
            reaped.append(trials_reap(now=timezone.now() + timedelta(hours=1)))
        except Exception as exc:
            reaped.append(exc)
        finally:
            connection.close()

    def reaper_comes_in_first(run_id: int) -> bool:
        reaper = threading.Thread(target=reap)
        reaper.start()
        reaper.join(timeout=1.5)  # the reaper now waits for a row this worker holds
        result = real_locked(run_id)
        reapers.append(reaper)
        return result

    reapers: list[threading.Thread] = []
    monkeypatch.setattr(execution, "_run_cancelled_locked", reaper_comes_in_first)

    assert trial_execute(trial_id=sample.pk) == TrialStatus.OK
    reapers[0].join(timeout=10)
    assert len(reaped) == 1 and not isinstance(reaped[0], Exception), reaped
    assert reaped[0]["expired_leases"] == 0
    sample.refresh_from_db()
    assert sample.status == TrialStatus.OK and sample.text
    assert Trial.objects.filter(run=run, kind="self_review", work_sample=sample).count() == 1


@pytest.mark.django_db
def test_a_resume_between_a_worker_seeing_the_cancel_and_releasing_the_trial(
    instrument, mock_endpoints, mock_llm, monkeypatch
):
    """The run is cancelled during a trial's first call (answered 500, so it is to be retried);
    the worker sees the cancel before its retry, and the run is resumed right then, before the
    worker releases the trial. The trial must not end cancelled in a run that runs on (and would
    finish with it never answered): it goes back to pending, and the run finishes with every
    trial answered."""
    from llmruns.services import execution, run_finish_if_done, run_resume

    mock_llm.set_config(MockConfig(rate_500=1.0))
    run = _running_run(instrument, mock_endpoints[:1], max_attempts=5)
    trial = Trial.objects.filter(run=run).order_by("pk").first()
    real_call, real_cancelled = execution.chat_call, execution._run_cancelled
    resumed: list[int] = []

    def call_while_the_run_is_cancelled(**kwargs):
        result = real_call(**kwargs)
        run_cancel(run=run)
        mock_llm.set_config(MockConfig())  # answers from now on
        return result

    def seen_cancelled_then_resumed(run_id: int) -> bool:
        cancelled = real_cancelled(run_id)
        if cancelled and not resumed:
            resumed.append(run_resume(run=Run.objects.get(pk=run_id)))
        return cancelled

    monkeypatch.setattr(execution, "chat_call", call_while_the_run_is_cancelled)
    monkeypatch.setattr(execution, "_run_cancelled", seen_cancelled_then_resumed)
    trial_execute(trial_id=trial.pk)
    monkeypatch.setattr(execution, "chat_call", real_call)

    assert resumed == [Trial.objects.filter(run=run).count() - 1]  # all but the running trial
    trial.refresh_from_db()
    assert trial.status == TrialStatus.PENDING
    assert (trial.lease_owner, trial.lease_expires_at, trial.finished_at) == ("", None, None)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    for pk in Trial.objects.filter(run=run, status=TrialStatus.PENDING).values_list(
        "pk", flat=True
    ):
        assert trial_execute(trial_id=pk) == "ok"
    run_finish_if_done(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert set(Trial.objects.filter(run=run).values_list("status", flat=True)) == {TrialStatus.OK}
    trial.refresh_from_db()
    assert trial.attempt_count == 2 == trial.attempts.count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fault",
    [{}, {"rate_no_choices": 1.0}],
    # The call is answered and the store finds the lease gone; or it is to be retried and the
    # renewal finds it gone.
    ids=["lost-at-store", "lost-at-retry"],
)
def test_a_worker_whose_lease_was_reaped_mid_call_still_bills_its_call(
    instrument, mock_endpoints, mock_llm, monkeypatch, fault
):
    """The reaper takes the trial back while its call runs (the worker stalled past its lease):
    the worker stores nothing, but the call it made was paid for and counts in the trial's
    totals, beside whatever the next worker's calls add."""
    from llmruns import tasks
    from llmruns.services import execution, trials_reap

    monkeypatch.setattr(tasks.dispatch_run, "delay", lambda run_id: None)
    mock_llm.set_config(MockConfig(**fault))
    run = _running_run(instrument, mock_endpoints[:1], max_attempts=5)
    trial = Trial.objects.filter(run=run).first()
    real_call = execution.chat_call

    def call_then_reaped(**kwargs):
        result = real_call(**kwargs)
        trials_reap(now=timezone.now() + timedelta(hours=1))
        return result

    monkeypatch.setattr(execution, "chat_call", call_then_reaped)

    assert trial_execute(trial_id=trial.pk) == "lease lost"
    trial.refresh_from_db()
    assert trial.status == TrialStatus.PENDING  # for the next worker
    usage = json.loads(trial.attempts.get().response_body)["usage"]
    assert usage["prompt_tokens"] > 0
    assert (trial.input_tokens, trial.output_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    expected = (Decimal(usage["prompt_tokens"]) + 2 * Decimal(usage["completion_tokens"])) / 10**6
    assert trial.cost == expected
