"""Executing trials exactly once: claim with a lease, call with visible retries, store.

A trial is claimed by a conditional update (pending -> running with a lease token), so a task
delivered twice does nothing the second time. Its result is stored by another conditional update
that needs the same token, so a worker whose lease was reaped cannot overwrite the result of the
worker that took over. Every HTTP call is an Attempt row, written before the call is made.

A queue message carries a small batch of trials; they are executed one after another, and each is
claimed only when its turn comes, so its lease covers its own call and never a wait in the batch.

This is the hot path of a study: it reads a batch's trials in one query, takes the endpoint from
the run's frozen configuration, and writes no more rows than the guarantees need.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from careers.models import Item
from llmruns.client import CallResult, chat_call, client_for, longest_call_seconds
from llmruns.limiter import (
    SLOT_MARGIN_SECONDS,
    LimiterCancelled,
    endpoint_limiter_key,
    endpoint_turn,
    get_limiter,
)
from llmruns.models import Attempt, ElicitationMethod, Run, RunStatus, Trial, TrialStatus
from llmruns.parsing import (
    ParseResult,
    TokenProbabilityResult,
    likert_json_schema,
    parse_likert,
    parse_structured,
    parse_token_probabilities,
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

logger = logging.getLogger(__name__)

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
    method: str = "verbal"
    method_fallback: str = ""

    @property
    def answer_method(self) -> str:
        """How the answer is elicited: the trial's method, its fallback, verbal for free text."""
        if self.kind not in LIKERT_KINDS:
            return ElicitationMethod.VERBAL
        return self.method_fallback or self.method


@lru_cache(maxsize=32)
def _config(run_id: int, created_at: str) -> dict:
    """A run's frozen configuration never changes, so each process reads it once.

    The creation time is part of the key so that a reused id (a test database) is never confused.
    """
    return Run.objects.values_list("config", flat=True).get(pk=run_id)


# The hot path's one read, in SQL: compiling the equivalent ORM query (four tables) cost more CPU
# than running it. Column order follows TrialJob.
_LOAD_SQL = f"""
SELECT t.id, t.run_id, r.created_at, r.status, t.endpoint_id, t.kind, t.language, t.item_id,
       i.number, t.replication, t.template_variant, t.scale_reversed, w.text, t.status,
       t.method, t.method_fallback
FROM {Trial._meta.db_table} t
JOIN {Run._meta.db_table} r ON r.id = t.run_id
JOIN {Item._meta.db_table} i ON i.id = t.item_id
LEFT JOIN {Trial._meta.db_table} w ON w.id = t.work_sample_id
WHERE t.id IN
"""  # noqa: S608


def _load(trial_ids: list[int]) -> dict[int, TrialJob]:
    """The batch's trials as they are now; one that no longer exists is simply absent."""
    if not trial_ids:
        return {}
    placeholders = ", ".join(["%s"] * len(trial_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"{_LOAD_SQL}({placeholders})", list(trial_ids))
        rows = cursor.fetchall()
    jobs = {}
    for row in rows:
        job = TrialJob(*row)
        # SQLite returns booleans as integers and datetimes as text; only equality and str() are
        # used.
        jobs[job.pk] = dataclasses.replace(
            job, scale_reversed=bool(job.scale_reversed), run_created_at=str(job.run_created_at)
        )
    return jobs


TOP_LOGPROBS = 20  # OpenAI's maximum


def _request_body(job: TrialJob, endpoint: dict, config: dict, messages: list[dict]) -> dict:
    """The request for the trial's method, leaving out what the endpoint is known to reject.

    verbal: free text; structured: `response_format` with the scale's values as an enum;
    token_probability: a one-token answer with `logprobs` and `top_logprobs`. An endpoint without
    the system role gets the system text at the top of the user message. With token_probability
    every replication sends the base seed: the probabilities, not a sample, are the answer, and
    replications vary the paraphrase and the scale direction.
    """
    sampling = config["sampling"]
    method = job.answer_method
    if not endpoint.get("supports_system_role", True) and messages[0]["role"] == "system":
        system, *rest = messages
        rest[0] = {**rest[0], "content": f"{system['content']}\n\n{rest[0]['content']}"}
        messages = rest
    body: dict = {"model": endpoint["model"], "messages": messages}
    if endpoint.get("accepts_temperature", True):
        body["temperature"] = sampling["temperature"]
    token_limit = 1 if method == ElicitationMethod.TOKEN_PROBABILITY else sampling["max_tokens"]
    body[endpoint.get("token_limit_param") or "max_tokens"] = token_limit
    if sampling.get("top_p") is not None and endpoint.get("accepts_top_p", True):
        body["top_p"] = sampling["top_p"]
    if endpoint["supports_seed"]:
        replication = 0 if method == ElicitationMethod.TOKEN_PROBABILITY else job.replication
        body["seed"] = int(sampling["seed"]) + replication
    if method == ElicitationMethod.STRUCTURED:
        body["response_format"] = likert_json_schema()
    elif method == ElicitationMethod.TOKEN_PROBABILITY:
        body["logprobs"] = True
        body["top_logprobs"] = TOP_LOGPROBS
    body.update(endpoint.get("extra_params") or {})
    return body


def _parse(job: TrialJob, config: dict, result: CallResult) -> ParseResult | TokenProbabilityResult:
    """The answer by the trial's method; the reasoning text is never read here."""
    content = result.content or ""
    method = job.answer_method
    if job.kind == "work_sample":
        return parse_work_sample(content)
    if method == ElicitationMethod.STRUCTURED:
        return parse_structured(content, reversed_scale=job.scale_reversed)
    if method == ElicitationMethod.TOKEN_PROBABILITY:
        elicitation = config.get("elicitation") or {}
        return parse_token_probabilities(
            result.top_logprobs,
            language=job.language,
            reversed_scale=job.scale_reversed,
            min_valid_mass=float(elicitation.get("min_valid_mass", 0.5)),
        )
    labels = scale_labels(config, kind=job.kind, language=job.language)
    return parse_likert(content, labels=labels, reversed_scale=job.scale_reversed)


def spent(endpoint: dict, results: list[CallResult]) -> dict:
    """Tokens and cost of the given calls, as a trial's fields (the cost to 8 places)."""
    tokens = {
        "input_tokens": sum(result.input_tokens for result in results),
        "cached_input_tokens": sum(result.cached_input_tokens for result in results),
        "output_tokens": sum(result.output_tokens for result in results),
        "reasoning_tokens": sum(result.reasoning_tokens for result in results),
    }
    cost = trial_cost(endpoint, **tokens)
    return {**tokens, "cost": cost.quantize(Decimal("0.00000001"))}


def trial_cost(
    endpoint: dict,
    *,
    input_tokens: int,
    output_tokens: int,
    reasoning_tokens: int,
    cached_input_tokens: int = 0,
) -> Decimal:
    """Cached prompt tokens (part of the input) at the cached input price, or the input price
    where none is set; the rest of the input at the input price; reasoning tokens (part of the
    output) at the reasoning price, or the output price where none is set; the rest of the
    output at the output price."""
    input_price = Decimal(endpoint["price_input_per_million"])
    cached_price = endpoint.get("price_cached_input_per_million")
    cached_price = input_price if cached_price is None else Decimal(cached_price)
    cached_tokens = min(cached_input_tokens, input_tokens)
    output_price = Decimal(endpoint["price_output_per_million"])
    reasoning_price = endpoint.get("price_reasoning_per_million")
    reasoning_price = output_price if reasoning_price is None else Decimal(reasoning_price)
    answer_tokens = max(0, output_tokens - reasoning_tokens)
    return (
        input_price * (input_tokens - cached_tokens)
        + cached_price * cached_tokens
        + output_price * answer_tokens
        + reasoning_price * reasoning_tokens
    ) / Decimal(1_000_000)


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


@dataclass
class _FollowUps:
    """What a batch does once its trials are done: one message for the self-reviews it created and
    one finish check per run, instead of one of each per trial."""

    reviews: list[int] = field(default_factory=list)
    runs_to_check: set[int] = field(default_factory=set)


class NotClaimed(Exception):
    """Another delivery of the same task got the trial first (or it is no longer pending)."""


class LeaseLost(Exception):
    """The lease expired and was reaped between two attempts: the trial is someone else's now."""


# The writes of the hot path, in SQL for the same reason as its read. The attempt is numbered in
# its INSERT, after every call already kept (including those of a worker that died mid-call); the
# claim or renewal before it holds the trial's row lock, so numbers cannot collide.
_CLAIM_SQL = f"""
UPDATE {Trial._meta.db_table}
SET status = %s, lease_owner = %s, lease_expires_at = %s, started_at = %s
WHERE id = %s AND status = %s
"""  # noqa: S608
_RENEW_SQL = f"""
UPDATE {Trial._meta.db_table} SET lease_expires_at = %s
WHERE id = %s AND status = %s AND lease_owner = %s
"""  # noqa: S608
_ATTEMPT_SQL = f"""
INSERT INTO {Attempt._meta.db_table}
    (trial_id, number, worker, request_body, response_body, status_code, error, started_at,
     duration_ms)
SELECT %s, COALESCE(MAX(number), 0) + 1, %s, %s, '', NULL, %s, %s, 0
FROM {Attempt._meta.db_table} WHERE trial_id = %s
RETURNING id, number
"""  # noqa: S608
_CLOSE_ATTEMPT_SQL = f"""
UPDATE {Attempt._meta.db_table}
SET response_body = %s, status_code = %s, error = %s, started_at = %s, duration_ms = %s
WHERE id = %s
"""  # noqa: S608
# Tokens and cost are added to what the trial's earlier executions spent (a failed batch line, a
# run resumed after failures): every call made is billed, so a trial's totals count them all.
_STORE_SQL = f"""
UPDATE {Trial._meta.db_table}
SET status = %s, value = %s, text = %s, outcome_reason = %s, attempt_count = %s,
    input_tokens = input_tokens + %s, output_tokens = output_tokens + %s, cost = cost + %s,
    latency_ms = %s, finished_at = %s,
    option_probabilities = %s, valid_mass = %s, expected_value = %s, reasoning_text = %s,
    reasoning_tokens = reasoning_tokens + %s, cached_input_tokens = cached_input_tokens + %s,
    lease_owner = '', lease_expires_at = NULL
WHERE id = %s AND status = %s AND lease_owner = %s
"""  # noqa: S608


_PROBABILITIES_FIELD = Trial._meta.get_field("option_probabilities")


def _when(value: datetime) -> object:
    """An aware datetime as the database driver takes it (SQLite stores naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def lease_seconds(endpoint: dict) -> float:
    """How long a claim or renewal holds the trial: the lease setting, but never less than the
    endpoint's call may take, so the reaper cannot hand a trial to another worker (who would pay
    for the call again) while its call is still running."""
    return max(float(settings.LLM_LEASE_SECONDS), longest_call_seconds(endpoint["timeout_seconds"]))


def slot_seconds(endpoint: dict) -> float:
    """How long a call holds its concurrency slot: as long as the call may take and a margin, so
    the endpoint never has more than `max_concurrency` calls running, while a killed worker's slot
    still lapses soon after."""
    return longest_call_seconds(endpoint["timeout_seconds"]) + SLOT_MARGIN_SECONDS


def _begin_attempt(
    job: TrialJob, *, first: bool, token: str, body: dict, lease_for: float
) -> tuple[int, int]:
    """Claim the trial (first call) or renew the lease (a retry) for `lease_for` seconds, and
    store the call before it is made, in one transaction: a worker killed mid-call still leaves
    its trace, and the claim and the attempt cost one commit together.
    """
    now = timezone.now()
    lease = _when(now + timedelta(seconds=lease_for))
    request_body = Attempt._meta.get_field("request_body").get_db_prep_value(body, connection)
    with transaction.atomic(), connection.cursor() as cursor:
        if first:
            cursor.execute(
                _CLAIM_SQL,
                [TrialStatus.RUNNING, token, lease, _when(now), job.pk, TrialStatus.PENDING],
            )
            if not cursor.rowcount:
                raise NotClaimed
        else:
            cursor.execute(_RENEW_SQL, [lease, job.pk, TrialStatus.RUNNING, token])
            if not cursor.rowcount:
                raise LeaseLost  # no further call for a trial another worker may be making
        cursor.execute(_ATTEMPT_SQL, [job.pk, token, request_body, IN_FLIGHT, _when(now), job.pk])
        attempt_id, number = cursor.fetchone()
        return attempt_id, number


def _close_attempt_params(attempt_id: int, result: CallResult) -> list:
    return [
        result.response_text,
        result.status_code,
        result.error,
        _when(datetime.fromtimestamp(result.started_at, tz=UTC)),
        result.duration_ms,
        attempt_id,
    ]


def _close_attempt(attempt_id: int, result: CallResult) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_CLOSE_ATTEMPT_SQL, _close_attempt_params(attempt_id, result))


def _store_params(trial_id: int, token: str, fields: dict) -> list:
    return [
        fields["status"],
        fields["value"],
        fields["text"],
        fields["outcome_reason"],
        fields["attempt_count"],
        fields["input_tokens"],
        fields["output_tokens"],
        connection.ops.adapt_decimalfield_value(fields["cost"]),
        fields["latency_ms"],
        _when(fields["finished_at"]),
        _PROBABILITIES_FIELD.get_db_prep_value(fields["option_probabilities"], connection),
        fields["valid_mass"],
        fields["expected_value"],
        fields["reasoning_text"],
        fields["reasoning_tokens"],
        fields["cached_input_tokens"],
        trial_id,
        TrialStatus.RUNNING,
        token,
    ]


def _store(job: TrialJob, token: str, fields: dict) -> bool:
    """The outcome, stored only by the holder of the lease."""
    with connection.cursor() as cursor:
        cursor.execute(_STORE_SQL, _store_params(job.pk, token, fields))
        return bool(cursor.rowcount)


def _run_cancelled(run_id: int) -> bool:
    return Run.objects.filter(pk=run_id, status=RunStatus.CANCELLED).exists()


def _run_cancelled_locked(run_id: int) -> bool:
    """Whether the run is cancelled, its row locked until the transaction ends (where the
    database can). run_cancel takes the same lock before it cancels the pending trials, so a
    trial created under this lock is either there for run_cancel to cancel or created knowing
    that the run is cancelled."""
    status = Run.objects.select_for_update().values_list("status", flat=True).get(pk=run_id)
    return status == RunStatus.CANCELLED


def _bill(trial_id: int, endpoint: dict, calls: list[tuple[int, int, CallResult]]) -> None:
    """Add the tokens and cost of calls that end without a stored outcome to the trial's totals.

    Whoever holds the trial now, the calls were made and paid for; the totals are sums, so adding
    them never overwrites what another worker stores."""
    usage = spent(endpoint, [result for _attempt_id, _number, result in calls])
    Trial.objects.filter(pk=trial_id).update(
        input_tokens=F("input_tokens") + usage["input_tokens"],
        cached_input_tokens=F("cached_input_tokens") + usage["cached_input_tokens"],
        output_tokens=F("output_tokens") + usage["output_tokens"],
        reasoning_tokens=F("reasoning_tokens") + usage["reasoning_tokens"],
        cost=F("cost") + usage["cost"],
    )


def _release_cancelled(
    job: TrialJob, token: str, endpoint: dict, calls: list[tuple[int, int, CallResult]]
) -> str:
    """Stop a trial whose run was cancelled between its calls, keeping what the calls cost.

    The run is read again under its row lock (run_resume takes it too): a run resumed since the
    cancel was seen gets the trial back as pending (resuming requeues only cancelled trials, so
    one ended cancelled now would never run, and the run would finish without it)."""
    from llmruns.tasks import dispatch_run

    with transaction.atomic():
        _bill(job.pk, endpoint, calls)
        still_cancelled = _run_cancelled_locked(job.run_id)
        if still_cancelled:
            outcome = {"status": TrialStatus.CANCELLED, "finished_at": timezone.now()}
        else:
            outcome = {"status": TrialStatus.PENDING, "enqueued_at": None}
            transaction.on_commit(lambda: dispatch_run.delay(job.run_id))
        Trial.objects.filter(pk=job.pk, status=TrialStatus.RUNNING, lease_owner=token).update(
            attempt_count=calls[-1][1], lease_owner="", lease_expires_at=None, **outcome
        )
    return "cancelled" if still_cancelled else "requeued"


def trials_execute(*, trial_ids: list[int], worker: str = "") -> list[str]:
    """Execute a batch of trials one after another, each as `trial_execute` would. Idempotent.

    Each trial is claimed just before its first call, so a trial late in the batch is still pending
    (and not leased) while it waits. If the worker dies mid-batch, the trials it finished are final
    and a redelivered message skips them; the one in flight is returned by the reaper when its
    lease expires; the ones not yet claimed are pending, so a redelivery or the reaper runs them.
    Self-reviews created by the batch's work samples are queued together once the batch is done,
    and whether the run is finished is asked once (a worker that dies before either leaves
    enqueued trials and a running run, which the reaper handles).
    One trial's unexpected error does not hold up the others: it is raised after them.
    """
    jobs = _load(trial_ids)
    outcomes: list[str] = []
    follow_ups = _FollowUps()
    error: Exception | None = None
    try:
        for trial_id in trial_ids:
            try:
                outcomes.append(_execute_job(jobs.get(trial_id), worker=worker, then=follow_ups))
            except Exception as exc:  # raised below, once the rest of the batch is done
                logger.exception("trial %s failed unexpectedly", trial_id)
                outcomes.append("error")
                error = error or exc
    finally:
        if reviews := follow_ups.reviews:
            from llmruns.tasks import execute_trials

            transaction.on_commit(lambda: execute_trials.delay(reviews))
        for run_id in sorted(follow_ups.runs_to_check):
            run_finish_if_done(run_id=run_id)
    if error is not None:
        raise error
    return outcomes


def trial_execute(*, trial_id: int, worker: str = "") -> str:
    """Claim, call (with bounded, visible retries), parse and store one trial. Idempotent.

    `worker` names the caller (a Celery worker's node name) in the lease token and Attempt rows.
    Two commits for a trial that succeeds at once: claim with its attempt, result with its response.
    """
    return trials_execute(trial_ids=[trial_id], worker=worker)[0]


def _execute_job(job: TrialJob | None, *, worker: str, then: _FollowUps) -> str:
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
    lease_for = lease_seconds(endpoint)
    limiter_key = endpoint_limiter_key(job.endpoint_id)

    def one_call() -> CallResult:
        if calls and _run_cancelled(job.run_id):
            raise LimiterCancelled  # no retries for a run that was cancelled meanwhile
        with endpoint_turn(
            limiter,
            limiter_key,
            requests_per_minute=endpoint["max_requests_per_minute"],
            concurrency=endpoint["max_concurrency"],
            cancelled=lambda: _run_cancelled(job.run_id),
            slot_seconds=slot_seconds(endpoint),
        ):
            attempt_id, number = _begin_attempt(
                job, first=not calls, token=token, body=body, lease_for=lease_for
            )
            result = chat_call(client=client, api_key=api_key, body=body)
        if result.transient and result.retry_after:
            # The server asks for a pause (a 429 with Retry-After): every trial of the endpoint
            # waits, not only this one, or the others would keep calling and be refused too.
            limiter.pause(limiter_key, result.retry_after)
        if result.transient:
            _close_attempt(attempt_id, result)  # a usable answer is closed with the result
        calls.append((attempt_id, number, result))
        return result

    max_attempts = int(config.get("max_attempts", settings.LLM_MAX_ATTEMPTS))

    def budget_spent(state: RetryCallState) -> bool:
        # Attempt numbers count every call the trial ever had (a batch line, a call cut off by a
        # crash), so a trial retried live after a batch failure or a crash gets what is left of
        # its budget, not a new one; each execution still makes at least one call.
        return calls[-1][1] >= max_attempts or stop_after_attempt(max_attempts)(state)

    try:
        Retrying(
            stop=budget_spent,
            wait=_WaitRetryAfter(),
            retry=retry_if_result(lambda r: r.transient),
            retry_error_callback=lambda state: state.outcome.result(),
        )(one_call)
    except NotClaimed:
        return "not claimed"
    except LeaseLost:
        _bill(job.pk, endpoint, calls)
        return "lease lost"
    except LimiterCancelled:
        if calls:
            return _release_cancelled(job, token, endpoint, calls)
        return "cancelled"
    return _store_outcome(job, endpoint, token, config, calls, then=then)


def _store_outcome(
    job: TrialJob,
    endpoint: dict,
    token: str,
    config: dict,
    calls: list[tuple[int, int, CallResult]],
    *,
    then: _FollowUps,
) -> str:
    fields = _outcome_fields(job, endpoint, config, calls)
    last_attempt_id, _last_number, last = calls[-1]
    spawns_review = (
        job.kind == "work_sample"
        and fields["status"] == TrialStatus.OK
        and "self_review" in config["kinds"]
    )
    with transaction.atomic():
        if not last.transient:
            _close_attempt(last_attempt_id, last)
        if not _store(job, token, fields):
            # The worker that took over the reaped lease stores the result; these calls were
            # paid for all the same.
            _bill(job.pk, endpoint, calls)
            return "lease lost"
        if spawns_review:
            then.reviews.extend(
                _create_self_reviews(job, config, run_cancelled=_run_cancelled_locked(job.run_id))
            )
    if not spawns_review:
        then.runs_to_check.add(job.run_id)
    return str(fields["status"])


def _outcome_fields(
    job: TrialJob,
    endpoint: dict,
    config: dict,
    calls: list[tuple[int, int, CallResult]],
) -> dict:
    """The trial's stored fields after its calls: parsed answer or failure, tokens, cost."""
    results = [result for _attempt_id, _number, result in calls]
    _last_attempt_id, last_number, last = calls[-1]
    fields = {
        "attempt_count": last_number,
        **spent(endpoint, results),
        "latency_ms": last.duration_ms,
        "finished_at": timezone.now(),
        "reasoning_text": last.reasoning_text,
        "option_probabilities": None,
        "valid_mass": None,
        "expected_value": None,
    }
    if last.ok and last.finish_reason == "content_filter":
        # The provider withheld the rest: the words before the cut are kept, never parsed.
        fields.update(
            status=TrialStatus.REFUSED,
            value=None,
            text=last.content or "",
            outcome_reason="stopped by the provider's content filter "
            "(finish_reason=content_filter)",
        )
    elif last.ok:
        parsed = _parse(job, config, last)
        reason = parsed.reason
        # A one-token answer is cut short by design.
        if last.finish_reason == "length" and job.answer_method != "token_probability":
            reason = f"{reason}; truncated (finish_reason=length)"
        fields.update(
            status=parsed.outcome,
            value=parsed.value,
            text=last.content or "",
            outcome_reason=reason[:200],
        )
        if isinstance(parsed, TokenProbabilityResult):
            fields.update(
                option_probabilities=parsed.probabilities,
                valid_mass=parsed.valid_mass,
                expected_value=parsed.expected_value,
            )
    else:
        fields.update(
            status=TrialStatus.FAILED,
            value=None,
            text="",
            outcome_reason=f"gave up after {len(results)} attempts: {last.error}"[:200],
        )
    return fields


def review_methods(config: dict, endpoint_id: int) -> list[tuple[str, str]]:
    """(method, fallback) of each review a work sample gets: one per method of the run."""
    elicitation = config.get("elicitation") or {}
    fallbacks = (elicitation.get("fallbacks") or {}).get(str(endpoint_id), {})
    methods = elicitation.get("methods") or [ElicitationMethod.VERBAL.value]
    return [(method, fallbacks.get(method, "")) for method in methods]


def _create_self_reviews(work_sample: TrialJob, config: dict, *, run_cancelled: bool) -> list[int]:
    """Create the reviews of an ok work sample (one per elicitation method), marked enqueued;
    their ids if this call created them.

    The caller queues them. Should that never happen (the worker dies first), the reaper finds
    them enqueued but with no message, like any lost message, and queues them again.
    The reviews of a work sample answered after its run was cancelled are created cancelled (and
    none is returned), so nothing is sent for them unless the run is resumed; the caller reads
    `run_cancelled` with `_run_cancelled_locked` in the transaction that creates them.
    """
    counterbalancing = config["counterbalancing"]
    variants = variants_for(config, kind="self_review", language=work_sample.language)
    reviews = [
        _review(work_sample, counterbalancing, variants, method, fallback)
        for method, fallback in review_methods(config, work_sample.endpoint_id)
    ]
    if run_cancelled:
        now = timezone.now()
        for review in reviews:
            review.status, review.enqueued_at, review.finished_at = TrialStatus.CANCELLED, None, now
    created = Trial.objects.bulk_create(reviews, ignore_conflicts=True)
    review_ids = Trial.objects.filter(
        work_sample_id=work_sample.pk, kind="self_review", status=TrialStatus.PENDING
    ).values_list("pk", flat=True)
    return list(review_ids) if created else []


def _review(
    work_sample: TrialJob, counterbalancing: dict, variants: int, method: str, fallback: str
) -> Trial:
    return Trial(
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
        method=method,
        method_fallback=fallback,
        enqueued_at=timezone.now(),
    )
