"""Serve the embedded set-up: web server, a real Celery worker with beat, and the mock LLM server.

Ctrl-C (or SIGTERM) stops all three; if one of them dies, the others are stopped too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server (127.0.0.1:8000), a Celery worker with beat and the mock LLM server."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--address", default="127.0.0.1:8000")

    def handle(self, *args, address: str, **options) -> None:
        python = sys.executable
        mock_port = str(urlparse(settings.MOCK_LLM_URL).port or 8089)
        env = dict(
            os.environ, DJANGO_DEBUG=os.environ.get("DJANGO_DEBUG", "1"), PYTHONUNBUFFERED="1"
        )
        commands = {
            "mock LLM": [
                python,
                "manage.py",
                "mockllm",
                "--port",
                mock_port,
                "--latency-ms",
                "150",
                "--latency-jitter-ms",
                "100",
            ],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--beat",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--schedule",
                str(settings.VAR_DIR / "celerybeat-schedule"),
            ],
            "web": [python, "manage.py", "runserver", address, "--noreload"],
        }
        processes: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for label, command in commands.items():
            self.stdout.write(f"starting {label}: {' '.join(command[1:])}")
            # Own process groups: Ctrl-C reaches this command only, which then stops each child.
            processes[label] = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, start_new_session=True
            )
        self.stdout.write(
            self.style.SUCCESS(f"Vocation Lab is at http://{address}/  (Ctrl-C stops everything)")
        )
        try:
            while not stopping:
                for label, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{label} exited with {process.returncode}; stopping the rest"
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()  # the main process only: a Celery worker then shuts down warm
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            self.stdout.write("stopped")
