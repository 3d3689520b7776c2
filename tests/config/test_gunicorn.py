"""The production gunicorn configuration starts (the application preloaded) and serves pages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.services import free_port

REPO = Path(__file__).resolve().parents[2]


def test_gunicorn_serves_the_login_page_with_the_production_configuration():
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "gunicorn-test-only-" + "x" * 40,
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-c",
            "config/gunicorn.conf.py",
            "--workers",
            "2",
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while response is None and time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=10)
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None, "gunicorn did not answer within 60 s"
        assert response.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in response.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
