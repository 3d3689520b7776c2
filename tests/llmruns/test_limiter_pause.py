"""A server's Retry-After pauses the whole endpoint in the shared limiter, on both back ends."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from llmruns.limiter import MAX_PAUSE_SECONDS, FileLimiter, RedisLimiter


@pytest.fixture(params=["file", "redis"])
def limiter_and_key(request, tmp_path):
    key = f"pause-test-{uuid.uuid4().hex[:8]}"
    if request.param == "file":
        yield FileLimiter(tmp_path), key
        return
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL pointing at Redis")
    limiter = RedisLimiter(url)
    limiter.reset(key)
    yield limiter, key
    limiter.reset(key)


def test_a_pause_holds_back_every_request_until_it_ends(limiter_and_key):
    limiter, key = limiter_and_key
    # 600 a minute: one every 0.1 s at most when not paused.
    assert limiter.try_acquire_request(key, limit=600) == 0
    time.sleep(0.15)
    limiter.pause(key, 0.6)
    wait = limiter.try_acquire_request(key, limit=600)
    assert 0.5 < wait <= 0.6
    # A turn (slot and request together) is held back alike, by any caller.
    assert 0.4 < limiter.try_acquire_turn(key, limit=600, concurrency=8, holder="other") <= 0.6
    time.sleep(wait + 0.02)
    assert limiter.try_acquire_request(key, limit=600) == 0


def test_a_shorter_pause_does_not_cut_a_longer_one(limiter_and_key):
    limiter, key = limiter_and_key
    limiter.pause(key, 5.0)
    limiter.pause(key, 0.1)
    assert 4.5 < limiter.try_acquire_request(key, limit=600) <= 5.0


@pytest.mark.parametrize("asked", [10_000.0, float("inf")])
def test_a_pause_is_capped(limiter_and_key, asked):
    limiter, key = limiter_and_key
    limiter.pause(key, asked)
    assert MAX_PAUSE_SECONDS - 1 < limiter.try_acquire_request(key, limit=600) <= MAX_PAUSE_SECONDS


@pytest.mark.parametrize("asked", [0.0, -5.0, float("nan")])
def test_no_pause_for_a_value_that_asks_for_none(limiter_and_key, asked):
    limiter, key = limiter_and_key
    limiter.pause(key, asked)
    assert limiter.try_acquire_request(key, limit=600) == 0
