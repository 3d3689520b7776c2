"""The API key is read from the environment at call time and never stored, logged or served."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command

from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.models import Attempt, ModelEndpoint, Run, RunStatus, Trial, TrialStatus
from llmruns.services import RunSpec, run_create, trial_execute

SECRET = "sk-live-DO-NOT-LEAK-4f9a8b7c6d5e"


@pytest.mark.django_db
def test_api_key_appears_in_no_row_log_line_or_response(
    instrument, admin_api, researcher_api, monkeypatch, caplog
):
    monkeypatch.setenv("VL_SECRET_KEY", SECRET)
    monkeypatch.setenv("VL_WRONG_KEY", SECRET[::-1])
    caplog.set_level(logging.DEBUG)
    with MockLLMServer(MockConfig(seed=1, api_key=SECRET, rate_500=0.2)) as server:
        endpoints = [
            ModelEndpoint.objects.create(
                name=name,
                base_url=server.base_url,
                model="mock-alpha",
                api_key_env=env,
                max_requests_per_minute=10_000,
                max_concurrency=4,
                timeout_seconds=5,
            )
            for name, env in (("right key", "VL_SECRET_KEY"), ("wrong key", "VL_WRONG_KEY"))
        ]
        run = run_create(
            spec=RunSpec(
                name="secrets",
                instrument=instrument,
                endpoints=endpoints,
                languages=["en"],
                kinds=["interest"],
                replications=1,
                max_attempts=2,
            )
        )
        Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
        for pk in Trial.objects.filter(run=run).values_list("pk", flat=True):
            trial_execute(trial_id=pk)
    assert Trial.objects.filter(run=run, endpoint=endpoints[0], status=TrialStatus.OK).exists()
    refused = Trial.objects.filter(run=run, endpoint=endpoints[1])
    assert refused.filter(status=TrialStatus.FAILED).count() == 60  # 401 is not retried
    codes = set(Attempt.objects.filter(trial__in=refused).values_list("status_code", flat=True))
    assert 401 in codes and codes <= {401, 500}

    database = io.StringIO()
    call_command("dumpdata", stdout=database)
    responses = [
        admin_api.get("/api/v1/endpoints/").content,
        researcher_api.get("/api/v1/endpoints/").content,
        admin_api.get("/api/v1/runs/").content,
        admin_api.get(f"/api/v1/runs/{run.pk}/").content,
        b"".join(researcher_api.get(f"/api/v1/runs/{run.pk}/trials/?format=csv").streaming_content),
        b"".join(
            researcher_api.get(f"/api/v1/runs/{run.pk}/trials/?format=jsonl").streaming_content
        ),
    ]
    assert responses[4].count(b"\n") > 120 and b"right key" in responses[4]  # a real export
    haystacks = {
        "database": database.getvalue(),
        "logs": caplog.text,
        "api and exports": b"".join(responses).decode(),
    }
    for where, text in haystacks.items():
        assert SECRET not in text, f"the key leaked into the {where}"
        assert SECRET[::-1] not in text, f"the wrong key leaked into the {where}"
        assert SECRET[8:24] not in text, f"part of the key leaked into the {where}"
    assert "VL_SECRET_KEY" in haystacks["database"]  # the variable's name is what is stored
