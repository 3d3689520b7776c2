"""Run preparation benchmark: trials created per second when a large run is prepared in the
background, and the peak memory the preparation adds above the idle process.

    .venv/bin/python benchmarks/bench_preparation.py [--trials 1000000] [--batch 5000] [--repeat 1]

The run is 2 endpoints x 2 languages x 3 kinds created up front x 60 items x enough
replications for --trials. `run_create` is timed as the request would see it (the run is
`preparing`), then `run_prepare` (what the Celery task calls) creates the trials in the same
process. Peak memory is the process's resident high-water mark (VmHWM, reset just before
preparing) minus its resident size when idle after the run was created. Uses PostgreSQL when
DATABASE_URL points at it, a SQLite file under var/ otherwise.
"""

from __future__ import annotations

import argparse
import math
import os
import time

os.environ["DJANGO_DEBUG"] = "0"  # no query log: it would keep every batch's SQL in memory

from _setup import machine, median, setup_django, teardown_django  # noqa: E402

KINDS = ["interest", "self_competence", "work_sample", "self_review"]
PER_REPLICATION = 2 * 2 * 3 * 60  # endpoints x languages x kinds created up front x items


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM to the current resident size
        return True
    except OSError:
        return False


def prepare_once(endpoints, replications: int, batch: int) -> dict:
    import gc

    from careers.models import Instrument
    from llmruns.models import Run, Trial
    from llmruns.services import RunSpec, run_create, run_prepare

    started = time.perf_counter()
    run = run_create(
        spec=RunSpec(
            name="bench",
            instrument=Instrument.objects.get(slug="oip-sf"),
            endpoints=endpoints,
            languages=["en", "zh-hans"],
            kinds=KINDS,
            replications=replications,
        )
    )
    accepted = time.perf_counter() - started
    gc.collect()
    idle = _status_kib("VmRSS")
    reset = _reset_peak()
    started = time.perf_counter()
    created = run_prepare(run_id=run.pk, batch_size=batch)
    elapsed = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    status = Run.objects.get(pk=run.pk).status
    count = Trial.objects.filter(run=run).count()
    return {
        "accepted_s": accepted,
        "created": created,
        "count": count,
        "status": status,
        "seconds": elapsed,
        "rate": created / elapsed,
        "peak_above_idle_mb": (peak - idle) / 1024 if reset else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    old = setup_django(sqlite_name="bench_preparation.sqlite3")
    try:
        from django.conf import settings

        from llmruns.models import ModelEndpoint

        settings.LLM_PREPARE_INLINE_TRIALS = 0  # always in the background, as a large run is
        endpoints = [
            ModelEndpoint.objects.create(
                name=f"bench {n}", base_url="http://127.0.0.1:9/v1", model=f"m{n}"
            )
            for n in (1, 2)
        ]
        replications = math.ceil(args.trials / PER_REPLICATION)
        print(f"machine: {machine()}")
        print(
            f"run: {replications} replications x {PER_REPLICATION} = "
            f"{replications * PER_REPLICATION:,} trials, batches of {args.batch:,}"
        )
        results = []
        for index in range(args.repeat):
            result = prepare_once(endpoints, replications, args.batch)
            results.append(result)
            print(
                f"  #{index + 1}: accepted in {result['accepted_s'] * 1000:.0f} ms; "
                f"{result['created']:,} trials in {result['seconds']:.1f} s = "
                f"{result['rate']:,.0f} trials/s; peak {result['peak_above_idle_mb']:.0f} MB "
                f"above idle; then {result['status']} with {result['count']:,} trials"
            )
        print(
            f"median: {median([r['rate'] for r in results]):,.0f} trials/s, "
            f"peak {median([r['peak_above_idle_mb'] for r in results]):.0f} MB above idle, "
            f"request {median([r['accepted_s'] for r in results]) * 1000:.0f} ms"
        )
    finally:
        teardown_django(old)


if __name__ == "__main__":
    main()
