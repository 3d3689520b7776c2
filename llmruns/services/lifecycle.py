"""A run's life after it is defined: dispatch in chunks, finish, reap, cancel, resume, progress.

Work is queued a chunk at a time (bounded by the endpoints' rates and the lease), so a
100,000-trial run never floods the broker. The reaper returns expired leases and lost messages to
the queue; it is what makes a killed worker or a restarted broker lose nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from llmruns.models import Attempt, Run, RunStatus, Trial, TrialStatus

IN_FLIGHT = "in flight"
WORKER_LOST = "worker lost before the response was stored"


def _in_flight_cap(run: Run) -> int:
    lease_minutes = settings.LLM_LEASE_SECONDS / 60
    by_rate = sum(
        max(2 * e.max_concurrency, int(e.max_requests_per_minute * lease_minutes / 2))
        for e in run.endpoints.all()
    )
    return max(1, min(settings.LLM_ENQUEUE_CHUNK, by_rate))


def run_dispatch(*, run_id: int) -> tuple[int, bool]:
    """Queue the next chunk of a running run's pending trials. Returns (queued, more_to_queue)."""
    from llmruns.tasks import execute_trial

    run = Run.objects.filter(pk=run_id).prefetch_related("endpoints").first()
    if run is None or run.status != RunStatus.RUNNING:
        return 0, False
    pending = Trial.objects.filter(run_id=run_id, status=TrialStatus.PENDING)
    in_flight = (
        pending.filter(enqueued_at__isnull=False).count()
        + Trial.objects.filter(run_id=run_id, status=TrialStatus.RUNNING).count()
    )
    room = _in_flight_cap(run) - in_flight
    ids: list[int] = []
    if room > 0:
        candidates = list(
            pending.filter(enqueued_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:room]
        )
        now = timezone.now()
        with transaction.atomic():
            Trial.objects.filter(pk__in=candidates, enqueued_at__isnull=True).update(
                enqueued_at=now
            )
            ids = candidates
            transaction.on_commit(lambda: [execute_trial.delay(pk) for pk in ids])
    more = pending.filter(enqueued_at__isnull=True).exists()
    if not more and not ids:
        run_finish_if_done(run_id=run_id)
    return len(ids), more


_OPEN_TRIAL_SQL = (
    f"SELECT 1 FROM {Trial._meta.db_table} WHERE run_id = %s AND status IN (%s, %s) LIMIT 1"  # noqa: S608
)


def run_finish_if_done(*, run_id: int) -> bool:
    """Mark a running run finished once no trial is open. Every finishing trial asks, so the
    question is one indexed query in SQL (cheaper than compiling it through the ORM each time)."""
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_TRIAL_SQL, [run_id, TrialStatus.PENDING, TrialStatus.RUNNING])
        if cursor.fetchone() is not None:
            return False
    return bool(
        Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FINISHED, finished_at=timezone.now()
        )
    )


def trials_reap(*, now=None) -> dict[str, int]:
    """Return expired leases and lost queue messages to the queue, then re-dispatch running runs."""
    from llmruns.tasks import dispatch_run

    now = now or timezone.now()
    expired_trials = Trial.objects.filter(status=TrialStatus.RUNNING, lease_expires_at__lt=now)
    Attempt.objects.filter(trial__in=expired_trials, error=IN_FLIGHT).update(error=WORKER_LOST)
    expired = expired_trials.update(
        status=TrialStatus.PENDING, lease_owner="", lease_expires_at=None, enqueued_at=None
    )
    lost = Trial.objects.filter(
        status=TrialStatus.PENDING,
        enqueued_at__lt=now - timedelta(seconds=settings.LLM_LEASE_SECONDS),
    ).update(enqueued_at=None)
    running_runs = list(Run.objects.filter(status=RunStatus.RUNNING).values_list("pk", flat=True))
    for run_id in running_runs:
        dispatch_run.delay(run_id)
    return {"expired_leases": expired, "lost_messages": lost, "runs_dispatched": len(running_runs)}


@transaction.atomic
def run_cancel(*, run: Run) -> Run:
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status not in (RunStatus.RUNNING, RunStatus.DRAFT):
        raise ValidationError({"status": [f"a {run.status} run cannot be cancelled"]})
    run.status = RunStatus.CANCELLED
    run.save(update_fields=["status"])
    Trial.objects.filter(run=run, status=TrialStatus.PENDING).update(
        status=TrialStatus.CANCELLED, enqueued_at=None, finished_at=timezone.now()
    )
    return run


def _requeue(run: Run, statuses: list[str]) -> int:
    from llmruns.tasks import dispatch_run

    changed = Trial.objects.filter(run=run, status__in=statuses).update(
        status=TrialStatus.PENDING,
        enqueued_at=None,
        lease_owner="",
        lease_expires_at=None,
        finished_at=None,
    )
    run.status = RunStatus.RUNNING
    run.finished_at = None
    run.save(update_fields=["status", "finished_at"])
    transaction.on_commit(lambda: dispatch_run.delay(run.pk))
    return changed


@transaction.atomic
def run_resume(*, run: Run) -> int:
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.CANCELLED:
        raise ValidationError(
            {"status": [f"only a cancelled run can be resumed; this one is {run.status}"]}
        )
    return _requeue(run, [TrialStatus.CANCELLED])


@transaction.atomic
def run_retry_failed(*, run: Run) -> int:
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status not in (RunStatus.FINISHED, RunStatus.RUNNING):
        raise ValidationError(
            {"status": [f"failed trials of a {run.status} run cannot be retried"]}
        )
    return _requeue(run, [TrialStatus.FAILED])


def run_progress(*, run: Run) -> dict:
    """Counts per status, calls per minute, tokens, cost so far and an estimate of time left."""
    totals = Trial.objects.filter(run=run).aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in TrialStatus.values},
    )
    sums = Trial.objects.filter(run=run).aggregate(
        input_tokens=Sum("input_tokens"), output_tokens=Sum("output_tokens"), cost=Sum("cost")
    )
    window = timezone.now() - timedelta(minutes=5)
    recent_calls = Attempt.objects.filter(trial__run=run, started_at__gte=window).count()
    recent_done = Trial.objects.filter(run=run, finished_at__gte=window).count()
    remaining = totals["pending"] + totals["running"]
    per_minute_done = recent_done / 5
    return {
        "total": totals["total"],
        "counts": {status: totals[status] for status in TrialStatus.values},
        "calls_per_minute": round(recent_calls / 5, 2),
        "input_tokens": sums["input_tokens"] or 0,
        "output_tokens": sums["output_tokens"] or 0,
        "cost": str(sums["cost"] or Decimal(0)),
        "seconds_left": round(remaining / per_minute_done * 60)
        if per_minute_done and remaining
        else None,
    }
