"""A real task through a real worker process on the configured broker, and its result read back."""

from __future__ import annotations

import pytest

from config.celery_app import ping

pytestmark = pytest.mark.integration


def test_ping_round_trips_through_a_real_worker(celery_worker_process):
    result = ping.delay("hello")
    try:
        assert result.get(timeout=60) == "pong:hello"
    except Exception:
        print(celery_worker_process.log())
        raise
