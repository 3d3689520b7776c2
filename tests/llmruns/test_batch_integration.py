"""Batch runs through real Celery worker and beat processes on Redis and PostgreSQL, against the
mock's batch API over HTTP: a study-size run, and crashes between a provider call and the
database write after it that never submit the same trials twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count

from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.models import (
    FINAL_TRIAL_STATUSES,
    Attempt,
    BatchPhase,
    ModelEndpoint,
    ProviderBatch,
    Run,
    RunStatus,
    Trial,
    TrialStatus,
)
from llmruns.services import RunSpec, run_create, run_estimate, run_start
from llmruns.services.batch.common import CRASH_ENV
from tests.services import BeatProcess, WorkerProcess, broker_empty, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def batch_settings(settings, monkeypatch):
    """Beat ticks every second, short leases on batch rows, in the processes the test starts."""
    for name, value in {
        "LLM_BATCH_TICK_SECONDS": "1",
        "LLM_BATCH_POLL_INITIAL": "0.5",
        "LLM_BATCH_POLL_MAX": "2",
        "LLM_BATCH_LEASE_SECONDS": "3",
    }.items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
def services(integration_services, transactional_db, batch_settings):
    """Start worker and beat processes on demand; stop whatever is left at the end."""
    broker_empty()
    started: list[WorkerProcess] = []

    def start(name: str) -> tuple[WorkerProcess, BeatProcess]:
        pair = (WorkerProcess(name=f"w-{name}").start(), BeatProcess(name=f"b-{name}").start())
        started.extend(pair)
        return pair

    yield start
    for process in started:
        process.stop()


def _endpoint(server: MockLLMServer) -> ModelEndpoint:
    return ModelEndpoint.objects.create(
        name="Mock batch",
        base_url=server.base_url,
        model="mock-alpha",
        price_input_per_million="2",
        price_output_per_million="8",
        is_mock=True,
        supports_batch=True,
        timeout_seconds=30,
    )


def _run(instrument, endpoint, **overrides) -> Run:
    values = {
        "name": "batch integration",
        "instrument": instrument,
        "endpoints": [endpoint],
        "languages": ["en"],
        "kinds": ["interest"],
        "replications": 2,
        "execution": "batch",
    }
    values.update(overrides)
    return run_create(spec=RunSpec(**values))


def _wait_finished(run: Run, processes, *, timeout: float) -> None:
    try:
        wait_for(
            lambda: Run.objects.get(pk=run.pk).status == RunStatus.FINISHED,
            timeout=timeout,
            interval=1.0,
            message="the batch run to finish",
        )
    except AssertionError:
        for process in processes:
            print(process.log()[-4000:])
        raise


def _assert_each_trial_final_once(run: Run, *, expected: int) -> None:
    trials = Trial.objects.filter(run=run)
    assert trials.count() == expected
    assert not trials.exclude(status__in=FINAL_TRIAL_STATUSES).exists()
    cells = trials.values("endpoint", "language", "item", "kind", "replication").annotate(
        n=Count("pk")
    )
    assert len(cells) == expected and all(cell["n"] == 1 for cell in cells)
    # One request per trial, in one batch; nothing called live.
    per_trial = Attempt.objects.filter(trial__run=run).values("trial").annotate(n=Count("pk"))
    assert {row["n"] for row in per_trial} == {1}
    assert not Attempt.objects.filter(trial__run=run, batch__isnull=True).exists()


def test_10000_trial_batch_run_ends_with_each_trial_once_at_the_batch_price(instrument, services):
    with MockLLMServer(MockConfig(seed=21, batch_delay_s=2.0)) as server:
        endpoint = _endpoint(server)
        run = _run(
            instrument,
            endpoint,
            languages=["en", "zh-hans"],
            kinds=["interest", "self_competence"],
            replications=42,
        )
        estimate = run_estimate(run=run)
        assert estimate["calls"] == 10_080
        assert Decimal(estimate["cost_live"]) > Decimal(estimate["cost_batch"]) > 0
        assert estimate["cost"] == estimate["cost_batch"]
        processes = services("a")
        run_start(run=run, check_reachable=False)
        _wait_finished(run, processes, timeout=600)
        _assert_each_trial_final_once(run, expected=10_080)
        trials = Trial.objects.filter(run=run)
        assert trials.filter(status=TrialStatus.OK).count() > 9_500
        assert not [r for r in server.request_log() if r.path == "/v1/chat/completions"]
        batches = ProviderBatch.objects.filter(run=run)
        assert server.batch_api.batches_created == batches.count() >= 1
        assert set(batches.values_list("phase", "provider_status")) == {
            (BatchPhase.DONE, "completed")
        }
        # Every answered trial cost its tokens at the batch price: 1 and 4 per million.
        for trial in trials.filter(status=TrialStatus.OK).order_by("?")[:200]:
            expected = (Decimal(1) * trial.input_tokens + 4 * trial.output_tokens) / 1_000_000
            assert trial.cost == expected.quantize(Decimal("0.00000001")) > 0
        total = sum(trials.values_list("cost", flat=True))
        tokens_in = sum(trials.values_list("input_tokens", flat=True))
        tokens_out = sum(trials.values_list("output_tokens", flat=True))
        assert total == (Decimal(tokens_in) + 4 * tokens_out) / 1_000_000


@pytest.mark.parametrize(
    ("crash_point", "phase_left"),
    [("after_upload", BatchPhase.PLANNED), ("after_create", BatchPhase.UPLOADED)],
)
def test_killed_between_a_provider_call_and_its_record_no_batch_is_submitted_twice(
    instrument, services, monkeypatch, crash_point, phase_left
):
    with MockLLMServer(MockConfig(seed=8, batch_delay_s=0.5)) as server:
        endpoint = _endpoint(server)
        run = _run(instrument, endpoint, replications=2)
        monkeypatch.setenv(CRASH_ENV, crash_point)
        worker, beat = services("crashing")
        run_start(run=run, check_reachable=False)
        wait_for(
            lambda: f"crash point {crash_point} reached" in worker.log(),
            timeout=120,
            message=f"the worker to crash {crash_point.replace('_', ' ')}",
        )
        worker.kill()
        beat.kill()
        # The provider call was made; its record was not.
        batch = ProviderBatch.objects.get(run=run)
        assert batch.phase == phase_left and not batch.provider_batch_id
        assert server.batch_api.files_created == 1
        assert server.batch_api.batches_created == (1 if crash_point == "after_create" else 0)
        assert Trial.objects.filter(run=run, status=TrialStatus.RUNNING).count() == 120

        monkeypatch.delenv(CRASH_ENV)
        processes = services("restarted")
        _wait_finished(run, processes, timeout=180)
        _assert_each_trial_final_once(run, expected=120)
        assert server.batch_api.batches_created == 1, "the same trials were submitted twice"
        assert server.batch_api.files_created == 1, "the input file was uploaded twice"
        batch.refresh_from_db()
        assert batch.phase == BatchPhase.DONE and batch.provider_batch_id
        assert ProviderBatch.objects.filter(run=run).count() == 1
