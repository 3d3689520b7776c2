"""Fixtures for runs: the mock LLM server over real HTTP and endpoints pointing at it."""

from __future__ import annotations

import pytest

from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.models import ModelEndpoint


@pytest.fixture
def mock_llm():
    with MockLLMServer(MockConfig(seed=7)) as server:
        yield server


@pytest.fixture
def mock_endpoints(db, mock_llm):
    return [
        ModelEndpoint.objects.create(
            name=f"Mock {name}",
            provider="mock",
            base_url=mock_llm.base_url,
            model=name,
            max_requests_per_minute=6000,
            max_concurrency=8,
            price_input_per_million="1.00",
            price_output_per_million="2.00",
            timeout_seconds=5,
            is_mock=True,
        )
        for name in ("mock-alpha", "mock-beta")
    ]


@pytest.fixture(autouse=True)
def _fast_backoff(settings, tmp_path):
    settings.LLM_BACKOFF_INITIAL = 0.01
    settings.RATE_LIMIT_URL = ""
    settings.RATE_LIMIT_DIR = tmp_path / "ratelimit"
    from llmruns import limiter

    limiter._cached = None
