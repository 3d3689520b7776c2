"""Work samples: free text for the experts, kept unless empty or a refusal."""

from __future__ import annotations

import re

from llmruns.parsing.refusal import refusal_spans
from llmruns.parsing.result import ParseResult, empty_result
from llmruns.parsing.text import DECORATION, normalize

# A disclaimer followed by real work is a work sample; this much remaining text counts as work.
_WORK_SAMPLE_MIN_WORDS = 25
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")


def parse_work_sample(text: str) -> ParseResult:
    """Free text for experts: ``ok`` (no value) unless empty or a refusal.

    A reply that opens with a disclaimer ("As an AI I can't physically build cabinets, but here
    is a plan: ...") and then does the task is a work sample; only a reply whose non-disclaimer
    text is too short to be work (under ~25 words, two Chinese characters counting as one word)
    is ``refused``.
    """
    if not text or not text.strip():
        return empty_result()
    normalized = normalize(text)
    if not normalized.strip(DECORATION):
        return empty_result()
    if not refusal_spans(normalized):
        return ParseResult("ok", None, "text")
    remaining = " ".join(
        sentence for sentence in _SENTENCE.findall(normalized) if not refusal_spans(sentence)
    )
    cjk_chars = len(_CJK_CHAR.findall(remaining))
    latin_words = len(_CJK_CHAR.sub(" ", remaining).split())
    if latin_words + cjk_chars / 2 >= _WORK_SAMPLE_MIN_WORDS:
        return ParseResult("ok", None, "text after disclaimer")
    return ParseResult("refused", None, "refusal")
