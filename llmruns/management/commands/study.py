"""Scripted studies: create, start, watch (with a progress bar) and export a run from a study file."""

from __future__ import annotations

import sys
import time
from collections import Counter

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from llmruns.models import Run, RunStatus
from llmruns.services import run_estimate, run_progress, run_start
from llmruns.studyfile import read_study_file, study_create


def _run(run_id: int) -> Run:
    try:
        return Run.objects.get(pk=run_id)
    except Run.DoesNotExist as exc:
        raise CommandError(f"no run with id {run_id}") from exc


def _fail(exc: ValidationError) -> CommandError:
    if hasattr(exc, "error_dict"):
        lines = [f"{field}: {'; '.join(messages)}" for field, messages in exc.message_dict.items()]
    else:
        lines = exc.messages
    return CommandError("\n".join(lines))


class Command(BaseCommand):
    help = "Create, start, watch and export runs from a study file (TOML or YAML)."

    def add_arguments(self, parser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="create a run (a draft unless --start)")
        create.add_argument("file")
        create.add_argument("--start", action="store_true")
        start = commands.add_parser("start", help="start a draft run")
        start.add_argument("run_id", type=int)
        watch = commands.add_parser("watch", help="show progress until the run ends")
        watch.add_argument("run_id", type=int)
        watch.add_argument("--interval", type=float, default=2.0)
        export = commands.add_parser("export", help="write the run's trials (one row per trial)")
        export.add_argument("run_id", type=int)
        export.add_argument("--format", choices=["csv", "parquet", "jsonl"], default="csv")
        export.add_argument("--output", required=True)

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_create(self, *, file: str, start: bool, **_options) -> None:
        try:
            run = study_create(data=read_study_file(file), start=start)
        except ValidationError as exc:
            raise _fail(exc) from exc
        estimate = run_estimate(run=run)
        low = estimate["cost_range"]["low"]
        if estimate["cost"] is None:
            self.stdout.write(
                f"run {run.pk} ({run.status}): {estimate['calls']} calls, estimated cost "
                f"unknown ({estimate['execution']} execution): the reasoning tokens of a "
                f"reasoning model cannot be estimated; at least {low} without them"
            )
        else:
            self.stdout.write(
                f"run {run.pk} ({run.status}): {estimate['calls']} calls, estimated cost "
                f"{estimate['cost']} ({estimate['execution']} execution; live price "
                f"{estimate['cost_live']}, batch price {estimate['cost_batch'] or 'not offered'})"
            )
        basis = {
            "observed": "the median of the endpoints' answered trials",
            "assumed": "an assumed figure per kind, uncertain",
        }.get(estimate["reasoning_basis"])
        if basis is not None:
            self.stdout.write(
                f"  including {estimate['reasoning_tokens']} reasoning tokens ({basis}; see "
                "reasoning_note in the run's estimate)"
            )
        if estimate["cost"] is not None and low is not None and low != estimate["cost"]:
            self.stdout.write(
                f"  with prompt caching about {low} (live {estimate['cost_live_cached']}, "
                f"batch {estimate['cost_batch_cached'] or 'not offered'}): the prompt prefix the "
                "calls share read from the provider's cache, if it caches"
            )

    def do_start(self, *, run_id: int, **_options) -> None:
        try:
            run = run_start(run=_run(run_id))
        except ValidationError as exc:
            raise _fail(exc) from exc
        self.stdout.write(f"run {run.pk} started")

    def do_watch(self, *, run_id: int, interval: float, **_options) -> None:
        run = _run(run_id)
        while True:
            progress = run_progress(run=run)
            total = progress["total"] or 1
            done = progress["done"]
            width = 40
            filled = int(width * done / total)
            left = progress["seconds_left"]
            sys.stdout.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{progress['total']} "
                f"ok {progress['counts']['ok']} invalid {progress['counts']['invalid']} "
                f"refused {progress['counts']['refused']} failed {progress['counts']['failed']} "
                f"{progress['calls_per_minute']}/min cost {progress['cost']}"
                f"{f' ~{left}s left' if left else ''}   "
            )
            if batch := progress.get("batch"):
                statuses = Counter(b["provider_status"] or b["phase"] for b in batch["batches"])
                sys.stdout.write(
                    f"\n  batch: submitted {batch['submitted']}, in open batches "
                    f"{batch['in_open_batches']}, done {batch['done']}; batches "
                    + (
                        ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
                        or "none"
                    )
                    + "\n"
                )
            sys.stdout.flush()
            run.refresh_from_db(fields=["status"])
            if run.status != RunStatus.RUNNING:
                sys.stdout.write(f"\nrun {run.pk} is {run.status}\n")
                return
            time.sleep(interval)

    def do_export(self, *, run_id: int, format: str, output: str, **_options) -> None:
        from llmruns.analysis.exports import encode, trial_export

        run = _run(run_id)
        with open(output, "wb") as handle:
            for chunk in encode(trial_export(run=run), format):
                handle.write(chunk)
        self.stdout.write(f"wrote the {run.trials.count()} trials of run {run.pk} to {output}")
