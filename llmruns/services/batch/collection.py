"""Polling and collecting a batch: its output and error files streamed line by line into the
trials, each line once; the unanswered back to pending; cancelling at the provider."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from llmruns.client import (
    MALFORMED,
    TRANSIENT_STATUS,
    CallResult,
    completion_read,
    scrub,
)
from llmruns.models import (
    PROVIDER_BATCH_TERMINAL,
    Attempt,
    BatchPhase,
    ProviderBatch,
    RunStatus,
    Trial,
    TrialStatus,
)
from llmruns.services.batch.common import (
    COLLECT_CHUNK,
    IN_BATCH,
    PLAN_CHUNK,
    _backoff,
    _client,
    _endpoint,
    _lease,
    _priced_at_batch,
    _release,
    _renew,
    batch_token,
    custom_id_parse,
)
from llmruns.services.batch.submission import _remote_batch
from llmruns.services.execution import (
    _CLOSE_ATTEMPT_SQL,
    _STORE_SQL,
    TrialJob,
    _close_attempt_params,
    _create_self_reviews,
    _load,
    _outcome_fields,
    _run_cancelled,
    _run_cancelled_locked,
    _store_params,
    spent,
)
from llmruns.services.lifecycle import run_finish_if_done

# The SDK is imported on use: it costs about half a second at the start-up of every process.
if TYPE_CHECKING:
    import openai

logger = logging.getLogger(__name__)

# -- polling and collection --------------------------------------------------------------------


def batch_poll(*, batch_id: int) -> str:
    """Ask the provider how a submitted batch is doing; collect it once it has ended."""
    import openai  # imported on use (see the top)

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
        if remote.status != "cancelling" and batch.run.status == RunStatus.CANCELLED:
            # The task that cancels at the provider when the run is cancelled may never have run
            # or may have failed: an open batch of a cancelled run is cancelled here instead.
            return _cancel_polled(batch, client=client, api_key=api_key)
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
    response = entry.get("response")
    error = entry.get("error")
    if response is not None and not isinstance(response, dict):
        result.error = "malformed batch line: its response is not an object"
        result.transient = True
    elif error is not None and not isinstance(error, dict):
        result.error = "malformed batch line: its error is not an object"
        result.transient = True
    else:
        result.status_code = (response or {}).get("status_code")
        body = (response or {}).get("body")
        if error:
            result.error = f"batch line error {error.get('code')}: {error.get('message')}"
            result.transient = True  # e.g. batch_expired: the request was never run
        elif result.status_code != 200:
            result.error = f"HTTP {result.status_code}: {_error_message(body)}".strip()
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


def _error_message(body: object) -> str:
    """The message of an error response's body: `{"error": {"message": ...}}`, or a bare string
    in place of the error object."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return error if isinstance(error, str) else ""


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


def _entries(batch: ProviderBatch, lines: list[str]) -> list[tuple[int, int, dict, str]]:
    """(trial id, attempt number, line object, raw line) of each line that names its request.

    A line that is no JSON object, or names no request of the platform's, is skipped and logged:
    its request, if any, is settled with the batch's unanswered ones.
    """
    entries = []
    for raw in lines:
        try:
            entry = json.loads(raw)
            if not isinstance(entry, dict):
                raise TypeError(f"a JSON {type(entry).__name__}, not an object")
            trial_id, number = custom_id_parse(entry["custom_id"])
        except MALFORMED as exc:
            logger.warning("%s: batch line not understood (%s): %.200s", batch, exc, raw)
            continue
        entries.append((trial_id, number, entry, raw))
    if skipped := len(lines) - len(entries):
        logger.warning("%s: %d of %d lines not understood and skipped", batch, skipped, len(lines))
    return entries


_OPEN_ATTEMPTS_SQL = f"""
SELECT id, trial_id, number FROM {Attempt._meta.db_table}
WHERE batch_id = %s AND error = %s AND trial_id IN ({{ids}})
"""  # noqa: S608


def _open_attempts(batch: ProviderBatch, trial_ids: list[int]) -> dict[tuple[int, int], int]:
    """(trial, number) -> attempt id of the batch's requests among these not yet collected,
    locked (where the database can), so a collector that took over a lapsed lease waits and then
    sees them closed. In SQL: the ORM's `__in` cost a tenth of a millisecond per id."""
    sql = _OPEN_ATTEMPTS_SQL.format(ids=", ".join(["%s"] * len(trial_ids)))
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [batch.pk, IN_BATCH, *trial_ids])
        return {(trial_id, number): pk for pk, trial_id, number in cursor.fetchall()}


def batch_lines_store(*, batch: ProviderBatch, lines: list[str], api_key: str) -> int:
    """Store a chunk of output or error lines, each into its trial exactly once.

    Answers are parsed and priced by the live path's own code; the chunk's attempts and trials
    are written with one statement each (executemany), in one transaction.
    """
    entries = _entries(batch, lines)
    if not entries:
        return 0
    run = batch.run
    config = run.config
    endpoint = _priced_at_batch(_endpoint(config, batch.endpoint_id))
    token = batch_token(batch.key)
    max_attempts = int(config.get("max_attempts", settings.LLM_MAX_ATTEMPTS))
    started_at = (batch.submitted_at or batch.created_at).timestamp()
    reviews = "self_review" in config["kinds"]
    closes: list[list] = []
    stores: list[list] = []
    failures: list[tuple[int, int, CallResult]] = []
    reviewed: list[TrialJob] = []
    with transaction.atomic():
        # Locked, so a run cancelled while the chunk is stored is seen by it (or its cancel
        # waits for the chunk): no trial of a cancelled run goes back to pending or is created
        # pending here.
        cancelled = _run_cancelled_locked(run.pk)
        open_attempts = _open_attempts(batch, sorted({e[0] for e in entries}))
        jobs = _load(sorted({trial_id for trial_id, _number in open_attempts}))
        for trial_id, number, entry, raw in entries:
            attempt_id = open_attempts.pop((trial_id, number), None)
            job = jobs.get(trial_id)
            if attempt_id is None or job is None:
                continue  # collected before, or not a request of this batch
            result = _line_result(entry, raw, started_at=started_at, api_key=api_key)
            closes.append(_close_attempt_params(attempt_id, result))
            if not result.ok:
                failures.append((trial_id, number, result))
                continue
            # Parsed by the trial's elicitation method, as a live answer would be.
            fields = _outcome_fields(job, endpoint, config, [(attempt_id, number, result)])
            stores.append(_store_params(trial_id, token, fields))
            if reviews and job.kind == "work_sample" and fields["status"] == TrialStatus.OK:
                reviewed.append(job)
        with connection.cursor() as cursor:
            cursor.executemany(_CLOSE_ATTEMPT_SQL, closes)
            cursor.executemany(_STORE_SQL, stores)
        for trial_id, number, result in failures:
            _retry_or_fail(
                trial_id,
                number,
                token=token,
                error=result.error,
                retry=result.transient and number < max_attempts,
                cancelled=cancelled,
                spent_fields=spent(endpoint, [result]),
            )
        for job in reviewed:
            # Pending, so the next batch takes it (it is never queued live from here); cancelled
            # if the run is.
            _create_self_reviews(job, config, run_cancelled=cancelled)
        ProviderBatch.objects.filter(pk=batch.pk).update(
            collected_count=F("collected_count") + len(closes)
        )
    return len(closes)


def _retry_or_fail(
    trial_id: int,
    number: int,
    *,
    token: str,
    error: str,
    retry: bool,
    cancelled: bool,
    spent_fields: dict,
) -> None:
    """A failed line: the trial back to pending, failed or cancelled, with what the line was
    billed (a line answered with an unusable body still cost its tokens) added to its totals."""
    now = timezone.now()
    owned = Trial.objects.filter(pk=trial_id, status=TrialStatus.RUNNING, lease_owner=token)
    common = {
        "lease_owner": "",
        "lease_expires_at": None,
        "attempt_count": number,
        **{field: F(field) + value for field, value in spent_fields.items()},
    }
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
    cancelled = _run_cancelled(batch.run_id)
    if batch.provider_status:
        error = f"no answer: the batch ended {batch.provider_status}"
    elif batch.error:
        error = "no answer: the provider refused the batch"
    else:
        error = "no answer: the batch was never submitted"
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


def _provider_cancel(batch: ProviderBatch, *, client: openai.OpenAI, api_key: str) -> str:
    """Ask the provider to cancel the batch and record the status it answers with; raises the
    SDK's APIError (logged) when the provider refuses or cannot be reached."""
    import openai  # imported on use (see the top)

    try:
        remote = client.batches.cancel(batch.provider_batch_id)
    except openai.APIError as exc:
        logger.warning("cancelling %s: %s", batch, scrub(str(exc), api_key))
        raise
    ProviderBatch.objects.filter(pk=batch.pk).update(provider_status=remote.status)
    batch.provider_status = remote.status
    return remote.status


def _cancel_polled(batch: ProviderBatch, *, client: openai.OpenAI, api_key: str) -> str:
    """Cancel a leased, polled batch of a cancelled run; polled on until the provider ends it,
    when what it answered before the cancel is collected like any ended batch's answers."""
    import openai  # imported on use (see the top)

    try:
        status = _provider_cancel(batch, client=client, api_key=api_key)
    except openai.APIError as exc:
        _release(
            batch,
            error=scrub(f"cancelling: {type(exc).__name__}: {exc}", api_key)[:2000],
            next_poll_at=_backoff(batch),
        )
        return "provider error"
    _release(batch, next_poll_at=_backoff(batch))
    return status


def batches_cancel(*, run_id: int) -> int:
    """Cancel a cancelled run's open batches at the provider; their answers are still collected.

    A batch this misses (the provider did not answer) is cancelled by its next poll."""
    import openai  # imported on use (see the top)

    cancelled = 0
    open_batches = ProviderBatch.objects.filter(run_id=run_id, phase=BatchPhase.SUBMITTED).exclude(
        provider_status__in=[*PROVIDER_BATCH_TERMINAL, "cancelling"]
    )
    for batch in open_batches.select_related("run"):
        client, api_key = _client(_endpoint(batch.run.config, batch.endpoint_id))
        try:
            _provider_cancel(batch, client=client, api_key=api_key)
        except openai.APIError:
            continue
        ProviderBatch.objects.filter(pk=batch.pk).update(next_poll_at=timezone.now())
        cancelled += 1
    return cancelled


def _abandon(batch_id: int) -> str:
    """A cancelled run's batch that never reached the provider (or must be cancelled there)."""
    import openai  # imported on use (see the top)

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
