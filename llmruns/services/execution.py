"""Executing trials exactly once: dispatch in chunks, claim with a lease, call, store, reap.

A trial is claimed by a conditional update (pending -> running with a lease token), so a task
delivered twice does nothing the second time. Its result is stored by another conditional update
that needs the same token, so a worker whose lease was reaped cannot overwrite the result of the
worker that took over. Every HTTP call is an Attempt row, whatever happened to the trial.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from llmruns.client import CallResult, chat_call, client_for
from llmruns.limiter import LimiterCancelled, endpoint_turn, get_limiter
from llmruns.models import Attempt, Run, RunStatus, Trial, TrialStatus
from llmruns.parsing import (
    ParseResult,
    likert_json_schema,
    parse_likert,
    parse_structured,
    parse_work_sample,
)
from llmruns.prompts import (
    render_prompt,
    scale_is_reversed,
    scale_labels,
    template_variant,
    variants_for,
)

log = logging.getLogger(__name__)
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"
LIKERT_KINDS = ("interest", "self_competence", "self_review")
MAX_RETRY_WAIT_SECONDS = 60.0


@lru_cache(maxsize=32)
def _config(run_id: int, created_at: str) -> dict:
    """A run's frozen configuration never changes, so each process reads it once.

    The creation time is part of the key so that a reused id (a test database) is never confused.
    """
    return Run.objects.values_list("config", flat=True).get(pk=run_id)


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


def run_finish_if_done(*, run_id: int) -> bool:
    open_trials = Trial.objects.filter(
        run_id=run_id, status__in=[TrialStatus.PENDING, TrialStatus.RUNNING]
    ).exists()
    if open_trials:
        return False
    return bool(
        Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FINISHED, finished_at=timezone.now()
        )
    )


def _claim(trial_id: int, worker: str) -> str | None:
    token = f"{worker or WORKER_NAME}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    now = timezone.now()
    claimed = Trial.objects.filter(pk=trial_id, status=TrialStatus.PENDING).update(
        status=TrialStatus.RUNNING,
        lease_owner=token,
        lease_expires_at=now + timedelta(seconds=settings.LLM_LEASE_SECONDS),
        started_at=now,
    )
    return token if claimed else None


def _request_body(trial: Trial, config: dict, messages: list[dict]) -> dict:
    endpoint = trial.endpoint
    sampling = config["sampling"]
    body: dict = {
        "model": endpoint.model,
        "messages": messages,
        "temperature": sampling["temperature"],
        "max_tokens": sampling["max_tokens"],
    }
    if sampling.get("top_p") is not None:
        body["top_p"] = sampling["top_p"]
    if endpoint.supports_seed:
        body["seed"] = int(sampling["seed"]) + trial.replication
    if endpoint.supports_json_schema and trial.kind in LIKERT_KINDS:
        body["response_format"] = likert_json_schema()
    body.update(endpoint.extra_params or {})
    return body


def _parse(trial: Trial, config: dict, content: str, *, structured: bool) -> ParseResult:
    if trial.kind == "work_sample":
        return parse_work_sample(content)
    if structured:
        return parse_structured(content, reversed_scale=trial.scale_reversed)
    labels = scale_labels(config, kind=trial.kind, language=trial.language)
    return parse_likert(content, labels=labels, reversed_scale=trial.scale_reversed)


class _WaitRetryAfter:
    """Exponential backoff with jitter, but never shorter than the server's Retry-After."""

    def __init__(self) -> None:
        self.backoff = wait_exponential_jitter(
            multiplier=settings.LLM_BACKOFF_INITIAL,
            max=MAX_RETRY_WAIT_SECONDS,
            jitter=settings.LLM_BACKOFF_INITIAL,
        )

    def __call__(self, state: RetryCallState) -> float:
        result: CallResult = state.outcome.result()
        return min(MAX_RETRY_WAIT_SECONDS, max(result.retry_after or 0.0, self.backoff(state)))


IN_FLIGHT = "in flight"
WORKER_LOST = "worker lost before the response was stored"


def _open_attempt(trial_id: int, token: str, body: dict) -> int:
    """Store the call before it is made, so a worker killed mid-call still leaves its trace."""
    with transaction.atomic():
        number = Trial.objects.filter(pk=trial_id).values_list("attempt_count", flat=True).get() + 1
        Trial.objects.filter(pk=trial_id).update(
            attempt_count=F("attempt_count") + 1,
            lease_expires_at=timezone.now() + timedelta(seconds=settings.LLM_LEASE_SECONDS),
        )
        fields = {
            "trial_id": trial_id,
            "worker": token,
            "request_body": body,
            "error": IN_FLIGHT,
            "started_at": timezone.now(),
            "duration_ms": 0.0,
        }
        try:
            with transaction.atomic():
                return Attempt.objects.create(number=number, **fields).pk
        except IntegrityError:
            # Two holders of one trial (a reaped lease): keep the call anyway, numbered after the rest.
            last = Attempt.objects.filter(trial_id=trial_id).aggregate(n=Max("number"))["n"] or 0
            return Attempt.objects.create(number=last + 1, **fields).pk


def _close_attempt(attempt_id: int, result: CallResult) -> None:
    Attempt.objects.filter(pk=attempt_id).update(
        response_body=result.response_text,
        status_code=result.status_code,
        error=result.error,
        started_at=datetime.fromtimestamp(result.started_at, tz=UTC),
        duration_ms=result.duration_ms,
    )


def _run_cancelled(run_id: int) -> bool:
    return Run.objects.filter(pk=run_id, status=RunStatus.CANCELLED).exists()


def trial_execute(*, trial_id: int, worker: str = "") -> str:
    """Claim, call (with bounded, visible retries), parse and store one trial. Idempotent.

    `worker` names the caller (a Celery worker's node name) in the lease token and Attempt rows.
    """
    token = _claim(trial_id, worker)
    if token is None:
        return "not claimed"
    trial = (
        Trial.objects.select_related("endpoint", "work_sample", "item", "run")
        .defer("run__config")
        .get(pk=trial_id)
    )
    config = _config(trial.run_id, trial.run.created_at.isoformat())
    if _run_cancelled(trial.run_id):
        Trial.objects.filter(pk=trial_id, lease_owner=token).update(
            status=TrialStatus.CANCELLED,
            lease_owner="",
            lease_expires_at=None,
            finished_at=timezone.now(),
        )
        return "cancelled"
    prompt = render_prompt(
        config,
        kind=trial.kind,
        language=trial.language,
        item_number=trial.item.number,
        variant=trial.template_variant,
        reversed_scale=trial.scale_reversed,
        response=trial.work_sample.text if trial.work_sample_id else "",
    )
    body = _request_body(trial, config, prompt.messages)
    endpoint = trial.endpoint
    client, api_key = client_for(
        base_url=endpoint.base_url,
        api_key_env=endpoint.api_key_env,
        timeout=endpoint.timeout_seconds,
    )
    limiter = get_limiter()
    results: list[CallResult] = []

    def one_call() -> CallResult:
        with endpoint_turn(
            limiter,
            f"endpoint-{endpoint.pk}",
            requests_per_minute=endpoint.max_requests_per_minute,
            concurrency=endpoint.max_concurrency,
            cancelled=lambda: _run_cancelled(trial.run_id),
        ):
            attempt_id = _open_attempt(trial_id, token, body)
            result = chat_call(client=client, api_key=api_key, body=body)
        _close_attempt(attempt_id, result)
        results.append(result)
        return result

    max_attempts = int(config.get("max_attempts", settings.LLM_MAX_ATTEMPTS))
    try:
        Retrying(
            stop=stop_after_attempt(max_attempts),
            wait=_WaitRetryAfter(),
            retry=retry_if_result(lambda r: r.transient),
            retry_error_callback=lambda state: state.outcome.result(),
        )(one_call)
    except LimiterCancelled:
        Trial.objects.filter(pk=trial_id, lease_owner=token).update(
            status=TrialStatus.CANCELLED,
            lease_owner="",
            lease_expires_at=None,
            finished_at=timezone.now(),
        )
        return "cancelled"
    return _store_outcome(trial, token, config, results, structured="response_format" in body)


def _store_outcome(
    trial: Trial, token: str, config: dict, results: list[CallResult], *, structured: bool
) -> str:
    last = results[-1]
    input_tokens = sum(r.input_tokens for r in results)
    output_tokens = sum(r.output_tokens for r in results)
    fields = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost": trial.endpoint.cost(input_tokens, output_tokens).quantize(Decimal("0.00000001")),
        "latency_ms": last.duration_ms,
        "lease_owner": "",
        "lease_expires_at": None,
        "finished_at": timezone.now(),
    }
    if last.ok:
        parsed = _parse(trial, config, last.content or "", structured=structured)
        reason = parsed.reason
        if last.finish_reason == "length":
            reason = f"{reason}; truncated (finish_reason=length)"
        fields.update(
            status=parsed.outcome,
            value=parsed.value,
            text=last.content or "",
            outcome_reason=reason[:200],
        )
    else:
        fields.update(
            status=TrialStatus.FAILED,
            value=None,
            text="",
            outcome_reason=f"gave up after {len(results)} attempts: {last.error}"[:200],
        )
    with transaction.atomic():
        stored = Trial.objects.filter(
            pk=trial.pk, status=TrialStatus.RUNNING, lease_owner=token
        ).update(**fields)
        if not stored:
            log.warning(
                "trial %s: lease lost before storing; the other holder's result stands", trial.pk
            )
            return "lease lost"
        if (
            trial.kind == "work_sample"
            and fields["status"] == TrialStatus.OK
            and "self_review" in config["kinds"]
        ):
            _create_self_review(trial, config)
    if (
        trial.kind == "self_review"
        or fields["status"] != TrialStatus.OK
        or "self_review" not in config["kinds"]
    ):
        run_finish_if_done(run_id=trial.run_id)
    return str(fields["status"])


def _create_self_review(work_sample: Trial, config: dict) -> None:
    """Create the review of an ok work sample and queue it at once (in the same transaction)."""
    from llmruns.tasks import execute_trial

    variants = variants_for(config, kind="self_review", language=work_sample.language)
    rotate = config["counterbalancing"]["rotate_templates"]
    reverse_half = config["counterbalancing"]["reverse_half"]
    Trial.objects.bulk_create(
        [
            Trial(
                run_id=work_sample.run_id,
                endpoint_id=work_sample.endpoint_id,
                language=work_sample.language,
                item_id=work_sample.item_id,
                kind="self_review",
                replication=work_sample.replication,
                work_sample=work_sample,
                template_variant=template_variant(
                    variants=variants, replication=work_sample.replication, rotate=rotate
                ),
                scale_reversed=scale_is_reversed(
                    replication=work_sample.replication, reverse_half=reverse_half
                ),
            )
        ],
        ignore_conflicts=True,
    )
    review = Trial.objects.filter(
        work_sample=work_sample,
        kind="self_review",
        status=TrialStatus.PENDING,
        enqueued_at__isnull=True,
    ).first()
    if review is not None:
        Trial.objects.filter(pk=review.pk).update(enqueued_at=timezone.now())
        transaction.on_commit(lambda: execute_trial.delay(review.pk))


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
