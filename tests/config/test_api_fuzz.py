"""The API under a fuzzer: schemathesis against the live test server, for a researcher and a
study admin, with the stateful phase, a fixed seed and few examples per operation.

A run fails on any 5xx, any response that does not match the schema (body, status code or
content type). The data is a small study whose every kind of dependant exists (a run with
trials, a campaign with ratings), so deletions and state changes meet the refusals they must
answer with 409. The last test shows the fuzz fails when a view raises.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

SEED = 20261202
EXAMPLES = 4
CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "content_type_conformance",
    ]
)


def _study(admin_user, researcher):
    """Instrument, two endpoints (one a run used, one free), a finished run, a panel, a campaign
    with a rating, and tokens for both roles."""
    from careers.services import instrument_load_file
    from careers.tokens import api_token_create
    from llmruns.models import ModelEndpoint
    from ratings.models import Assignment, ExpertProfile, Panel
    from ratings.services import assignment_open, campaign_create, rating_submit
    from tests.config.test_api_errors import with_config
    from tests.conftest import _expert
    from tests.ratings.conftest import ENDPOINTS, build_run

    instrument = instrument_load_file()
    endpoints = [
        # Port 9 refuses connections: starting a run is refused at once, never hangs.
        ModelEndpoint.objects.create(base_url="http://127.0.0.1:9/v1", **values)
        for values in ENDPOINTS
    ]
    ModelEndpoint.objects.create(name="Unused", base_url="http://127.0.0.1:9/v1", model="m")
    run = with_config(build_run(instrument, endpoints, item_numbers=[1, 2, 11, 12]))
    experts = [_expert(name) for name in ("erin_expert", "ethan_expert")]
    panel = Panel.objects.create(name="Main panel")
    panel.experts.set(ExpertProfile.objects.filter(user__in=experts))
    Panel.objects.create(name="Empty panel")
    campaign = campaign_create(
        name="Pilot", run=run, panel=panel, raters_per_unit=2, seed=1, skip_review=True
    )
    assignment = Assignment.objects.filter(campaign=campaign).first()
    assignment_open(assignment=assignment)
    rating_submit(assignment=assignment, value=3)
    return {
        "admin": api_token_create(user=admin_user)[1],
        "researcher": api_token_create(user=researcher)[1],
    }


def schema_file(base_url: str, token: str, directory: Path) -> Path:
    """The served schema, fetched once (generating it can take longer than the fuzzer waits)."""
    response = httpx.get(
        f"{base_url}/api/v1/schema/?format=json",
        headers={"Authorization": f"Token {token}"},
        timeout=300,
    )
    response.raise_for_status()
    path = directory / "schema.json"
    path.write_bytes(response.content)
    return path


def fuzz(base_url: str, token: str, *extra: str, directory: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(schema_file(base_url, token, directory)),
        "--url",
        base_url,
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
        "--no-color",
        *extra,
    ]
    # Run in the test's directory: the CLI keeps a cache where it runs.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=directory
    )


def _report(result: subprocess.CompletedProcess) -> str:
    return (result.stdout + result.stderr)[-12000:]


@pytest.fixture
def tokens(admin_user, researcher, settings):
    # Runs the fuzzer defines above this size wait, `preparing`, for a task no worker takes here.
    settings.LLM_PREPARE_INLINE_TRIALS = 500
    return _study(admin_user, researcher)


@pytest.mark.parametrize("role", ["researcher", "admin"])
def test_no_server_error_and_no_schema_violation(live_server, tokens, role, tmp_path):
    result = fuzz(live_server.url, tokens[role], directory=tmp_path)
    assert result.returncode == 0, _report(result)
    assert "No issues found" in result.stdout or "passed" in result.stdout, _report(result)


def test_the_fuzz_fails_when_a_view_raises(live_server, tokens, monkeypatch, tmp_path):
    from careers.api.views import InstrumentViewSet

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(InstrumentViewSet, "list", broken)
    result = fuzz(
        live_server.url,
        tokens["researcher"],
        "--include-path",
        "/api/v1/instruments/",
        "--include-method",
        "GET",
        "--phases",
        "examples,fuzzing",
        directory=tmp_path,
    )
    assert result.returncode != 0, _report(result)
    assert "Server error" in result.stdout, _report(result)
    assert "GET /api/v1/instruments/" in result.stdout
