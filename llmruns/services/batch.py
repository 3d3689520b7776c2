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

import json
import logging
import os
import tempfile
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import openai
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from llmruns.client import (
    MALFORMED,
    TRANSIENT_STATUS,
    CallResult,
    client_for,
    completion_read,
    scrub,
)
from llmruns.models import (
    FINAL_TRIAL_STATUSES,
    PROVIDER_BATCH_TERMINAL,
    Attempt,
    BatchPhase,
    Execution,
    ProviderBatch,
    Run,
    RunStatus,
    Trial,
    TrialStatus,
)
from llmruns.prompts import render_prompt
from llmruns.services.execution import (
    TrialJob,
    _close_attempt,
    _FollowUps,
    _load,
    _request_body,
    _store_outcome,
)
from llmruns.services.lifecycle import run_finish_if_done

logger = logging.getLogger(__name__)

BATCH_KEY_METADATA = "vocationlab_batch_key"
BATCH_URL = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
IN_BATCH = "in batch"  # Attempt.error of a request whose answer is not collected yet
LEASE_PREFIX = "batch:"
PLAN_CHUNK = 1000
COLLECT_CHUNK = 500
# Provider objects older than the batch row by more than this cannot be the batch's own.
ADOPT_MARGIN = timedelta(minutes=10)
BATCH_HTTP_TIMEOUT = 300.0
CRASH_ENV = "VL_CRASH_AT"


def _crash_point(name: str) -> None:
    """Die here, at once and without cleaning up, when the environment names this point.

    The kill tests use it to stop a real worker process exactly between a provider call and the
    database write after it.
    """
    if os.environ.get(CRASH_ENV) == name:
        logger.error("crash point %s reached: exiting as a crash would", name)
        os._exit(70)


def batch_token(key: str) -> str:
    return f"{LEASE_PREFIX}{key}"


def custom_id_for(trial_id: int, number: int) -> str:
    return f"trial-{trial_id}-attempt-{number}"


def custom_id_parse(custom_id: str) -> tuple[int, int]:
    """(trial id, attempt number) of a custom_id made by `custom_id_for`; ValueError otherwise."""
    prefix, trial_id, label, number = custom_id.split("-")
    if prefix != "trial" or label != "attempt":
        raise ValueError(f"not a platform custom_id: {custom_id!r}")
    return int(trial_id), int(number)


def _request_line(trial_id: int, number: int, body: dict) -> bytes:
    line = {
        "custom_id": custom_id_for(trial_id, number),
        "method": "POST",
        "url": BATCH_URL,
        "body": body,
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _endpoint(config: dict, endpoint_id: int) -> dict:
    return next(e for e in config["endpoints"] if e["id"] == endpoint_id)


def _priced_at_batch(endpoint: dict) -> dict:
    """The endpoint as the live store code reads it, with the batch prices as its prices."""
    return {
        **endpoint,
        "price_input_per_million": endpoint["batch_price_input_per_million"],
        "price_output_per_million": endpoint["batch_price_output_per_million"],
    }


def _client(endpoint: dict) -> tuple[openai.OpenAI, str]:
    client, api_key = client_for(
        base_url=endpoint["base_url"],
        api_key_env=endpoint["api_key_env"],
        timeout=endpoint["timeout_seconds"],
    )
    return client.with_options(
        timeout=max(endpoint["timeout_seconds"], BATCH_HTTP_TIMEOUT)
    ), api_key


def _retry_live(config: dict) -> bool:
    return bool((config.get("execution") or {}).get("retry_live"))


def batch_bound(run: Run) -> Any:
    """The pending trials of a batch run that go into batches (the rest, if any, go live)."""
    pending = Trial.objects.filter(run=run, status=TrialStatus.PENDING)
    return pending.filter(attempt_count=0) if _retry_live(run.config) else pending


# -- planning ----------------------------------------------------------------------------------


def _bodies(jobs: dict[int, TrialJob], ids: list[int], endpoint: dict, config: dict):
    for pk in ids:
        job = jobs.get(pk)
        if job is None or job.status != TrialStatus.PENDING:
            continue
        prompt = render_prompt(
            config,
            kind=job.kind,
            language=job.language,
            item_number=job.item_number,
            variant=job.template_variant,
            reversed_scale=job.scale_reversed,
            response=job.work_sample_text or "",
        )
        yield job, _request_body(job, endpoint, config, prompt.messages)


def _next_numbers(trial_ids: list[int]) -> dict[int, int]:
    done = dict(
        Attempt.objects.filter(trial_id__in=trial_ids)
        .values("trial_id")
        .annotate(last=Max("number"))
        .values_list("trial_id", "last")
    )
    return {pk: done.get(pk, 0) + 1 for pk in trial_ids}


@transaction.atomic
def batch_plan(*, run: Run, endpoint_id: int) -> ProviderBatch | None:
    """Choose the next batch of a run's pending trials for one endpoint, within its limits.

    Claims the trials and writes their Attempts (with the request bodies the file will carry) in
    one transaction with the batch row; None when no trial is waiting.
    """
    config = run.config
    endpoint = _endpoint(config, endpoint_id)
    max_requests = int(endpoint["batch_max_requests"])
    max_bytes = int(endpoint["batch_max_bytes"])
    key = uuid.uuid4().hex
    token = batch_token(key)
    batch = ProviderBatch.objects.create(key=key, run=run, endpoint_id=endpoint_id)
    candidates = batch_bound(run).filter(endpoint_id=endpoint_id).order_by("pk")
    count = size = last_pk = 0
    full = False
    while not full and count < max_requests:
        ids = list(
            candidates.filter(pk__gt=last_pk).values_list("pk", flat=True)[
                : min(PLAN_CHUNK, max_requests - count)
            ]
        )
        if not ids:
            break
        last_pk = ids[-1]
        numbers = _next_numbers(ids)
        chosen: dict[int, tuple[int, dict]] = {}
        for job, body in _bodies(_load(ids), ids, endpoint, config):
            length = len(_request_line(job.pk, numbers[job.pk], body))
            if size + length > max_bytes:
                if count + len(chosen) == 0:
                    _fail_oversized(job.pk, length, max_bytes)
                    continue
                full = True
                break
            size += length
            chosen[job.pk] = (numbers[job.pk], body)
        count += _claim(batch, token, chosen)
    if not count:
        batch.delete()
        return None
    batch.request_count = count
    batch.input_bytes = size
    batch.save(update_fields=["request_count", "input_bytes"])
    return batch


def _fail_oversized(trial_id: int, length: int, max_bytes: int) -> None:
    Trial.objects.filter(pk=trial_id, status=TrialStatus.PENDING).update(
        status=TrialStatus.FAILED,
        outcome_reason=f"request of {length} bytes exceeds the batch file limit of {max_bytes}",
        finished_at=timezone.now(),
    )


def _claim(batch: ProviderBatch, token: str, chosen: dict[int, tuple[int, dict]]) -> int:
    """Lease the chosen trials to the batch (only those still pending) and write their Attempts."""
    if not chosen:
        return 0
    now = timezone.now()
    Trial.objects.filter(pk__in=list(chosen), status=TrialStatus.PENDING).update(
        status=TrialStatus.RUNNING,
        lease_owner=token,
        lease_expires_at=None,  # the live reaper only returns leases that expire
        enqueued_at=None,
        started_at=now,
    )
    claimed = list(
        Trial.objects.filter(pk__in=list(chosen), lease_owner=token).values_list("pk", flat=True)
    )
    Attempt.objects.bulk_create(
        [
            Attempt(
                trial_id=pk,
                number=chosen[pk][0],
                worker=token,
                request_body=chosen[pk][1],
                error=IN_BATCH,
                started_at=now,
                duration_ms=0,
                batch=batch,
            )
            for pk in claimed
        ],
        batch_size=2000,
    )
    return len(claimed)


# -- leases on batch rows ----------------------------------------------------------------------


def _lease(batch_id: int) -> ProviderBatch | None:
    now = timezone.now()
    taken = ProviderBatch.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=batch_id
    ).update(lease_until=now + timedelta(seconds=settings.LLM_BATCH_LEASE_SECONDS))
    return ProviderBatch.objects.select_related("run").get(pk=batch_id) if taken else None


def _renew(batch: ProviderBatch) -> None:
    until = timezone.now() + timedelta(seconds=settings.LLM_BATCH_LEASE_SECONDS)
    ProviderBatch.objects.filter(pk=batch.pk).update(lease_until=until)


def _release(batch: ProviderBatch, **fields: Any) -> None:
    ProviderBatch.objects.filter(pk=batch.pk).update(lease_until=None, **fields)


def _backoff(batch: ProviderBatch) -> datetime:
    seconds = min(
        settings.LLM_BATCH_POLL_MAX,
        settings.LLM_BATCH_POLL_INITIAL * 1.5 ** min(batch.polls, 30),
    )
    return timezone.now() + timedelta(seconds=seconds)


# -- submission --------------------------------------------------------------------------------


def _input_file(batch: ProviderBatch) -> IO[bytes]:
    """The JSONL input, written from the stored request bodies to a spooled temporary file."""
    spooled = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    rows = (
        Attempt.objects.filter(batch=batch)
        .order_by("pk")
        .values_list("trial_id", "number", "request_body")
    )
    for trial_id, number, body in rows.iterator(chunk_size=2000):
        spooled.write(_request_line(trial_id, number, body))
    spooled.seek(0)
    return spooled


def _file_name(batch: ProviderBatch) -> str:
    return f"vocationlab-{batch.key}.jsonl"


def _uploaded_file(client: openai.OpenAI, batch: ProviderBatch) -> str | None:
    """The id of this batch's input file if an earlier attempt uploaded it already."""
    since = (batch.created_at - ADOPT_MARGIN).timestamp()
    for stored in client.files.list(purpose="batch", order="desc", limit=100):
        if stored.created_at < since:
            break
        if stored.filename == _file_name(batch) and stored.bytes == batch.input_bytes:
            return stored.id
    return None


def _remote_batch(client: openai.OpenAI, batch: ProviderBatch) -> Any | None:
    """The provider's batch carrying this batch's key, if an earlier attempt created it."""
    since = (batch.created_at - ADOPT_MARGIN).timestamp()
    for remote in client.batches.list(limit=100):
        if remote.created_at < since:
            break
        if (remote.metadata or {}).get(BATCH_KEY_METADATA) == batch.key:
            return remote
    return None


def batch_push(*, batch_id: int) -> str:
    """Upload a planned batch and create it at the provider, adopting what a crash left there."""
    batch = _lease(batch_id)
    if batch is None:
        return "leased elsewhere"
    if batch.phase not in (BatchPhase.PLANNED, BatchPhase.UPLOADED):
        _release(batch)
        return "already submitted"
    endpoint = _endpoint(batch.run.config, batch.endpoint_id)
    client, api_key = _client(endpoint)
    try:
        if batch.phase == BatchPhase.PLANNED:
            file_id = _uploaded_file(client, batch)
            if file_id is None:
                with _input_file(batch) as handle:
                    uploaded = client.files.create(
                        file=(_file_name(batch), handle, "application/jsonl"), purpose="batch"
                    )
                file_id = uploaded.id
                _crash_point("after_upload")
            ProviderBatch.objects.filter(pk=batch.pk).update(
                input_file_id=file_id, phase=BatchPhase.UPLOADED, uploaded_at=timezone.now()
            )
            batch.input_file_id, batch.phase = file_id, BatchPhase.UPLOADED
        remote = _remote_batch(client, batch)
        if remote is None:
            remote = client.batches.create(
                input_file_id=batch.input_file_id,
                endpoint=BATCH_URL,
                completion_window=COMPLETION_WINDOW,
                metadata={BATCH_KEY_METADATA: batch.key, "run": str(batch.run_id)},
            )
            _crash_point("after_create")
    except openai.APIError as exc:
        batch.polls += 1
        _release(
            batch,
            error=scrub(f"{type(exc).__name__}: {exc}", api_key)[:2000],
            polls=batch.polls,
            next_poll_at=_backoff(batch),
        )
        return "provider error"
    _release(
        batch,
        provider_batch_id=remote.id,
        provider_status=remote.status,
        phase=BatchPhase.SUBMITTED,
        submitted_at=timezone.now(),
        error="",
        polls=0,
        next_poll_at=timezone.now() + timedelta(seconds=settings.LLM_BATCH_POLL_INITIAL),
    )
    return "submitted"


def batches_submit(*, run: Run) -> int:
    """Plan and push batches of a running batch run until none of its trials is waiting."""
    pushed = 0
    for endpoint_id in run.endpoints.order_by("pk").values_list("pk", flat=True):
        while (batch := batch_plan(run=run, endpoint_id=endpoint_id)) is not None:
            batch_push(batch_id=batch.pk)
            pushed += 1
    return pushed


# -- polling and collection --------------------------------------------------------------------


def batch_poll(*, batch_id: int) -> str:
    """Ask the provider how a submitted batch is doing; collect it once it has ended."""
    batch = _lease(batch_id)
    if batch is None:
        return "leased elsewhere"
    if batch.phase != BatchPhase.SUBMITTED:
        _release(batch)
        return batch.phase
    endpoint = _endpoint(batch.run.config, batch.endpoint_id)
    client, api_key = _client(endpoint)
    try:
        remote = client.batches.retrieve(batch.provider_batch_id)
    except openai.APIError as exc:
        batch.polls += 1
        _release(
            batch,
            error=scrub(f"{type(exc).__name__}: {exc}", api_key)[:2000],
            polls=batch.polls,
            next_poll_at=_backoff(batch),
        )
        return "provider error"
    counts = remote.request_counts
    errors = (
        "; ".join(f"{e.code}: {e.message} (line {e.line})" for e in (remote.errors.data or []))
        if remote.errors
        else ""
    )
    batch.provider_status = remote.status
    batch.output_file_id = remote.output_file_id or ""
    batch.error_file_id = remote.error_file_id or ""
    batch.polls += 1
    ProviderBatch.objects.filter(pk=batch.pk).update(
        provider_status=remote.status,
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
        completed_count=counts.completed if counts else 0,
        failed_count=counts.failed if counts else 0,
        error=errors[:2000],
        polls=batch.polls,
    )
    if remote.status not in PROVIDER_BATCH_TERMINAL:
        _release(batch, next_poll_at=_backoff(batch))
        return remote.status
    ProviderBatch.objects.filter(pk=batch.pk).update(provider_finished_at=timezone.now())
    try:
        batch_collect(batch=batch, client=client, api_key=api_key)
    except openai.APIError as exc:
        _release(
            batch, error=scrub(f"collecting: {exc}", api_key)[:2000], next_poll_at=_backoff(batch)
        )
        return "provider error"
    _release(batch, phase=BatchPhase.DONE, collected_at=timezone.now(), next_poll_at=None)
    run_finish_if_done(run_id=batch.run_id)
    return "collected"


def _line_result(entry: dict, raw: str, *, started_at: float, api_key: str) -> CallResult:
    """A batch output or error line as the CallResult a live call with that answer gives."""
    result = CallResult(request_body={}, started_at=started_at)
    result.duration_ms = max(0.0, (timezone.now().timestamp() - started_at) * 1000)
    result.response_text = scrub(raw, api_key)
    response = entry.get("response") or {}
    result.status_code = response.get("status_code")
    body = response.get("body")
    if entry.get("error"):
        error = entry["error"]
        result.error = f"batch line error {error.get('code')}: {error.get('message')}"
        result.transient = True  # e.g. batch_expired: the request was never run
    elif result.status_code != 200:
        message = (
            ((body or {}).get("error") or {}).get("message", "") if isinstance(body, dict) else ""
        )
        result.error = f"HTTP {result.status_code}: {message}".strip()
        result.transient = result.status_code in TRANSIENT_STATUS
    else:
        try:
            completion_read(result, body)
        except MALFORMED as exc:
            result.error = f"malformed response: {type(exc).__name__}: {exc}"
            result.transient = True
    if result.error:
        result.content = None
        result.error = scrub(result.error, api_key)
    return result


def batch_collect(*, batch: ProviderBatch, client: openai.OpenAI, api_key: str) -> int:
    """Stream the batch's output and error files into its trials, then settle the unanswered.

    Lines are read a chunk at a time and never held whole; each chunk is one transaction.
    Idempotent: a line whose Attempt is already closed is skipped. Returns lines used.
    """
    used = 0
    for file_id in (batch.output_file_id, batch.error_file_id):
        if not file_id:
            continue
        with client.files.with_streaming_response.content(file_id) as response:
            lines: list[str] = []
            for raw in response.iter_lines():
                if raw.strip():
                    lines.append(raw)
                if len(lines) >= COLLECT_CHUNK:
                    used += batch_lines_store(batch=batch, lines=lines, api_key=api_key)
                    lines = []
                    _renew(batch)
            used += batch_lines_store(batch=batch, lines=lines, api_key=api_key)
    batch_unanswered_settle(batch=batch)
    return used


def _entries(lines: list[str]) -> list[tuple[int, int, dict, str]]:
    entries = []
    for raw in lines:
        try:
            entry = json.loads(raw)
            trial_id, number = custom_id_parse(entry["custom_id"])
        except (*MALFORMED, AttributeError) as exc:
            logger.warning("batch line not understood (%s): %.200s", exc, raw)
            continue
        entries.append((trial_id, number, entry, raw))
    return entries


def batch_lines_store(*, batch: ProviderBatch, lines: list[str], api_key: str) -> int:
    """Store a chunk of output or error lines, each into its trial exactly once."""
    entries = _entries(lines)
    if not entries:
        return 0
    run = batch.run
    config = run.config
    endpoint = _priced_at_batch(_endpoint(config, batch.endpoint_id))
    token = batch_token(batch.key)
    max_attempts = int(config.get("max_attempts", settings.LLM_MAX_ATTEMPTS))
    cancelled = Run.objects.filter(pk=run.pk, status=RunStatus.CANCELLED).exists()
    started_at = (batch.submitted_at or batch.created_at).timestamp()
    then = _FollowUps()
    used = 0
    with transaction.atomic():
        # Locked, so a collector that took over a lapsed lease waits and then sees them closed.
        open_attempts = {
            (trial_id, number): attempt_id
            for attempt_id, trial_id, number in Attempt.objects.select_for_update()
            .filter(batch=batch, error=IN_BATCH, trial_id__in=[e[0] for e in entries])
            .values_list("pk", "trial_id", "number")
        }
        jobs = _load(sorted({trial_id for trial_id, _number in open_attempts}))
        for trial_id, number, entry, raw in entries:
            attempt_id = open_attempts.pop((trial_id, number), None)
            job = jobs.get(trial_id)
            if attempt_id is None or job is None:
                continue  # collected before, or not a request of this batch
            result = _line_result(entry, raw, started_at=started_at, api_key=api_key)
            used += 1
            if result.ok:
                structured = "response_format" in _request_body(job, endpoint, config, [])
                _store_outcome(
                    job,
                    endpoint,
                    token,
                    config,
                    [(attempt_id, number, result)],
                    structured=structured,
                    then=then,
                )
            else:
                _close_attempt(attempt_id, result)
                _retry_or_fail(
                    trial_id,
                    number,
                    token=token,
                    error=result.error,
                    retry=result.transient and number < max_attempts,
                    cancelled=cancelled,
                )
        ProviderBatch.objects.filter(pk=batch.pk).update(
            collected_count=F("collected_count") + used
        )
    # Self-reviews of the work samples stored here are pending and go into the next batch.
    return used


def _retry_or_fail(
    trial_id: int, number: int, *, token: str, error: str, retry: bool, cancelled: bool
) -> None:
    now = timezone.now()
    owned = Trial.objects.filter(pk=trial_id, status=TrialStatus.RUNNING, lease_owner=token)
    common = {"lease_owner": "", "lease_expires_at": None, "attempt_count": number}
    if cancelled:
        owned.update(status=TrialStatus.CANCELLED, finished_at=now, **common)
    elif retry:
        owned.update(status=TrialStatus.PENDING, started_at=None, enqueued_at=None, **common)
    else:
        owned.update(
            status=TrialStatus.FAILED,
            outcome_reason=f"gave up after {number} attempts: {error}"[:200],
            finished_at=now,
            **common,
        )


def batch_unanswered_settle(*, batch: ProviderBatch) -> int:
    """Requests the batch ended without answering (expired, cancelled, failed): back to pending
    while attempts remain, else failed (or cancelled with their run)."""
    batch.refresh_from_db(fields=["provider_status", "error"])
    config = batch.run.config
    max_attempts = int(config.get("max_attempts", settings.LLM_MAX_ATTEMPTS))
    cancelled = Run.objects.filter(pk=batch.run_id, status=RunStatus.CANCELLED).exists()
    status = batch.provider_status or "not submitted"
    error = f"no answer: the batch ended {status}"
    if batch.error:
        error = f"{error} ({batch.error})"
    error = error[:1000]
    token = batch_token(batch.key)
    settled = 0
    while True:
        with transaction.atomic():
            rows = list(
                Attempt.objects.select_for_update()
                .filter(batch=batch, error=IN_BATCH)
                .values_list("pk", "trial_id", "number")[:PLAN_CHUNK]
            )
            if not rows:
                return settled
            Attempt.objects.filter(pk__in=[pk for pk, _t, _n in rows]).update(error=error)
            by_number: dict[int, list[int]] = defaultdict(list)
            for _pk, trial_id, number in rows:
                by_number[number].append(trial_id)
            for number, trial_ids in by_number.items():
                owned = Trial.objects.filter(
                    pk__in=trial_ids, status=TrialStatus.RUNNING, lease_owner=token
                )
                common = {"lease_owner": "", "lease_expires_at": None, "attempt_count": number}
                if cancelled:
                    owned.update(status=TrialStatus.CANCELLED, finished_at=timezone.now(), **common)
                elif number < max_attempts:
                    owned.update(
                        status=TrialStatus.PENDING, started_at=None, enqueued_at=None, **common
                    )
                else:
                    owned.update(
                        status=TrialStatus.FAILED,
                        outcome_reason=f"gave up after {number} attempts: {error}"[:200],
                        finished_at=timezone.now(),
                        **common,
                    )
            settled += len(rows)


# -- cancelling --------------------------------------------------------------------------------


def batches_cancel(*, run_id: int) -> int:
    """Cancel a cancelled run's open batches at the provider; their answers are still collected."""
    cancelled = 0
    open_batches = ProviderBatch.objects.filter(run_id=run_id, phase=BatchPhase.SUBMITTED).exclude(
        provider_status__in=[*PROVIDER_BATCH_TERMINAL, "cancelling"]
    )
    for batch in open_batches.select_related("run"):
        client, api_key = _client(_endpoint(batch.run.config, batch.endpoint_id))
        try:
            remote = client.batches.cancel(batch.provider_batch_id)
        except openai.APIError as exc:
            logger.warning("cancelling %s: %s", batch, scrub(str(exc), api_key))
            continue
        ProviderBatch.objects.filter(pk=batch.pk).update(
            provider_status=remote.status, next_poll_at=timezone.now()
        )
        cancelled += 1
    return cancelled


def _abandon(batch_id: int) -> str:
    """A cancelled run's batch that never reached the provider (or must be cancelled there)."""
    batch = _lease(batch_id)
    if batch is None:
        return "leased elsewhere"
    if batch.phase == BatchPhase.UPLOADED:
        client, _api_key = _client(_endpoint(batch.run.config, batch.endpoint_id))
        try:
            remote = _remote_batch(client, batch)
        except openai.APIError:
            _release(batch)
            return "provider error"
        if remote is not None:  # created by a step that died before recording it: adopt it
            _release(
                batch,
                provider_batch_id=remote.id,
                provider_status=remote.status,
                phase=BatchPhase.SUBMITTED,
                submitted_at=timezone.now(),
                next_poll_at=timezone.now(),
            )
            batches_cancel(run_id=batch.run_id)
            return "adopted"
    batch_unanswered_settle(batch=batch)
    _release(batch, phase=BatchPhase.DONE, collected_at=timezone.now())
    return "abandoned"


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
    """Trials submitted, in open batches and done, and each batch with its provider status."""
    submitted = (
        Attempt.objects.filter(
            batch__run=run, batch__phase__in=[BatchPhase.SUBMITTED, BatchPhase.DONE]
        )
        .values("trial_id")
        .distinct()
        .count()
    )
    in_open = Trial.objects.filter(
        run=run, status=TrialStatus.RUNNING, lease_owner__startswith=LEASE_PREFIX
    ).count()
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
