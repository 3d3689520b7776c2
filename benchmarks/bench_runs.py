"""LLM run benchmarks: throughput when the endpoint's limit is the bottleneck, and platform CPU
per trial against a zero-latency mock.

    .venv/bin/python benchmarks/bench_runs.py [--minutes 2] [--limit 300] [--trials 1500]
    .venv/bin/python benchmarks/bench_runs.py --methods-only [--trials 1200]

Throughput runs two real Celery worker processes (Redis broker when CELERY_BROKER_URL is set,
the embedded filesystem broker otherwise) against the mock server in its own process, and counts
what the mock receives. CPU per trial is measured two ways: in-process `trial_execute` calls, one
trial at a time and in batches the size a queue message carries (time.process_time, the mock in
another process), and the CPU time of a real worker's processes read from /proc.

Elicitation methods: platform CPU per trial of `token_probability` (one-token answer with 20
top logprobs, parsed into a distribution) against `verbal` (free text through the text parser),
same run shape, executed in-process in alternating chunks so that both see the same machine load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _setup import REPO, machine, median, setup_django, teardown_django


def start_mock(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "llmruns.mockserver", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    return process, line.strip().split()[-1]


def make_run(endpoint, replications: int, name: str, methods: tuple[str, ...] = ("verbal",)):
    from careers.models import Instrument
    from llmruns.services import RunSpec, run_create

    return run_create(
        spec=RunSpec(
            name=name,
            instrument=Instrument.objects.get(slug="oip-sf"),
            endpoints=[endpoint],
            languages=["en"],
            kinds=["interest"],
            replications=replications,
            methods=list(methods),
        )
    )


def endpoint(base_url: str, *, name: str, rpm: int, concurrency: int):
    from llmruns.models import ModelEndpoint

    return ModelEndpoint.objects.create(
        name=name,
        base_url=base_url,
        model="mock-alpha",
        max_requests_per_minute=rpm,
        max_concurrency=concurrency,
        timeout_seconds=30,
        is_mock=True,
        supports_logprobs=True,
    )


def reset_limiter(key: str) -> None:
    from django.conf import settings

    if settings.RATE_LIMIT_URL:
        from llmruns.limiter import RedisLimiter

        RedisLimiter(settings.RATE_LIMIT_URL).reset(key)
    else:
        (settings.RATE_LIMIT_DIR / f"{key}.json").unlink(missing_ok=True)


def cpu_seconds_of_session(pid: int) -> float:
    """utime + stime of every process in the worker's session (main process and pool)."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == pid or int(entry) == pid:  # fields[3] is the session id here
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def bench_throughput(minutes: float, limit: int) -> None:
    from llmruns.models import Attempt, RunStatus
    from llmruns.services import run_cancel, run_start
    from tests.services import WorkerProcess

    mock, base_url = start_mock()
    workers = [WorkerProcess(name=f"bench{i}", concurrency=4).start() for i in range(2)]
    try:
        target = endpoint(base_url, name="throughput", rpm=limit, concurrency=8)
        reset_limiter(f"endpoint-{target.pk}")
        replications = int(limit * (minutes + 1.5) / 60) + 1
        run = make_run(target, replications, "throughput")
        time.sleep(3)  # workers up
        run_start(run=run, check_reachable=False)
        started = time.time()
        time.sleep(minutes * 60 + 5)
        run = run_cancel(run=run)
        times = sorted(
            t.timestamp()
            for t in Attempt.objects.filter(trial__run=run).values_list("started_at", flat=True)
        )
        first = times[0]
        window = minutes * 60
        in_window = [t for t in times if first <= t < first + window]
        sustained = len(in_window) / minutes
        best = 0
        start_index = 0
        for index, value in enumerate(times):
            while times[start_index] <= value - 60:
                start_index += 1
            best = max(best, index - start_index + 1)
        print(
            f"throughput: limit {limit}/min, {len(in_window)} calls in the first {minutes:g} min "
            f"-> {sustained:.1f}/min = {100 * sustained / limit:.1f}% of the limit "
            f"(max in any 60 s: {best}; run {RunStatus(run.status).label.lower()} after {time.time() - started:.0f} s)"
        )
    finally:
        for worker in workers:
            worker.stop()
        mock.terminate()


def bench_cpu(trials_wanted: int) -> None:
    from django.db import connection

    from llmruns.models import Run, RunStatus, Trial
    from llmruns.services import run_start
    from llmruns.services.execution import trial_execute, trials_execute
    from llmruns.services.lifecycle import trials_per_message
    from tests.services import WorkerProcess

    mock, base_url = start_mock()
    try:
        # In-process: the platform's own work per trial (claim, render, call, parse, store).
        target = endpoint(base_url, name="cpu-inprocess", rpm=10**7, concurrency=64)
        run = make_run(target, max(1, trials_wanted // 60), "cpu-inprocess")
        Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
        ids = list(Trial.objects.filter(run=run).values_list("pk", flat=True))
        for pk in ids[:20]:
            trial_execute(trial_id=pk)  # warm up: connections, caches
        samples = []
        chunk = 100
        for start in range(20, len(ids), chunk):
            cpu = time.process_time()
            for pk in ids[start : start + chunk]:
                trial_execute(trial_id=pk)
            samples.append((time.process_time() - cpu) / len(ids[start : start + chunk]) * 1000)
        print(
            f"platform CPU per trial, in-process ({connection.vendor}): median {median(samples):.2f} ms "
            f"over {len(ids) - 20} trials (chunks of {chunk}: min {min(samples):.2f}, max {max(samples):.2f})"
        )

        # In-process again, in the batches a queue message carries for this endpoint.
        run = make_run(target, max(1, trials_wanted // 60), "cpu-inprocess-batches")
        Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
        ids = list(Trial.objects.filter(run=run).values_list("pk", flat=True))
        batch = trials_per_message(target)
        samples = []
        for start in range(0, len(ids) - chunk + 1, chunk):
            cpu = time.process_time()
            for first in range(start, start + chunk, batch):
                trials_execute(trial_ids=ids[first : min(first + batch, start + chunk)])
            samples.append((time.process_time() - cpu) / chunk * 1000)
        print(
            f"platform CPU per trial, in-process in batches of {batch}: median {median(samples):.2f} ms "
            f"(chunks of {chunk}: min {min(samples):.2f}, max {max(samples):.2f})"
        )

        # A real worker: CPU of its processes per trial, idle baseline subtracted.
        target = endpoint(base_url, name="cpu-worker", rpm=10**7, concurrency=64)
        run = make_run(target, max(1, trials_wanted // 60), "cpu-worker")
        worker = WorkerProcess(name="cpu", concurrency=2).start()
        try:
            time.sleep(10)  # past start-up
            idle_start = cpu_seconds_of_session(worker.process.pid)
            time.sleep(5)
            idle_rate = (cpu_seconds_of_session(worker.process.pid) - idle_start) / 5
            before = cpu_seconds_of_session(worker.process.pid)
            began = time.time()
            run_start(run=run, check_reachable=False)
            while Run.objects.get(pk=run.pk).status == RunStatus.RUNNING:
                time.sleep(0.5)
            elapsed = time.time() - began
            used = cpu_seconds_of_session(worker.process.pid) - before - idle_rate * elapsed
            count = Trial.objects.filter(run=run).count()
            print(
                f"platform CPU per trial, Celery worker (2 processes, {trials_per_message(target)} "
                f"trials a message): {used / count * 1000:.2f} ms "
                f"({count} trials in {elapsed:.1f} s = {count / elapsed:.0f} trials/s; "
                f"idle worker {idle_rate * 1000:.0f} ms CPU/s subtracted)"
            )
        finally:
            worker.stop()
    finally:
        mock.terminate()


def bench_methods(trials_wanted: int) -> None:
    """CPU per trial of token_probability against verbal: same shape, alternating chunks."""
    from llmruns.models import Run, RunStatus, Trial
    from llmruns.services.execution import trials_execute
    from llmruns.services.lifecycle import trials_per_message

    mock, base_url = start_mock()
    try:
        target = endpoint(base_url, name="cpu-methods", rpm=10**7, concurrency=64)
        batch = trials_per_message(target)
        replications = max(2, trials_wanted // 60)
        ids = {}
        for method in ("verbal", "token_probability"):
            run = make_run(target, replications, f"cpu-{method}", methods=(method,))
            Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
            ids[method] = list(Trial.objects.filter(run=run).values_list("pk", flat=True))
            trials_execute(trial_ids=ids[method][:batch])  # warm up: connections, caches
            ids[method] = ids[method][batch:]
        samples: dict[str, list[float]] = {"verbal": [], "token_probability": []}
        chunk = 100
        for start in range(0, min(len(v) for v in ids.values()) - chunk + 1, chunk):
            for method, method_ids in ids.items():
                cpu = time.process_time()
                for first in range(start, start + chunk, batch):
                    trials_execute(trial_ids=method_ids[first : min(first + batch, start + chunk)])
                samples[method].append((time.process_time() - cpu) / chunk * 1000)
        statuses = {
            method: sorted(
                set(Trial.objects.filter(pk__in=method_ids).values_list("status", flat=True))
            )
            for method, method_ids in ids.items()
        }
        verbal, token = median(samples["verbal"]), median(samples["token_probability"])
        print(
            f"platform CPU per trial by method (in-process, batches of {batch}, "
            f"{len(samples['verbal'])} alternating chunks of {chunk}): verbal median {verbal:.2f} ms, "
            f"token_probability median {token:.2f} ms, ratio {token / verbal:.2f}x "
            f"(statuses: {statuses})"
        )
    finally:
        mock.terminate()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--trials", type=int, default=1200)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument(
        "--methods-only", action="store_true", help="only token_probability against verbal"
    )
    arguments = parser.parse_args()
    old = setup_django()
    try:
        from config.celery_app import app

        app.control.purge()  # messages left over from earlier runs are not this benchmark's work
        print(f"machine: {machine()}")
        bench_methods(arguments.trials)
        if arguments.methods_only:
            return
        bench_cpu(arguments.trials)
        if not arguments.skip_throughput:
            bench_throughput(arguments.minutes, arguments.limit)
    finally:
        teardown_django(old)


if __name__ == "__main__":
    main()
