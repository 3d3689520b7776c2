"""Structured-output Likert answers: the schema asking for ``{"answer": n}`` and its reader."""

from __future__ import annotations

import json
import re

from llmruns.parsing.refusal import detect_refusal
from llmruns.parsing.result import ParseResult, empty_result
from llmruns.parsing.text import without_reasoning

_CODE_FENCE = re.compile(r"^```[a-zA-Z]*[ \t]*\n?(.*?)\n?```$", re.DOTALL)


def likert_json_schema(*, low: int = 1, high: int = 5) -> dict:
    """The ``response_format`` for a Likert answer as JSON: ``{"answer": <low..high>}``.

    ``enum`` rather than ``minimum``/``maximum``: strict structured-output modes and grammar
    backends support it everywhere.
    """
    if low >= high:
        raise ValueError(f"low must be below high, got {low} and {high}")
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "likert_answer",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {
                    "answer": {
                        "type": "integer",
                        "enum": list(range(low, high + 1)),
                        "description": "The number of the chosen scale point.",
                    }
                },
                "required": ["answer"],
                "additionalProperties": False,
            },
        },
    }


def parse_structured(
    text: str, *, reversed_scale: bool = False, low: int = 1, high: int = 5
) -> ParseResult:
    """Read a structured-output answer ``{"answer": n}``; there is no free-text fallback.

    Reasoning (a ``<think>...</think>`` block, or everything before a lone ``</think>``) is not
    part of the answer, and a ```json fence around the object is accepted. Anything malformed is
    ``invalid`` with the reason, except a plain-text refusal, which is ``refused`` (servers that
    ignore the schema answer that way). Extra keys are ignored: the answer itself is unambiguous.
    """
    if not text or not text.strip():
        return empty_result()
    body = without_reasoning(text, fill="").strip()
    if not body:
        return empty_result()
    fenced = _CODE_FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        if detect_refusal(text):
            return ParseResult("refused", None, "refusal")
        return ParseResult("invalid", None, "malformed json")
    if not isinstance(data, dict):
        return ParseResult("invalid", None, "not a json object")
    if "answer" not in data:
        return ParseResult("invalid", None, "missing answer")
    answer = data["answer"]
    # JSON Schema's "integer" admits 4.0; booleans are ints to Python but not to JSON.
    if isinstance(answer, float) and answer.is_integer():
        answer = int(answer)
    if isinstance(answer, bool) or not isinstance(answer, int):
        return ParseResult("invalid", None, f"answer is not an integer: {json.dumps(answer)}")
    if not low <= answer <= high:
        return ParseResult("invalid", None, f"out of range: {answer}")
    return ParseResult("ok", low + high - answer if reversed_scale else answer, "json")
