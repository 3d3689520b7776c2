"""The HTTP side of the mock: OpenAI's routes, error shapes, rate limit and injected faults.

Stdlib only (`ThreadingHTTPServer`, HTTP/1.1 keep-alive as the SDK's connection pool expects).
Every response carries `x-mock-llm: true`; every answer has `system_fingerprint: "mock"`.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from llmruns.mockserver.batches import BatchService
from llmruns.mockserver.config import MockConfig, RequestRecord
from llmruns.mockserver.prompts import (
    DEFAULT_INSTRUMENT_PATH,
    InstrumentCache,
    PromptAnalysis,
    analyse_prompt,
)
from llmruns.mockserver.respondent import (
    BUILTIN_PROFILES,
    AnswerRequest,
    compose,
    estimate_tokens,
    seeded_rng,
    truncate_to_tokens,
    value_distribution,
)
from llmruns.mockserver.variants import (
    answer_tokens,
    configured_distribution,
    logprobs_block,
    reasoning_text,
    rejection,
    variant_for,
)

logger = logging.getLogger(__name__)

MAX_LOG_RECORDS = 1_000_000  # a long benchmark must not grow the log without bound
RATE_LIMIT_WINDOW_S = 60.0
MAX_CHOICES = 128  # OpenAI's own limit on n


def max_requests_in_window(times: Iterable[float], *, window_s: float) -> int:
    """The most timestamps that fall in any half-open window [t, t + window_s)."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        parts = [part for part in content if isinstance(part, dict) and part.get("type") == "text"]
        return "\n".join(str(part.get("text", "")) for part in parts)
    return ""


def _retry_after_headers(seconds: float) -> dict[str, str]:
    # Retry-After is whole seconds (RFC 9110); the SDK prefers the exact retry-after-ms.
    return {
        "Retry-After": str(max(1, math.ceil(seconds))),
        "retry-after-ms": str(max(1, round(seconds * 1000))),
    }


def _chat_payload_problem(payload: Any) -> tuple[str | None, str] | None:
    """(param, message) of the first thing wrong with a chat request body, or None."""
    if not isinstance(payload, dict):
        return None, "The request body must be a JSON object."
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        return "model", "you must provide a model parameter"
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages", "messages must be a non-empty array"
    if not all(isinstance(message, dict) for message in messages):
        return "messages", "every message must be an object"
    if payload.get("stream"):
        return "stream", "streaming is not supported by the mock server"
    if isinstance(payload.get("n"), int) and payload["n"] > MAX_CHOICES:
        return "n", f"n must be at most {MAX_CHOICES}"
    for name in ("max_tokens", "max_completion_tokens", "n", "seed"):
        value = payload.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return name, f"{name} must be an integer"
        if value is not None and name != "seed" and value < 1:
            return name, f"{name} must be at least 1"
    top_logprobs = payload.get("top_logprobs")
    if top_logprobs is not None:
        if isinstance(top_logprobs, bool) or not isinstance(top_logprobs, int):
            return "top_logprobs", "top_logprobs must be an integer"
        if not 0 <= top_logprobs <= 20:
            return "top_logprobs", "top_logprobs must be between 0 and 20"
        if not payload.get("logprobs"):
            return "top_logprobs", "logprobs must be true when top_logprobs is set"
    temperature = payload.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not 0 <= temperature <= 2
    ):
        return "temperature", "temperature must be a number between 0 and 2"
    return None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a hanging request must never keep the process alive
    mock: MockLLMServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "MockLLM/1.0"
    # Headers and body leave as separate writes; with Nagle's algorithm and the client's
    # delayed ACK each response would wait about 40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self.server.mock._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.mock._handle(self, "POST")

    def do_PUT(self) -> None:
        self.server.mock._handle(self, "PUT")

    def do_DELETE(self) -> None:
        self.server.mock._handle(self, "DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("mock LLM server: " + format, *args)


@dataclass
class _Exchange:
    """One request in flight, with what is known about it so far (for the log)."""

    handler: _Handler
    arrival: float
    path: str
    model: str | None = None
    analysis: PromptAnalysis | None = None


class MockLLMServer:
    """An OpenAI-compatible chat-completions server that answers like a seeded respondent."""

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        instrument_path: Path | str | None = None,
        max_log_records: int = MAX_LOG_RECORDS,
    ) -> None:
        self._config = config or MockConfig()
        self._host = host
        self._port = port
        self._instrument = InstrumentCache(Path(instrument_path or DEFAULT_INSTRUMENT_PATH))
        self._lock = threading.Lock()
        self._log: deque[RequestRecord] = deque(maxlen=max_log_records)
        self._admitted: deque[float] = deque()  # arrivals inside the rate-limit window
        self._fault_rng = random.Random(self._config.seed)
        self._requested_models: dict[str, None] = {}  # insertion-ordered set
        self._call_count = 0
        self._prompt_cache: set[tuple[str, str]] = set()  # (model, system message) seen
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.batch_api = BatchService(self._batch_answer)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> MockLLMServer:
        """Serve in a daemon thread; the socket accepts connections when this returns."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer((self._host, self._port), _Handler)
        httpd.mock = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="mock-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes requests that hang or sleep out their latency
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MockLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the mock LLM server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        any_interface = self._host in ("", "0.0.0.0", "::")  # noqa: S104 (a comparison)
        return f"http://{'127.0.0.1' if any_interface else self._host}:{self.port}/v1"

    # -- configuration and log -----------------------------------------------------------------

    @property
    def config(self) -> MockConfig:
        with self._lock:
            return self._config

    @config.setter
    def config(self, config: MockConfig) -> None:
        self.set_config(config)

    def set_config(self, config: MockConfig) -> None:
        """Change latency, limit and faults of the running server; takes effect per request."""
        with self._lock:
            self._config = config

    def request_log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def max_requests_in_any_window(self, window_s: float = 60.0, *, path: str | None = None) -> int:
        """Most requests received within any `window_s` seconds (all paths, or only `path`)."""
        times = [record.time for record in self.request_log() if path in (None, record.path)]
        return max_requests_in_window(times, window_s=window_s)

    # -- request handling ----------------------------------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        path = urlsplit(handler.path).path.rstrip("/") or "/"
        exchange = _Exchange(handler, time.monotonic(), path)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            handler.close_connection = True  # the rest of the stream cannot be framed
            self._error(exchange, 400, "bad_request", "invalid Content-Length")
            return
        body = handler.rfile.read(length) if length else b""
        config = self.config
        path = exchange.path
        if path == "/v1/models" or path.startswith("/v1/models/"):
            allowed = "GET"
        elif path == "/v1/chat/completions":
            allowed = "POST"
        elif path.startswith(("/v1/files", "/v1/batches")):
            allowed = method  # the batch API checks its own methods
        else:
            message = f"Invalid URL ({method} {path}): the mock serves /v1/models, /v1/chat/completions, /v1/files and /v1/batches"
            self._error(exchange, 404, "not_found", message, code="unknown_url")
            return
        if method != allowed:
            self._error(exchange, 405, "method_not_allowed", f"{method} is not allowed on {path}")
        elif (
            config.api_key is not None
            and handler.headers.get("Authorization") != f"Bearer {config.api_key}"
        ):
            message = (
                "Incorrect API key provided (the mock server was started with a different key)."
            )
            self._error(exchange, 401, "unauthorized", message, code="invalid_api_key")
        elif path.startswith(("/v1/files", "/v1/batches")):
            status, reply = self.batch_api.handle(
                method,
                path,
                urlsplit(handler.path).query,
                handler.headers.get("Content-Type") or "",
                body,
                config,
            )
            self._finish(exchange, status, "ok" if status == 200 else "batch_api_error", reply)
        elif allowed == "GET":
            self._reply_models(exchange)
        else:
            self._reply_chat(exchange, body, config)

    def _finish(
        self,
        exchange: _Exchange,
        status: int,
        outcome: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        analysis = exchange.analysis
        record = RequestRecord(
            exchange.arrival,
            exchange.path,
            exchange.model,
            status,
            outcome,
            analysis.kind if analysis else None,
            analysis.language if analysis else None,
            analysis.area if analysis else None,
        )
        with self._lock:
            self._log.append(record)
        if status == 0:
            return
        handler = exchange.handler
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("x-mock-llm", "true")
            handler.send_header("x-request-id", f"req_mock_{uuid.uuid4().hex[:24]}")
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up first; nothing left to say

    def _error(
        self,
        exchange: _Exchange,
        status: int,
        outcome: str,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        error = {"message": message, "type": error_type, "param": param, "code": code or outcome}
        self._finish(exchange, status, outcome, json.dumps({"error": error}).encode(), headers)

    def _reply_models(self, exchange: _Exchange) -> None:
        with self._lock:
            names = list(dict.fromkeys([*BUILTIN_PROFILES, *self._requested_models]))
        created = int(time.time())
        if exchange.path == "/v1/models":
            data = [
                {"id": name, "object": "model", "created": created, "owned_by": "mock"}
                for name in names
            ]
            body: dict[str, Any] = {"object": "list", "data": data}
        else:
            # Any name gets a derived profile, so every model "exists".
            exchange.model = exchange.path.removeprefix("/v1/models/")
            body = {"id": exchange.model, "object": "model", "created": created, "owned_by": "mock"}
        self._finish(exchange, 200, "ok", json.dumps(body).encode())

    def _reply_chat(self, exchange: _Exchange, body: bytes, config: MockConfig) -> None:
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            message = "We could not parse the JSON body of your request."
            self._error(exchange, 400, "bad_request", message, code="invalid_json")
            return
        if isinstance(payload, dict) and isinstance(payload.get("model"), str):
            exchange.model = payload["model"]
        problem = _chat_payload_problem(payload)
        if problem is not None:
            param, message = problem
            self._error(exchange, 400, "bad_request", message, code="invalid_request", param=param)
            return
        model = str(payload["model"])
        refused = rejection(payload, variant_for(model))
        if refused is not None:
            param, message, code = refused
            error = {"message": message, "type": "invalid_request_error", "param": param}
            error["code"] = code
            self._finish(exchange, 400, "bad_request", json.dumps({"error": error}).encode())
            return
        prompt = "\n".join(_message_text(message.get("content")) for message in payload["messages"])
        exchange.analysis = analyse_prompt(prompt, index=self._instrument.get())

        with self._lock:
            self._requested_models.setdefault(model, None)
            self._call_count += 1
            call_number = self._call_count
            limit_headers, wait_s = self._admit(exchange.arrival, config)
            fault = self._draw_fault(config) if wait_s is None else None
            delay_s = self._draw_latency(config)

        if wait_s is not None:
            message = f"Rate limit reached for {model} on the mock server: {config.rate_limit_per_minute} requests per minute."
            self._error(
                exchange,
                429,
                "rate_limited",
                message,
                error_type="requests",
                code="rate_limit_exceeded",
                headers={**limit_headers, **_retry_after_headers(wait_s)},
            )
            return
        if fault == "timeout":
            self._finish(exchange, 0, "timeout", b"")
            self._stopping.wait(config.timeout_hang_s)
            exchange.handler.close_connection = True  # hang up without a word
            return
        if delay_s > 0:
            self._stopping.wait(delay_s)
        if fault == "429":
            self._error(
                exchange,
                429,
                "429",
                f"Rate limit reached for {model} (injected by the mock server).",
                error_type="requests",
                code="rate_limit_exceeded",
                headers={**limit_headers, **_retry_after_headers(config.retry_after_s)},
            )
            return
        if fault == "500":
            message = "The server had an error while processing your request (injected by the mock server)."
            self._error(
                exchange, 500, "500", message, error_type="server_error", code="server_error"
            )
            return

        completion = self._completion(
            payload, prompt, exchange.analysis, config, fault, call_number
        )
        if fault == "no_choices":
            completion["choices"] = []  # the usage is still there: the call was billed
        body_out = json.dumps(completion, ensure_ascii=False).encode("utf-8")
        if fault == "malformed":
            body_out = repr(completion).encode("utf-8")  # Python's repr: single quotes, None
        elif fault == "truncated":
            body_out = body_out[: max(1, len(body_out) // 2)]  # Content-Length matches the cut
        processing_ms = round((time.monotonic() - exchange.arrival) * 1000)
        headers = {**limit_headers, "openai-processing-ms": str(processing_ms)}
        self._finish(exchange, 200, fault or "ok", body_out, headers)

    def _batch_answer(self, payload: dict[str, Any], config: MockConfig) -> dict[str, Any]:
        """One request line of a batch, answered as the live route would (without faults)."""
        problem = _chat_payload_problem(payload)
        if problem is not None:
            param, message = problem
            return {"error": {"message": message, "type": "invalid_request_error", "param": param}}
        prompt = "\n".join(_message_text(message.get("content")) for message in payload["messages"])
        analysis = analyse_prompt(prompt, index=self._instrument.get())
        with self._lock:
            self._requested_models.setdefault(str(payload["model"]), None)
            self._call_count += 1
            call_number = self._call_count
        return self._completion(payload, prompt, analysis, config, None, call_number)

    def _admit(self, arrival: float, config: MockConfig) -> tuple[dict[str, str], float | None]:
        """The sliding-window limit: rate-limit headers, and the wait in seconds if refused."""
        limit = config.rate_limit_per_minute
        if limit is None:
            return {}, None
        while self._admitted and self._admitted[0] <= arrival - RATE_LIMIT_WINDOW_S:
            self._admitted.popleft()
        refused = len(self._admitted) >= limit
        if not refused:
            self._admitted.append(arrival)
        reset_s = max(0.0, self._admitted[0] + RATE_LIMIT_WINDOW_S - arrival)
        headers = {
            "x-ratelimit-limit-requests": str(limit),
            "x-ratelimit-remaining-requests": str(max(0, limit - len(self._admitted))),
            "x-ratelimit-reset-requests": f"{reset_s:.3f}s",
        }
        return headers, (max(reset_s, 0.001) if refused else None)

    def _draw_fault(self, config: MockConfig) -> str | None:
        draw = self._fault_rng.random()
        cumulative = 0.0
        for name, rate in config.fault_rates().items():
            cumulative += rate
            if draw < cumulative:
                return name
        return None

    def _draw_latency(self, config: MockConfig) -> float:
        jitter_ms = config.latency_jitter_ms
        spread = self._fault_rng.gauss(0.0, jitter_ms) if jitter_ms > 0 else 0.0
        return max(0.0, config.latency_ms + spread) / 1000.0

    def _completion(
        self,
        payload: Mapping[str, Any],
        prompt: str,
        analysis: PromptAnalysis,
        config: MockConfig,
        fault: str | None,
        call_number: int,
    ) -> dict[str, Any]:
        response_format = payload.get("response_format")
        json_mode = isinstance(response_format, dict) and response_format.get("type") in (
            "json_schema",
            "json_object",
        )
        temperature = payload.get("temperature")
        max_tokens = payload.get("max_completion_tokens") or payload.get("max_tokens")
        variant = variant_for(str(payload["model"]))
        likert = analysis.kind != "work_sample"
        distribution = (
            configured_distribution(config.answer_distributions, variant, analysis.item_key)
            if likert
            else None
        )
        want_logprobs = bool(payload.get("logprobs")) and "nologprobs" not in variant.traits
        choices = []
        completion_tokens = reasoning_tokens = 0
        for choice_index in range(payload.get("n") or 1):
            request = AnswerRequest(
                model=variant.base,
                prompt=prompt,
                analysis=analysis,
                config_seed=config.seed,
                seed=payload.get("seed"),
                temperature=1.0 if temperature is None else float(temperature),
                json_mode=json_mode,
                forced=fault if fault in ("refusal", "unparseable") else None,
                call_number=call_number,
                choice_index=choice_index,
                distribution=distribution,
                traits=variant.traits,
            )
            answer = compose(request)
            content, logprobs = answer.content, None
            if want_logprobs and likert and request.forced is None:
                content, logprobs = self._one_token_answer(payload, request, config)
            finish_reason = "stop"
            if max_tokens is not None and estimate_tokens(content) > max_tokens:
                content, finish_reason = truncate_to_tokens(content, max_tokens), "length"
            if fault == "content_filter":
                # As OpenAI and Azure do: what was written before the filter stopped it.
                cut = estimate_tokens(content) // 2
                content, finish_reason = truncate_to_tokens(content, cut), "content_filter"
            if want_logprobs and logprobs is None:
                first = content[:1]
                logprobs = logprobs_block([(first, 1.0)], first, top_logprobs=1)
            completion_tokens += estimate_tokens(content)
            message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
            if fault == "refusal" and json_mode:
                # With structured outputs OpenAI reports a refusal beside an empty content.
                message.update(content=None, refusal=content)
            if variant.reasoning_field:
                reasoning = reasoning_text(answer.number, language=analysis.language)
                message[variant.reasoning_field] = reasoning
                reasoning_tokens += estimate_tokens(reasoning)
            choices.append(
                {
                    "index": choice_index,
                    "message": message,
                    "logprobs": logprobs,
                    "finish_reason": finish_reason,
                }
            )
        prompt_tokens = sum(
            4 + estimate_tokens(_message_text(message.get("content")))
            for message in payload["messages"]
        )
        completion_tokens += reasoning_tokens  # OpenAI counts reasoning in completion tokens
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {
                "cached_tokens": self._cached_prompt_tokens(str(payload["model"]), payload)
            },
        }
        if variant.reasoning_field:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
        return {
            "id": f"chatcmpl-mock{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": payload["model"],
            "system_fingerprint": "mock",
            "choices": choices,
            "usage": usage,
        }

    def _cached_prompt_tokens(self, model: str, payload: Mapping[str, Any]) -> int:
        """Prompt caching as providers report it: a request that starts with the system message
        of an earlier request to the same model reads that message's tokens from the cache (a
        real provider caches only long prompts; the mock caches any)."""
        first = payload["messages"][0]
        if first.get("role") != "system":
            return 0
        text = _message_text(first.get("content"))
        with self._lock:
            hit = (model, text) in self._prompt_cache
            self._prompt_cache.add((model, text))
        return 4 + estimate_tokens(text) if hit else 0

    @staticmethod
    def _one_token_answer(
        payload: Mapping[str, Any], request: AnswerRequest, config: MockConfig
    ) -> tuple[str, dict[str, Any]]:
        """A one-token Likert answer with logprobs that are exactly the answer distribution."""
        tokens = answer_tokens(
            value_distribution(request),
            request.analysis.presented,
            language=request.analysis.language,
            flip="flip" in request.traits,
            invalid_mass=config.logprob_invalid_mass,
        )
        if request.temperature <= 0:
            chosen = tokens[0][0]
        else:
            rng = seeded_rng(
                "token", config.seed, request.prompt, request.seed, request.call_number
            )
            chosen = rng.choices([t for t, _ in tokens], weights=[p for _, p in tokens])[0]
        top = payload.get("top_logprobs")
        top = top if isinstance(top, int) and not isinstance(top, bool) else 0
        return chosen, logprobs_block(tokens, chosen, top_logprobs=max(0, min(top, 20)))
