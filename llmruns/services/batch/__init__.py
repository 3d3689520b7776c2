"""Batch execution: a run's trials through a provider's batch API, exactly once and resumable.

Batch APIs answer within hours at about half the live price. A batch is planned, uploaded,
created at the provider, polled and collected in steps that Celery beat drives, and each step is
recorded before and after its provider call:

- planning claims pending trials (pending -> running, leased to the batch with no expiry, so the
  live reaper leaves them alone) and writes one Attempt per request, in one transaction;
- the input file is named after the platform's batch key and the batch carries the key in its
  `metadata`, so a worker that dies after uploading, or after creating the batch but before
  recording it, is followed by one that finds the file and the batch at the provider and adopts
  them instead of submitting the same trials twice;
- collection streams the output and error files line by line; a line maps to its Attempt by
  `custom_id` (trial and attempt number) and is used only while that Attempt is still open, in the
  same transaction that stores the trial, so a second download of a file changes nothing;
- answered lines are parsed and stored by the live path's own code, at the batch price; errored
  lines and requests an expired, cancelled or failed batch left unanswered go back to pending while
  attempts remain (the next batch takes them, or live calls if the run allows), else they fail
  with the reason.

A step holds a lease on its batch row (a conditional update), so two beat ticks never work on
the same batch, and a crashed step is taken up again once its lease lapses.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Q
from django.utils import timezone

from llmruns.models import (
    FINAL_TRIAL_STATUSES,
    Attempt,
    BatchPhase,
    Execution,
    ProviderBatch,
    Run,
    RunStatus,
    Trial,
)
from llmruns.services.batch.collection import (
    _abandon,
    batch_collect,
    batch_lines_store,
    batch_poll,
    batch_unanswered_settle,
    batches_cancel,
)
from llmruns.services.batch.common import (
    BATCH_KEY_METADATA,
    IN_BATCH,
    batch_bound,
    custom_id_for,
    custom_id_parse,
)
from llmruns.services.batch.submission import batch_plan, batch_push, batches_submit
from llmruns.services.lifecycle import run_finish_if_done

# -- the beat tick -----------------------------------------------------------------------------


def batches_advance() -> dict[str, int]:
    """One beat tick: resume interrupted submissions, submit waiting trials, poll due batches.

    Every step leases its batch, so ticks that overlap share the work without doing any twice.
    """
    now = timezone.now()
    done: dict[str, int] = defaultdict(int)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due = Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
    unsubmitted = ProviderBatch.objects.filter(
        free, due, phase__in=[BatchPhase.PLANNED, BatchPhase.UPLOADED]
    ).values_list("pk", "run__status")
    for batch_id, run_status in list(unsubmitted):
        if run_status == RunStatus.CANCELLED:
            done[_abandon(batch_id)] += 1
        else:
            done[batch_push(batch_id=batch_id)] += 1
    for run in Run.objects.filter(status=RunStatus.RUNNING, execution=Execution.BATCH):
        done["submitted"] += batches_submit(run=run)
    polled = ProviderBatch.objects.filter(free, due, phase=BatchPhase.SUBMITTED)
    for batch_id in list(polled.order_by("next_poll_at").values_list("pk", flat=True)):
        done[batch_poll(batch_id=batch_id)] += 1
    running = Run.objects.filter(status=RunStatus.RUNNING, execution=Execution.BATCH)
    for run_id in running.values_list("pk", flat=True):
        run_finish_if_done(run_id=run_id)
    return dict(done)


# -- progress ----------------------------------------------------------------------------------


def batch_progress(*, run: Run) -> dict:
    """Trials submitted, in open batches and done, and each batch with its provider status.

    Only a batch the provider created (it has a provider batch id) counts as submitted: one still
    being uploaded, or refused or abandoned before it reached the provider, never was, and its
    trials, though leased to it, are not in flight.
    """
    at_provider = Attempt.objects.filter(batch__run=run).exclude(batch__provider_batch_id="")
    submitted = at_provider.values("trial_id").distinct().count()
    # An attempt still waiting for its line is one request of an open batch.
    in_open = (
        at_provider.filter(batch__phase=BatchPhase.SUBMITTED, error=IN_BATCH)
        .values("trial_id")
        .distinct()
        .count()
    )
    done = Trial.objects.filter(run=run, status__in=FINAL_TRIAL_STATUSES).count()
    batches = [
        {
            **row,
            **{
                moment: _iso(row[moment])
                for moment in ("created_at", "submitted_at", "collected_at")
            },
        }
        for row in ProviderBatch.objects.filter(run=run)
        .order_by("-created_at")
        .values(
            "key",
            "provider_batch_id",
            "endpoint__name",
            "phase",
            "provider_status",
            "request_count",
            "completed_count",
            "failed_count",
            "collected_count",
            "created_at",
            "submitted_at",
            "collected_at",
        )[:100]
    ]
    return {
        "submitted": submitted,
        "in_open_batches": in_open,
        "done": done,
        "batches": batches,
    }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


__all__ = [
    "BATCH_KEY_METADATA",
    "IN_BATCH",
    "batch_bound",
    "batch_collect",
    "batch_lines_store",
    "batch_plan",
    "batch_poll",
    "batch_progress",
    "batch_push",
    "batches_advance",
    "batches_cancel",
    "batches_submit",
    "batch_unanswered_settle",
    "custom_id_for",
    "custom_id_parse",
]
