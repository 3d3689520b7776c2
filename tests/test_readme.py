"""Every command line of the README works as printed, in a fresh copy after `make setup`.

The test copies the working tree (what `git ls-files` lists, so also changes not yet committed)
into a temporary directory, as a fresh clone would have it, and runs `make setup` there with an
environment that has none of the project's variables: nothing set by hand. Then it runs the
README's ```sh blocks in order, each line as printed, and fails on a non-zero exit. A block right
after a `<!-- readme-test: skip (reason) -->` comment is not run, for the reason given.

Commands that keep running (`make run`, `serve_embedded`, `mockllm`, gunicorn, a Celery worker)
are started, must come up (the web page answers, or the process stays alive), keep running for
the blocks after them, and are stopped at the end. Only three variables differ from a new user's
terminal, and only to keep off ports someone else may be using on a shared machine: ADDRESS
(where `make run` serves), MOCK_LLM_URL (the mock server's port) and VOCATIONLAB_API (where the
researcher's example looks for the API).

Installing a fresh virtual environment costs minutes and the network, so the copy's `.venv` is
a link to the one running this test, and the copy's pyproject.toml is dated before that
environment's install stamp, so `make` sees it installed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import free_port

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SKIP_MARKER = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<reason>[^)]*)\)\s*-->")
LONG_RUNNING = re.compile(
    r"^(make run\b|.*manage\.py (serve_embedded|mockllm)\b|.*gunicorn\b|.*celery\b.*\b(worker|beat)\b)"
)
# What a person types at the prompts of `changepassword` (twice the new password).
TYPED = "Readme-check-Pass-2026!\nReadme-check-Pass-2026!\n"
# Variables a new user's terminal does not have (pytest and CI set some of them).
PROJECT_VARIABLES = re.compile(
    r"^(DJANGO_.*|DATABASE_.*|CELERY_.*|CACHE_URL|RATE_LIMIT_URL|LLM_.*|MOCK_LLM_URL|LOG_LEVEL"
    r"|VOCATIONLAB_.*|REQUIRE_SERVICES|PYTEST_.*|VIRTUAL_ENV)$"
)


@dataclass
class Block:
    line_number: int
    lines: list[str]
    skip_reason: str | None


def readme_blocks(text: str) -> list[Block]:
    """The ```sh blocks of the README, with their command lines and any skip reason."""
    blocks = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```sh":
            start = index
            body = []
            index += 1
            while lines[index].strip() != "```":
                body.append(lines[index])
                index += 1
            previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
            marker = SKIP_MARKER.search(previous)
            blocks.append(
                Block(
                    line_number=start + 1,
                    lines=_command_lines(body),
                    skip_reason=marker.group("reason") if marker else None,
                )
            )
        index += 1
    return blocks


def _command_lines(body: list[str]) -> list[str]:
    commands, current = [], ""
    for raw in body:
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        commands.append(current + line)
        current = ""
    return commands


def test_the_readme_blocks_are_found_and_the_skips_are_few():
    blocks = readme_blocks(README.read_text())
    run_here = [line for block in blocks if not block.skip_reason for line in block.lines]
    assert "make run" in [line.split("#")[0].strip() for line in run_here]
    assert any("api_token create" in line for line in run_here)
    skipped = [block for block in blocks if block.skip_reason]
    assert len(skipped) <= 3 and all(block.skip_reason.strip() for block in skipped)


def test_the_readme_example_is_the_file_it_names():
    text = README.read_text()
    example = (REPO / "examples" / "researcher_pandas.py").read_text()
    assert f"```python\n{example}```" in text


def _fresh_copy(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / name.decode()
        if source.is_file():
            destination = target / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    (target / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    os.utime(target / "pyproject.toml", (0, 0))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
            return response.status == 200
    except OSError:
        return False


def _scripts(segment: list[str]) -> list[str]:
    """Each line on its own (to time and report it), unless the block exports a variable that
    later lines use: then the lines run together in one shell, as in one terminal."""
    if any(line.startswith("export ") for line in segment):
        return ["\n".join(segment)]
    return segment


class Shell:
    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self.background: list[tuple[str, subprocess.Popen, Path]] = []
        self.timings: list[tuple[float, str]] = []

    def run(self, script: str, *, where: str, timeout: float = 600) -> None:
        started = time.monotonic()
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=self.cwd,
            env=self.env,
            input=TYPED,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )
        self.timings.append((time.monotonic() - started, script))
        if result.returncode != 0:
            pytest.fail(
                f"{where}: exit {result.returncode}\n$ {script}\n"
                f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
            )

    def start(self, line: str, *, where: str, address: str) -> None:
        log = self.cwd / f"var/readme-{len(self.background)}.log"
        log.parent.mkdir(exist_ok=True)
        process = subprocess.Popen(
            ["bash", "-c", line],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.background.append((line, process, log))
        deadline = time.monotonic() + 300
        web = line.startswith("make run") or "serve_embedded" in line
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"{where}: `{line}` exited with {process.returncode}\n{log.read_text()}"
                )
            if (web and _answers(f"http://{address}/accounts/login/")) or (
                not web and time.monotonic() > deadline - 295
            ):
                self.timings.append((time.monotonic() - deadline + 300, f"{line} (until up)"))
                return
            time.sleep(1)
        pytest.fail(f"{where}: `{line}` did not come up in 300 s\n{log.read_text()[-3000:]}")

    def stop_all(self) -> list[str]:
        """Stop what was started (Ctrl-C, as a person would); the ones that had died."""
        dead = [line for line, process, _log in self.background if process.poll() is not None]
        for _line, process, _log in self.background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        for _line, process, _log in self.background:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        return dead


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_every_readme_command_works_as_printed_after_make_setup(tmp_path):
    stamp = Path(sys.prefix) / ".installed-stamp"
    if not stamp.exists():
        pytest.skip(f"needs an environment installed by `make install` ({stamp} is missing)")
    clone = tmp_path / "clone"
    _fresh_copy(clone)
    address = f"127.0.0.1:{free_port()}"
    env = {name: value for name, value in os.environ.items() if not PROJECT_VARIABLES.match(name)}
    env.update(
        ADDRESS=address,
        MOCK_LLM_URL=f"http://127.0.0.1:{free_port()}/v1",
        VOCATIONLAB_API=f"http://{address}/api/v1",
        PYTHONUNBUFFERED="1",
    )
    shell = Shell(clone, env)
    shell.run("make setup", where="make setup (before the README)")
    development = (clone / ".env.development").read_text()
    assert "DEVELOPMENT ONLY" in development and "DJANGO_SECRET_KEY=dev-" in development

    ran: list[str] = []
    try:
        for block in readme_blocks((clone / "README.md").read_text()):
            if block.skip_reason:
                continue
            segment: list[str] = []
            for line in block.lines:
                where = f"README.md block at line {block.line_number}"
                if LONG_RUNNING.match(line):
                    for script in _scripts(segment):
                        shell.run(script, where=where)
                    ran.extend(segment)
                    segment = []
                    command = line.split("  #")[0].strip()
                    if any(
                        command == started.split("  #")[0].strip()
                        for started, *_ in shell.background
                    ):
                        continue  # already running (the README shows `make run` twice)
                    shell.start(line, where=where, address=address)
                    ran.append(line)
                else:
                    segment.append(line)
            for script in _scripts(segment):
                shell.run(script, where=f"README.md block at line {block.line_number}")
            ran.extend(segment)
    finally:
        dead = shell.stop_all()
        for seconds, script in shell.timings:  # shown with -rP: where the time goes
            print(f"{seconds:6.1f} s  {script.splitlines()[0][:90]}")
    assert not dead, f"stopped running before the end: {dead}"
    assert any(line.startswith("make run") for line in ran)
    assert any("researcher_pandas.py" in line for line in ran)
    assert (clone / "demo-package.zip").stat().st_size > 0

    # Production never reads the development file: with DJANGO_DEBUG=0 and no secret,
    # manage.py and the WSGI application refuse to start.
    production = dict(env, DJANGO_DEBUG="0")
    for command in (
        [".venv/bin/python", "manage.py", "check"],
        [".venv/bin/python", "-c", "import config.wsgi"],
    ):
        result = subprocess.run(command, cwd=clone, env=production, capture_output=True, text=True)
        assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr
    wsgi = subprocess.run(
        [".venv/bin/python", "-c", "import config.wsgi"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "DJANGO_SECRET_KEY must be set" in wsgi.stderr
