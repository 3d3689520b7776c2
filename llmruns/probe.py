"""Finding out what an OpenAI-compatible endpoint accepts, with a few cheap requests.

Providers differ: reasoning models reject `temperature` and `top_p` with a 400 and want
`max_completion_tokens`; some models have no structured outputs or no logprobs; some gateways
ignore a parameter instead of rejecting it. A run must know before it starts, so the probe sends
one small request per capability (a one-line question, a handful of output tokens), each adding a
single parameter to a request known to work, and keeps for each capability whether it is
supported, the HTTP status and the raw error text. No Django here: the service stores the result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from llmruns.client import CallResult, chat_call, client_for
from llmruns.parsing import likert_json_schema, parse_structured

# A Likert question like the instrument's, so that the answer can be checked as one.
PROBE_QUESTION = (
    "How much would you like to do this activity: read books?\n"
    "1 = Strongly dislike\n2 = Dislike\n3 = Unsure\n4 = Like\n5 = Strongly like\n"
    "Answer with the number only."
)
PROBE_TOKENS = 16
MAX_ERROR_CHARS = 2000
CAPABILITIES = (
    "max_tokens",
    "max_completion_tokens",
    "system_role",
    "temperature",
    "top_p",
    "seed",
    "json_schema",
    "logprobs",
)


class ProbeBusy(Exception):
    """A probe request got no turn from the endpoint's limits in time; the message says why."""


@dataclass(frozen=True)
class ProbeReport:
    """Per capability: {"supported": bool, "status": int | None, "error": raw text}."""

    results: dict[str, dict[str, Any]]
    token_limit_param: str | None  # None when no request succeeded at all

    def supported(self, name: str) -> bool:
        return bool(self.results.get(name, {}).get("supported"))


def _entry(result: CallResult, supported: bool, note: str = "") -> dict[str, Any]:
    error = "" if supported else (note or result.error)
    if not supported and result.response_text:
        error = f"{error}: {result.response_text}" if error else result.response_text
    return {"supported": supported, "status": result.status_code, "error": error[:MAX_ERROR_CHARS]}


def _json_answer_ok(result: CallResult) -> bool:
    return result.ok and parse_structured(result.content or "").outcome == "ok"


def _logprobs_ok(result: CallResult) -> bool:
    return result.ok and bool(result.top_logprobs) and len(result.top_logprobs or []) > 1


def probe_capabilities(
    *,
    base_url: str,
    model: str,
    api_key_env: str,
    timeout: float = 20.0,
    turn: Callable[[], AbstractContextManager] = nullcontext,
    answered: Callable[[CallResult], None] = lambda result: None,
) -> ProbeReport:
    """Probe an endpoint; every request goes over HTTP through the `openai` SDK, each inside a
    ``turn()`` (the endpoint's rate and concurrency limits, shared with its runs), and each
    result is shown to ``answered`` (which pauses the endpoint for a server's Retry-After). A
    turn that raises ProbeBusy ends the probe with nothing learnt and the reason in every entry."""
    client, api_key = client_for(base_url=base_url, api_key_env=api_key_env, timeout=timeout)

    def call(body: dict[str, Any]) -> CallResult:
        with turn():
            result = chat_call(client=client, api_key=api_key, body={"model": model, **body})
        answered(result)
        return result

    try:
        return _probe(call)
    except ProbeBusy as busy:
        # Nothing is known: every capability keeps its flag, and the report says why.
        results = {
            name: {"supported": False, "status": None, "error": str(busy)} for name in CAPABILITIES
        }
        return ProbeReport(results, None)


def _probe(call: Callable[[dict[str, Any]], CallResult]) -> ProbeReport:
    user = [{"role": "user", "content": PROBE_QUESTION}]
    results: dict[str, dict[str, Any]] = {}
    for param in ("max_tokens", "max_completion_tokens"):
        result = call({"messages": user, param: PROBE_TOKENS})
        results[param] = _entry(result, result.ok)
    token_param = next(
        (param for param in ("max_tokens", "max_completion_tokens") if results[param]["supported"]),
        None,
    )
    if token_param is None:
        note = "no request succeeded with either token limit parameter"
        for name in CAPABILITIES[2:]:
            results[name] = {"supported": False, "status": None, "error": note}
        return ProbeReport(results, None)
    base = {"messages": user, token_param: PROBE_TOKENS}
    checks: dict[str, tuple[dict[str, Any], Any]] = {
        "system_role": (
            {"messages": [{"role": "system", "content": "Answer briefly."}, *user]},
            None,
        ),
        "temperature": ({"temperature": 0.5}, None),
        "top_p": ({"top_p": 0.9}, None),
        "seed": ({"seed": 1}, None),
        "json_schema": ({"response_format": likert_json_schema()}, _json_answer_ok),
        "logprobs": ({"logprobs": True, "top_logprobs": 5, token_param: 1}, _logprobs_ok),
    }
    for name, (extra, accept) in checks.items():
        result = call({**base, **extra})
        supported = accept(result) if accept else result.ok
        note = ""
        if result.ok and not supported:
            # Accepted but not honoured (a gateway that ignores the parameter).
            note = f"accepted but not honoured; content: {json.dumps(result.content)[:200]}"
        results[name] = _entry(result, supported, note)
    return ProbeReport(results, token_param)
