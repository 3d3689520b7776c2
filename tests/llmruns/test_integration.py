"""Runs through real Celery worker processes on Redis and PostgreSQL, against the mock over HTTP.

These are the study-scale guarantees: faults never lose or duplicate a trial, a worker killed
mid-run loses nothing, and an endpoint's rate limit holds across worker processes.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest
from django.db.models import Count

from llmruns.limiter import RedisLimiter
from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.models import (
    FINAL_TRIAL_STATUSES,
    Attempt,
    ModelEndpoint,
    Run,
    RunStatus,
    Trial,
    TrialStatus,
)
from llmruns.services import RunSpec, run_create, run_start, trials_reap
from llmruns.services.lifecycle import IN_FLIGHT, WORKER_LOST, trials_per_message
from tests.services import WorkerProcess, wait_for

pytestmark = pytest.mark.integration

SECRET = "sk-test-VERYSECRETKEY-0123456789"


@pytest.fixture
def fault_settings(settings, monkeypatch):
    """Short leases and backoff, in this process and in the worker processes it starts."""
    for name, value in {
        "LLM_LEASE_SECONDS": "6",
        "LLM_BACKOFF_INITIAL": "0.05",
        "VL_TEST_KEY": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    settings.LLM_LEASE_SECONDS = 6
    settings.LLM_BACKOFF_INITIAL = 0.05
    settings.RATE_LIMIT_URL = settings.CELERY_BROKER_URL
    from llmruns import limiter

    limiter._cached = None
    return settings


@pytest.fixture
def shared_limiter_settings(settings, monkeypatch):
    """The API key and the Redis limiter, in this process and in the worker processes it starts;
    leases as long as in production, so an endpoint's messages carry batches."""
    monkeypatch.setenv("VL_TEST_KEY", SECRET)
    settings.RATE_LIMIT_URL = settings.CELERY_BROKER_URL
    from llmruns import limiter

    limiter._cached = None
    return settings


def _endpoint(
    server: MockLLMServer,
    *,
    name: str = "Mock faulty",
    rpm: int = 100_000,
    concurrency: int = 8,
    timeout: float = 1.0,
):
    endpoint = ModelEndpoint.objects.create(
        name=name,
        base_url=server.base_url,
        model="mock-alpha",
        api_key_env="VL_TEST_KEY",
        max_requests_per_minute=rpm,
        max_concurrency=concurrency,
        timeout_seconds=timeout,
        price_input_per_million="1",
        price_output_per_million="1",
        is_mock=True,
    )
    RedisLimiter(server_url_redis()).reset(f"endpoint-{endpoint.pk}")
    return endpoint


def server_url_redis() -> str:
    from django.conf import settings

    return settings.CELERY_BROKER_URL


def _start_run(instrument, endpoint, *, replications: int, languages=("en",)) -> Run:
    run = run_create(
        spec=RunSpec(
            name="integration",
            instrument=instrument,
            endpoints=[endpoint],
            languages=list(languages),
            kinds=["interest"],
            replications=replications,
            temperature=1.0,
        )
    )
    return run_start(run=run, check_reachable=False)


def reap_until_finished(run: Run, *, timeout: float, interval: float, message: str) -> Counter:
    """Run the reaper (as the periodic task does every 30 s) until the run is finished; what the
    reaper returned, summed over the calls."""
    reaped: Counter = Counter()

    def finished() -> bool:
        reaped.update(trials_reap())
        return Run.objects.get(pk=run.pk).status == RunStatus.FINISHED

    wait_for(finished, timeout=timeout, interval=interval, message=message)
    return reaped


def _assert_complete(run: Run, *, expected: int, server: MockLLMServer) -> None:
    trials = Trial.objects.filter(run=run)
    assert trials.count() == expected
    assert not trials.exclude(status__in=FINAL_TRIAL_STATUSES).exists(), (
        "a trial was left unfinished"
    )
    cells = trials.values("endpoint", "language", "item", "kind", "replication").annotate(
        n=Count("pk")
    )
    assert all(cell["n"] == 1 for cell in cells) and len(cells) == expected
    calls = [r for r in server.request_log() if r.path.endswith("/chat/completions")]
    attempts = Attempt.objects.filter(trial__run=run)
    assert not attempts.filter(error=IN_FLIGHT).exists()
    # An Attempt is written before its call. A worker killed between the two leaves one the
    # reaper marks as lost, whose request may or may not have reached the server.
    lost = attempts.filter(error=WORKER_LOST).count()
    completed = attempts.count() - lost
    assert completed <= len(calls) <= completed + lost, "an HTTP call has no Attempt row"
    assert not trials.filter(status=TrialStatus.OK, value__isnull=True).exists()
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED


def test_600_trials_with_faults_end_once_each_with_every_call_kept(
    fault_settings, instrument, celery_worker_process
):
    config = MockConfig(
        seed=11,
        rate_429=0.10,
        rate_500=0.05,
        rate_timeout=0.02,
        rate_malformed=0.02,
        retry_after_s=0.2,
        timeout_hang_s=1.5,
        api_key=SECRET,
    )
    with MockLLMServer(config) as server:
        endpoint = _endpoint(server)
        run = _start_run(instrument, endpoint, replications=10)
        try:
            wait_for(
                lambda: Run.objects.get(pk=run.pk).status == RunStatus.FINISHED,
                timeout=420,
                interval=1.0,
                message="the faulty run to finish",
            )
        except AssertionError:
            print(celery_worker_process.log()[-5000:])
            raise
        _assert_complete(run, expected=600, server=server)
        assert not Attempt.objects.filter(trial__run=run, error=WORKER_LOST).exists()
        outcomes = {r.outcome for r in server.request_log()}
        assert {"429", "500", "timeout", "malformed"} <= outcomes
        statuses = set(Attempt.objects.filter(trial__run=run).values_list("status_code", flat=True))
        assert {200, 429, 500, None} <= statuses  # None: a timeout or a body that did not parse
        assert Trial.objects.filter(run=run, attempt_count__gt=1).exists()
    assert SECRET not in celery_worker_process.log()


def test_worker_killed_mid_run_loses_and_duplicates_nothing(
    fault_settings, instrument, celery_worker_process
):
    with MockLLMServer(MockConfig(seed=3, latency_ms=40, api_key=SECRET)) as server:
        endpoint = _endpoint(server, concurrency=4)
        run = _start_run(instrument, endpoint, replications=6)
        wait_for(
            lambda: Trial.objects.filter(run=run, status=TrialStatus.OK).count() >= 80,
            timeout=120,
            message="the run to get going",
        )
        celery_worker_process.kill()
        assert Trial.objects.filter(
            run=run, status__in=[TrialStatus.PENDING, TrialStatus.RUNNING]
        ).exists()
        replacement = WorkerProcess(name="w2").start()
        try:
            reap_until_finished(
                run, timeout=300, interval=3.0, message="the run to finish after the kill"
            )
        finally:
            replacement.stop()
        _assert_complete(run, expected=360, server=server)


def test_rate_limit_holds_across_two_worker_processes(
    shared_limiter_settings, instrument, celery_worker_process
):
    limit = 20
    with MockLLMServer(MockConfig(seed=5, api_key=SECRET)) as server:
        endpoint = _endpoint(server, rpm=limit, concurrency=4, timeout=5)
        # Each message is a batch, so four pool processes work through batches side by side.
        assert trials_per_message(endpoint) == 10
        second = WorkerProcess(name="w3").start()
        try:
            run = _start_run(
                instrument, endpoint, replications=1
            )  # 60 trials, three minutes' worth
            time.sleep(75)
        finally:
            second.stop()
        calls = [r for r in server.request_log() if r.path.endswith("/chat/completions")]
        assert len(calls) > limit, "the test must run past one full window to mean anything"
        assert server.max_requests_in_any_window(60.0, path="/v1/chat/completions") <= limit
        workers = set(Attempt.objects.filter(trial__run=run).values_list("worker", flat=True))
        nodes = {w.split("@")[0] for w in workers}
        assert nodes == {"w1", "w3"}, f"both worker processes should have made calls: {nodes}"


def _batches_at_start(run: Run, endpoint: ModelEndpoint) -> list[list[int]]:
    """The messages the first dispatch sent: all of this small run, in pk order, batch by batch."""
    ids = list(Trial.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    size = trials_per_message(endpoint)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _final_trials_and_their_calls(run: Run) -> dict[int, tuple[str, int]]:
    final = Trial.objects.filter(run=run, status__in=FINAL_TRIAL_STATUSES).annotate(
        calls=Count("attempts")
    )
    return {trial.pk: (trial.status, trial.calls) for trial in final}


def _assert_killed_mid_batch(batches: list[list[int]], final: dict) -> None:
    assert len(batches[0]) > 1, "the endpoint must be one whose messages carry batches"
    assert any(
        any(pk in final for pk in batch) and not all(pk in final for pk in batch)
        for batch in batches
    ), "the kill should have come in the middle of a batch"


def _pool_processes(worker: WorkerProcess) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == worker.process.pid:
                children.append(int(entry))
    return children


def test_worker_killed_mid_batch_reruns_only_the_unfinished_trials(
    fault_settings, instrument, celery_worker_process
):
    with MockLLMServer(MockConfig(seed=4, latency_ms=150, api_key=SECRET)) as server:
        # More slots than pool processes: a killed process's slot is only freed when it expires.
        endpoint = _endpoint(server, concurrency=4)
        run = _start_run(instrument, endpoint, replications=1)
        batches = _batches_at_start(run, endpoint)
        wait_for(
            lambda: Trial.objects.filter(run=run, status=TrialStatus.OK).count() >= 3,
            timeout=120,
            interval=0.05,
            message="the first batches to get going",
        )
        celery_worker_process.kill()
        done_before_the_kill = _final_trials_and_their_calls(run)
        _assert_killed_mid_batch(batches, done_before_the_kill)
        replacement = WorkerProcess(name="w2").start()
        try:
            reap_until_finished(run, timeout=300, interval=2.0, message="the run to finish")
        finally:
            replacement.stop()
        _assert_complete(run, expected=60, server=server)
        done_now = _final_trials_and_their_calls(run)
        assert {pk: done_now[pk] for pk in done_before_the_kill} == done_before_the_kill, (
            "a trial finished before the kill was called again"
        )


def test_pool_process_killed_mid_batch_gets_the_rest_of_its_batch_redelivered(
    fault_settings, instrument, celery_worker_process
):
    with MockLLMServer(MockConfig(seed=6, latency_ms=150, api_key=SECRET)) as server:
        # More slots than pool processes: a killed process's slot is only freed when it expires.
        endpoint = _endpoint(server, concurrency=4)
        run = _start_run(instrument, endpoint, replications=1)
        batches = _batches_at_start(run, endpoint)
        wait_for(
            lambda: Trial.objects.filter(run=run, status=TrialStatus.OK).count() >= 3,
            timeout=120,
            interval=0.05,
            message="the first batches to get going",
        )
        for pid in _pool_processes(celery_worker_process):
            os.kill(pid, signal.SIGKILL)  # the worker's main process lives on
        done_before_the_kill = _final_trials_and_their_calls(run)
        _assert_killed_mid_batch(batches, done_before_the_kill)
        leased = set(
            Trial.objects.filter(run=run, status=TrialStatus.RUNNING).values_list("pk", flat=True)
        )
        # Without the reaper, only the redelivered messages can run the rest of their batches.
        wait_for(
            lambda: (
                not Trial.objects.filter(run=run, status=TrialStatus.PENDING)
                .exclude(pk__in=leased)
                .exists()
            ),
            timeout=120,
            message="the redelivered batches to be done",
        )

        # The reaper returns the calls the killed processes were making.
        reap_until_finished(run, timeout=120, interval=2.0, message="the run to finish")
        _assert_complete(run, expected=60, server=server)
        done_now = _final_trials_and_their_calls(run)
        assert {pk: done_now[pk] for pk in done_before_the_kill} == done_before_the_kill, (
            "a trial finished before the kill was called again"
        )
