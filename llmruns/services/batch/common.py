"""What the batch steps share: names, the provider client, custom ids and leases on batch rows."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from llmruns.client import client_for
from llmruns.models import ProviderBatch, Run, Trial, TrialStatus

# The SDK is imported on use: it costs about half a second at the start-up of every process.
if TYPE_CHECKING:
    import openai

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


def _scaled_to_batch(endpoint: dict, live_key: str, *, base: str) -> str | None:
    """The live price `live_key` cut as the batch cuts the `base` price ("input" or "output"):
    by the batch base price's share of the live base price. None when the live price is unset
    (the tokens cost the batch base price); the batch base price when the live base is free."""
    live = endpoint.get(live_key)
    if live is None:
        return None
    live_base = Decimal(endpoint[f"price_{base}_per_million"])
    batch_base = endpoint[f"batch_price_{base}_per_million"]
    if not live_base:
        return batch_base
    share = Decimal(batch_base) / live_base
    return str((Decimal(live) * share).quantize(Decimal("0.0001")))


def _batch_reasoning_price(endpoint: dict) -> str | None:
    """The batch price of reasoning tokens; None: they cost the batch output price.

    A configuration frozen before batch reasoning prices were recorded scales the live
    reasoning price by the batch output price's share of the live output price."""
    if "batch_price_reasoning_per_million" in endpoint:
        return endpoint["batch_price_reasoning_per_million"]
    return _scaled_to_batch(endpoint, "price_reasoning_per_million", base="output")


def _batch_cached_input_price(endpoint: dict) -> str | None:
    """The batch price of cached prompt tokens; None: they cost the batch input price.

    The live cached input price, cut as the input price is."""
    return _scaled_to_batch(endpoint, "price_cached_input_per_million", base="input")


def _priced_at_batch(endpoint: dict) -> dict:
    """The endpoint as the live store code reads it, with the batch prices as its prices
    (reasoning and cached prompt tokens included)."""
    return {
        **endpoint,
        "price_input_per_million": endpoint["batch_price_input_per_million"],
        "price_cached_input_per_million": _batch_cached_input_price(endpoint),
        "price_output_per_million": endpoint["batch_price_output_per_million"],
        "price_reasoning_per_million": _batch_reasoning_price(endpoint),
    }


def _client(endpoint: dict) -> tuple[openai.OpenAI, str]:
    """The SDK client for batch calls: the endpoint's, with a timeout long enough for files."""
    client, api_key = client_for(
        base_url=endpoint["base_url"],
        api_key_env=endpoint["api_key_env"],
        timeout=max(endpoint["timeout_seconds"], BATCH_HTTP_TIMEOUT),
    )
    return client, api_key


def _retry_live(config: dict) -> bool:
    return bool((config.get("execution") or {}).get("retry_live"))


def batch_bound(run: Run) -> Any:
    """The pending trials of a batch run that go into batches (the rest, if any, go live)."""
    pending = Trial.objects.filter(run=run, status=TrialStatus.PENDING)
    return pending.filter(attempt_count=0) if _retry_live(run.config) else pending


# -- leases on batch rows ----------------------------------------------------------------------


def _lease(batch_id: int) -> ProviderBatch | None:
    now = timezone.now()
    taken = ProviderBatch.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=batch_id
    ).update(lease_until=now + timedelta(seconds=settings.LLM_BATCH_LEASE_SECONDS))
    return ProviderBatch.objects.select_related("run").get(pk=batch_id) if taken else None


def _hold(batch: ProviderBatch) -> bool:
    """Renew the lease only if it is still this step's (the expiry it took is the token): False
    when it lapsed and another step took the batch over, which must then do the work alone."""
    until = timezone.now() + timedelta(seconds=settings.LLM_BATCH_LEASE_SECONDS)
    held = ProviderBatch.objects.filter(pk=batch.pk, lease_until=batch.lease_until).update(
        lease_until=until
    )
    if held:
        batch.lease_until = until
    return bool(held)


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
