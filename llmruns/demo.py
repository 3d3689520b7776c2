"""The demo study of the embedded set-up: two mock models, both languages, all four kinds, and
two elicitation methods (verbal answers and token probabilities), the endpoints probed first.

The demo endpoints point at the mock server `make run` serves (MOCK_LLM_URL). The demo run itself
is executed here, in this process, against a mock server started for the purpose, so that the
admin pages show a finished run from the first start.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from django.conf import settings
from django.db import close_old_connections

from careers.models import Instrument
from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.models import ModelEndpoint, Run, RunStatus, Trial, TrialStatus
from llmruns.services import (
    RunSpec,
    run_create,
    run_finish_if_done,
    run_progress,
    trial_execute,
)
from llmruns.services.capabilities import endpoint_probe

DEMO_RUN_NAME = "Demo: two mock models, English and Chinese"
DEMO_MODELS = (("Mock alpha", "mock-alpha"), ("Mock beta", "mock-beta"))


def demo_endpoints_ensure() -> list[ModelEndpoint]:
    endpoints = []
    for name, model in DEMO_MODELS:
        endpoint, _ = ModelEndpoint.objects.update_or_create(
            name=name,
            defaults={
                "provider": "mock",
                "base_url": settings.MOCK_LLM_URL,
                "model": model,
                "api_key_env": "",
                "max_requests_per_minute": 6000,
                "max_concurrency": 8,
                "price_input_per_million": "0.50",
                "price_output_per_million": "1.50",
                "timeout_seconds": 10,
                "is_mock": True,
            },
        )
        endpoints.append(endpoint)
    return endpoints


def _execute(trial_id: int) -> None:
    try:
        trial_execute(trial_id=trial_id)
    finally:
        close_old_connections()


def _execute_here(trial_id: int) -> None:
    trial_execute(trial_id=trial_id)


def demo_run_ensure(
    *, progress: Callable[[int, int], None] | None = None, workers: int | None = None
) -> Run:
    """Create and finish the demo run once; later calls return the finished run.

    `progress(done, total)` is called every 100 trials with the run's fixed planned total.
    """
    existing = Run.objects.filter(name=DEMO_RUN_NAME, status=RunStatus.FINISHED).first()
    if existing:
        return existing
    Run.objects.filter(name=DEMO_RUN_NAME).exclude(status=RunStatus.FINISHED).delete()
    endpoints = demo_endpoints_ensure()
    port = urlparse(settings.MOCK_LLM_URL).port or 8089
    # A few refusals and unusable answers, as real models give, so exclusions show in the demo.
    with MockLLMServer(MockConfig(seed=2024), port=port) as server:
        endpoints = [endpoint_probe(endpoint=endpoint) for endpoint in endpoints]
        server.set_config(MockConfig(seed=2024, rate_refusal=0.02, rate_unparseable=0.02))
        run = run_create(
            spec=RunSpec(
                name=DEMO_RUN_NAME,
                instrument=Instrument.objects.get(slug="oip-sf"),
                endpoints=endpoints,
                languages=["en", "zh-hans"],
                kinds=["interest", "self_competence", "work_sample", "self_review"],
                replications=3,
                temperature=1.0,
                methods=["verbal", "token_probability"],
            )
        )
        Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
        # SQLite takes one writer at a time; two threads keep the HTTP calls overlapping.
        if workers is None:
            workers = 2 if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4
        # One worker runs the trials in this thread (what an in-memory test database needs).
        pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        try:
            while ids := list(
                Trial.objects.filter(run=run, status=TrialStatus.PENDING).values_list(
                    "pk", flat=True
                )
            ):
                results = pool.map(_execute, ids) if pool else map(_execute_here, ids)
                for done, _ in enumerate(results, start=1):
                    if progress and done % 100 == 0:
                        counts = run_progress(run=run)
                        progress(counts["done"], counts["total"])
        finally:
            if pool:
                pool.shutdown()
        run_finish_if_done(run_id=run.pk)
    run.refresh_from_db()
    return run
