"""Real services for integration tests: a Celery worker process, the mock LLM server.

Integration tests need a real database and broker shared with a worker process: PostgreSQL
(`DATABASE_URL`) and Redis (`CELERY_BROKER_URL`). Without them those tests are skipped with the
reason; with REQUIRE_SERVICES=1 (CI) a missing service is a failure instead.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parent.parent


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, for a server a test starts.

    Chosen at random below the kernel's ephemeral range, so that the outgoing connections other
    test workers open meanwhile (which take ephemeral ports) cannot take it before the server
    binds it; the kernel's own choice (bind to port 0) only where no such port is free.
    """
    low = _ephemeral_low()
    chooser = random.SystemRandom()
    for _ in range(50):
        port = chooser.randrange(10_000, max(low, 10_001))
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def integration_skip_reason() -> str | None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "integration test needs DATABASE_URL pointing at PostgreSQL"
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        return "integration test needs CELERY_BROKER_URL pointing at Redis"
    return None


@pytest.fixture
def integration_services():
    reason = integration_skip_reason()
    if reason:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


class WorkerProcess:
    """A real `celery worker` process on the test database and the configured broker."""

    def __init__(
        self, *, concurrency: int = 2, queues: str | None = None, name: str = "w1"
    ) -> None:
        self.concurrency = concurrency
        self.queues = queues
        self.name = name
        self.process: subprocess.Popen | None = None
        # In this test process's own folder (settings.TEST_VAR_DIR), as pytest-xdist workers
        # start workers of the same names side by side.
        self.log_path = Path(settings.TEST_VAR_DIR) / f"worker-{name}.log"

    def env(self) -> dict[str, str]:
        database = settings.DATABASES["default"]
        env = dict(os.environ)
        if "sqlite" in database["ENGINE"]:
            # A file database (the benchmarks' var/bench.sqlite3): the worker opens the same file.
            env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
        else:
            env["DATABASE_URL"] = (
                f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
                f"{database['PORT'] or 5432}/{database['NAME']}"
            )
        # Production-like: no debug query log in a worker that runs thousands of tasks.
        env["DJANGO_DEBUG"] = "0"
        env.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(self.concurrency),
            "--hostname",
            f"{self.name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        if self.queues:
            command += ["--queues", self.queues]
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool children), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def broker_empty() -> None:
    """No message from before: the queues purged and, on Redis, also the messages that workers
    took and never acknowledged (tests kill workers on purpose). Redis would hand those out
    again once their visibility timeout (an hour) has passed, to the worker of a later test or
    a later run, which would then execute trials by ids that now belong to another run."""
    from config.celery_app import app

    app.control.purge()
    if app.conf.broker_url.startswith(("redis://", "rediss://")):
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            channel.client.delete(
                channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key
            )


@pytest.fixture
def celery_worker_process(integration_services, transactional_db) -> Iterator[WorkerProcess]:
    broker_empty()
    worker = WorkerProcess().start()
    yield worker
    worker.stop()


def wait_for(
    predicate, *, timeout: float, interval: float = 0.2, message: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


class BeatProcess(WorkerProcess):
    """A real `celery beat` process sending the periodic tasks of the settings' schedule."""

    def start(self) -> BeatProcess:
        folder = Path(settings.TEST_VAR_DIR)
        self.log_path = folder / f"beat-{self.name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        schedule = folder / f"beat-{self.name}-schedule"
        for leftover in schedule.parent.glob(f"{schedule.name}*"):
            leftover.unlink()
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(schedule),
            "--pidfile",
            str(folder / f"beat-{self.name}.pid"),
        ]
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self
