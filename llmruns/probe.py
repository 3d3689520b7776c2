"""Finding out what an OpenAI-compatible endpoint accepts, with a few cheap requests.

Providers differ: reasoning models reject `temperature` and `top_p` with a 400 and want
`max_completion_tokens`; some models have no structured outputs or no logprobs; some gateways
ignore a parameter instead of rejecting it. A run must know before it starts, so the probe sends
one small request per capability (a one-line question, a handful of output tokens), each adding a
single parameter to a request known to work, and keeps for each capability whether it is
supported, the HTTP status and the raw error text. No Django here: the service stores the result.

Only an answer about the request decides a capability: a success (with the feature honoured, where
that can be checked), a success without the feature, or a refusal of the request (400, 422). An
answer that says nothing about the parameter leaves the capability undecided (``supported`` is
None): a rate limit (429), a server error (5xx), a timeout, a connection failure, an unreadable
body, or a refusal of the key or the model (401, 403, 404). A request answered with a rate limit
or a server error is sent once more, after the endpoint's pause when the server gave a Retry-After
(the turn waits for it), else after PROBE_RETRY_DELAY_SECONDS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from llmruns.client import TRANSIENT_STATUS, CallResult, chat_call, client_for
from llmruns.parsing import likert_json_schema, parse_structured

# A Likert question like the instrument's, so that the answer can be checked as one.
PROBE_QUESTION = (
    "How much would you like to do this activity: read books?\n"
    "1 = Strongly dislike\n2 = Dislike\n3 = Unsure\n4 = Like\n5 = Strongly like\n"
    "Answer with the number only."
)
PROBE_TOKENS = 16
MAX_ERROR_CHARS = 2000
# A request answered with a rate limit or a server error is sent at most this many times.
PROBE_ATTEMPTS = 2
# The wait before sending it again when the server gave no Retry-After.
PROBE_RETRY_DELAY_SECONDS = 1.0
# Answers about the key or the model, not about the parameter the request added.
UNDECIDING_STATUS = {401, 403, 404}
AGAIN_LATER = "undecided, probe again later"
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
    """Per capability: {"supported": True, False or None (undecided), "status": int | None,
    "error": raw text}."""

    results: dict[str, dict[str, Any]]
    # The token limit parameter to use: max_tokens when it works, max_completion_tokens when
    # max_tokens is refused and it works; None when that is undecided.
    token_limit_param: str | None

    def supported(self, name: str) -> bool | None:
        return self.results.get(name, {}).get("supported")

    def undecided(self) -> list[str]:
        return [name for name in CAPABILITIES if self.supported(name) is None]


def undecided_answer(result: CallResult) -> bool:
    """Whether a failed request's answer says nothing about the parameter it added."""
    if result.ok:
        return False
    if result.transient or result.status_code is None:
        return True
    return result.status_code >= 500 or result.status_code in UNDECIDING_STATUS


def _entry(result: CallResult, supported: bool, note: str = "") -> dict[str, Any]:
    decided: bool | None = supported
    error = "" if supported else (note or result.error)
    if not supported and undecided_answer(result):
        decided = None
        error = f"{error}; {AGAIN_LATER}"
    if not supported and result.response_text:
        error = f"{error}: {result.response_text}" if error else result.response_text
    return {"supported": decided, "status": result.status_code, "error": error[:MAX_ERROR_CHARS]}


def _undecided(note: str) -> dict[str, Any]:
    return {"supported": None, "status": None, "error": note[:MAX_ERROR_CHARS]}


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
    turn that raises ProbeBusy leaves this request's capability and every later one undecided,
    with the reason; what was learnt before is kept."""
    client, api_key = client_for(base_url=base_url, api_key_env=api_key_env, timeout=timeout)
    busy: list[str] = []

    def send(body: dict[str, Any]) -> CallResult:
        if busy:
            return CallResult(request_body=body, error=busy[0], transient=True)
        try:
            with turn():
                result = chat_call(client=client, api_key=api_key, body=body)
        except ProbeBusy as exc:
            busy.append(str(exc))
            return CallResult(request_body=body, error=busy[0], transient=True)
        answered(result)
        return result

    def call(body: dict[str, Any]) -> CallResult:
        body = {"model": model, **body}
        result = send(body)
        for _ in range(PROBE_ATTEMPTS - 1):
            if busy or result.status_code not in TRANSIENT_STATUS:
                break
            if not result.retry_after:
                time.sleep(PROBE_RETRY_DELAY_SECONDS)
            again = send(body)  # the turn waits out a Retry-After pause
            if busy:  # not sent again: the answer stays the last one the server gave
                result.error = f"{result.error}; not sent again: {busy[0]}"
                break
            result = again
        return result

    return _probe(call)


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
    # max_tokens is preferred: max_completion_tokens is chosen only once max_tokens is refused.
    chosen = token_param if results["max_tokens"]["supported"] is not None else None
    if token_param is None:
        note = "not probed: no request succeeded with either token limit parameter"
        unanswered = next(
            (p for p in ("max_tokens", "max_completion_tokens") if results[p]["supported"] is None),
            None,
        )
        if unanswered:
            note = f"{note}; {unanswered}: {results[unanswered]['error']}"
        for name in CAPABILITIES[2:]:
            results[name] = _undecided(note)
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
    return ProbeReport(results, chosen)
