"""The development env file: written once, read by manage.py only, never over explicit values."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from config import devenv


@pytest.fixture
def clean_environ(monkeypatch):
    for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_it_is_written_once_with_a_secret_only_its_owner_reads(tmp_path):
    path = tmp_path / ".env.development"
    assert devenv.development_env_write(path) is True
    first = path.read_text()
    assert first.startswith("# DEVELOPMENT ONLY")
    assert "DJANGO_DEBUG=1" in first and "DJANGO_SECRET_KEY=dev-" in first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert devenv.development_env_write(path) is False
    assert path.read_text() == first  # the secret is kept: sessions and links stay valid
    other = tmp_path / "other"
    devenv.development_env_write(other)
    assert other.read_text() != first  # each checkout gets its own secret


def test_it_fills_only_what_is_unset(tmp_path, clean_environ):
    path = tmp_path / ".env.development"
    devenv.development_env_write(path)
    clean_environ.setenv("DJANGO_SECRET_KEY", "set-by-the-operator")
    assert devenv.development_env_load(path) is True
    assert os.environ["DJANGO_DEBUG"] == "1"
    assert os.environ["DJANGO_SECRET_KEY"] == "set-by-the-operator"


@pytest.mark.parametrize("value", ["0", "false", "off", ""])
def test_it_is_ignored_when_debug_is_set_off(tmp_path, clean_environ, value):
    path = tmp_path / ".env.development"
    devenv.development_env_write(path)
    clean_environ.setenv("DJANGO_DEBUG", value)
    assert devenv.development_env_load(path) is False
    assert "DJANGO_SECRET_KEY" not in os.environ


def test_production_entry_points_never_read_it():
    """gunicorn and Celery load config.wsgi and config.celery_app: neither mentions the file."""
    from pathlib import Path

    config = Path(devenv.__file__).parent
    for module in ("wsgi.py", "celery_app.py", "settings.py", "gunicorn.conf.py"):
        assert "devenv" not in (config / module).read_text(), module
    assert "development_env_load()" in (config.parent / "manage.py").read_text()


def test_make_setup_writes_it_with_the_standard_library_alone(tmp_path):
    """`make setup` runs `python config/devenv.py` before Django is importable: run it the same
    way, isolated from site packages, on a copy."""
    from pathlib import Path

    copy = tmp_path / "config"
    copy.mkdir()
    (copy / "devenv.py").write_text(Path(devenv.__file__).read_text())
    command = [sys.executable, "-S", "-I", str(copy / "devenv.py")]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "wrote .env.development" in first.stdout
    assert (tmp_path / ".env.development").exists()
    again = subprocess.run(command, capture_output=True, text=True, check=True)
    assert again.stdout == ""
