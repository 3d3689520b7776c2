"""Executing one trial exactly once: claim with a lease, call with visible retries, store.

A trial is claimed by a conditional update (pending -> running with a lease token), so a task
delivered twice does nothing the second time. Its result is stored by another conditional update
that needs the same token, so a worker whose lease was reaped cannot overwrite the result of the
worker that took over. Every HTTP call is an Attempt row, written before the call is made.

This is the hot path of a study: it reads the trial in one query, takes the endpoint from the
run's frozen configuration, and writes no more rows than the guarantees need.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from careers.models import Item
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
from llmruns.services.lifecycle import IN_FLIGHT, run_finish_if_done

WORKER_NAME = socket.gethostname()
LIKERT_KINDS = ("interest", "self_competence", "self_review")
MAX_RETRY_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class TrialJob:
    """What executing a trial needs, read in one query."""

    pk: int
    run_id: int
    run_created_at: str
    run_status: str
    endpoint_id: int
    kind: str
    language: str
    item_id: int
    item_number: int
    replication: int
    template_variant: int
    scale_reversed: bool
    work_sample_text: str | None
    status: str


@lru_cache(maxsize=32)
def _config(run_id: int, created_at: str) -> dict:
    """A run's frozen configuration never changes, so each process reads it once.

    The creation time is part of the key so that a reused id (a test database) is never confused.
    """
    return Run.objects.values_list("config", flat=True).get(pk=run_id)


# The hot path's one read, in SQL: compiling the equivalent ORM query (four tables) cost more CPU
# than running it. Column order follows TrialJob.
_LOAD_SQL = f"""
SELECT t.run_id, r.created_at, r.status, t.endpoint_id, t.kind, t.language, t.item_id, i.number,
       t.replication, t.template_variant, t.scale_reversed, w.text, t.status
FROM {Trial._meta.db_table} t
JOIN {Run._meta.db_table} r ON r.id = t.run_id
JOIN {Item._meta.db_table} i ON i.id = t.item_id
LEFT JOIN {Trial._meta.db_table} w ON w.id = t.work_sample_id
WHERE t.id = %s
"""  # noqa: S608


def _load(trial_id: int) -> TrialJob | None:
    with connection.cursor() as cursor:
        cursor.execute(_LOAD_SQL, [trial_id])
        row = cursor.fetchone()
    if row is None:
        return None
    job = TrialJob(trial_id, *row)
    # SQLite returns booleans as integers and datetimes as text; only equality and str() are used.
    return dataclasses.replace(
        job, scale_reversed=bool(job.scale_reversed), run_created_at=str(job.run_created_at)
    )


def _request_body(job: TrialJob, endpoint: dict, config: dict, messages: list[dict]) -> dict:
    sampling = config["sampling"]
    body: dict = {
        "model": endpoint["model"],
        "messages": messages,
        "temperature": sampling["temperature"],
        "max_tokens": sampling["max_tokens"],
    }
    if sampling.get("top_p") is not None:
        body["top_p"] = sampling["top_p"]
    if endpoint["supports_seed"]:
        body["seed"] = int(sampling["seed"]) + job.replication
    if endpoint["supports_json_schema"] and job.kind in LIKERT_KINDS:
        body["response_format"] = likert_json_schema()
    body.update(endpoint.get("extra_params") or {})
    return body


def _parse(job: TrialJob, config: dict, content: str, *, structured: bool) -> ParseResult:
    if job.kind == "work_sample":
        return parse_work_sample(content)
    if structured:
        return parse_structured(content, reversed_scale=job.scale_reversed)
    labels = scale_labels(config, kind=job.kind, language=job.language)
    return parse_likert(content, labels=labels, reversed_scale=job.scale_reversed)


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


class NotClaimed(Exception):
    """Another delivery of the same task got the trial first (or it is no longer pending)."""


def _begin_attempt(job: TrialJob, *, first: bool, token: str, body: dict) -> tuple[int, int]:
    """Claim the trial (first call) or renew the lease (a retry), and store the call before it is
    made, in one transaction: a worker killed mid-call still leaves its trace, and the claim and
    the attempt cost one commit together.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.LLM_LEASE_SECONDS)
    with transaction.atomic():
        if first:
            claimed = Trial.objects.filter(pk=job.pk, status=TrialStatus.PENDING).update(
                status=TrialStatus.RUNNING,
                lease_owner=token,
                lease_expires_at=lease,
                started_at=now,
            )
            if not claimed:
                raise NotClaimed
        else:
            Trial.objects.filter(pk=job.pk, lease_owner=token).update(lease_expires_at=lease)
        # Numbered after every call already kept, including those of a worker that died mid-call.
        number = (Attempt.objects.filter(trial_id=job.pk).aggregate(n=Max("number"))["n"] or 0) + 1
        attempt = Attempt.objects.create(
            trial_id=job.pk,
            number=number,
            worker=token,
            request_body=body,
            error=IN_FLIGHT,
            started_at=now,
            duration_ms=0.0,
        )
        return attempt.pk, number


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


def _release_cancelled(trial_id: int, token: str) -> str:
    Trial.objects.filter(pk=trial_id, lease_owner=token).update(
        status=TrialStatus.CANCELLED,
        lease_owner="",
        lease_expires_at=None,
        finished_at=timezone.now(),
    )
    return "cancelled"


def trial_execute(*, trial_id: int, worker: str = "") -> str:
    """Claim, call (with bounded, visible retries), parse and store one trial. Idempotent.

    `worker` names the caller (a Celery worker's node name) in the lease token and Attempt rows.
    Two commits for a trial that succeeds at once: claim with its attempt, result with its response.
    """
    job = _load(trial_id)
    if job is None or job.status != TrialStatus.PENDING or job.run_status != RunStatus.RUNNING:
        return "not claimed"
    config = _config(job.run_id, job.run_created_at)
    endpoint = next(e for e in config["endpoints"] if e["id"] == job.endpoint_id)
    prompt = render_prompt(
        config,
        kind=job.kind,
        language=job.language,
        item_number=job.item_number,
        variant=job.template_variant,
        reversed_scale=job.scale_reversed,
        response=job.work_sample_text or "",
    )
    body = _request_body(job, endpoint, config, prompt.messages)
    client, api_key = client_for(
        base_url=endpoint["base_url"],
        api_key_env=endpoint["api_key_env"],
        timeout=endpoint["timeout_seconds"],
    )
    limiter = get_limiter()
    token = f"{worker or WORKER_NAME}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    calls: list[tuple[int, int, CallResult]] = []  # (attempt id, attempt number, result)

    def one_call() -> CallResult:
        if calls and _run_cancelled(job.run_id):
            raise LimiterCancelled  # no retries for a run that was cancelled meanwhile
        with endpoint_turn(
            limiter,
            f"endpoint-{job.endpoint_id}",
            requests_per_minute=endpoint["max_requests_per_minute"],
            concurrency=endpoint["max_concurrency"],
            cancelled=lambda: _run_cancelled(job.run_id),
        ):
            attempt_id, number = _begin_attempt(job, first=not calls, token=token, body=body)
            result = chat_call(client=client, api_key=api_key, body=body)
        if result.transient:
            _close_attempt(attempt_id, result)  # a usable answer is closed with the result
        calls.append((attempt_id, number, result))
        return result

    try:
        Retrying(
            stop=stop_after_attempt(int(config.get("max_attempts", settings.LLM_MAX_ATTEMPTS))),
            wait=_WaitRetryAfter(),
            retry=retry_if_result(lambda r: r.transient),
            retry_error_callback=lambda state: state.outcome.result(),
        )(one_call)
    except NotClaimed:
        return "not claimed"
    except LimiterCancelled:
        if calls:
            return _release_cancelled(trial_id, token)
        return "cancelled"
    return _store_outcome(job, endpoint, token, config, calls, structured="response_format" in body)


def _store_outcome(
    job: TrialJob,
    endpoint: dict,
    token: str,
    config: dict,
    calls: list[tuple[int, int, CallResult]],
    *,
    structured: bool,
) -> str:
    results = [result for _attempt_id, _number, result in calls]
    last_attempt_id, last_number, last = calls[-1]
    input_tokens = sum(r.input_tokens for r in results)
    output_tokens = sum(r.output_tokens for r in results)
    cost = (
        Decimal(endpoint["price_input_per_million"]) * input_tokens
        + Decimal(endpoint["price_output_per_million"]) * output_tokens
    ) / Decimal(1_000_000)
    fields = {
        "attempt_count": last_number,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost": cost.quantize(Decimal("0.00000001")),
        "latency_ms": last.duration_ms,
        "lease_owner": "",
        "lease_expires_at": None,
        "finished_at": timezone.now(),
    }
    if last.ok:
        parsed = _parse(job, config, last.content or "", structured=structured)
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
    spawns_review = (
        job.kind == "work_sample"
        and fields["status"] == TrialStatus.OK
        and "self_review" in config["kinds"]
    )
    with transaction.atomic():
        if not last.transient:
            _close_attempt(last_attempt_id, last)
        stored = Trial.objects.filter(
            pk=job.pk, status=TrialStatus.RUNNING, lease_owner=token
        ).update(**fields)
        if not stored:
            return "lease lost"  # the worker that took over the reaped lease stores the result
        if spawns_review:
            _create_self_review(job, config)
    if not spawns_review:
        run_finish_if_done(run_id=job.run_id)
    return str(fields["status"])


def _create_self_review(work_sample: TrialJob, config: dict) -> None:
    """Create the review of an ok work sample and queue it at once (in the same transaction)."""
    from llmruns.tasks import execute_trial

    counterbalancing = config["counterbalancing"]
    variants = variants_for(config, kind="self_review", language=work_sample.language)
    review = Trial(
        run_id=work_sample.run_id,
        endpoint_id=work_sample.endpoint_id,
        language=work_sample.language,
        item_id=work_sample.item_id,
        kind="self_review",
        replication=work_sample.replication,
        work_sample_id=work_sample.pk,
        template_variant=template_variant(
            variants=variants,
            replication=work_sample.replication,
            rotate=counterbalancing["rotate_templates"],
        ),
        scale_reversed=scale_is_reversed(
            replication=work_sample.replication, reverse_half=counterbalancing["reverse_half"]
        ),
        enqueued_at=timezone.now(),
    )
    created = Trial.objects.bulk_create([review], ignore_conflicts=True)
    review_id = (
        Trial.objects.filter(
            work_sample_id=work_sample.pk, kind="self_review", status=TrialStatus.PENDING
        )
        .values_list("pk", flat=True)
        .first()
    )
    if created and review_id is not None:
        transaction.on_commit(lambda: execute_trial.delay(review_id))
