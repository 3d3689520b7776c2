"""The demo study of the embedded set-up: two mock models, both languages, all four kinds.

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
from llmruns.services import RunSpec, run_create, run_finish_if_done, trial_execute

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


def demo_run_ensure(*, progress: Callable[[int, int], None] | None = None) -> Run:
    """Create and finish the demo run once; later calls return the finished run."""
    existing = Run.objects.filter(name=DEMO_RUN_NAME, status=RunStatus.FINISHED).first()
    if existing:
        return existing
    Run.objects.filter(name=DEMO_RUN_NAME).exclude(status=RunStatus.FINISHED).delete()
    endpoints = demo_endpoints_ensure()
    port = urlparse(settings.MOCK_LLM_URL).port or 8089
    # A few refusals and unusable answers, as real models give, so exclusions show in the demo.
    with MockLLMServer(MockConfig(seed=2024, rate_refusal=0.02, rate_unparseable=0.02), port=port):
        run = run_create(
            spec=RunSpec(
                name=DEMO_RUN_NAME,
                instrument=Instrument.objects.get(slug="oip-sf"),
                endpoints=endpoints,
                languages=["en", "zh-hans"],
                kinds=["interest", "self_competence", "work_sample", "self_review"],
                replications=3,
                temperature=1.0,
            )
        )
        Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
        # SQLite takes one writer at a time; two threads keep the HTTP calls overlapping.
        workers = 2 if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4
        with ThreadPoolExecutor(max_workers=workers) as pool:
            while ids := list(
                Trial.objects.filter(run=run, status=TrialStatus.PENDING).values_list(
                    "pk", flat=True
                )
            ):
                for done, _ in enumerate(pool.map(_execute, ids), start=1):
                    if progress and done % 100 == 0:
                        progress(
                            Trial.objects.filter(run=run)
                            .exclude(status=TrialStatus.PENDING)
                            .count(),
                            Trial.objects.filter(run=run).count(),
                        )
        run_finish_if_done(run_id=run.pk)
    run.refresh_from_db()
    return run


DEMO_CAMPAIGN_NAME = "Demo: rate the mock models' work samples"
DEMO_INSTRUCTIONS = {
    "en": "Rate how competently each answer does the task, on the 1-5 scale, as you would judge "
    "a written answer from a job applicant. You do not know who wrote it, and that is on purpose.",
    "zh-hans": "请按 1-5 分评价每个回答完成任务的胜任程度，就像评价求职者的书面回答一样。"
    "你不知道回答出自谁，这是有意为之。",
}


def demo_campaign_ensure(*, run: Run):
    """A small campaign over the demo run for the two demo experts (both read both languages)."""
    from ratings.models import Campaign, ExpertProfile, Panel
    from ratings.services import campaign_create

    existing = Campaign.objects.filter(name=DEMO_CAMPAIGN_NAME).first()
    if existing:
        return existing
    panel, _ = Panel.objects.get_or_create(name="Demo panel")
    panel.experts.add(*ExpertProfile.objects.filter(user__username__in=["expert1", "expert2"]))
    return campaign_create(
        name=DEMO_CAMPAIGN_NAME,
        run=run,
        panel=panel,
        areas=["S", "A", "I"],
        samples_per_cell=1,
        raters_per_unit=2,
        instructions=DEMO_INSTRUCTIONS,
        match_expertise=False,
        seed=2024,
        # The demo experts rate at once; the review gate is shown on campaigns made by hand.
        skip_review=True,
    )
