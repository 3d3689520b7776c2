"""The project's OpenAI-compatible mock LLM server, for tests, benchmarks and the demo.

No real LLM API is reachable where the platform is developed and tested, so this server stands in
for one. It speaks the chat-completions protocol closely enough that the real `openai` SDK works
against it unmodified; it answers the instrument's questions like a respondent whose interests
and competence come from a seeded per-model profile (`respondent`), reading question kind,
item, language and scale numbering from the rendered prompt (`prompts`); and it injects the
failures real providers produce (429 with Retry-After, 500, hangs, malformed and truncated
bodies, refusals, answers without a value, answers cut short by a content filter) so that retries, rate limiting and answer parsing
meet them in tests (`server`). Everything it says is labelled mock.

    with MockLLMServer(MockConfig(rate_429=0.1)) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="unused")

or on its own: `python -m llmruns.mockserver --port 8089 --latency-ms 50 --rate-429 0.1`.
No Django here: the server runs in tests, benchmarks and scripts alike.
"""

from __future__ import annotations

from llmruns.mockserver.cli import main, parse_arguments, serve_forever
from llmruns.mockserver.config import MockConfig, RequestRecord
from llmruns.mockserver.prompts import DEFAULT_INSTRUMENT_PATH, PromptAnalysis, analyse_prompt
from llmruns.mockserver.respondent import (
    BUILTIN_PROFILES,
    REFUSALS,
    UNPARSEABLE_ANSWERS,
    MockProfile,
    estimate_tokens,
    profile_for,
    truncate_to_tokens,
)
from llmruns.mockserver.server import MockLLMServer, max_requests_in_window

__all__ = [
    "BUILTIN_PROFILES",
    "DEFAULT_INSTRUMENT_PATH",
    "REFUSALS",
    "UNPARSEABLE_ANSWERS",
    "MockConfig",
    "MockLLMServer",
    "MockProfile",
    "PromptAnalysis",
    "RequestRecord",
    "analyse_prompt",
    "estimate_tokens",
    "main",
    "max_requests_in_window",
    "parse_arguments",
    "profile_for",
    "serve_forever",
    "truncate_to_tokens",
]
