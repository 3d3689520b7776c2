"""One stateless chat-completion call through the `openai` SDK, with everything it said kept.

The SDK's own retries are off (`max_retries=0`): retries are the platform's, so that every HTTP call
is visible as an Attempt. Nothing here touches the database.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import httpx

# The SDK is imported on use: it costs about half a second at the start-up of every process.
if TYPE_CHECKING:
    import openai

TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
KEY_PATTERN = re.compile(r"(sk|key|tok)[-_][A-Za-z0-9*_\-]{6,}", re.IGNORECASE)


@dataclass
class CallResult:
    request_body: dict[str, Any]
    status_code: int | None = None
    response_text: str = ""
    error: str = ""
    transient: bool = False
    retry_after: float | None = None
    content: str | None = None
    finish_reason: str | None = None
    input_tokens: int = 0
    # Prompt tokens the provider served from its prompt cache (part of input_tokens, as
    # usage.prompt_tokens counts them).
    cached_input_tokens: int = 0
    output_tokens: int = 0
    # Reasoning returned apart from the answer (`reasoning_content` or `reasoning`), and its
    # tokens (part of output_tokens, as usage.completion_tokens counts them).
    reasoning_text: str = ""
    reasoning_tokens: int = 0
    # The first answer token's alternatives, (token, logprob), when logprobs were returned.
    top_logprobs: list[tuple[str, float]] | None = None
    duration_ms: float = 0.0
    started_at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.content is not None and not self.error


def api_key_for(api_key_env: str) -> str:
    """The key from the named environment variable; servers that need none get a placeholder."""
    key = os.environ.get(api_key_env, "") if api_key_env else ""
    return key or "not-needed"


def scrub(text: str, api_key: str) -> str:
    """Remove the API key (and anything shaped like one) from text that is about to be stored."""
    if api_key and api_key != "not-needed" and len(api_key) >= 4:
        text = text.replace(api_key, "[key removed]")
    return KEY_PATTERN.sub("[key removed]", text)


def longest_call_seconds(timeout: float) -> float:
    """How long one call made with `timeout` may take: the SDK tries once (`max_retries=0`), and
    the timeout bounds each phase of the try (connecting, then waiting for the reply), so a call
    may take up to about twice the timeout. What must outlast a call (the trial's lease, the
    endpoint's concurrency slot) is derived from this."""
    return 2 * float(timeout)


@lru_cache(maxsize=64)
def _client(base_url: str, api_key: str, timeout: float) -> openai.OpenAI:
    import openai  # imported on use (see the top)

    return openai.OpenAI(
        base_url=base_url,
        api_key=api_key or "not-needed",
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        max_retries=0,
    )


def client_for(*, base_url: str, api_key_env: str, timeout: float) -> tuple[openai.OpenAI, str]:
    api_key = api_key_for(api_key_env)
    return _client(base_url, api_key, timeout), api_key


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def _first_token_logprobs(logprobs: Any) -> list[tuple[str, float]] | None:
    """The first content token's top alternatives as (token, logprob); None when absent."""
    if not isinstance(logprobs, dict) or not logprobs.get("content"):
        return None
    first = logprobs["content"][0]
    alternatives = first.get("top_logprobs") or [first]
    return [(str(entry["token"]), float(entry["logprob"])) for entry in alternatives]


def completion_read(result: CallResult, completion: Any) -> None:
    """Fill a result from a chat completion's JSON; raises as `chat_call` expects of a bad one.

    Batch output lines carry the same completion object, so they are read by this too.
    """
    # Usage first: a completion whose answer cannot be read was still billed for its tokens.
    usage = completion.get("usage") or {}
    result.input_tokens = int(usage.get("prompt_tokens") or 0)
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    result.cached_input_tokens = min(result.input_tokens, int(cached or 0))
    result.output_tokens = int(usage.get("completion_tokens") or 0)
    details = usage.get("completion_tokens_details") or {}
    result.reasoning_tokens = int(details.get("reasoning_tokens") or 0)
    choice = completion["choices"][0]
    message = choice["message"]
    # Structured-output refusals come as `message.refusal` with no content: keep the words.
    content = message.get("content") or message.get("refusal") or ""
    if not isinstance(content, str):
        raise TypeError(f"message content is {type(content).__name__}, not text")
    result.content = content
    result.finish_reason = choice.get("finish_reason")
    # Reasoning models: the reasoning is kept apart from the answer and never parsed as it.
    reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
    result.reasoning_text = reasoning if isinstance(reasoning, str) else json.dumps(reasoning)
    result.top_logprobs = _first_token_logprobs(choice.get("logprobs"))


MALFORMED = (json.JSONDecodeError, KeyError, IndexError, ValueError, TypeError, AttributeError)


def chat_call(*, client: openai.OpenAI, api_key: str, body: dict[str, Any]) -> CallResult:
    """Make one call. Never raises for what the server or network did: it is all in the result."""
    import openai  # imported on use (see the top)

    result = CallResult(request_body=body)
    started = time.perf_counter()
    try:
        # The SDK's generic POST sends the body as built (already plain JSON), skipping the typed
        # parameter transform, which costs more CPU than everything else in a trial; status
        # errors, timeouts and connection failures still come back as the SDK's exceptions.
        response = client.post("/chat/completions", cast_to=httpx.Response, body=body)
        result.status_code = response.status_code
        result.response_text = response.text
        completion_read(result, json.loads(result.response_text))
    except openai.APIStatusError as exc:
        result.status_code = exc.status_code
        result.response_text = exc.response.text if exc.response is not None else ""
        result.error = f"{type(exc).__name__}: HTTP {exc.status_code}"
        result.transient = exc.status_code in TRANSIENT_STATUS
        result.retry_after = _retry_after(
            exc.response.headers if exc.response is not None else None
        )
    except openai.APITimeoutError as exc:
        result.error = f"timeout: {exc}"
        result.transient = True
    except openai.APIConnectionError as exc:
        result.error = f"connection error: {exc.__cause__ or exc}"
        result.transient = True
    except MALFORMED as exc:
        result.error = f"malformed response: {type(exc).__name__}: {exc}"
        result.transient = True
    finally:
        result.duration_ms = (time.perf_counter() - started) * 1000
    if result.error:
        result.content = None
    result.response_text = scrub(result.response_text, api_key)
    result.error = scrub(result.error, api_key)
    return result


def endpoint_reachable(*, base_url: str, api_key_env: str, timeout: float = 5.0) -> str | None:
    """None when the endpoint answers `GET /models`, else the reason it does not."""
    import openai  # imported on use (see the top)

    client, api_key = client_for(base_url=base_url, api_key_env=api_key_env, timeout=timeout)
    try:
        client.models.list()
    except openai.APIStatusError as exc:
        return scrub(f"HTTP {exc.status_code} from {base_url}/models", api_key)
    except openai.APIError as exc:
        return scrub(f"cannot reach {base_url}: {type(exc).__name__}", api_key)
    return None
