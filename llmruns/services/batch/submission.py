"""Submitting a batch: plan (claim trials, write their Attempts), upload, create; each recorded
before and after its provider call, and what a crashed step left at the provider adopted."""

from __future__ import annotations

import tempfile
import uuid
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from llmruns.client import TRANSIENT_STATUS, scrub
from llmruns.models import Attempt, BatchPhase, ProviderBatch, Run, Trial, TrialStatus
from llmruns.prompts import render_prompt
from llmruns.services.batch.common import (
    ADOPT_MARGIN,
    BATCH_KEY_METADATA,
    BATCH_URL,
    COMPLETION_WINDOW,
    IN_BATCH,
    PLAN_CHUNK,
    _backoff,
    _client,
    _crash_point,
    _endpoint,
    _hold,
    _lease,
    _release,
    _request_line,
    batch_bound,
    batch_token,
)
from llmruns.services.execution import TrialJob, _load, _request_body, _when

# The SDK is imported on use: it costs about half a second at the start-up of every process.
if TYPE_CHECKING:
    import openai

# Refusals (4xx other than rate limits) of one batch's upload or creation before it is given up.
MAX_REFUSALS = 3

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
    with connection.cursor() as cursor:
        cursor.execute(_LAST_NUMBERS_SQL.format(ids=_placeholders(len(trial_ids))), trial_ids)
        done = dict(cursor.fetchall())
    return {pk: (done.get(pk) or 0) + 1 for pk in trial_ids}


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
    count = size = planned = last_pk = 0
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
        chosen: dict[int, tuple[int, dict, int]] = {}
        for job, body in _bodies(_load(ids), ids, endpoint, config):
            length = len(_request_line(job.pk, numbers[job.pk], body))
            if planned + length > max_bytes:
                if count + len(chosen) == 0:
                    _fail_oversized(job.pk, length, max_bytes)
                    continue
                full = True
                break
            planned += length
            chosen[job.pk] = (numbers[job.pk], body, length)
        # Another tick may have claimed some of them meanwhile: count only what this one got.
        claimed = _claim(batch, token, chosen)
        count += len(claimed)
        size += sum(chosen[pk][2] for pk in claimed)
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


# Planning's writes in SQL: Django's bulk insert compiler cost more CPU than everything else a
# trial needs in batch mode.
_CLAIM_SQL = f"""
UPDATE {Trial._meta.db_table}
SET status = %s, lease_owner = %s, lease_expires_at = NULL, enqueued_at = NULL, started_at = %s
WHERE status = %s AND id IN ({{ids}})
RETURNING id
"""  # noqa: S608
_INSERT_ATTEMPT_SQL = f"""
INSERT INTO {Attempt._meta.db_table}
    (trial_id, number, worker, request_body, response_body, status_code, error, started_at,
     duration_ms, batch_id)
VALUES (%s, %s, %s, %s, '', NULL, %s, %s, 0, %s)
"""  # noqa: S608
_LAST_NUMBERS_SQL = f"""
SELECT trial_id, MAX(number) FROM {Attempt._meta.db_table}
WHERE trial_id IN ({{ids}}) GROUP BY trial_id
"""  # noqa: S608


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def _claim(batch: ProviderBatch, token: str, chosen: dict[int, tuple[int, dict, int]]) -> list[int]:
    """Lease the chosen trials to the batch (only those still pending) and write their Attempts;
    the ids claimed."""
    if not chosen:
        return []
    now = _when(timezone.now())
    ids = list(chosen)
    prepare = Attempt._meta.get_field("request_body").get_db_prep_value
    with connection.cursor() as cursor:
        # The lease never expires (the live reaper only returns leases that do).
        cursor.execute(
            _CLAIM_SQL.format(ids=_placeholders(len(ids))),
            [TrialStatus.RUNNING, token, now, TrialStatus.PENDING, *ids],
        )
        claimed = [row[0] for row in cursor.fetchall()]
        cursor.executemany(
            _INSERT_ATTEMPT_SQL,
            [
                [pk, chosen[pk][0], token, prepare(chosen[pk][1], connection), IN_BATCH, now,
                 batch.pk]
                for pk in claimed
            ],
        )  # fmt: skip
    return claimed


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


LEASE_LOST = "lease lost"


def batch_push(*, batch_id: int) -> str:
    """Upload a planned batch and create it at the provider, adopting what a crash left there."""
    import openai  # imported on use (see the top)

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
            if not _hold(batch):
                return LEASE_LOST
            ProviderBatch.objects.filter(pk=batch.pk).update(
                input_file_id=file_id, phase=BatchPhase.UPLOADED, uploaded_at=timezone.now()
            )
            batch.input_file_id, batch.phase = file_id, BatchPhase.UPLOADED
        remote = _remote_batch(client, batch)
        if remote is None:
            # An upload can outlast the lease: a step that took the batch over meanwhile adopts
            # the uploaded file, and only one of the two may create the provider batch.
            if not _hold(batch):
                return LEASE_LOST
            remote = client.batches.create(
                input_file_id=batch.input_file_id,
                endpoint=BATCH_URL,
                completion_window=COMPLETION_WINDOW,
                metadata={BATCH_KEY_METADATA: batch.key, "run": str(batch.run_id)},
            )
            _crash_point("after_create")
    except openai.APIError as exc:
        batch.polls += 1
        error = scrub(f"{type(exc).__name__}: {exc}", api_key)[:2000]
        refused = isinstance(exc, openai.APIStatusError) and exc.status_code not in TRANSIENT_STATUS
        if refused and batch.polls >= MAX_REFUSALS:
            # The provider keeps refusing this batch: its requests go back to pending (or fail)
            # as those of a batch that ended unanswered, and the batch is closed.
            from llmruns.services.batch.collection import batch_unanswered_settle

            ProviderBatch.objects.filter(pk=batch.pk).update(error=error, provider_status="")
            batch_unanswered_settle(batch=batch)
            _release(batch, phase=BatchPhase.DONE, collected_at=timezone.now(), polls=batch.polls)
            return "refused"
        _release(
            batch,
            error=error,
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
