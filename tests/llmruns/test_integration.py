"""Runs through real Celery worker processes on Redis and PostgreSQL, against the mock over HTTP.

These are the study-scale guarantees: faults never lose or duplicate a trial, a worker killed
mid-run loses nothing, and an endpoint's rate limit holds across worker processes.
"""

from __future__ import annotations

import time

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
from llmruns.services.lifecycle import IN_FLIGHT, WORKER_LOST
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

            def finished() -> bool:
                trials_reap()  # what the periodic reaper does every 30 s
                return Run.objects.get(pk=run.pk).status == RunStatus.FINISHED

            wait_for(
                finished, timeout=300, interval=3.0, message="the run to finish after the kill"
            )
        finally:
            replacement.stop()
        _assert_complete(run, expected=360, server=server)


def test_rate_limit_holds_across_two_worker_processes(
    fault_settings, instrument, celery_worker_process
):
    limit = 20
    with MockLLMServer(MockConfig(seed=5, api_key=SECRET)) as server:
        endpoint = _endpoint(server, rpm=limit, concurrency=4, timeout=5)
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
