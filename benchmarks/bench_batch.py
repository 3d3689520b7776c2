"""Batch execution benchmarks: platform CPU per trial in batch mode, and the peak memory of
collecting a large output file.

    .venv/bin/python benchmarks/bench_batch.py [--trials 50000] [--cpu-trials 10000] [--rounds 3]

The mock server runs in its own process (its CPU is not the platform's). CPU per trial is this
process's CPU time (time.process_time) for the whole life of a batch: planning (claims, prompts,
Attempts), writing and uploading the input file, creating the batch, polling, then streaming and
storing the output; on PostgreSQL the CPU of this connection's server process is added (read from
/proc). Memory: a child process plays an idle worker (Django loaded, connected, the batch code
imported and run once on nothing); its resident size then is the baseline, and its peak resident
size (ru_maxrss) while it collects the whole output file of one batch is compared with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

# Production-like: no debug query log (it costs CPU per query and memory per chunk).
os.environ.setdefault("DJANGO_DEBUG", "0")

from _setup import REPO, machine, median, setup_django, teardown_django
from bench_runs import start_mock


def backend_cpu_seconds() -> float:
    """CPU seconds of this connection's PostgreSQL server process (0 elsewhere or unreadable)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batch_endpoint(base_url: str, name: str, max_requests: int):
    from llmruns.models import ModelEndpoint

    return ModelEndpoint.objects.create(
        name=name,
        base_url=base_url,
        model="mock-alpha",
        timeout_seconds=300,
        is_mock=True,
        supports_batch=True,
        batch_max_requests=max_requests,
        price_input_per_million="2",
        price_output_per_million="8",
    )


def batch_run(endpoint, trials: int, name: str):
    from careers.models import Instrument
    from llmruns.models import Run, RunStatus
    from llmruns.services import RunSpec, run_create

    run = run_create(
        spec=RunSpec(
            name=name,
            instrument=Instrument.objects.get(slug="oip-sf"),
            endpoints=[endpoint],
            languages=["en"],
            kinds=["interest"],
            replications=max(1, -(-trials // 60)),
            execution="batch",
        )
    )
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    run.refresh_from_db()
    return run


def bench_cpu(base_url: str, trials: int, rounds: int) -> None:
    from django.conf import settings

    from llmruns.models import ProviderBatch, Run, RunStatus, Trial
    from llmruns.services.batch import batch_poll, batches_submit

    settings.LLM_BATCH_POLL_INITIAL = 0.0
    samples, submit_samples, collect_samples, database_samples = [], [], [], []
    for round_number in range(rounds + 1):  # the first round warms up
        endpoint = batch_endpoint(base_url, f"cpu-{round_number}", max_requests=50_000)
        run = batch_run(endpoint, trials, f"cpu-{round_number}")
        count = Trial.objects.filter(run=run).count()
        cpu, db = time.process_time(), backend_cpu_seconds()
        batches_submit(run=run)
        database = backend_cpu_seconds() - db
        submitted = time.process_time() - cpu + database
        # The mock answers a batch when it is first asked after its delay; let it do that now so
        # its work does not fall into the platform's measurement (it is another process anyway).
        for batch in ProviderBatch.objects.filter(run=run):
            from llmruns.services.batch.common import _client, _endpoint

            client, _key = _client(_endpoint(run.config, endpoint.pk))
            client.batches.retrieve(batch.provider_batch_id)
        cpu, db = time.process_time(), backend_cpu_seconds()
        for batch_id in ProviderBatch.objects.filter(run=run).values_list("pk", flat=True):
            batch_poll(batch_id=batch_id)
        database += backend_cpu_seconds() - db
        collected = time.process_time() - cpu + backend_cpu_seconds() - db
        run.refresh_from_db()
        assert run.status == RunStatus.FINISHED, run.status
        if round_number:
            samples.append((submitted + collected) / count * 1000)
            submit_samples.append(submitted / count * 1000)
            collect_samples.append(collected / count * 1000)
            database_samples.append(database / count * 1000)
        Run.objects.filter(pk=run.pk).delete()
    print(
        f"platform CPU per trial in batch mode ({count} trials a round, {rounds} rounds, "
        f"process + database server): median {median(samples):.3f} ms "
        f"(submit {median(submit_samples):.3f} ms, collect {median(collect_samples):.3f} ms; "
        f"of which the database server {median(database_samples):.3f} ms; "
        f"min {min(samples):.3f}, max {max(samples):.3f}); target <= 1 ms"
    )


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def collect_in_child(warm_up_id: int, batch_id: int) -> None:
    """The child: an idle worker's footprint (after collecting a small batch, as a worker that
    has run before), then the collection of one large batch."""
    import django

    django.setup()
    from django.db import connection

    from llmruns.models import ProviderBatch
    from llmruns.services.batch import batch_lines_store, batch_poll

    connection.ensure_connection()
    batch = ProviderBatch.objects.select_related("run").get(pk=batch_id)
    batch_lines_store(batch=batch, lines=[], api_key="")
    batch_poll(batch_id=warm_up_id)
    idle = rss_bytes()
    began = time.perf_counter()
    outcome = batch_poll(batch_id=batch_id)
    elapsed = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"idle": idle, "peak": peak, "outcome": outcome, "seconds": elapsed}))


def bench_memory(base_url: str, trials: int) -> None:
    from django.conf import settings

    from llmruns.models import ProviderBatch, Trial
    from llmruns.services.batch import batches_submit
    from llmruns.services.batch.common import _client, _endpoint

    endpoint = batch_endpoint(base_url, "memory", max_requests=10**6)
    warm_up = batch_run(endpoint, 60, "memory warm-up")
    batches_submit(run=warm_up)
    warm_up_batch = ProviderBatch.objects.get(run=warm_up)
    run = batch_run(endpoint, trials, "memory")
    batches_submit(run=run)
    batch = ProviderBatch.objects.get(run=run)
    client, _key = _client(_endpoint(run.config, endpoint.pk))
    remote = client.batches.retrieve(batch.provider_batch_id)  # the mock answers it now
    size = client.files.retrieve(remote.output_file_id).bytes
    database = settings.DATABASES["default"]
    env = dict(os.environ)
    if database["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    env["LLM_BATCH_POLL_INITIAL"] = "0"
    result = subprocess.run(
        [sys.executable, __file__, "--collect-batch", str(warm_up_batch.pk), str(batch.pk)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    done = Trial.objects.filter(run=run, status__in=["ok", "invalid", "refused"]).count()
    print(
        f"collecting one output file of {batch.request_count} lines ({size / 1e6:.1f} MB): "
        f"idle worker {figures['idle'] / 1e6:.0f} MB, peak {figures['peak'] / 1e6:.0f} MB, "
        f"peak above idle {(figures['peak'] - figures['idle']) / 1e6:.1f} MB (target <= 100 MB); "
        f"{done} trials stored in {figures['seconds']:.1f} s ({figures['outcome']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=50_000, help="lines in the memory test")
    parser.add_argument("--cpu-trials", type=int, default=6_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--collect-batch", type=int, nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.collect_batch:
        collect_in_child(*arguments.collect_batch)
        return
    old = setup_django(sqlite_name="bench_batch.sqlite3")
    mock, base_url = start_mock()
    try:
        print(machine())
        bench_cpu(base_url, arguments.cpu_trials, arguments.rounds)
        if not arguments.skip_memory:
            bench_memory(base_url, arguments.trials)
    finally:
        mock.terminate()
        teardown_django(old)


if __name__ == "__main__":
    main()
