"""The file limiter's cost per call (the embedded set-up's limiter), by how full its log is.

An endpoint allowed `limit` requests a minute keeps up to `limit` start times in its log, and
every call reads the log, prunes it and writes it back under the file lock. The demo's mock
endpoints allow 6,000 a minute. For each log size the script fills one endpoint's log to that
size (a window long enough that nothing expires), then times `try_acquire_turn` calls that are
refused by the log being full and calls that are granted (a limit above the size), in one
process, and prints the median microseconds per call over several rounds. Asserts nothing.

    .venv/bin/python benchmarks/bench_limiter.py [--sizes 0 1000 6000] [--calls 2000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llmruns.limiter import FileLimiter  # noqa: E402


def per_call_microseconds(limiter: FileLimiter, key: str, *, limit: int, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        limiter.try_acquire_turn(key, limit=limit, concurrency=8, holder="bench")
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 1000, 6000])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load:.2f}"
    )
    print(f"{'log size':>9} {'refused, us/call':>17} {'granted, us/call':>17}")
    for size in arguments.sizes:
        refused, granted = [], []
        for _ in range(arguments.rounds):
            with tempfile.TemporaryDirectory() as folder:
                limiter = FileLimiter(Path(folder), window_seconds=3600.0)
                for _ in range(size):
                    # A pace far above the limit, so that each call is logged.
                    limiter.try_acquire_request("full", limit=10**9)
                if size:
                    refused.append(
                        per_call_microseconds(limiter, "full", limit=size, calls=arguments.calls)
                    )
                # Granted calls add to the log: a small log of its own grows by `calls`.
                for _ in range(size):
                    limiter.try_acquire_request("open", limit=10**9)
                granted.append(
                    per_call_microseconds(limiter, "open", limit=10**9, calls=arguments.calls)
                )
        refused_text = f"{statistics.median(refused):17.0f}" if refused else f"{'-':>17}"
        print(f"{size:>9} {refused_text} {statistics.median(granted):17.0f}")


if __name__ == "__main__":
    main()
