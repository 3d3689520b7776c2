"""Probing an endpoint and storing what it supports, so runs can be checked before they start.

The HTTP requests are made first (`llmruns.probe`), outside any transaction; the result is then
stored in one write: the booleans the request builder reads and the full report with the raw
error texts and the date, shown in the admin and the API.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from llmruns.models import ModelEndpoint, TokenLimitParam
from llmruns.probe import ProbeReport, probe_capabilities


def endpoint_probe(*, endpoint: ModelEndpoint, timeout: float | None = None) -> ModelEndpoint:
    """Probe `endpoint` over HTTP and store what it supports."""
    report = probe_capabilities(
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key_env=endpoint.api_key_env,
        timeout=timeout or endpoint.timeout_seconds,
    )
    return endpoint_capabilities_store(endpoint=endpoint, report=report)


@transaction.atomic
def endpoint_capabilities_store(*, endpoint: ModelEndpoint, report: ProbeReport) -> ModelEndpoint:
    """Store a probe's report. An endpoint no request reached keeps its flags; the report says why."""
    endpoint = ModelEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.capabilities = {
        "results": report.results,
        "token_limit_param": report.token_limit_param,
    }
    endpoint.probed_at = timezone.now()
    fields = ["capabilities", "probed_at"]
    if report.token_limit_param is not None:
        endpoint.token_limit_param = TokenLimitParam(report.token_limit_param)
        endpoint.supports_system_role = report.supported("system_role")
        endpoint.accepts_temperature = report.supported("temperature")
        endpoint.accepts_top_p = report.supported("top_p")
        endpoint.supports_seed = report.supported("seed")
        endpoint.supports_json_schema = report.supported("json_schema")
        endpoint.supports_logprobs = report.supported("logprobs")
        fields += [
            "token_limit_param",
            "supports_system_role",
            "accepts_temperature",
            "accepts_top_p",
            "supports_seed",
            "supports_json_schema",
            "supports_logprobs",
        ]
    endpoint.save(update_fields=fields)
    return endpoint
