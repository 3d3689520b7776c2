"""Peak memory of streaming a 1,000,000-trial export as CSV, Parquet and JSON lines.

Target (DESIGN.md): 1,000,000 trials to CSV or Parquet streamed with peak memory <= 300 MB.

The parent creates a run of `--trials` trials with bulk_create in a throwaway database (SQLite
in a temporary folder, or a `test_...` PostgreSQL database when DATABASE_URL points at one),
then starts one child process per format. Each child requests the export through the real view
(Django test client, a researcher signed in), reads the streamed body to the end and reports
its peak RSS (`resource.getrusage`) before and after; with `--tracemalloc` a second child per
format also reports the peak of the Python heap. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_export.py [--trials 1000000] [--tracemalloc]
        [--formats csv parquet jsonl]

pyarrow's default allocator (mimalloc) keeps memory it has freed; with
ARROW_DEFAULT_MEMORY_POOL=system in the environment the Parquet figures show the difference.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

FORMATS = ("csv", "parquet", "jsonl")
KINDS = ("interest", "self_competence", "work_sample", "self_review")
LANGUAGES = ("en", "zh-hans")
ENDPOINTS = 4
SHORT_ANSWER = "I would rate this a 4 on the scale: I like this kind of activity quite a lot."
WORK_SAMPLE = (
    "Here is how I would approach the task, step by step, with the reasoning for each step "
    "and what I would check before handing it over. "
) * 8
RESEARCHER = "bench_export_researcher"


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup_django(database_name: str | None = None) -> None:
    import django

    django.setup()
    if database_name:
        from django.db import connections

        connections["default"].settings_dict["NAME"] = database_name


def create_trials(total: int) -> int:
    """A finished run with `total` trials (about a quarter of them long work samples)."""
    from django.contrib.auth import get_user_model

    from careers.accounts import role_groups_ensure
    from careers.permissions import RESEARCHER as RESEARCHER_ROLE
    from careers.services import instrument_load_file
    from llmruns.models import ModelEndpoint, Run

    instrument = instrument_load_file()
    items = list(instrument.items.order_by("number"))
    endpoints = [
        ModelEndpoint.objects.create(
            name=f"bench-{index}", base_url="http://127.0.0.1:9/v1", model=f"bench-{index}"
        )
        for index in range(ENDPOINTS)
    ]
    per_replication = ENDPOINTS * len(LANGUAGES) * len(KINDS) * len(items)
    replications = -(-total // per_replication)
    run = Run.objects.create(
        name="bench export",
        instrument=instrument,
        languages=list(LANGUAGES),
        kinds=list(KINDS),
        replications=replications,
        status="finished",
        config={
            "templates": {
                f"{kind}/{language}/1": {"version": 1} for kind in KINDS for language in LANGUAGES
            }
        },
    )
    run.endpoints.set(endpoints)
    _insert_trials(run=run, endpoints=endpoints, items=items, total=total)
    user = get_user_model().objects.create_user(username=RESEARCHER, password="x")
    user.groups.add(role_groups_ensure()[RESEARCHER_ROLE])
    return run.pk


def _insert_trials(*, run, endpoints, items, total: int) -> None:
    """Insert the trials with executemany: the values of a template trial prepared once by the
    fields themselves, only the cell and the answer varying per row (bulk_create of a million
    objects takes many minutes; this takes seconds)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from llmruns.models import Trial

    now = timezone.now()
    template = Trial(
        run=run,
        endpoint=endpoints[0],
        language="en",
        item=items[0],
        kind="interest",
        replication=1,
        status="ok",
        value=1,
        text=SHORT_ANSWER,
        input_tokens=120,
        output_tokens=20,
        cost="0.00042000",
        latency_ms=850.0,
        attempt_count=1,
        started_at=now,
        finished_at=now,
    )
    fields = [field for field in Trial._meta.concrete_fields if not field.primary_key]
    prepared = [
        field.get_db_prep_save(field.pre_save(template, add=True), connection) for field in fields
    ]
    position = {field.attname: index for index, field in enumerate(fields)}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {Trial._meta.db_table} ({columns}) VALUES ({placeholders})"

    def rows():
        made = 0
        for replication in range(1, run.replications + 1):
            for endpoint in endpoints:
                for language in LANGUAGES:
                    for kind in KINDS:
                        is_sample = kind == "work_sample"
                        for item in items:
                            if made == total:
                                return
                            row = list(prepared)
                            row[position["endpoint_id"]] = endpoint.pk
                            row[position["language"]] = language
                            row[position["item_id"]] = item.pk
                            row[position["kind"]] = kind
                            row[position["replication"]] = replication
                            row[position["value"]] = (
                                None if is_sample else 1 + (item.number + replication) % 5
                            )
                            row[position["text"]] = WORK_SAMPLE if is_sample else SHORT_ANSWER
                            row[position["output_tokens"]] = 300 if is_sample else 20
                            made += 1
                            yield row

    with transaction.atomic(), connection.cursor() as cursor:
        batch: list[list] = []
        for row in rows():
            batch.append(row)
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def child(arguments: argparse.Namespace) -> None:
    """Stream one export through the view and report memory as one JSON line."""
    import tracemalloc

    _setup_django(arguments.database)
    from django.contrib.auth import get_user_model
    from django.test import Client

    import ratings.api.stats_views  # noqa: F401 - import everything before the baseline

    client = Client()
    client.force_login(get_user_model().objects.get(username=RESEARCHER))
    baseline = _peak_rss_mb()
    if arguments.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(f"/api/v1/runs/{arguments.run}/trials/?format={arguments.format}")
    size = chunks = 0
    with open(os.devnull, "wb") as sink:
        for chunk in response.streaming_content:
            sink.write(chunk)
            size += len(chunk)
            chunks += 1
    seconds = time.perf_counter() - started
    python_peak = tracemalloc.get_traced_memory()[1] if arguments.tracemalloc else None
    print(
        json.dumps(
            {
                "format": arguments.format,
                "status": response.status_code,
                "bytes": size,
                "chunks": chunks,
                "seconds": seconds,
                "rss_baseline_mb": baseline,
                "rss_peak_mb": _peak_rss_mb(),
                "python_heap_peak_mb": None if python_peak is None else python_peak / 2**20,
            }
        )
    )


def _run_child(
    database: str, run_id: int, export_format: str, *, traced: bool
) -> dict[str, object]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--database",
        database,
        "--run",
        str(run_id),
        "--format",
        export_format,
    ]
    if traced:
        command.append("--tracemalloc")
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if completed.returncode != 0:
        raise RuntimeError(f"the {export_format} export failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def parent(arguments: argparse.Namespace) -> None:
    _setup_django()
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    database = connections["default"].settings_dict
    temporary = None
    if database["ENGINE"].endswith("sqlite3"):
        temporary = tempfile.TemporaryDirectory(prefix="bench-export-")
        database["TEST"]["NAME"] = str(Path(temporary.name) / "bench.sqlite3")
    else:
        database["TEST"]["NAME"] = "test_vocationlab_bench_export"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        started = time.perf_counter()
        run_id = create_trials(arguments.trials)
        connections.close_all()
        name = database["NAME"]
        engine = database["ENGINE"].rsplit(".", 1)[-1]
        print(
            f"data: {arguments.trials:,} trials ({engine}), created in "
            f"{time.perf_counter() - started:.0f} s"
        )
        print(
            f"{'format':<8} {'rows/s':>9} {'size MB':>9} {'chunks':>7} {'seconds':>8} "
            f"{'RSS before':>11} {'RSS peak':>9} {'growth':>7} {'heap peak':>10}"
        )
        for export_format in arguments.formats:
            result = _run_child(name, run_id, export_format, traced=False)
            heap = "-"
            if arguments.tracemalloc:
                traced = _run_child(name, run_id, export_format, traced=True)
                heap = f"{traced['python_heap_peak_mb']:.1f} MB"
            growth = result["rss_peak_mb"] - result["rss_baseline_mb"]
            print(
                f"{export_format:<8} {arguments.trials / result['seconds']:>9,.0f} "
                f"{result['bytes'] / 2**20:>9.1f} {result['chunks']:>7} "
                f"{result['seconds']:>8.1f} {result['rss_baseline_mb']:>8.0f} MB "
                f"{result['rss_peak_mb']:>6.0f} MB {growth:>4.0f} MB {heap:>10}"
            )
        print("target: peak RSS <= 300 MB for CSV and Parquet")
    finally:
        connections.close_all()
        teardown_databases(old_config, verbosity=0)
        if temporary is not None:
            temporary.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--format", choices=FORMATS, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
    else:
        parent(arguments)


if __name__ == "__main__":
    main()
