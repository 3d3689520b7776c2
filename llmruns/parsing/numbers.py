"""Where a Likert answer states a number, after hiding the numbers that are plainly not answers.

ASCII and full-width digits count anywhere; number words and Chinese numerals only where they
cannot be ordinary words. Ranges, denominators, an echo of the scale and list numbering are
masked first; a denominator, size or range of another scale ("out of 10", "10分制") is reported,
since the number beside it is not a point of the presented scale.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from llmruns.parsing.labels import Mention, follows_marker
from llmruns.parsing.text import DECORATION, blank

_CJK_NUMERALS: dict[str, int] = {
    **{numeral: value for value, numeral in enumerate("零一二三四五六七八九十")},
    # The financial forms, written where a digit must not be altered.
    **{numeral: value for value, numeral in enumerate("壹贰叁肆伍陆柒捌玖拾", start=1)},
}
_WORD_NUMBERS: dict[str, int] = {
    word: value
    for value, word in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}

_GAP_NUMBER_THEN_LABEL = re.compile(r"^[ \t\"'(\[]*(?:[=:-]+|->)?[ \t\"'(\[]*$")
_GAP_LABEL_THEN_NUMBER = re.compile(r"^[ \t\"']*(?:[(\[]|[=:]|->)[ \t\"'(\[]*$")
_LINKING_MARK = re.compile(r"[(=:-]")
_ASCII_NUMBER = re.compile(
    r"(?<![a-z0-9.])(\d+(?:\.\d+)?)(?![a-z0-9%]|\.\d"
    r"|[ \t]*(?:个|年|岁|次|种|位|名|天|小时|分钟|条|项)"
    r"|[ \t]+(?:years?|months?|weeks?|days?|hours?|minutes?|times|reasons?|steps?|people)\b)"
)
_CJK_NUMERAL = re.compile("[" + "".join(_CJK_NUMERALS) + "]")
_MODEL_NAME_BEFORE = re.compile(r"[a-z]-$")
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b")
_WORD_NUMBER_ENDS = re.compile(
    r"[ \t]*(?:$|[\n.,;:!?)\]\"'(=-]|(?:because|since|as|out|for|on|in|given|overall|and|but)\b)"
)
_CJK_BOUNDARY = set(" \t\r\n.,;:!?)]\"'(=-、")
_ENUMERATOR = re.compile(r"^[ \t]*(?:[-*•][ \t]*)?\(?(\d+)[.)、](?!\d)", re.MULTILINE)
_INLINE_ENUMERATOR = re.compile(r"\((\d+)\)")
_SCALE_PAIR_GAP = re.compile(r"^[ \t]*(?:=|:|-+|\.|\)|->)?[ \t]*[\"'(]?[ \t]*$")
_NUMBER_WORDS = "|".join([*_WORD_NUMBERS, "hundred"])
_CJK_HUNDRED = "百佰"
_CJK_NUMBER = "[" + "".join(_CJK_NUMERALS) + _CJK_HUNDRED + "]+"
_STATED_CJK_NUMBER = r"(?:\d+|" + _CJK_NUMBER + ")"
# Where the reply names a scale: its top ("4/5", "out of 5", "满分5分", "5分中的4分", "五分制"),
# its number of points ("a 5-point scale", "五级量表") or its range ("a scale of 1 to 5",
# "1到5分的范围"). The named groups hold the stated numbers; `_names_this_scale` reads them.
# One pass over the text: these run on every answer.
_SCALE_STATEMENT = re.compile(
    "|".join(
        [
            r"\b(?:scale|range)[ \t]+(?:of|from)[ \t]+(?P<en_from>\d+)[ \t]*(?:to|-+|~)[ \t]*"
            r"(?P<en_to>\d+)",
            r"(?<![\d.])(?P<zh_from>\d+)[ \t]*(?:到|至|-+|~)[ \t]*(?P<zh_to>\d+)[ \t]*分?"
            r"(?:制|的?(?:量表|范围|评分|区间))",
            r"(?<![\d.])(?P<bare_from>\d+)[ \t]*(?:to|-+|~)[ \t]*(?P<bare_to>\d+)[ \t]+"
            r"(?:point[ \t]+)?scale\b",
            r"\bout[ \t]+of[ \t]+(?P<out_of>\d+(?:\.\d+)?|five|ten|hundred)\b",
            r"(?<=\d)[ \t]*/[ \t]*(?P<slash>\d+)",
            r"满分[ \t]*(?:为|是|:)?[ \t]*(?P<full_marks>" + _STATED_CJK_NUMBER + r")[ \t]*分?",
            r"(?:(?P<of_points>\d+)[ \t]*分(?:中|里|之中)的?"
            r"|(?P<of_cjk_points>" + _CJK_NUMBER + r")分(?:中|里|之中)的)",
            r"\b(?P<points>\d+|" + _NUMBER_WORDS + r")(?:[ \t]*-?[ \t]*(?:point|star)s?[ \t]+"
            r"(?:likert[ \t]+)?scale|-(?:point|star))",
            # Not "十分制约" (greatly constrains), "制定", "制作".
            r"(?P<system>" + _STATED_CJK_NUMBER + r")[ \t]*分制(?![约定作造度服止])",
            r"(?P<grades>" + _STATED_CJK_NUMBER + r")[ \t]*(?:级量表|点量表|分量表|级评分|点评分)",
        ]
    )
)
_TOP_GROUPS = ("out_of", "slash", "full_marks", "of_points", "of_cjk_points", "system")
_POINTS_GROUPS = ("points", "grades")
_RANGE_GROUPS = (("en_from", "en_to"), ("zh_from", "zh_to"), ("bare_from", "bare_to"))


@dataclass(frozen=True)
class _Number:
    presented: str  # "4", "3.5": what the model chose on the presented scale
    start: int
    end: int

    @property
    def whole(self) -> int | None:
        integer, _, fraction = self.presented.partition(".")
        # "4.0" is the whole number 4; "3.5" is between two points and has no scale value.
        return int(integer) if not fraction.strip("0") else None


def _number_forms(value: int) -> str:
    forms = [str(value)]
    forms += [char for char, number in _CJK_NUMERALS.items() if number == value]
    forms += [word for word, number in _WORD_NUMBERS.items() if number == value]
    return "(?:" + "|".join(re.escape(form) for form in forms) + ")"


@functools.lru_cache(maxsize=16)
def _range_pattern(low: int, high: int) -> re.Pattern[str]:
    edge_before, edge_after = r"(?<![a-z0-9.])", r"(?![a-z0-9]|\.\d)"
    # "1 (strongly dislike) to 5", "1 = Strongly dislike and 5 = Strongly like": the range may
    # carry its end labels.
    filler = r"(?:[ \t]*\([^()\n]{0,30}\)|[ \t]*(?:=|:|-+|being|is|means)[ \t]*[^\d\n.!?;]{1,30}?)?"
    connector = r"(?:to|through|thru|and|-+|~|到|至|,|、|->)"
    return re.compile(
        edge_before
        + _number_forms(low)
        + edge_after
        + filler
        + r"[ \t]*"
        + connector
        + r"[ \t]*"
        + _number_forms(high)
        + edge_after
        + r"(?:[ \t]*\([^()\n]{0,30}\))?"
    )


def mask_scale_echo(
    text: str, mentions: list[Mention], presented_to_canonical: dict[int, int]
) -> str:
    """Hide a repeated scale ("1 = Strongly dislike, 2 = Dislike, ...") but keep a repeated answer.

    Three or more number-label pairs that match the presented scale are an echo. Only the first
    pair of each number is hidden, so "Answer: 4 = Like" after the echo survives.
    """
    pairs: list[tuple[int, int, int]] = []
    for match in _ASCII_NUMBER.finditer(text):
        presented = int(match.group(1)) if match.group(1).isdigit() else None
        if presented not in presented_to_canonical:
            continue
        for mention in mentions:
            if mention.start < match.end():
                continue
            gap = text[match.end() : mention.start]
            if _SCALE_PAIR_GAP.match(gap) and mention.value == presented_to_canonical[presented]:
                pairs.append((presented, match.start(), mention.end))
            break
    if len({presented for presented, _, _ in pairs}) < 3:
        return text
    hidden: set[int] = set()
    for presented, start, end in pairs:
        if presented not in hidden:
            hidden.add(presented)
            text = blank(text, start, end)
    return text


def mask_enumerators(text: str, mentions: list[Mention]) -> str:
    """Hide list numbering ("1. ...", "2) ...", "(1) ... (2) ...") when it counts up from 1."""
    mention_starts = {mention.start for mention in mentions}
    for pattern in (_ENUMERATOR, _INLINE_ENUMERATOR):
        tokens = []
        for match in pattern.finditer(text):
            rest = match.end()
            while rest < len(text) and text[rest] in " \t\"'(":
                rest += 1
            if rest in mention_starts:  # "4. Like" is an answer, not a list item
                continue
            tokens.append((int(match.group(1)), match.start(1), match.end()))
        present = {number for number, _, _ in tokens}
        run = 0
        while run + 1 in present:
            run += 1
        if run >= 2:
            for number, start, end in tokens:
                if number <= run:
                    text = blank(text, start, end)
    return text


def mask_non_answers(text: str, low: int, high: int) -> tuple[str, list[str]]:
    """Hide the scale's range ("1 to 5"), denominators ("4/5", "满分5分") and scale sizes.

    Also returns, as written, every statement of another scale ("7 out of 10", "10分制",
    "a scale of 1 to 10"): a number beside one is a point of that scale, not of this one.
    """
    text = _range_pattern(low, high).sub(lambda match: " " * len(match.group()), text)
    other_scales: list[str] = []

    def hide(match: re.Match[str]) -> str:
        if not _names_this_scale(match, low, high):
            other_scales.append(match.group().strip())
        return " " * len(match.group())

    return _SCALE_STATEMENT.sub(hide, text), other_scales


def _names_this_scale(match: re.Match[str], low: int, high: int) -> bool:
    """Whether a scale statement fits the presented scale; a range within it ("a range of 3 to
    4") is a hedge rather than another scale."""
    for name in _TOP_GROUPS:
        if match.group(name) is not None:
            return _stated_number(match.group(name)) == high
    for name in _POINTS_GROUPS:
        if match.group(name) is not None:
            return _stated_number(match.group(name)) == high - low + 1
    for start_name, end_name in _RANGE_GROUPS:
        if match.group(start_name) is not None:
            start, end = int(match.group(start_name)), int(match.group(end_name))
            return low <= start <= end <= high
    raise AssertionError(f"scale statement without a number: {match.group()!r}")


def _stated_number(text: str) -> float:
    """The value of "10", "5.0", "ten", "hundred", "十", "十五", "一百", "百"."""
    if text[0].isdigit():
        return float(text)
    if text in _WORD_NUMBERS:
        return _WORD_NUMBERS[text]
    if text == "hundred":
        return 100
    total, digit = 0, 0
    for char in text:
        if char in _CJK_HUNDRED:
            total, digit = total + (digit or 1) * 100, 0
        elif char in "十拾":
            total, digit = total + (digit or 1) * 10, 0
        else:
            digit = _CJK_NUMERALS[char]
    return total + digit


def _has_label_after(text: str, end: int, mentions: list[Mention]) -> bool:
    return any(
        mention.start >= end
        and len(text[end : mention.start]) <= 10
        and bool(_LINKING_MARK.search(text[end : mention.start]))
        and bool(_GAP_NUMBER_THEN_LABEL.match(text[end : mention.start]))
        for mention in mentions
    )


def find_numbers(text: str, mentions: list[Mention]) -> list[_Number]:
    """Every number in the masked text that can be an answer, in order."""
    numbers: list[_Number] = []
    for match in _ASCII_NUMBER.finditer(text):
        if _MODEL_NAME_BEFORE.search(text, 0, match.start()):  # "gpt-4", "llama-3"
            continue
        numbers.append(_Number(match.group(1), match.start(), match.end()))

    # Number words and Chinese numerals are ordinary words too, so they count only where they
    # can be nothing but an answer.
    bare = text.strip(DECORATION)
    for match in _WORD_NUMBER.finditer(text):
        if (
            bare == match.group()
            or (follows_marker(text, match.start()) and _WORD_NUMBER_ENDS.match(text, match.end()))
            or _has_label_after(text, match.end(), mentions)
        ):
            numbers.append(_Number(str(_WORD_NUMBERS[match.group()]), match.start(), match.end()))

    for match in _CJK_NUMERAL.finditer(text):
        index, char = match.start(), match.group()
        before = text[index - 1] if index else ""
        after = text[index + 1 : index + 3]
        if before in _CJK_NUMERALS or after[:1] in _CJK_NUMERALS:
            continue
        ends_bare = not after or after[0] in _CJK_BOUNDARY
        # "四分" but not "三分之一", "五分制", "十分喜欢".
        ends_with_points = after[:1] == "分" and (len(after) == 1 or after[1] in _CJK_BOUNDARY)
        if (
            bare in (char, char + "分")
            or (follows_marker(text, index) and (ends_bare or ends_with_points))
            or (ends_with_points and char != "十")
            or _has_label_after(text, index + 1, mentions)
        ):
            numbers.append(_Number(str(_CJK_NUMERALS[char]), index, index + 1))
    return sorted(numbers, key=lambda number: number.start)


def attached_label(text: str, number: _Number, mentions: list[Mention]) -> Mention | None:
    """The label written with a number: "4 - Like", "4 (Like)", "Like (4)", "选择 4（喜欢）"."""
    for mention in mentions:
        if mention.start >= number.end:
            gap = text[number.end : mention.start]
            if len(gap) <= 10 and _GAP_NUMBER_THEN_LABEL.match(gap):
                return mention
        elif mention.end <= number.start:
            gap = text[mention.end : number.start]
            if len(gap) <= 10 and _GAP_LABEL_THEN_NUMBER.match(gap):
                return mention
    return None
