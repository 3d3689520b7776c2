"""Where a Likert answer names a scale label, and whether that mention is an answer.

Labels match as whole phrases, longest first, so "不喜欢" is not "喜欢"; "like" that compares or
wishes is not the interest label; a negated mention is not that label, nor is "不喜欢" inside a
"neither ... nor" ("既不喜欢也不讨厌").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from llmruns.parsing.text import DECORATION, blank, normalize_fragment

_ANSWER_MARKER = (
    r"(?:\b(?:say|choose|chose|pick|select|go\s+with|opt\s+for|answer|rating|score|choice"
    r"|response|selection|option"
    r"|rate(?:\s+(?:it|this|myself|that|my\s+\w+))?(?:\s+(?:as|at))?(?:\s+an?)?"
    r"|give(?:\s+(?:it|this|myself|that))?(?:\s+an?)?)"
    r"(?:\s+(?:is|would\s+be|will\s+be|be))?"
    r"|(?:答案|回答|选择|选项|选|评分|打分|分数|得分|评为|评|打|给出|给予|给)(?:是|为|的是)?)"
)
_MARKER_BEFORE = re.compile(_ANSWER_MARKER + r"[ \t]*(?:[:=]|->)?[ \t]*[\"'(\[]*[ \t]*$")
_ENDS_ANSWER = re.compile(r"[ \t]*(?:$|[\n.,:;!?()\[\]\"'-])")
# "like" also compares and wishes; those uses never express the interest label.
# Searched from each "like" rather than at every position: it runs on every interest answer.
_LIKE = re.compile(r"\blike\b")
_COMPARISON_BEFORE_LIKE = re.compile(
    r"\b(?:feel|feels|felt|seem|seems|seemed|look|looks|looked|sound|sounds|sounded|something"
    r"|things|stuff|more|much|just)\s+$"
)
_WISH_BEFORE_LIKE = re.compile(r"(?:\bwould|'d|\bmight)\s+$")
_SENTENCE_START_BEFORE = re.compile(r"(?:^|[.!?\n])[ \t]*$")
_ARTICLE_AFTER_LIKE = re.compile(r"\s+an?\b")
_TO_AFTER_LIKE = re.compile(r"\s+to\b")
_WORD_AFTER_LIKE = re.compile(r"[ \t]+[a-z]")
# Negations and questions: "not very competent", "不太喜欢", "whether I like", "是否喜欢".
_ENGLISH_NEGATOR = re.compile(
    r"^(?:not|no|never|neither|nor|hardly|barely|cannot|without|whether|if)$|n't$"
)
_CHINESE_NEGATOR = re.compile(r"[不没未无别]|非(?!常)|是否|能否")
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n、]")
_SENTENCE_BREAK = re.compile(r"[.!?;\n]")
# Chinese "neither ... nor" (既不喜欢也不讨厌, 不喜欢也不讨厌) negates both halves. A label that
# carries its own negation ("不喜欢") is then a half of it, not that label; English needs no such
# rule, since "neither" and "nor" are negators before the label. The other half must negate the
# opposite feeling (讨厌, 反感, ...): "不喜欢也不擅长" ("I neither like it nor am good at it") and
# "不喜欢画画，也不喜欢唱歌" still say "dislike".
_CHINESE_NEGATION = r"(?:[不没未无]|非(?!常))"
_STARTS_NEGATED = re.compile(_CHINESE_NEGATION)
_NOR_BEFORE = re.compile(r"[也又][ \t]*$")
_NEGATED_FEELING = _CHINESE_NEGATION + r"[^.!?;:,\n、]{0,4}?(?:讨厌|厌恶|反感|排斥|抵触)"
_NEGATED_FEELING_IN = re.compile(_NEGATED_FEELING)
# The closing half follows within a few characters of the same sentence: not across a bracket
# ("不确定（既不喜欢也不讨厌）") or into another "neither".
_NOR_AFTER = re.compile(r"[^.!?;:\n、()\[\]\"'=既-]{0,10}?[也又][ \t]*" + _NEGATED_FEELING)


@dataclass(frozen=True)
class _Label:
    value: int
    display: str
    pattern: re.Pattern[str]
    length: int


@dataclass(frozen=True)
class Mention:
    """A scale label found in the text: its canonical value, the label as shown, and its span."""

    value: int
    display: str
    start: int
    end: int


@functools.lru_cache(maxsize=64)
def compile_labels(items: tuple[tuple[int, str], ...]) -> tuple[_Label, ...]:
    """Patterns for the scale's (value, label) pairs, longest label first."""
    compiled = []
    for value, display in items:
        normalized = normalize_fragment(display).strip()
        if not normalized:
            continue
        body = r"\s+".join(re.escape(word) for word in normalized.split())
        # Latin labels need word edges ("like" inside "likes", "dislike"); CJK labels have none,
        # longest-first masking keeps "喜欢" out of "不喜欢".
        if normalized[0].isascii() and normalized[0].isalnum():
            body = r"(?<![a-z0-9])" + body
        if normalized[-1].isascii() and normalized[-1].isalnum():
            body += r"(?![a-z0-9])"
        compiled.append(_Label(value, display, re.compile(body), len(normalized)))
    return tuple(sorted(compiled, key=lambda label: -label.length))


def _hide_non_preference_like(text: str) -> str:
    """Hide "like" where it compares or wishes ("feels like", "like a", "would like to", "Like
    many people, ..."): those uses never express the interest label."""
    for match in _LIKE.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()]
        after = text[match.end() : match.end() + 4]
        if (
            _COMPARISON_BEFORE_LIKE.search(before)
            or _ARTICLE_AFTER_LIKE.match(after)
            or (_WISH_BEFORE_LIKE.search(before) and _TO_AFTER_LIKE.match(after))
            or (_SENTENCE_START_BEFORE.search(before) and _WORD_AFTER_LIKE.match(after))
        ):
            text = blank(text, match.start(), match.end(), "\0")
    return text


def find_mentions(text: str, labels: tuple[_Label, ...]) -> list[Mention]:
    """Every label in the text, in order; a label inside a longer one is not counted."""
    scan = _hide_non_preference_like(text)
    mentions: list[Mention] = []
    for label in labels:
        for match in label.pattern.finditer(scan):
            mentions.append(Mention(label.value, label.display, match.start(), match.end()))
            # Hidden so that a shorter label cannot match inside it ("喜欢" in "不喜欢").
            scan = blank(scan, match.start(), match.end(), "\0")
    return sorted(mentions, key=lambda mention: mention.start)


def is_negated(text: str, mention: Mention) -> bool:
    """True when the clause negates or questions the mention ("not dislike", "不太喜欢"), or the
    mention is a half of a Chinese "neither ... nor" ("既不喜欢也不讨厌")."""
    clause = _CLAUSE_BREAK.split(text[: mention.start])[-1]
    if any(_ENGLISH_NEGATOR.search(word) for word in clause.split()[-3:]):
        return True
    return bool(_CHINESE_NEGATOR.search(clause[-4:])) or _in_neither_nor(text, mention)


def _in_neither_nor(text: str, mention: Mention) -> bool:
    """True for a label with its own negation that opens or closes a "neither ... nor" of
    feelings: followed by 也/又 and a negated opposite in its sentence ("既不喜欢也不讨厌",
    "不喜欢，也不讨厌"), or after 也/又 with a negated opposite earlier in its sentence
    ("既不讨厌，也不喜欢")."""
    if not _STARTS_NEGATED.match(text, mention.start):
        return False
    if _NOR_AFTER.match(text, mention.end):
        return True
    before = text[: mention.start]
    if not _NOR_BEFORE.search(before):
        return False
    sentence = _SENTENCE_BREAK.split(before)[-1]
    return bool(_NEGATED_FEELING_IN.search(sentence))


def follows_marker(text: str, start: int) -> bool:
    """True after an answer marker: "I'd say", "my rating is", "我选", "答案是"."""
    return bool(_MARKER_BEFORE.search(text[max(0, start - 80) : start]))


def _stands_alone(text: str, start: int, end: int) -> bool:
    """True for an answer that is its own line, or that opens the reply ("Like - I enjoy...")."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end == -1 else line_end]
    if line.strip(DECORATION) == text[start:end].strip(DECORATION):
        return True
    return not text[:start].strip(DECORATION) and bool(_ENDS_ANSWER.match(text, end))


def is_answer_position(text: str, mention: Mention) -> bool:
    return follows_marker(text, mention.start) or _stands_alone(text, mention.start, mention.end)
