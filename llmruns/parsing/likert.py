"""Free-text Likert answers.

A Likert answer is ``ok`` with its canonical scale value only when the text states one answer
clearly: a number (ASCII, full-width, circled, Chinese numerals, a few English number words) or
a scale label, alone or together when they agree. Anything else is kept for what it is:
``invalid`` with a reason (empty, no answer found, conflicting answers, out of range, not a whole
number, number and label disagree, another scale) or ``refused`` (a disclaimer such as "As an AI
I don't have preferences" with no answer).

Decisions worth knowing:

- An explicit answer wins over a disclaimer. "As an AI I don't have preferences, but if I had to
  choose: 4" is ``ok`` 4 with the reason ``"number after disclaimer"``; the disclaimer alone is
  ``refused``. Under a disclaimer, a label mentioned in passing counts only after the disclaimer.
- Several different candidate answers are never resolved by picking one: "3 or 4", "I'd say 4,
  maybe 5" are ``invalid`` ("conflicting answers: 3, 4").
- Numbers that are plainly not answers are ignored: the scale's range ("1 to 5", "1-5", "1到5",
  "从一到五"), denominators ("4 out of 5", "4/5", "满分5分"), "a 5-point scale", an echo of the
  scale ("1 = Strongly dislike, 2 = Dislike, ..."), list numbering ("1. ... 2. ..."), model
  names ("GPT-4"), percentages and counts ("3 years", "3个").
- An answer on another scale is ``invalid`` ("another scale: out of 10"), whatever its number:
  "7 out of 10", "4/10", "满分10分，我给8分", "10分制下7分", "a scale of 1 to 10", "a 10-point
  scale". Its number is a point of that scale, and converting it would be a guess. A denominator,
  size or range that fits the presented scale ("4/5", "5分制下4分") is only masked.
- Chinese numerals are answers only where they cannot be ordinary words ("一个", "一些", "三思"):
  alone, after an answer marker ("我选四", "答案是四"), as "四分", or with a label ("四（喜欢）").
- Labels match as whole phrases, longest first, case- and width-insensitively (NFKC), so
  "不喜欢" is not "喜欢" and "Strongly dislike" is not "Dislike". A negated label ("不太喜欢",
  "I'm not very competent", "not dislike") is not that label, nor is an intensified one
  ("十分喜欢", "I really like it"), which sits between two points. A number's label must agree
  with the number; a negated one is not its label.
- "Neither like nor dislike" / "既不喜欢也不讨厌" is not a label of the scale (its midpoint is
  "Unsure" / "不确定"), so it is no answer, and the "不喜欢" inside it is not the label 不喜欢;
  nor is the one in "喜欢不喜欢" ("like it or not").
- With a counterbalanced (reversed) scale the prompt showed ``1 = <label of canonical 5>``: a
  number n maps back to ``low + high - n``; a label maps to its canonical value directly.
- Reasoning is not part of the answer: a closed ``<think>...</think>`` block, or everything
  before a lone ``</think>`` (models whose prompt template holds the opening tag).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from llmruns.parsing.labels import (
    Mention,
    compile_labels,
    find_mentions,
    is_answer_position,
    is_negated,
)
from llmruns.parsing.numbers import (
    attached_label,
    find_numbers,
    mask_enumerators,
    mask_non_answers,
    mask_scale_echo,
)
from llmruns.parsing.refusal import refusal_spans
from llmruns.parsing.result import ParseResult, empty_result
from llmruns.parsing.text import DECORATION, normalize

# Nothing between two labels names options too: "喜欢不喜欢" asks "like it or not".
_GAP_ALTERNATIVE = re.compile(r"^[ \t]*(?:(?:or|and|nor|/|或者?|和|与|还是|、|,)[ \t]*)?$")
# A label followed by these is the object of doubt ("unsure whether", "不确定是否"), not an answer.
_COMPLEMENT_AFTER = re.compile(
    r"[ \t]*(?:(?:how|whether|if|about|what|which|of|to)\b|(?:自己)?(?:是否|如何|怎么|怎样|能否|会不会|该|要不要|哪))"
)
# An intensified label ("十分喜欢", "I really like") sits between two points; reading it as
# either would be a guess.
_INTENSIFIER_BEFORE = re.compile(
    r"(?:\b(?:really|very|quite|so|extremely|absolutely|truly|genuinely|pretty|fairly|somewhat"
    r"|kind of|sort of|a bit|a little|much)[ \t]+|(?:十分|特别|相当|超级|极其|极为|很|挺|蛮|非常|比较|有点|有些))$"
)


@dataclass(frozen=True)
class _Candidate:
    key: int | str  # canonical value, or the presented text when it has none
    shown: str
    sort_key: tuple[int, float]
    is_label: bool


def parse_likert(
    text: str,
    *,
    labels: Mapping[int, str],
    reversed_scale: bool = False,
    low: int = 1,
    high: int = 5,
) -> ParseResult:
    """Read a free-text Likert answer; see the module docstring for the rules."""
    if not text or not text.strip():
        return empty_result()
    normalized = normalize(text)
    if not normalized.strip(DECORATION):
        return empty_result()

    def to_canonical(presented: int) -> int:
        return low + high - presented if reversed_scale else presented

    compiled = compile_labels(tuple(sorted(labels.items())))
    presented_to_canonical = {
        presented: to_canonical(presented) for presented in range(low, high + 1)
    }
    masked = mask_scale_echo(
        normalized, find_mentions(normalized, compiled), presented_to_canonical
    )
    masked, other_scales = mask_non_answers(masked, low, high)
    if other_scales:
        return ParseResult("invalid", None, "another scale: " + ", ".join(other_scales))
    mentions = find_mentions(masked, compiled)
    masked = mask_enumerators(masked, mentions)
    numbers = find_numbers(masked, mentions)

    refusals = refusal_spans(masked)
    after_disclaimer = refusals[-1][1] if refusals else 0

    # A negated label is no label, not even beside a number ("Neither like nor dislike: 3").
    affirmed = [mention for mention in mentions if not is_negated(masked, mention)]
    candidates: list[_Candidate] = []
    attached: set[int] = set()
    for number in numbers:
        whole = number.whole
        canonical = to_canonical(whole) if whole is not None and low <= whole <= high else None
        label = attached_label(masked, number, affirmed)
        if label is not None:
            attached.add(label.start)
            if canonical is not None and label.value != canonical:
                return ParseResult(
                    "invalid",
                    None,
                    f"number and label disagree: {number.presented} = {label.display}",
                )
        shown = str(whole) if whole is not None else number.presented
        candidates.append(
            _Candidate(
                canonical if canonical is not None else shown, shown, (0, float(shown)), False
            )
        )

    unattached = [mention for mention in affirmed if mention.start not in attached]
    answer_labels = [mention for mention in unattached if is_answer_position(masked, mention)]
    if numbers or answer_labels:
        chosen_labels = answer_labels
    else:
        chosen_labels = _prose_answers(masked, unattached, mentions, after_disclaimer)
    candidates += [
        _Candidate(mention.value, mention.display, (1, mention.value), True)
        for mention in chosen_labels
    ]
    return _decide(candidates, disclaimed=bool(refusals))


def _prose_answers(
    text: str, candidates: list[Mention], every_mention: list[Mention], after: int
) -> list[Mention]:
    """Labels used in a sentence ("I would be moderately competent", "我非常喜欢")."""
    kept = []
    for mention in candidates:
        if (
            mention.start < after
            or _COMPLEMENT_AFTER.match(text, mention.end)
            or _INTENSIFIER_BEFORE.search(text[max(0, mention.start - 12) : mention.start])
        ):
            continue
        index = every_mention.index(mention)
        neighbours = every_mention[max(0, index - 1) : index] + every_mention[index + 1 : index + 2]
        # "like or dislike", "喜欢或不喜欢" name the options; they choose none.
        if any(
            _GAP_ALTERNATIVE.match(
                text[min(mention.end, other.end) : max(mention.start, other.start)]
            )
            for other in neighbours
        ):
            continue
        kept.append(mention)
    return kept


def _decide(candidates: list[_Candidate], *, disclaimed: bool) -> ParseResult:
    groups: dict[int | str, _Candidate] = {}
    for candidate in candidates:
        groups.setdefault(candidate.key, candidate)
    if not groups:
        if disclaimed:
            return ParseResult("refused", None, "refusal")
        return ParseResult("invalid", None, "no answer found")
    if len(groups) > 1:
        shown = [candidate.shown for candidate in sorted(groups.values(), key=_sort_key)]
        return ParseResult("invalid", None, "conflicting answers: " + ", ".join(shown))
    (key,) = groups
    if isinstance(key, str):
        if "." in key:
            return ParseResult("invalid", None, f"not a whole number: {key}")
        return ParseResult("invalid", None, f"out of range: {key}")
    reason = "label" if all(candidate.is_label for candidate in candidates) else "number"
    return ParseResult("ok", key, f"{reason} after disclaimer" if disclaimed else reason)


def _sort_key(candidate: _Candidate) -> tuple[int, float]:
    return candidate.sort_key
