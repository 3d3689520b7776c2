"""Probing an endpoint and storing what it supports, so runs can be checked before they start.

The HTTP requests are made first (`llmruns.probe`), outside any transaction; the result is then
stored in one write: the booleans the request builder reads and the full report with the raw
error texts and the date, shown in the admin and the API.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from django.db import transaction
from django.utils import timezone

from llmruns.client import CallResult, longest_call_seconds
from llmruns.limiter import (
    SLOT_MARGIN_SECONDS,
    LimiterCancelled,
    endpoint_limiter_key,
    endpoint_turn,
    get_limiter,
)
from llmruns.models import ModelEndpoint, TokenLimitParam
from llmruns.probe import ProbeBusy, ProbeReport, probe_capabilities

# How long one probe request may wait for a turn under the endpoint's limits.
PROBE_WAIT_SECONDS = 30.0


def endpoint_probe(*, endpoint: ModelEndpoint, timeout: float | None = None) -> ModelEndpoint:
    """Probe `endpoint` over HTTP and store what it supports."""
    timeout = timeout or endpoint.timeout_seconds
    report = probe_capabilities(
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key_env=endpoint.api_key_env,
        timeout=timeout,
        # The probe's requests count against the endpoint's limits like a run's calls do.
        turn=partial(
            _turn, endpoint, slot_seconds=longest_call_seconds(timeout) + SLOT_MARGIN_SECONDS
        ),
        answered=partial(_pause_if_asked, endpoint),
    )
    return endpoint_capabilities_store(endpoint=endpoint, report=report)


def _pause_if_asked(endpoint: ModelEndpoint, result: CallResult) -> None:
    """A 429 with Retry-After pauses every call to the endpoint, the probe's next requests and
    its runs' calls alike, as a run's own call answered so does."""
    if result.transient and result.retry_after:
        get_limiter().pause(endpoint_limiter_key(endpoint.pk), result.retry_after)


@contextmanager
def _turn(endpoint: ModelEndpoint, *, slot_seconds: float) -> Iterator[None]:
    """One probe request's turn under the endpoint's limits, waited for at most
    PROBE_WAIT_SECONDS (a probe is asked for in a web request)."""
    deadline = time.monotonic() + PROBE_WAIT_SECONDS
    try:
        with endpoint_turn(
            get_limiter(),
            endpoint_limiter_key(endpoint.pk),
            requests_per_minute=endpoint.max_requests_per_minute,
            concurrency=endpoint.max_concurrency,
            cancelled=lambda: time.monotonic() > deadline,
            slot_seconds=slot_seconds,
        ):
            yield
    except LimiterCancelled as exc:
        raise ProbeBusy(
            f"no turn within {PROBE_WAIT_SECONDS:g} s under the endpoint's rate and concurrency "
            "limits (runs are using it)"
        ) from exc


# The flag each capability decides.
FLAGS = {
    "system_role": "supports_system_role",
    "temperature": "accepts_temperature",
    "top_p": "accepts_top_p",
    "seed": "supports_seed",
    "json_schema": "supports_json_schema",
    "logprobs": "supports_logprobs",
}


@transaction.atomic
def endpoint_capabilities_store(*, endpoint: ModelEndpoint, report: ProbeReport) -> ModelEndpoint:
    """Store a probe's report. Only what the probe decided changes a flag: an undecided capability
    (rate limited, server error, no answer) keeps its flag, and the report lists it as undecided."""
    endpoint = ModelEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.capabilities = {
        "results": report.results,
        "token_limit_param": report.token_limit_param,
        "undecided": report.undecided(),
    }
    endpoint.probed_at = timezone.now()
    fields = ["capabilities", "probed_at"]
    if report.token_limit_param is not None:
        endpoint.token_limit_param = TokenLimitParam(report.token_limit_param)
        fields.append("token_limit_param")
    for capability, flag in FLAGS.items():
        supported = report.supported(capability)
        if supported is not None:
            setattr(endpoint, flag, supported)
            fields.append(flag)
    endpoint.save(update_fields=fields)
    return endpoint
