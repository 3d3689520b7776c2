"""Answer parsing: turn a model's reply into an explicit outcome, never into a guessed number.

A Likert answer is ``ok`` with its canonical scale value only when the text states one answer
clearly: a number (ASCII, full-width, circled, Chinese numerals, a few English number words) or
a scale label, alone or together when they agree. Anything else is kept for what it is:
``invalid`` with a reason (empty, no answer found, conflicting answers, out of range, not a whole
number, number and label disagree) or ``refused`` (a disclaimer such as "As an AI I don't have
preferences" with no answer).

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
- Chinese numerals are answers only where they cannot be ordinary words ("一个", "一些", "三思"):
  alone, after an answer marker ("我选四", "答案是四"), as "四分", or with a label ("四（喜欢）").
- Labels match as whole phrases, longest first, case- and width-insensitively (NFKC), so
  "不喜欢" is not "喜欢" and "Strongly dislike" is not "Dislike". A negated label ("不太喜欢",
  "I'm not very competent") is not that label, nor is an intensified one ("十分喜欢", "I really
  like it"), which sits between two points. A number's label must agree with the number.
- With a counterbalanced (reversed) scale the prompt showed ``1 = <label of canonical 5>``: a
  number n maps back to ``low + high - n``; a label maps to its canonical value directly.
- A closed ``<think>...</think>`` block (reasoning models) is not part of the answer.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["ok", "invalid", "refused"]


@dataclass(frozen=True)
class ParseResult:
    """What an answer text means: the outcome, the canonical value when ok, and why."""

    outcome: Outcome
    value: int | None
    reason: str


# --------------------------------------------------------------------------- normalization

# Quotes, brackets, dashes and the ideographic full stop that NFKC leaves alone.
_PUNCTUATION = str.maketrans(
    {
        **dict(zip("\u2018\u2019\u201c\u201d\u300c\u300d\u300e\u300f", '\'\'""""""', strict=True)),
        **dict(zip("\u3010\u3011\u3002\u2013\u2014\u2212", "[].---", strict=True)),
        "\u2192": "->",
    }
)
_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_MARKDOWN = re.compile(r"\*+|`+|_{2,}|^[ \t]*#{1,6}[ \t]*", re.MULTILINE)


def _normalize_fragment(text: str) -> str:
    """Width-, case- and punctuation-insensitive form shared by answers and labels."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION).casefold()
    return _MARKDOWN.sub("", text)


def _normalize(text: str) -> str:
    text = _THINK_BLOCK.sub(" ", text)
    # A reasoning block that never closed (a truncated reply) holds no final answer.
    unclosed = text.lower().find("<think>")
    if unclosed != -1:
        text = text[:unclosed]
    return _normalize_fragment(text)


def _blank(text: str, start: int, end: int, fill: str = " ") -> str:
    """Hide a span while keeping every other offset valid."""
    return text[:start] + fill * (end - start) + text[end:]


# --------------------------------------------------------------------------- vocabulary

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

_ANSWER_MARKER = (
    r"(?:\b(?:say|choose|chose|pick|select|go\s+with|opt\s+for|answer|rating|score|choice"
    r"|response|selection|option"
    r"|rate(?:\s+(?:it|this|myself|that|my\s+\w+))?(?:\s+(?:as|at))?(?:\s+an?)?"
    r"|give(?:\s+(?:it|this|myself|that))?(?:\s+an?)?)"
    r"(?:\s+(?:is|would\s+be|will\s+be|be))?"
    r"|(?:答案|回答|选择|选项|选|评分|打分|分数|得分|评为|评|打|给出|给予|给)(?:是|为|的是)?)"
)
_MARKER_BEFORE = re.compile(_ANSWER_MARKER + r"[ \t]*(?:[:=]|->)?[ \t]*[\"'(\[]*[ \t]*$")
# Characters that may surround an answer standing on its own line or at the very start.
_DECORATION = " \t\r\n-*•>#\"'.!?,:;()[]、"
_ENDS_ANSWER = re.compile(r"[ \t]*(?:$|[\n.,:;!?()\[\]\"'-])")
_GAP_NUMBER_THEN_LABEL = re.compile(r"^[ \t\"'(\[]*(?:[=:-]+|->)?[ \t\"'(\[]*$")
_GAP_LABEL_THEN_NUMBER = re.compile(r"^[ \t\"']*(?:[(\[]|[=:]|->)[ \t\"'(\[]*$")
_LINKING_MARK = re.compile(r"[(=:-]")
_GAP_ALTERNATIVE = re.compile(r"^[ \t]*(?:or|and|nor|/|或者?|和|与|还是|、|,)[ \t]*$")
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
# A label followed by these is the object of doubt ("unsure whether", "不确定是否"), not an answer.
_COMPLEMENT_AFTER = re.compile(
    r"[ \t]*(?:(?:how|whether|if|about|what|which|of|to)\b|(?:自己)?(?:是否|如何|怎么|怎样|能否|会不会|该|要不要|哪))"
)
# Negations and questions: "not very competent", "不太喜欢", "whether I like", "是否喜欢".
_ENGLISH_NEGATOR = re.compile(
    r"^(?:not|no|never|neither|nor|hardly|barely|cannot|without|whether|if)$|n't$"
)
_CHINESE_NEGATOR = re.compile(r"[不没未无别]|非(?!常)|是否|能否")
# An intensified label ("十分喜欢", "I really like") sits between two points; reading it as
# either would be a guess.
_INTENSIFIER_BEFORE = re.compile(
    r"(?:\b(?:really|very|quite|so|extremely|absolutely|truly|genuinely|pretty|fairly|somewhat"
    r"|kind of|sort of|a bit|a little|much)[ \t]+|(?:十分|特别|相当|超级|极其|极为|很|挺|蛮|非常|比较|有点|有些))$"
)
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n、]")

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
# One pass over the text: these run on every answer.
_NOT_ANSWER_NUMBERS = re.compile(
    "|".join(
        [
            r"\b(?:scale|range)[ \t]+(?:of|from)[ \t]+\d+[ \t]*(?:to|-+|~)[ \t]*\d+",
            r"\d+[ \t]*(?:到|至|-+|~)[ \t]*\d+[ \t]*分?(?:制|的?(?:量表|范围|评分|区间))",
            r"\bout[ \t]+of[ \t]+(?:\d+(?:\.\d+)?|five|ten|hundred)\b",
            r"(?<=\d)[ \t]*/[ \t]*\d+",
            r"满分[ \t]*(?:为|是|:)?[ \t]*(?:\d+|[一二三四五六七八九十])[ \t]*分?",
            r"(?:\d+|[一二三四五六七八九十])[ \t]*分(?:中|里|之中)的?",
            r"\d+[ \t]*-?[ \t]*(?:point|star)s?[ \t]+(?:likert[ \t]+)?scale|\d+-(?:point|star)",
            r"\d+[ \t]*(?:分制|级量表|点量表|分量表|级评分|点评分)",
        ]
    )
)

_REFUSAL_PATTERNS = [
    re.compile(
        r"\bas an? (?:ai|artificial intelligence|(?:large )?language model|llm|machine"
        r"|virtual assistant|chatbot|computer program)\b"
    ),
    re.compile(
        r"\bi (?:do not|don't|dont|lack|have no)(?: have| possess| experience)?(?: any)?"
        r" (?:personal |real |genuine |human |actual |subjective )?(?:preferences?|feelings"
        r"|emotions|likes|opinions|interests|desires|consciousness|personal|the ability)"
    ),
    re.compile(
        r"\bi(?:'m| am) (?:not able|unable|not capable|incapable)(?: of| to)? (?:have|having"
        r"|experience|experiencing|feel|feeling|form|forming|hold|express|answer|provide|rate"
        r"|choose|like|enjoy)"
    ),
    re.compile(
        r"\bi (?:cannot|can't|can not|won't|will not) (?:have|experience|feel|form|hold|express"
        r"|answer|provide|rate|choose|select|pick|give|assign|evaluate|assess|determine|comply"
        r"|respond|participate|help with|assist with|complete|perform)"
    ),
    re.compile(r"\bnot capable of (?:having|feeling|experiencing)"),
    re.compile(r"\b(?:i'd|i would) (?:rather|prefer) not\b"),
    re.compile(r"作为(?:一个|一名|一款)?(?:人工智能|ai|(?:大型?)?语言模型|机器|程序|智能助手)"),
    re.compile(
        r"我(?:并)?没有(?:任何)?(?:个人|真正的?|真实的?|自己的?|主观)?的?"
        r"(?:喜好|偏好|感情|情感|情绪|喜恶|好恶|兴趣|感受|意识|身体|个人)"
    ),
    re.compile(
        r"我(?:无法|不能|没法|没有办法)(?:真正)?(?:回答|给出|提供|作答|评估|评价|体验|拥有|感受"
        r"|选择|表达|产生|做出|完成|执行)"
    ),
    re.compile(r"我(?:不具备|不具有)"),
    re.compile(r"(?:抱歉|对不起)[,]?我?(?:无法|不能)"),
]


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class _Label:
    value: int
    display: str
    pattern: re.Pattern[str]
    length: int


@dataclass(frozen=True)
class _Mention:
    value: int
    display: str
    start: int
    end: int


@functools.lru_cache(maxsize=64)
def _compile_labels(items: tuple[tuple[int, str], ...]) -> tuple[_Label, ...]:
    compiled = []
    for value, display in items:
        normalized = _normalize_fragment(display).strip()
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
            text = _blank(text, match.start(), match.end(), "\0")
    return text


def _find_mentions(text: str, labels: tuple[_Label, ...]) -> list[_Mention]:
    scan = _hide_non_preference_like(text)
    mentions: list[_Mention] = []
    for label in labels:
        for match in label.pattern.finditer(scan):
            mentions.append(_Mention(label.value, label.display, match.start(), match.end()))
            # Hidden so that a shorter label cannot match inside it ("喜欢" in "不喜欢").
            scan = _blank(scan, match.start(), match.end(), "\0")
    return sorted(mentions, key=lambda mention: mention.start)


def _is_negated(text: str, start: int) -> bool:
    clause = _CLAUSE_BREAK.split(text[:start])[-1]
    if any(_ENGLISH_NEGATOR.search(word) for word in clause.split()[-3:]):
        return True
    return bool(_CHINESE_NEGATOR.search(clause[-4:]))


def _follows_marker(text: str, start: int) -> bool:
    return bool(_MARKER_BEFORE.search(text[max(0, start - 80) : start]))


def _stands_alone(text: str, start: int, end: int) -> bool:
    """True for an answer that is its own line, or that opens the reply ("Like - I enjoy...")."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end == -1 else line_end]
    if line.strip(_DECORATION) == text[start:end].strip(_DECORATION):
        return True
    return not text[:start].strip(_DECORATION) and bool(_ENDS_ANSWER.match(text, end))


def _is_answer_position(text: str, mention: _Mention) -> bool:
    return _follows_marker(text, mention.start) or _stands_alone(text, mention.start, mention.end)


# --------------------------------------------------------------------------- numbers


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


def _mask_scale_echo(
    text: str, mentions: list[_Mention], presented_to_canonical: dict[int, int]
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
            text = _blank(text, start, end)
    return text


def _mask_enumerators(text: str, mentions: list[_Mention]) -> str:
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
                    text = _blank(text, start, end)
    return text


def _mask_non_answers(text: str, low: int, high: int) -> str:
    for pattern in (_range_pattern(low, high), _NOT_ANSWER_NUMBERS):
        text = pattern.sub(lambda match: " " * len(match.group()), text)
    return text


def _has_label_after(text: str, end: int, mentions: list[_Mention]) -> bool:
    return any(
        mention.start >= end
        and len(text[end : mention.start]) <= 10
        and bool(_LINKING_MARK.search(text[end : mention.start]))
        and bool(_GAP_NUMBER_THEN_LABEL.match(text[end : mention.start]))
        for mention in mentions
    )


def _find_numbers(text: str, mentions: list[_Mention]) -> list[_Number]:
    numbers: list[_Number] = []
    for match in _ASCII_NUMBER.finditer(text):
        if _MODEL_NAME_BEFORE.search(text, 0, match.start()):  # "gpt-4", "llama-3"
            continue
        numbers.append(_Number(match.group(1), match.start(), match.end()))

    # Number words and Chinese numerals are ordinary words too, so they count only where they
    # can be nothing but an answer.
    bare = text.strip(_DECORATION)
    for match in _WORD_NUMBER.finditer(text):
        if (
            bare == match.group()
            or (_follows_marker(text, match.start()) and _WORD_NUMBER_ENDS.match(text, match.end()))
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
            or (_follows_marker(text, index) and (ends_bare or ends_with_points))
            or (ends_with_points and char != "十")
            or _has_label_after(text, index + 1, mentions)
        ):
            numbers.append(_Number(str(_CJK_NUMERALS[char]), index, index + 1))
    return sorted(numbers, key=lambda number: number.start)


def _attached_label(text: str, number: _Number, mentions: list[_Mention]) -> _Mention | None:
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


# --------------------------------------------------------------------------- refusals


def _refusal_spans(text: str) -> list[tuple[int, int]]:
    return sorted(
        (match.start(), match.end())
        for pattern in _REFUSAL_PATTERNS
        for match in pattern.finditer(text)
    )


def detect_refusal(text: str) -> bool:
    """True when the text declines or disclaims ("As an AI...", "我没有个人偏好", "我无法回答")."""
    return bool(_refusal_spans(_normalize(text)))


# --------------------------------------------------------------------------- Likert answers


@dataclass(frozen=True)
class _Candidate:
    key: int | str  # canonical value, or the presented text when it has none
    shown: str
    sort_key: tuple[int, float]
    is_label: bool


def _empty() -> ParseResult:
    return ParseResult("invalid", None, "empty")


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
        return _empty()
    normalized = _normalize(text)
    if not normalized.strip(_DECORATION):
        return _empty()

    def to_canonical(presented: int) -> int:
        return low + high - presented if reversed_scale else presented

    compiled = _compile_labels(tuple(sorted(labels.items())))
    presented_to_canonical = {
        presented: to_canonical(presented) for presented in range(low, high + 1)
    }
    masked = _mask_scale_echo(
        normalized, _find_mentions(normalized, compiled), presented_to_canonical
    )
    masked = _mask_non_answers(masked, low, high)
    mentions = _find_mentions(masked, compiled)
    masked = _mask_enumerators(masked, mentions)
    numbers = _find_numbers(masked, mentions)

    refusals = _refusal_spans(masked)
    after_disclaimer = refusals[-1][1] if refusals else 0

    candidates: list[_Candidate] = []
    attached: set[int] = set()
    for number in numbers:
        whole = number.whole
        canonical = to_canonical(whole) if whole is not None and low <= whole <= high else None
        label = _attached_label(masked, number, mentions)
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

    unattached = [
        mention
        for mention in mentions
        if mention.start not in attached and not _is_negated(masked, mention.start)
    ]
    answer_labels = [mention for mention in unattached if _is_answer_position(masked, mention)]
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
    text: str, candidates: list[_Mention], every_mention: list[_Mention], after: int
) -> list[_Mention]:
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


# --------------------------------------------------------------------------- structured output

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

    A ```json fence around the object is accepted. Anything malformed is ``invalid`` with the
    reason, except a plain-text refusal, which is ``refused`` (servers that ignore the schema
    answer that way). Extra keys are ignored: the answer itself is unambiguous.
    """
    if not text or not text.strip():
        return _empty()
    body = text.strip()
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


# --------------------------------------------------------------------------- work samples

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
        return _empty()
    normalized = _normalize(text)
    if not normalized.strip(_DECORATION):
        return _empty()
    if not _refusal_spans(normalized):
        return ParseResult("ok", None, "text")
    remaining = " ".join(
        sentence for sentence in _SENTENCE.findall(normalized) if not _refusal_spans(sentence)
    )
    cjk_chars = len(_CJK_CHAR.findall(remaining))
    latin_words = len(_CJK_CHAR.sub(" ", remaining).split())
    if latin_words + cjk_chars / 2 >= _WORK_SAMPLE_MIN_WORDS:
        return ParseResult("ok", None, "text after disclaimer")
    return ParseResult("refused", None, "refusal")
