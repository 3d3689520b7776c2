"""A run's life after it is defined: dispatch in chunks, finish, reap, cancel, resume, progress.

Work is queued a chunk at a time (bounded by the endpoints' rates and the lease), so a
100,000-trial run never floods the broker; a message carries a small batch of one endpoint's
trials, so the queue's per-message cost is shared. The reaper returns expired leases and lost
messages to the queue; it is what makes a killed worker or a restarted broker lose nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from config.errors import Conflict
from llmruns.models import Attempt, Execution, ModelEndpoint, Run, RunStatus, Trial, TrialStatus

IN_FLIGHT = "in flight"
WORKER_LOST = "worker lost before the response was stored"
MAX_TRIALS_PER_MESSAGE = 10


def _endpoint_in_flight_cap(endpoint: ModelEndpoint) -> int:
    """Trials of one endpoint worth having queued or running: what its rate gets through in half a
    lease (so a queued trial is not taken for a lost message), and two rounds of its concurrency."""
    lease_minutes = settings.LLM_LEASE_SECONDS / 60
    return max(
        2 * endpoint.max_concurrency, int(endpoint.max_requests_per_minute * lease_minutes / 2)
    )


def _in_flight_cap(run: Run) -> int:
    by_rate = sum(_endpoint_in_flight_cap(e) for e in run.endpoints.all())
    return max(1, min(settings.LLM_ENQUEUE_CHUNK, by_rate))


def trials_per_message(endpoint: ModelEndpoint) -> int:
    """How many of an endpoint's trials one queue message carries.

    At most MAX_TRIALS_PER_MESSAGE, so a message is a few calls' work; few enough that the trials
    the endpoint may have in flight fill at least `max_concurrency` messages, so batching never
    leaves a permitted concurrent call without a worker; and few enough that the batch's calls,
    at the endpoint's pace, take at most a quarter of a lease.
    """
    window = min(settings.LLM_ENQUEUE_CHUNK, _endpoint_in_flight_cap(endpoint))
    by_concurrency = window // max(1, endpoint.max_concurrency)
    by_pace = int(endpoint.max_requests_per_minute * settings.LLM_LEASE_SECONDS / 60 / 4)
    return max(1, min(MAX_TRIALS_PER_MESSAGE, by_concurrency, by_pace))


def _batches(run: Run, trials: Iterable[tuple[int, int]]) -> list[list[int]]:
    """(trial id, endpoint id) pairs in queue order -> messages of one endpoint's trials each."""
    sizes = {e.pk: trials_per_message(e) for e in run.endpoints.all()}
    open_batches: dict[int, list[int]] = {}
    batches: list[list[int]] = []
    for trial_id, endpoint_id in trials:
        batch = open_batches.setdefault(endpoint_id, [])
        if not batch:
            batches.append(batch)
        batch.append(trial_id)
        if len(batch) >= sizes.get(endpoint_id, 1):
            open_batches[endpoint_id] = []
    return batches


def run_dispatch(*, run_id: int) -> tuple[int, bool]:
    """Queue the next chunk of a running run's pending trials, a small batch per message.
    Returns (trials queued, more_to_queue)."""
    from llmruns.tasks import execute_trials

    run = Run.objects.filter(pk=run_id).prefetch_related("endpoints").first()
    if run is None or run.status != RunStatus.RUNNING:
        return 0, False
    pending = Trial.objects.filter(run_id=run_id, status=TrialStatus.PENDING)
    if run.execution == Execution.BATCH:
        # Batches are submitted by the beat tick; live calls take only the retries the run
        # allows to go live.
        retry_live = (run.config.get("execution") or {}).get("retry_live")
        pending = pending.filter(attempt_count__gt=0) if retry_live else pending.none()
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
            .values_list("pk", "endpoint_id")[:room]
        )
        ids = [pk for pk, _endpoint_id in candidates]
        batches = _batches(run, candidates)
        now = timezone.now()
        with transaction.atomic():
            Trial.objects.filter(pk__in=ids, enqueued_at__isnull=True).update(enqueued_at=now)
            transaction.on_commit(lambda: [execute_trials.delay(batch) for batch in batches])
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
    """Return expired leases and lost queue messages to the queue, then re-dispatch running runs.

    A trial whose lease expired in a cancelled run ends cancelled instead: back in the queue, it
    would be pending in a run that never runs it. Each run's trials are reaped holding the run's
    row lock, which run_cancel and run_resume take too, so the run cannot change state meanwhile.
    Rows are locked in the order a worker storing an outcome locks them (attempts, trial, run),
    so the two cannot deadlock.
    """
    from llmruns.tasks import dispatch_run

    now = now or timezone.now()
    expired_trials = Trial.objects.filter(status=TrialStatus.RUNNING, lease_expires_at__lt=now)
    expired = 0
    run_ids = expired_trials.order_by("run_id").values_list("run_id", flat=True).distinct()
    for run_id in list(run_ids):
        with transaction.atomic():
            trials = expired_trials.filter(run_id=run_id)
            Attempt.objects.filter(trial__in=trials, error=IN_FLIGHT).update(error=WORKER_LOST)
            trial_ids = list(trials.select_for_update().values_list("pk", flat=True))
            run_status = (
                Run.objects.select_for_update().values_list("status", flat=True).get(pk=run_id)
            )
            if run_status == RunStatus.CANCELLED:
                back_to = {"status": TrialStatus.CANCELLED, "finished_at": timezone.now()}
            else:
                back_to = {"status": TrialStatus.PENDING}
            expired += Trial.objects.filter(pk__in=trial_ids).update(
                lease_owner="", lease_expires_at=None, enqueued_at=None, **back_to
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
    if run.status not in (RunStatus.RUNNING, RunStatus.DRAFT, RunStatus.PREPARING):
        raise Conflict(f"a {run.status} run cannot be cancelled")
    run.status = RunStatus.CANCELLED
    run.save(update_fields=["status"])
    Trial.objects.filter(run=run, status=TrialStatus.PENDING).update(
        status=TrialStatus.CANCELLED, enqueued_at=None, finished_at=timezone.now()
    )
    if run.execution == Execution.BATCH:
        from llmruns.tasks import cancel_run_batches

        transaction.on_commit(lambda: cancel_run_batches.delay(run.pk))
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
        raise Conflict(f"only a cancelled run can be resumed; this one is {run.status}")
    from llmruns.services.preparation import run_grid_size

    planned = run_grid_size(config=run.config, replications=run.replications)
    if run.started_at is None and Trial.objects.filter(run=run).count() < planned:
        # Cancelled while it was being prepared: finish preparing, then start.
        from llmruns.tasks import prepare_run

        Trial.objects.filter(run=run, status=TrialStatus.CANCELLED).update(
            status=TrialStatus.PENDING, finished_at=None
        )
        run.status = RunStatus.PREPARING
        run.save(update_fields=["status"])
        transaction.on_commit(lambda: prepare_run.delay(run.pk, True))
        return 0
    return _requeue(run, [TrialStatus.CANCELLED])


@transaction.atomic
def run_retry_failed(*, run: Run) -> int:
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status not in (RunStatus.FINISHED, RunStatus.RUNNING):
        raise Conflict(f"failed trials of a {run.status} run cannot be retried")
    return _requeue(run, [TrialStatus.FAILED])


def run_progress(*, run: Run) -> dict:
    """Counts per status against the run's fixed planned total, rates, cost, time left.

    `total` is planned from the frozen configuration and never changes during the run. Trials
    planned but not yet created (a self-review waits for its work sample) are `waiting`; the
    self-reviews of work samples that ended without an answer are `not_needed` and count as done.
    """
    from llmruns.services.definition import methods_for, run_planned_trials

    totals = Trial.objects.filter(run=run).aggregate(
        created=Count("pk"),
        work_samples_unanswered=Count(
            "pk",
            filter=Q(
                kind="work_sample",
                status__in=[TrialStatus.INVALID, TrialStatus.REFUSED, TrialStatus.FAILED],
            ),
        ),
        **{status: Count("pk", filter=Q(status=status)) for status in TrialStatus.values},
    )
    sums = Trial.objects.filter(run=run).aggregate(
        input_tokens=Sum("input_tokens"),
        cached_input_tokens=Sum("cached_input_tokens"),
        output_tokens=Sum("output_tokens"),
        cost=Sum("cost"),
    )
    window = timezone.now() - timedelta(minutes=5)
    recent_calls = Attempt.objects.filter(trial__run=run, started_at__gte=window).count()
    recent_done = Trial.objects.filter(run=run, finished_at__gte=window).count()
    planned = run_planned_trials(config=run.config, replications=run.replications)
    reviews_per_sample = (
        len(methods_for(run.config, kind="self_review"))
        if "self_review" in run.config["kinds"]
        else 0
    )
    not_needed = totals["work_samples_unanswered"] * reviews_per_sample
    # Never below what exists: a total that moved would make the progress bar go backwards.
    total = max(planned, totals["created"] + not_needed)
    waiting = total - totals["created"] - not_needed
    remaining = totals["pending"] + totals["running"] + waiting
    per_minute_done = recent_done / 5
    from llmruns.services.preparation import run_preparation

    progress = {
        "total": total,
        "done": total - remaining,
        "created": totals["created"],
        "waiting": waiting,
        "not_needed": not_needed,
        "preparation": run_preparation(run=run, trial_count=totals["created"]),
        "counts": {status: totals[status] for status in TrialStatus.values},
        "calls_per_minute": round(recent_calls / 5, 2),
        "input_tokens": sums["input_tokens"] or 0,
        "cached_input_tokens": sums["cached_input_tokens"] or 0,
        "output_tokens": sums["output_tokens"] or 0,
        "cost": str(sums["cost"] or Decimal(0)),
        "seconds_left": round(remaining / per_minute_done * 60)
        if per_minute_done and remaining
        else None,
        "note": "total is planned from the start: a self-review counts before it is created "
        "(waiting) and, when its work sample got no usable answer, as not needed",
    }
    if run.execution == Execution.BATCH:
        from llmruns.services.batch import batch_progress

        progress["batch"] = batch_progress(run=run)
    return progress
