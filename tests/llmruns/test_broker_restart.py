"""A broker restart mid-run: the queue's messages are gone, the worker reconnects, nothing is lost.

The broker is a private `redis-server` started for the test (no persistence, like a broker
whose disk was not configured), so that restarting it disturbs nothing else. It is stopped with
SIGKILL while trials are queued and in flight, left down for a moment (connections refused),
and started again empty on the same port. The worker reconnects by itself; the reaper finds the
trials whose messages died with the broker and queues them again.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.models import Trial, TrialStatus
from tests.llmruns.test_integration import (
    SECRET,
    _assert_complete,
    _endpoint,
    _start_run,
    fault_settings,  # noqa: F401 (a fixture)
    reap_until_finished,
)
from tests.services import WorkerProcess, free_port, integration_skip_reason, wait_for

pytestmark = pytest.mark.integration


class RedisServer:
    """A throwaway redis-server on a port of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self.accepts, timeout=20, message="the private redis-server to accept")
        return self

    def accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_broker(tmp_path, monkeypatch, settings):
    """The test process and the workers it starts publish to and consume from a private broker."""
    reason = integration_skip_reason()
    if reason is None and shutil.which("redis-server") is None:
        reason = "the broker restart test needs the redis-server program"
    if reason:
        import os

        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
    from config.celery_app import app

    server = RedisServer(tmp_path).start()
    # The rate limiter keeps its own store (the shared Redis): this test is about the broker.
    monkeypatch.setenv("RATE_LIMIT_URL", settings.RATE_LIMIT_URL or app.conf.broker_url)
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", server.url)
    old = (app.conf.broker_url, app.conf.result_backend)

    def use(broker_url: str, backend_url: str) -> None:
        app.conf.broker_url, app.conf.result_backend = broker_url, backend_url
        # Drop the connections and producers made for the previous broker.
        app._after_fork()

    use(server.url, server.url)
    yield server
    use(*old)
    server.kill()


@pytest.mark.usefixtures("fault_settings", "transactional_db")
def test_broker_restart_mid_run_loses_and_duplicates_nothing(instrument, private_broker):
    with MockLLMServer(MockConfig(seed=11, latency_ms=40, api_key=SECRET)) as server:
        endpoint = _endpoint(server, concurrency=4)
        worker = WorkerProcess(name="broker-restart").start()
        try:
            run = _start_run(instrument, endpoint, replications=5)
            wait_for(
                lambda: Trial.objects.filter(run=run, status=TrialStatus.OK).count() >= 60,
                timeout=120,
                message="the run to get going",
            )
            private_broker.kill()
            assert not private_broker.accepts()
            assert Trial.objects.filter(
                run=run, status__in=[TrialStatus.PENDING, TrialStatus.RUNNING]
            ).exists(), "the run ended before the broker went down"
            time.sleep(2)  # connections are refused for a while
            private_broker.start()

            recovered = reap_until_finished(
                run, timeout=300, interval=3.0, message="the run to finish after the restart"
            )
            assert worker.process.poll() is None, "the worker died with the broker"
            assert "Connection to broker lost" in worker.log()
            # Work really was lost with the broker's queue, and found again.
            assert recovered["lost_messages"] + recovered["expired_leases"] > 0
        finally:
            worker.stop()
        _assert_complete(run, expected=300, server=server)
