"""Text normalisation shared by the parsers.

The normalised form is width-, case- and punctuation-insensitive (NFKC), without markdown emphasis
and without reasoning (``<think>...</think>``), which is not part of the answer. Some reasoning
models return only the closing tag, the opening one being part of their prompt template: then
everything before that lone ``</think>`` is reasoning. Masking blanks a span rather than removing
it, so offsets found before and after stay comparable.
"""

from __future__ import annotations

import re
import unicodedata

# Quotes, brackets, dashes and the ideographic full stop that NFKC leaves alone.
_PUNCTUATION = str.maketrans(
    {
        **dict(zip("\u2018\u2019\u201c\u201d\u300c\u300d\u300e\u300f", '\'\'""""""', strict=True)),
        **dict(zip("\u3010\u3011\u3002\u2013\u2014\u2212", "[].---", strict=True)),
        "\u2192": "->",
    }
)
_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_OPEN_TAG, _CLOSE_TAG = "<think>", "</think>"
_MARKDOWN = re.compile(r"\*+|`+|_{2,}|^[ \t]*#{1,6}[ \t]*", re.MULTILINE)


def normalize_fragment(text: str) -> str:
    """Width-, case- and punctuation-insensitive form shared by answers and labels."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION).casefold()
    return _MARKDOWN.sub("", text)


def without_reasoning(text: str, *, fill: str = " ") -> str:
    """The reply without its inline reasoning, each block replaced by `fill`.

    A closing tag with no opening tag before it ends reasoning that began with the reply, so
    everything up to it goes. A block that never closed (a truncated reply) holds no final
    answer, so everything from it on goes too.
    """
    lowered = text.lower()
    first_close = lowered.find(_CLOSE_TAG)
    if first_close != -1 and _OPEN_TAG not in lowered[:first_close]:
        text = fill + text[first_close + len(_CLOSE_TAG) :]
    text = _THINK_BLOCK.sub(fill, text)
    unclosed = text.lower().find(_OPEN_TAG)
    return text if unclosed == -1 else text[:unclosed]


def normalize(text: str) -> str:
    """The form of a whole reply that the parsers read: `normalize_fragment` without reasoning."""
    return normalize_fragment(without_reasoning(text))


def blank(text: str, start: int, end: int, fill: str = " ") -> str:
    """Hide a span while keeping every other offset valid."""
    return text[:start] + fill * (end - start) + text[end:]


# Characters that may surround an answer standing on its own line or at the very start.
DECORATION = " \t\r\n-*•>#\"'.!?,:;()[]、"
