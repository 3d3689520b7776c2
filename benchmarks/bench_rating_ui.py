"""Expert UI under load: 50 simulated experts against gunicorn + PostgreSQL.

    .venv/bin/python benchmarks/bench_rating_ui.py [--experts 50] [--max-seconds 120]

--max-seconds bounds the two measured phases together; the set-up and the sign-ins come before
them (about half a minute on an idle 2-core machine: each sign-in is a full PBKDF2).

Target (DESIGN.md): p95 <= 100 ms for "open next unit" and "submit rating" with 50 concurrent
experts on gunicorn + PostgreSQL on a 2-core machine.

A throwaway `test_...` database is created on the PostgreSQL server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/vocationlab_bench) and dropped at the end. It holds a finished
run of work samples, a panel of experts and a campaign giving each expert about 20 units (three
raters per unit). gunicorn serves the production settings (DEBUG off) on 127.0.0.1 with the
production gunicorn configuration (config/gunicorn.conf.py; --workers, --threads and
--worker-class override it for experiments, and the figures then say so). Each
simulated expert signs in once through the login form, then loops: GET /rate/, follow "Continue
rating" to the unit page (open next unit), POST the rating to the unit's submit endpoint
(submit rating).

Two phases, reported separately:
- paced: each expert pauses 3-9 s between opening a unit and submitting it (a fast reader; real
  experts take far longer), so the 50 experts are concurrent without all waiting on the server
  at once;
- flat out: no pause at all, every expert has a request in flight at all times: the server's
  capacity on this machine, and latencies under saturation (queueing included).

The load generator (asyncio + httpx, one process) runs on the same cores as gunicorn and
PostgreSQL; its CPU time is printed next to the server's. Loopback only, bounded in requests and
in time. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import runpy
import secrets
import socket
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

from _setup import REPO, machine, setup_django, teardown_django
from bench_runs import cpu_seconds_of_session

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vocationlab_bench"
PASSWORD = "bench-expert-password-7d1f"
RATERS_PER_UNIT = 3
ITEMS = 60
LANGUAGES = ("en", "zh-hans")
OPEN_UNIT = "open next unit"
SUBMIT = "submit rating"
QUEUE = "queue page"
LOGIN = "login"

CONTINUE_LINK = re.compile(r'id="continue-button" href="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_FIELD = re.compile(r'name="submission_id" value="([^"]+)"')
SUBMIT_URL = re.compile(r'data-submit-url="([^"]+)"')


# --------------------------------------------------------------------------------------------
# Data


def _work_sample(*, endpoint_name: str, language: str, item_number: int) -> str:
    """A work sample of realistic length (about 1,500 characters) that names its model."""
    if language == "zh-hans":
        opening = f"作为{endpoint_name}，以下是第{item_number}项任务的完成方案。\n"
        step = "第{n}步：先明确目标和约束，再列出可行的做法，逐一评估风险与成本，最后给出结论。\n"
    else:
        opening = f"As {endpoint_name}, here is how I would complete task {item_number}.\n"
        step = (
            "Step {n}: clarify the goal and the constraints, list the workable options, weigh "
            "the risks and costs of each, then commit to one and say why.\n"
        )
    return opening + "".join(step.format(n=n) for n in range(1, 11))


def build_study(*, experts: int, units_per_expert: int) -> tuple[list[str], int]:
    """A finished run, a panel of experts and a campaign; returns usernames and unit count."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from careers.accounts import role_groups_ensure
    from careers.models import Area, Instrument
    from careers.permissions import EXPERT
    from llmruns.models import ModelEndpoint, Run, Trial
    from ratings.models import ExpertProfile, Panel
    from ratings.services import campaign_create

    instrument = Instrument.objects.get(slug="oip-sf")
    units_wanted = math.ceil(experts * units_per_expert / RATERS_PER_UNIT)
    endpoint_count = max(1, math.ceil(units_wanted / (ITEMS * len(LANGUAGES))))
    endpoints = [
        ModelEndpoint.objects.create(
            name=f"bench-model-{number}",
            base_url="http://127.0.0.1:9/v1",
            model=f"bench-model-{number}",
            is_mock=True,
        )
        for number in range(1, endpoint_count + 1)
    ]
    run = Run.objects.create(
        name="rating UI benchmark",
        instrument=instrument,
        languages=list(LANGUAGES),
        kinds=["work_sample"],
        replications=1,
        status="finished",
    )
    run.endpoints.set(endpoints)
    Trial.objects.bulk_create(
        Trial(
            run=run,
            endpoint=endpoint,
            language=language,
            item=item,
            kind="work_sample",
            replication=1,
            status="ok",
            text=_work_sample(
                endpoint_name=endpoint.name, language=language, item_number=item.number
            ),
        )
        for endpoint in endpoints
        for language in LANGUAGES
        for item in instrument.items.all()
    )

    # The server runs the production password hasher: hash once with it, share the hash.
    password_hash = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user_model = get_user_model()
    usernames = [f"bench_expert_{number:02d}" for number in range(1, experts + 1)]
    users = user_model.objects.bulk_create(
        user_model(username=username, password=password_hash) for username in usernames
    )
    expert_group = role_groups_ensure()[EXPERT]
    user_model.groups.through.objects.bulk_create(
        user_model.groups.through(user_id=user.pk, group_id=expert_group.pk) for user in users
    )
    profiles = ExpertProfile.objects.bulk_create(
        ExpertProfile(user=user, languages=list(LANGUAGES), areas=list(Area.values))
        for user in users
    )
    panel = Panel.objects.create(name="benchmark panel")
    panel.experts.set(profiles)
    campaign = campaign_create(
        skip_review=True,
        name="rating UI benchmark",
        run=run,
        panel=panel,
        raters_per_unit=RATERS_PER_UNIT,
        instructions={"en": "Rate as a practitioner would.", "zh-hans": "请按从业者标准评分。"},
        seed=1,
    )
    return usernames, campaign.units.count()


# --------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


GUNICORN_CONFIG = REPO / "config" / "gunicorn.conf.py"


def gunicorn_options(arguments: argparse.Namespace) -> list[str]:
    """The production configuration file, and any override given to this script."""
    options = ["-c", str(GUNICORN_CONFIG)]
    for flag, value in (
        ("--workers", arguments.workers),
        ("--threads", arguments.threads),
        ("--worker-class", arguments.worker_class),
    ):
        if value is not None:
            options += [flag, str(value)]
    return options


def gunicorn_processes(arguments: argparse.Namespace) -> tuple[str, int, int]:
    """Worker class, workers and threads per worker that gunicorn runs with."""
    configured = runpy.run_path(str(GUNICORN_CONFIG))
    worker_class = arguments.worker_class or configured.get("worker_class", "sync")
    workers = arguments.workers or configured.get("workers", 1)
    threads = arguments.threads or configured.get("threads", 1)
    if worker_class == "sync" and threads > 1:
        worker_class = "gthread"  # what gunicorn runs for sync workers with threads
    return worker_class, workers, threads if worker_class == "gthread" else 1


def describe_gunicorn(arguments: argparse.Namespace) -> str:
    worker_class, workers, threads = gunicorn_processes(arguments)
    overridden = any(
        value is not None
        for value in (arguments.workers, arguments.threads, arguments.worker_class)
    )
    return (
        f"-w {workers} -k {worker_class}"
        + (f" --threads {threads}" if worker_class == "gthread" else "")
        + (" (overriding config/gunicorn.conf.py)" if overridden else " (config/gunicorn.conf.py)")
    )


def start_gunicorn(*, port: int, options: list[str]) -> subprocess.Popen:
    from django.conf import settings

    database = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
                f"{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            # Plain HTTP on loopback: secure-only cookies would never come back.
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
    )
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]
    log = (REPO / "var" / "bench-rating-ui-gunicorn.log").open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            *options,
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_serving(base_url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited; see var/bench-rating-ui-gunicorn.log")
        try:
            if httpx.get(f"{base_url}/accounts/login/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores, all processes), from /proc/stat."""
    with open("/proc/stat") as handle:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(value) for value in handle.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def database_backend_seconds(database_name: str) -> float:
    """CPU time of the PostgreSQL backends serving database_name (when on this machine).

    Backends are found by their process title, `postgres: ... <user> <database> <client> ...`;
    gunicorn keeps its connections (CONN_MAX_AGE), so the backends outlive each phase.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                title = handle.read().decode(errors="replace")
            if not title.startswith("postgres:") or f" {database_name} " not in title:
                continue
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


# --------------------------------------------------------------------------------------------
# The simulated experts


@dataclass
class Measurements:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    finished_queues: int = 0

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def record(self, kind: str, seconds: float, *, ok: bool, detail: str = "") -> None:
        self.latencies[kind].append(seconds)
        if not ok:
            self.errors[kind] += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{kind}: {detail}")


class Expert:
    """One expert's browser: a cookie jar and the three requests of a rating."""

    def __init__(self, *, username: str, base_url: str) -> None:
        import httpx

        self.username = username
        self.client = httpx.AsyncClient(base_url=base_url, timeout=60, follow_redirects=False)

    async def timed(self, measurements: Measurements, kind: str, method: str, url: str, **kw):
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kw)
        except Exception as exc:  # noqa: BLE001 (a failed request is a figure, not a crash)
            measurements.record(kind, time.perf_counter() - started, ok=False, detail=repr(exc))
            return None
        expected = 302 if kind == LOGIN else 200
        ok = response.status_code == expected
        measurements.record(
            kind,
            time.perf_counter() - started,
            ok=ok,
            detail=f"{method} {url} -> {response.status_code} {response.text[:120]!r}",
        )
        return response if ok else None

    async def login(self, measurements: Measurements) -> bool:
        page = await self.client.get("/accounts/login/")
        token = CSRF_FIELD.search(page.text)
        if token is None:
            measurements.record(LOGIN, 0.0, ok=False, detail="no CSRF token on the login page")
            return False
        response = await self.timed(
            measurements,
            LOGIN,
            "POST",
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "next": "/rate/",
                "csrfmiddlewaretoken": token.group(1),
            },
        )
        return response is not None

    async def rate_one(self, measurements: Measurements, *, pause: float) -> bool:
        """Queue, next unit, submit; False when the queue is done or a step failed."""
        queue = await self.timed(measurements, QUEUE, "GET", "/rate/")
        if queue is None:
            return False
        link = CONTINUE_LINK.search(queue.text)
        if link is None:
            measurements.finished_queues += 1
            return False
        opened = time.monotonic()
        unit = await self.timed(measurements, OPEN_UNIT, "GET", link.group(1))
        if unit is None:
            return False
        fields = {
            pattern: pattern.search(unit.text)
            for pattern in (CSRF_FIELD, SUBMISSION_FIELD, SUBMIT_URL)
        }
        if not all(fields.values()):
            measurements.record(OPEN_UNIT, 0.0, ok=False, detail="unit page without its form")
            return False
        if pause:
            await asyncio.sleep(pause)
        submitted = await self.timed(
            measurements,
            SUBMIT,
            "POST",
            fields[SUBMIT_URL].group(1),
            data={
                "csrfmiddlewaretoken": fields[CSRF_FIELD].group(1),
                "submission_id": fields[SUBMISSION_FIELD].group(1),
                "value": str(random.randint(1, 5)),
                "comment": "",
                "active_seconds": f"{time.monotonic() - opened:.1f}",
            },
            headers={"Accept": "application/json"},
        )
        return submitted is not None

    async def close(self) -> None:
        await self.client.aclose()


async def run_phase(
    experts: list[Expert],
    *,
    units_each: int | None,
    pause: tuple[float, float],
    deadline: float,
) -> tuple[Measurements, float]:
    """Every expert rates up to units_each units (None: until the queue is done).

    With a pause, experts start at random moments within the longest pause: real experts do not
    all open their first unit in the same millisecond.
    """
    measurements = Measurements()

    async def work(expert: Expert) -> None:
        await asyncio.sleep(random.uniform(0, pause[1]))
        rated = 0
        while units_each is None or rated < units_each:
            if time.monotonic() >= deadline:
                return
            if not await expert.rate_one(measurements, pause=random.uniform(*pause)):
                return
            rated += 1

    started = time.perf_counter()
    await asyncio.gather(*(work(expert) for expert in experts))
    return measurements, time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# Report


def percentile(values: list[float], share: float) -> float:
    import numpy as np

    return float(np.percentile(values, share)) if values else float("nan")


def report(name: str, measurements: Measurements, seconds: float) -> None:
    requests = measurements.requests
    errors = sum(measurements.errors.values())
    print(
        f"\n{name}: {requests} requests in {seconds:.1f} s ({requests / seconds:.0f}/s), "
        f"{errors} errors"
    )
    print(
        f"  {'request':<16}{'n':>6}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'per s':>8}"
    )
    for kind in (QUEUE, OPEN_UNIT, SUBMIT):
        values = measurements.latencies.get(kind, [])
        if not values:
            continue
        print(
            f"  {kind:<16}{len(values):>6}{measurements.errors.get(kind, 0):>5}"
            f"{percentile(values, 50) * 1000:>9.1f}{percentile(values, 95) * 1000:>9.1f}"
            f"{percentile(values, 99) * 1000:>9.1f}{max(values) * 1000:>9.1f}"
            f"{len(values) / seconds:>8.1f}"
        )
    for sample in measurements.error_samples:
        print(f"  error: {sample}")


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds so far: the server, its database backends, this process, the whole machine."""

    server: float
    database: float
    load_generator: float
    machine: float

    @classmethod
    def take(cls, *, server: subprocess.Popen, database_name: str) -> CpuSample:
        return cls(
            server=cpu_seconds_of_session(server.pid),
            database=database_backend_seconds(database_name),
            load_generator=time.process_time(),
            machine=machine_busy_seconds(),
        )

    def __sub__(self, earlier: CpuSample) -> CpuSample:
        return CpuSample(
            server=self.server - earlier.server,
            database=self.database - earlier.database,
            load_generator=self.load_generator - earlier.load_generator,
            machine=self.machine - earlier.machine,
        )


def report_cpu(used: CpuSample, *, requests: int, seconds: float) -> None:
    cores = os.cpu_count() or 1
    ours = used.server + used.database + used.load_generator
    per_request = 1000 / max(requests, 1)
    print(
        f"  CPU per request: gunicorn {used.server * per_request:.1f} ms, PostgreSQL "
        f"{used.database * per_request:.1f} ms, load generator "
        f"{used.load_generator * per_request:.1f} ms; together {ours * per_request:.1f} ms, "
        f"so at most ~{requests * cores / max(ours, 1e-9):.0f} requests/s with the {cores} "
        f"cores to this benchmark alone"
    )
    print(
        f"  machine busy {used.machine:.1f} of {seconds * cores:.1f} core-seconds, "
        f"{max(0.0, used.machine - ours):.1f} of them in other processes competing with the "
        f"benchmark"
    )


async def simulate(
    arguments: argparse.Namespace,
    base_url: str,
    usernames: list[str],
    server: subprocess.Popen,
    database_name: str,
) -> int:
    """Sign everyone in, run the phases, print their figures; returns the submits answered 200."""
    answered_submits = 0
    finished_queues = 0
    experts = [Expert(username=username, base_url=base_url) for username in usernames]
    try:
        logins = Measurements()
        # A sign-in costs a full PBKDF2 on the server (by design); all 50 at once would only
        # queue behind each other into timeouts, so a few at a time, as real experts would.
        gate = asyncio.Semaphore(gunicorn_processes(arguments)[1])

        async def login(expert: Expert) -> bool:
            async with gate:
                return await expert.login(logins)

        started = time.perf_counter()
        signed_in = await asyncio.gather(*(login(expert) for expert in experts))
        login_seconds = time.perf_counter() - started
        experts = [expert for expert, ok in zip(experts, signed_in, strict=True) if ok]
        print(
            f"\nlogin: {len(experts)}/{len(usernames)} experts signed in in {login_seconds:.1f} s "
            f"(p50 {percentile(logins.latencies[LOGIN], 50) * 1000:.0f} ms; PBKDF2 by design, "
            f"not part of the target), {sum(logins.errors.values())} errors"
        )
        for sample in logins.error_samples:
            print(f"  error: {sample}")

        deadline = time.monotonic() + arguments.max_seconds

        phases = [
            ("paced", arguments.paced_units, (arguments.pause_min, arguments.pause_max)),
            ("flat out", None, (0.0, 0.0)),
        ]
        for name, units_each, pause in phases:
            before = CpuSample.take(server=server, database_name=database_name)
            measurements, seconds = await run_phase(
                experts, units_each=units_each, pause=pause, deadline=deadline
            )
            used = CpuSample.take(server=server, database_name=database_name) - before
            label = (
                f"{name} ({len(experts)} experts, {units_each} units each, "
                f"{pause[0]:g}-{pause[1]:g} s pause before each submit)"
                if units_each
                else f"{name} ({len(experts)} experts, rest of their queues, no pause)"
            )
            report(label, measurements, seconds)
            answered_submits += len(measurements.latencies[SUBMIT]) - measurements.errors[SUBMIT]
            finished_queues += measurements.finished_queues
            report_cpu(used, requests=measurements.requests, seconds=seconds)
            if time.monotonic() >= deadline:
                print(f"  stopped at the {arguments.max_seconds:g} s limit")
                break
        print(f"\n{finished_queues} of {len(experts)} experts finished their queues")
        print(f"machine at the end: {machine()}")
    finally:
        await asyncio.gather(*(expert.close() for expert in experts))
    return answered_submits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experts", type=int, default=50)
    parser.add_argument("--units-per-expert", type=int, default=20)
    parser.add_argument("--paced-units", type=int, default=6)
    parser.add_argument("--pause-min", type=float, default=3.0)
    parser.add_argument("--pause-max", type=float, default=9.0)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, help="default: config/gunicorn.conf.py")
    parser.add_argument("--threads", type=int, help="default: config/gunicorn.conf.py")
    parser.add_argument("--worker-class", help="default: config/gunicorn.conf.py")
    arguments = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        print("bench_rating_ui: skipped, the target is PostgreSQL; set DATABASE_URL to one")
        return
    try:
        old = setup_django()
    except Exception as exc:  # noqa: BLE001 (no server: say so, do not fail `make bench`)
        print(f"bench_rating_ui: skipped, PostgreSQL at DATABASE_URL is not usable: {exc}")
        return
    server = None
    try:
        began = time.perf_counter()
        usernames, units = build_study(
            experts=arguments.experts, units_per_expert=arguments.units_per_expert
        )
        print(f"machine: {machine()}")
        print(
            f"study: {units} units x {RATERS_PER_UNIT} raters, {len(usernames)} experts "
            f"(~{units * RATERS_PER_UNIT / len(usernames):.1f} units each), "
            f"built in {time.perf_counter() - began:.1f} s"
        )
        port = free_port()
        server = start_gunicorn(port=port, options=gunicorn_options(arguments))
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(base_url, server)
        print(
            f"server: gunicorn config.wsgi {describe_gunicorn(arguments)} on {base_url}, "
            f"DEBUG off, PostgreSQL; the load generator (asyncio + httpx, one process) shares "
            f"the same {os.cpu_count()} cores"
        )
        from django.conf import settings

        answered_submits = asyncio.run(
            simulate(arguments, base_url, usernames, server, settings.DATABASES["default"]["NAME"])
        )

        from ratings.models import Rating

        print(
            f"ratings stored: {Rating.objects.count()} "
            f"(submissions answered 200: {answered_submits})"
        )
    finally:
        if server is not None:
            stop(server)
        teardown_django(old)


if __name__ == "__main__":
    main()
