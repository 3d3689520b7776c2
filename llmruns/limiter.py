"""Per-endpoint request-rate and concurrency limits, shared by every worker process.

Two back ends with one behaviour: Redis (when a Redis broker or RATE_LIMIT_URL is configured; works
across machines) and file locks on this machine (the embedded default). Both keep a sliding log of
request start times per endpoint, so no window of `window_seconds` ever holds more than the limit;
both also pace requests evenly (one every window/limit seconds), because providers enforce their
per-minute limits over shorter periods too and answer a burst with 429s. Concurrency slots have
holders that expire, so a killed worker cannot hold a slot forever. A server that answers with
Retry-After pauses the whole endpoint, every caller's requests, not only the one it answered.
"""

from __future__ import annotations

import bisect
import fcntl
import json
import os
import time
import uuid
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# A request is logged when the limiter lets it go; it reaches the server a moment later. A window a
# little longer than the provider's minute keeps that jitter from ever putting one request too many
# into the provider's own window.
DEFAULT_WINDOW_SECONDS = 61.0
SLOT_TTL_SECONDS = 600.0
SLOT_POLL_SECONDS = 0.05
# The longest pause a server's Retry-After can impose on an endpoint: a larger (or absurd) value
# pauses it this long, and the next call finds out whether the server is ready.
MAX_PAUSE_SECONDS = 60.0


def _pause_seconds(seconds: float) -> float:
    """A requested pause within [0, MAX_PAUSE_SECONDS] (a value that is not a number is none)."""
    return min(MAX_PAUSE_SECONDS, seconds) if seconds > 0 else 0.0


class Limiter(Protocol):
    def try_acquire_request(self, key: str, *, limit: int) -> float:
        """Log one request and return 0, or return how long to wait before trying again."""

    def try_acquire_slot(
        self, key: str, *, limit: int, holder: str, slot_seconds: float = SLOT_TTL_SECONDS
    ) -> bool: ...

    def try_acquire_turn(
        self,
        key: str,
        *,
        limit: int,
        concurrency: int,
        holder: str,
        slot_seconds: float = SLOT_TTL_SECONDS,
    ) -> float:
        """`try_acquire_slot`, then (holding the slot) `try_acquire_request`, in one round trip:
        0 when both are granted, else how long to wait (the slot, once granted, is kept).

        A slot lapses `slot_seconds` after it was last asked for, so one held by a process that
        died is free again without anyone releasing it."""

    def release_slot(self, key: str, *, holder: str) -> None: ...

    def pause(self, key: str, seconds: float) -> None:
        """Let no request go for `seconds` (at most MAX_PAUSE_SECONDS) from now, as the server
        asked with Retry-After; a pause already longer is kept."""


@dataclass
class _FileState:
    """An endpoint's state as one process holds it under the file lock: the request log (start
    times in ascending order), the pacing and the slots."""

    requests: array
    next_at: float
    slots: dict[str, float]


@dataclass
class FileLimiter:
    """File-locked state per endpoint in a folder: correct across processes on one machine.

    The file holds one line of JSON (the pacing and the slots) followed by the request log as raw
    8-byte floats, so a call reads and writes the log without parsing it: at thousands of requests
    a minute, a log in JSON cost more than the call it limited."""

    folder: Path
    window_seconds: float = DEFAULT_WINDOW_SECONDS

    @contextmanager
    def _state(self, key: str) -> Iterator[_FileState]:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{key}.state"
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                state = _state_read(handle.read())
                yield state
                header = {"next_at": state.next_at, "slots": state.slots}
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(header).encode() + b"\n" + state.requests.tobytes())
                handle.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _request(self, state: _FileState, now: float, *, limit: int) -> float:
        recent = state.requests
        del recent[: bisect.bisect_right(recent, now - self.window_seconds)]
        next_at = state.next_at
        if now < next_at:
            return max(0.001, next_at - now)
        if len(recent) >= limit:
            return max(0.01, recent[-limit] + self.window_seconds - now)
        # In order even when a process that read the clock earlier got the lock later.
        recent.insert(bisect.bisect_right(recent, now), now)
        spacing = self.window_seconds / limit
        # One interval of catch-up, so a late wake-up does not slow the pace for good.
        state.next_at = max(next_at, now - spacing) + spacing
        return 0.0

    @staticmethod
    def _slot(
        state: _FileState, now: float, *, limit: int, holder: str, slot_seconds: float
    ) -> bool:
        slots = {h: exp for h, exp in state.slots.items() if exp > now}
        granted = holder in slots or len(slots) < limit
        if granted:
            slots[holder] = now + slot_seconds
        state.slots = slots
        return granted

    def try_acquire_request(self, key: str, *, limit: int) -> float:
        with self._state(key) as state:
            return self._request(state, time.time(), limit=limit)

    def try_acquire_slot(
        self, key: str, *, limit: int, holder: str, slot_seconds: float = SLOT_TTL_SECONDS
    ) -> bool:
        with self._state(key) as state:
            return self._slot(
                state, time.time(), limit=limit, holder=holder, slot_seconds=slot_seconds
            )

    def try_acquire_turn(
        self,
        key: str,
        *,
        limit: int,
        concurrency: int,
        holder: str,
        slot_seconds: float = SLOT_TTL_SECONDS,
    ) -> float:
        now = time.time()
        with self._state(key) as state:
            if not self._slot(
                state, now, limit=concurrency, holder=holder, slot_seconds=slot_seconds
            ):
                return SLOT_POLL_SECONDS
            return self._request(state, now, limit=limit)

    def release_slot(self, key: str, *, holder: str) -> None:
        with self._state(key) as state:
            state.slots.pop(holder, None)

    def pause(self, key: str, seconds: float) -> None:
        with self._state(key) as state:
            until = time.time() + _pause_seconds(seconds)
            state.next_at = max(state.next_at, until)


def _state_read(raw: bytes) -> _FileState:
    """The state a file holds: a JSON line, then the request log as native 8-byte floats (an
    empty file is a new endpoint)."""
    header, _, log = raw.partition(b"\n")
    values = json.loads(header) if header.strip() else {}
    requests = array("d")
    requests.frombytes(log[: len(log) - len(log) % requests.itemsize])
    return _FileState(
        requests=requests,
        next_at=float(values.get("next_at", 0.0)),
        slots={str(holder): float(until) for holder, until in values.get("slots", {}).items()},
    )


# The request log and pacing, shared by the request script and the turn script (after `now`).
_REQUEST_LUA = """
local pace_key = key .. ':next'
local next_at = tonumber(redis.call('GET', pace_key) or '0')
if now < next_at then
  return tostring(math.max(0.001, next_at - now))
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  return tostring(math.max(0.01, tonumber(oldest[2]) + window - now))
end
redis.call('ZADD', key, now, member)
redis.call('EXPIRE', key, math.ceil(window) + 5)
local spacing = window / limit
redis.call('SET', pace_key, tostring(math.max(next_at, now - spacing) + spacing), 'EX', math.ceil(window) + 5)
return '0'
"""

_REQUEST_SCRIPT = (
    """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local member = ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""
    + _REQUEST_LUA
)

# A slot first (a refresh when the holder has it already); then, holding it, a request. A negative
# answer means no slot is free.
_TURN_SCRIPT = (
    """
local key = KEYS[1]
local slots_key = KEYS[2]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local member = ARGV[3]
local concurrency = tonumber(ARGV[4])
local holder = ARGV[5]
local ttl = tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', slots_key, '-inf', now)
if not redis.call('ZSCORE', slots_key, holder) and redis.call('ZCARD', slots_key) >= concurrency then
  return '-1'
end
redis.call('ZADD', slots_key, now + ttl, holder)
redis.call('EXPIRE', slots_key, math.ceil(ttl) + 5)
"""
    + _REQUEST_LUA
)

_SLOT_SCRIPT = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local holder = ARGV[2]
local ttl = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZSCORE', key, holder) or redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now + ttl, holder)
  redis.call('EXPIRE', key, math.ceil(ttl) + 5)
  return 1
end
return 0
"""


# The pacing key pushed forward, never back, by a pause.
_PAUSE_SCRIPT = """
local pace_key = KEYS[1] .. ':next'
local seconds = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local next_at = tonumber(redis.call('GET', pace_key) or '0')
if now + seconds > next_at then
  redis.call('SET', pace_key, tostring(now + seconds), 'EX', math.ceil(seconds) + 5)
end
return 1
"""


class RedisLimiter:
    """The same sliding log and slots in Redis, with Redis's clock, atomic through Lua scripts."""

    def __init__(self, url: str, *, window_seconds: float = DEFAULT_WINDOW_SECONDS) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.window_seconds = window_seconds
        self._request = self.client.register_script(_REQUEST_SCRIPT)
        self._slot = self.client.register_script(_SLOT_SCRIPT)
        self._turn = self.client.register_script(_TURN_SCRIPT)
        self._pause = self.client.register_script(_PAUSE_SCRIPT)

    def try_acquire_request(self, key: str, *, limit: int) -> float:
        member = f"{time.time():.6f}:{uuid.uuid4().hex}"
        wait = self._request(keys=[f"vl:rate:{key}"], args=[limit, self.window_seconds, member])
        return float(wait)

    def try_acquire_slot(
        self, key: str, *, limit: int, holder: str, slot_seconds: float = SLOT_TTL_SECONDS
    ) -> bool:
        return bool(self._slot(keys=[f"vl:slots:{key}"], args=[limit, holder, slot_seconds]))

    def try_acquire_turn(
        self,
        key: str,
        *,
        limit: int,
        concurrency: int,
        holder: str,
        slot_seconds: float = SLOT_TTL_SECONDS,
    ) -> float:
        member = f"{time.time():.6f}:{uuid.uuid4().hex}"
        wait = float(
            self._turn(
                keys=[f"vl:rate:{key}", f"vl:slots:{key}"],
                args=[limit, self.window_seconds, member, concurrency, holder, slot_seconds],
            )
        )
        return SLOT_POLL_SECONDS if wait < 0 else wait

    def release_slot(self, key: str, *, holder: str) -> None:
        self.client.zrem(f"vl:slots:{key}", holder)

    def pause(self, key: str, seconds: float) -> None:
        self._pause(keys=[f"vl:rate:{key}"], args=[_pause_seconds(seconds)])

    def reset(self, key: str) -> None:
        self.client.delete(f"vl:rate:{key}", f"vl:rate:{key}:next", f"vl:slots:{key}")


def limiter_from_settings() -> Limiter:
    from django.conf import settings

    if settings.RATE_LIMIT_URL:
        return RedisLimiter(settings.RATE_LIMIT_URL)
    return FileLimiter(Path(settings.RATE_LIMIT_DIR))


_cached: Limiter | None = None
_cached_pid: int | None = None


def get_limiter() -> Limiter:
    """One limiter per process (re-created after a fork, so no connection is shared)."""
    global _cached, _cached_pid
    if _cached is None or _cached_pid != os.getpid():
        _cached = limiter_from_settings()
        _cached_pid = os.getpid()
    return _cached


# A concurrency slot outlives the longest the call it was taken for may take
# (`llmruns.client.longest_call_seconds`) by this much, so a killed worker's slots come back
# within a minute of that, not after ten.
SLOT_MARGIN_SECONDS = 30.0


def endpoint_limiter_key(endpoint_id: int) -> str:
    """The limiter's key of an endpoint: every call to it, a run's or a probe's, shares it."""
    return f"endpoint-{endpoint_id}"


@contextmanager
def endpoint_turn(
    limiter: Limiter,
    key: str,
    *,
    requests_per_minute: int,
    concurrency: int,
    cancelled=lambda: False,
    slot_seconds: float = SLOT_TTL_SECONDS,
) -> Iterator[None]:
    """Wait for a concurrency slot and a request token, then hold the slot for the call.

    The slot is taken first and kept while the token is awaited, both asked for in one round trip.
    `slot_seconds` bounds how long the call may keep it once granted (the longest the call may
    take and a margin): a worker killed mid-call gives its slot back by lapsing after that long.
    """
    holder = f"{os.getpid()}:{uuid.uuid4().hex}"
    try:
        while (
            wait := limiter.try_acquire_turn(
                key,
                limit=requests_per_minute,
                concurrency=concurrency,
                holder=holder,
                slot_seconds=slot_seconds,
            )
        ) > 0:
            if cancelled():
                raise LimiterCancelled
            time.sleep(min(wait, 0.5))
        yield
    finally:
        limiter.release_slot(key, holder=holder)


class LimiterCancelled(Exception):
    """The work was cancelled while waiting for its turn."""
