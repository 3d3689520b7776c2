"""Redaction of a model's self-identification from a work sample before an expert reads it.

Experts rate work samples blind, so the text they see must not say which model wrote it. This
module replaces two things with one neutral marker, in English and in Chinese:

- whole self-identification phrases: "As ChatGPT, ", "I'm Claude, made by Anthropic",
  "as a large language model trained by Google", "我是文心一言，", "作为一个由百度开发的人工智能".
  A phrase becomes the marker once (with the comma that closes it), never the marker plus
  leftover words;
- model and provider names anywhere else: a built-in list plus the caller's names (the endpoint
  table's names and model ids).

Matching runs on a folded copy of the text (NFKC, so full-width "ＣｈａｔＧＰＴ" reads as
"ChatGPT", then case folding) and every match is mapped back to the original characters, so
text that is not about identity stays byte for byte what it was.

Decisions a reader may want to question:

- Latin-script names match on word boundaries ("Yi" does not hit "Yield", "Phi" does not hit
  "Philosophy", "Claude" does not hit "claudication" but does hit "Claude's"); names in Chinese
  script match anywhere, because Chinese has no spaces. So provider names are removed inside
  compounds too: "百度百科" becomes "[model name removed]百科".
- Model names take the version that follows them ("Claude 3.5 Sonnet", "qwen2.5-72b-instruct",
  "文心一言4.0"); provider names do not ("OpenAI 2024" keeps "2024").
- Some listed names are also ordinary words: Gemini (the sign), Grok and cohere (verbs), Phi (the
  letter), llama (the animal), mistral (the wind), GLM (the statistical model), Bard, 豆包 (a
  bun), 混元. They are removed all the same: a leak breaks the blind, while an extra marker
  only costs the expert a word. A few idioms and people whose names merely contain a model's are
  protected (海纳百川, 文心雕龙, Claude Monet, Claude Shannon, ...: PROTECTED_IDIOMS).
- Some companies only identify a model inside a phrase ("trained by Google", "由华为开发的");
  on their own ("search on Google") they are left alone.
- A phrase led by "As" counts as self-identification only when it closes the clause or is
  followed by the speaker ("As ChatGPT, I ...") and is not a comparison ("such as ChatGPT,");
  otherwise, as in "As ChatGPT gained users, ...", only the name is removed.
- A model name also takes a bare number after a space ("Claude 3", "Llama 2"), so "asked
  Claude 3 questions" loses the "3" too.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

REDACTION_MARKER = "[model name removed]"

# Caller names shorter than this would hit ordinary words and letters.
MIN_CALLER_NAME_LENGTH = 2

# Models take a version suffix; each spelling is matched case- and width-insensitively.
BUILTIN_MODEL_NAMES: tuple[str, ...] = (
    "ChatGPT",
    "GPT-4",
    "GPT-4o",
    "GPT-3.5",
    "GPT",
    "Claude",
    "Gemini",
    "Bard",
    "Llama",
    "Mistral",
    "Mixtral",
    "Qwen",
    "Tongyi Qianwen",
    "通义千问",
    "通义",
    "DeepSeek",
    "文心一言",
    "文心",
    "ERNIE",
    "ERNIE Bot",
    "Kimi",
    "ChatGLM",
    "GLM",
    "Yi",
    "Baichuan",
    "百川",
    "Doubao",
    "豆包",
    "Hunyuan",
    "混元",
    "Grok",
    "Phi",
    "Microsoft Copilot",
    "Gemma",
    "Command R",
)

BUILTIN_PROVIDER_NAMES: tuple[str, ...] = (
    "OpenAI",
    "Anthropic",
    "Google DeepMind",
    "DeepMind",
    "Meta AI",
    "阿里云",
    "Alibaba Cloud",
    "Aliyun",
    "深度求索",
    "百度",
    "Baidu",
    "月之暗面",
    "Moonshot",
    "智谱",
    "Zhipu",
    "零一万物",
    "字节跳动",
    "ByteDance",
    "腾讯",
    "Tencent",
    "xAI",
    "Cohere",
)

# Companies that identify a model only as its maker inside a phrase ("trained by Google").
ORIGIN_ONLY_NAMES: tuple[str, ...] = (
    "Google",
    "Meta",
    "Microsoft",
    "Alibaba",
    "Amazon",
    "Apple",
    "IBM",
    "NVIDIA",
    "Huawei",
    "Hugging Face",
    "谷歌",
    "微软",
    "阿里巴巴",
    "阿里",
    "华为",
    "亚马逊",
    "科大讯飞",
    "讯飞",
    "商汤",
)

PROTECTED_IDIOMS: tuple[str, ...] = (
    "海纳百川",
    "百川归海",
    "文心雕龙",
    "Claude Monet",
    "Claude Debussy",
    "Claude Shannon",
    "Claude Bernard",
    "Claude Lévi-Strauss",
    "Jean-Claude",
    "Project Gemini",
)


@dataclass(frozen=True)
class RedactionResult:
    """The redacted text, how many spans were replaced, and those spans as they were written."""

    text: str
    count: int
    matches: tuple[str, ...]


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char).casefold()


def _fold(text: str) -> str:
    return "".join(_fold_char(char) for char in text)


def _fold_with_origins(text: str) -> tuple[str, list[int] | None]:
    """Fold text for matching; origins[i] is the index in text of folded character i.

    Folding may change lengths ("ß" -> "ss", "㎏" -> "kg"), hence the map; None when every
    character folds to exactly one, the common case, so that positions agree.
    """
    if text.isascii():
        return text.lower(), None
    if unicodedata.is_normalized("NFKC", text):
        # Case folding never empties a character, so equal lengths mean one for one.
        folded = text.casefold()
        if len(folded) == len(text):
            return folded, None
    pieces: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        pieces.append(folded)
        origins.extend([index] * len(folded))
    return "".join(pieces), origins


# Letters and digits that make a Latin-script word continue (folded text, so lower case only).
_WORD_CHARS = r"0-9a-z\u00aa\u00b5\u00ba\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_NOT_AFTER_WORD = rf"(?<![{_WORD_CHARS}])"
_NOT_BEFORE_WORD = rf"(?![{_WORD_CHARS}])"
_LATIN_EDGE = re.compile(rf"[{_WORD_CHARS}]")
_SEPARATOR = r"[-\u2010-\u2015_]"
_SEPARATOR_RUN = re.compile(r"(?:[-\u2010-\u2015_]|\s)+")
# Inside a name, "gpt-4o", "gpt 4o" and "gpt4o" are one spelling.
_FLEXIBLE_SEPARATOR = rf"(?:{_SEPARATOR}|\s+)?"

_VERSION = r"\d+(?:\.\d+)*[a-z]?"
_DOTTED_VERSION = r"(?:\d+(?:\.\d+)+|v\d+(?:\.\d+)*)"
_VARIANT_AFTER_HYPHEN = (
    r"(?:turbo|mini|nano|pro|plus|max|ultra|flash|lite|sonnet|opus|haiku|instruct|coder|"
    r"preview|latest|vision|omni|large|medium|small|reasoner|chat|bot|base|r1|v\d+(?:\.\d+)*)"
    r"(?![a-z])"
)
_VARIANT_AFTER_SPACE = (
    r"(?:turbo|mini|nano|pro|plus|max|ultra|flash|lite|sonnet|opus|haiku|instruct|coder|"
    r"vision|omni|large|bot)(?![a-z])"
)
_SUFFIX_TOKEN_AFTER_SEPARATOR = (
    rf"{_SEPARATOR}(?:{_VERSION}|{_VARIANT_AFTER_HYPHEN})|\s(?:{_VERSION}|{_VARIANT_AFTER_SPACE})"
)
# "qwen2.5-72b-instruct", "claude 3.5 sonnet", "command r+".
_LATIN_MODEL_SUFFIX = rf"(?:{_VERSION}|\+|{_SUFFIX_TOKEN_AFTER_SEPARATOR})*"
# After a Chinese name a bare number is usually a year or a count ("豆包2023年"), so only a
# dotted or "v" version attaches without a separator.
_CJK_MODEL_SUFFIX = rf"(?:\s?{_DOTTED_VERSION}|{_SEPARATOR}(?:{_VERSION}|{_VARIANT_AFTER_HYPHEN}))*"


def _name_body(folded_name: str) -> str:
    pieces = [piece for piece in _SEPARATOR_RUN.split(folded_name) if piece]
    return _FLEXIBLE_SEPARATOR.join(re.escape(piece) for piece in pieces)


def _idiom_guard(folded_name: str) -> str:
    """Negative lookaheads that stop the name inside a protected idiom."""
    guards = []
    for idiom in PROTECTED_IDIOMS:
        folded_idiom = _fold(idiom)
        start = folded_idiom.find(folded_name)
        while start != -1:
            before = folded_idiom[:start]
            after = folded_idiom[start + len(folded_name) :]
            lookbehind = f"(?<={re.escape(before)})" if before else ""
            guards.append(f"(?!{lookbehind}{re.escape(folded_name)}{re.escape(after)})")
            start = folded_idiom.find(folded_name, start + 1)
    return "".join(guards)


def _starts_latin(folded_name: str) -> bool:
    return bool(_LATIN_EDGE.fullmatch(folded_name[0]))


def _name_start(folded_name: str, *, with_boundary: bool = True) -> str:
    pattern = _idiom_guard(folded_name) + _name_body(folded_name)
    if with_boundary and _starts_latin(folded_name):
        pattern = _NOT_AFTER_WORD + pattern
    return pattern


def _name_end(*, takes_version: bool, ends_latin: bool) -> str:
    suffix = ""
    if takes_version:
        suffix = _LATIN_MODEL_SUFFIX if ends_latin else _CJK_MODEL_SUFFIX
    return suffix + (_NOT_BEFORE_WORD if ends_latin else "")


def _longest_first(names: Iterable[str]) -> list[str]:
    # So "gpt-4o" is tried before "gpt-4" and "通义千问" before "通义".
    return sorted(names, key=lambda name: (-len(name), name))


def _ends_latin(folded_name: str) -> bool:
    return bool(_LATIN_EDGE.fullmatch(folded_name[-1]))


def _alternation(names_with_versions: dict[str, bool]) -> str:
    """Each name with its own ending, longest first: exact, but a long pattern."""
    return "|".join(
        _name_start(name)
        + _name_end(takes_version=names_with_versions[name], ends_latin=_ends_latin(name))
        for name in _longest_first(names_with_versions)
    )


def _grouped_alternation(names_with_versions: dict[str, bool]) -> str:
    """Names that begin and end alike share one boundary and one ending: a short, fast pattern.

    Longest first holds within a group only; that is enough for names where no name is a
    prefix of a name of another group, which holds for the built-in lists (a test checks
    that each built-in name is redacted whole).
    """
    groups: dict[tuple[bool, bool, bool], list[str]] = {}
    for name, takes_version in names_with_versions.items():
        key = (_starts_latin(name), takes_version, _ends_latin(name))
        groups.setdefault(key, []).append(name)
    alternatives = []
    for (starts_latin, takes_version, ends_latin), members in sorted(groups.items()):
        bodies = "|".join(
            _name_start(name, with_boundary=False) for name in _longest_first(members)
        )
        alternatives.append(
            (_NOT_AFTER_WORD if starts_latin else "")
            + f"(?:{bodies})"
            + _name_end(takes_version=takes_version, ends_latin=ends_latin)
        )
    return "|".join(alternatives)


def _first_characters(folded_names: Iterable[str]) -> str:
    """A character class of the names' first characters, to skip other positions quickly."""
    return "[{}]".format("".join(sorted({re.escape(name[0]) for name in folded_names})))


# Names are found first and each is stood in for by one private-use character, so the phrase
# grammar below stays small and is compiled once whatever names the caller adds.
_REDACTED_NAME = "\ue000"
_ORIGIN_ONLY_NAME = "\ue001"
_ANY_NAME = f"[{_REDACTED_NAME}{_ORIGIN_ONLY_NAME}]"
# The same characters in the text itself must not pass for names.
_DISARM_PLACEHOLDERS = str.maketrans({_REDACTED_NAME: "\ufffd", _ORIGIN_ONLY_NAME: "\ufffd"})


def _english_phrase() -> str:
    names = _REDACTED_NAME
    origins = _ANY_NAME
    article = r"(?:(?:an?|the)\s+)"
    adjective = (
        r"(?:large|small|helpful|friendly|conversational|virtual|digital|multimodal|generative|"
        r"advanced|open[-\s]?source|general[-\s]purpose|text[-\s]based|artificial|ai|language|"
        r"llm|chat|foundation|frontier|neural|intelligent)"
    )
    head = r"(?:ai|intelligence|model|assistant|chatbot|bot|system|llm|agent|program)(?![a-z])"
    noun = rf"(?:{adjective}\s+){{0,4}}{head}"
    verb = (
        r"(?:developed|created|trained|made|built|designed|released|provided|owned|operated|"
        r"powered|programmed|engineered|fine[-\s]?tuned|brought\s+to\s+you)"
    )
    maker = rf"(?:the\s+)?(?:(?:team|researchers|engineers|people|folks)\s+(?:at|of)\s+)?{origins}"
    origin = rf"(?:(?:{verb}\s+)?by|from|of|at)\s+{maker}(?:\s*(?:,|and|&)\s*{maker})*"
    named = rf"(?:called|named|known\s+as)\s+{names}"
    # Atomic: once the longest descriptor is found, the checks after it may not shorten it
    # ("As ChatGPT gained users" must not become an identity by dropping words).
    descriptor = (
        "(?>"
        rf"{article}?{noun}(?:\s*,?\s+{named}(?:\s*,?\s+{origin})?|\s*,?\s+{origin})"
        # With an article the name is a modifier and needs its noun: "a Claude model", but
        # "I am a Claude user" is not an identity.
        rf"|{article}(?:{origins}(?:['’]s)?\s+)?{names}\s+{noun}(?:\s*,?\s+{origin})?"
        rf"|(?:{origins}(?:['’]s)?\s+)?{names}(?:\s+{noun})?"
        rf"(?:\s*,\s*{article}?{noun})?(?:\s*,?\s+{origin})?"
        rf"|{article}?{origins}(?:['’]s)?\s+{noun}(?:\s*,?\s+{origin})?"
        ")"
    )
    possessive = r"['’]s(?![a-z])"
    # "As X" is an identity only when the clause ends or the speaker follows.
    clause_ends = r"(?=\s*(?:[,.;:!?)\]。、]|\Z|(?:i|my|me|we|our)(?![a-z])|i['’]))"
    self_lead = (
        r"(?:i\s+am\s+called|i['’]m\s+called|i\s+am|i['’]m|this\s+is|my\s+name\s+is|"
        r"you(?:['’]re|\s+are)\s+(?:talking|chatting|speaking)\s+(?:to|with))"
    )
    made_by = rf"i\s+(?:was|am|have\s+been)\s+(?:originally\s+)?{verb}\s+by\s+{maker}"
    return (
        rf"{_NOT_AFTER_WORD}(?:"
        rf"(?P<as_lead>as)\s+{descriptor}(?!{possessive}){clause_ends}"
        rf"|{self_lead}\s+{descriptor}(?!{possessive})"
        rf"|{made_by}(?!{possessive})"
        r")[,、]?"
    )


def _chinese_phrase() -> str:
    names = _REDACTED_NAME
    origins = _ANY_NAME
    lead = r"(?:我的名字是|我的名字叫|我名叫|我叫做|我叫|我就是|我是|作为|身为|这里是|本人是)"
    quantity = r"(?:一[个款名位种套])"
    company = (
        r"(?:(?:科技|人工智能|网络|信息技术|智能|计算|云计算)?(?:股份)?(?:有限)?"
        r"(?:公司|集团|团队|实验室|研究院|研发团队|研究团队))"
    )
    verb_stem = r"(?:开发|研发|训练|打造|推出|创建|创造|设计|构建|发布|提供|研制|制作)"
    verb = rf"(?:(?:自主|独立|精心|专门)?{verb_stem}(?:和{verb_stem})?)"
    made_by = rf"(?:由|被)?\s*{origins}\s*{company}?\s*(?:所|自主)?{verb}的?"
    coming_from = rf"来自\s*{origins}\s*{company}?的?"
    adjective = r"(?:超大规模|大规模|大型|通用|智能|对话式|多模态|生成式|中文|开源|预训练|先进的?)"
    head = (
        r"(?:人工智能|ai(?![a-z])|大语言模型|语言模型|大模型|模型|智能助手|助手|助理|"
        r"聊天机器人|机器人|智能体|系统|程序)"
    )
    noun = rf"(?:{adjective}*{head}+)"
    named = r"(?:名为|名叫|叫做|叫作|称为|叫)"
    appositive = rf"(?:\s*[,、]?\s*{quantity}?{made_by}{noun}?)"
    descriptor = (
        "(?>"
        rf"{quantity}?{made_by}\s*{noun}?(?:\s*[,、]?\s*{named}?\s*{names})?"
        rf"|{quantity}?{coming_from}\s*(?:{noun}(?:\s*[,、]?\s*{named}?\s*{names})?|{names})"
        rf"|{quantity}?{named}\s*{names}(?:的{noun})?{appositive}?"
        rf"|{quantity}?(?:{origins}\s*{company}?(?:旗下)?的?\s*)?{names}\s*{noun}?{appositive}?"
        rf"|{quantity}?{origins}\s*{company}?(?:旗下)?的\s*{noun}"
        rf"|{quantity}?{noun}\s*[,、]?\s*(?:{named}\s*{names}{appositive}?|{made_by})"
        ")"
    )
    # "作为文心一言的用户", "我是百度员工": about someone else, not the model speaking.
    someone_else = r"(?:的|用户|粉丝|员工|工程师|开发者|研究员|团队|客户|会员|爱好者)"
    return rf"{lead}\s*{descriptor}(?!{someone_else})[,、]?"


_PHRASE = re.compile(f"{_english_phrase()}|{_chinese_phrase()}")
# "such as ChatGPT, Claude and Gemini" or "as good as ChatGPT." compare, they do not identify.
_COMPARISON_BEFORE_AS = re.compile(
    r"(?:(?<![a-z])(?:such|well|same|known|much|many|soon|long|far|regarded|described|"
    r"referred|seen|used|treated|classified|listed|marketed|branded|ranked)|(?<![a-z])as\s+[a-z]+)"
    r"\s+\Z"
)
_COMPARISON_LOOKBACK = 40


def _phrases(token_text: str) -> Iterator[re.Match[str]]:
    position = 0
    while (match := _PHRASE.search(token_text, position)) is not None:
        start = match.start()
        if match.group("as_lead") is not None and _COMPARISON_BEFORE_AS.search(
            token_text[max(0, start - _COMPARISON_LOOKBACK) : start]
        ):
            # Not an identity here, but a phrase may still start inside it ("as I am ...").
            position = start + 1
            continue
        yield match
        position = match.end()


def _builtin_names() -> dict[str, bool]:
    """Folded built-in names to redact, each with whether it takes a version suffix."""
    redacted = {_fold(name): True for name in BUILTIN_MODEL_NAMES}
    for name in BUILTIN_PROVIDER_NAMES:
        redacted.setdefault(_fold(name), False)
    return redacted


_BUILTIN_REDACTED = _grouped_alternation(_builtin_names())
_BUILTIN_ORIGIN_ONLY_NAMES = {
    folded: False
    for folded in (_fold(name) for name in ORIGIN_ONLY_NAMES)
    if folded not in _builtin_names()
}
_BUILTIN_ORIGIN_ONLY = _grouped_alternation(_BUILTIN_ORIGIN_ONLY_NAMES)
_BUILTIN_FOLDED_NAMES = [*_builtin_names(), *_BUILTIN_ORIGIN_ONLY_NAMES]


@functools.lru_cache(maxsize=64)
def _name_finder(caller_names: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for every name; group "redacted" or "origin_only" says which kind matched.

    Caller names come first ("deepseek-chat" before "deepseek") and are read as model names,
    so "deepseek-chat-v2" is one match.
    """
    redacted = _BUILTIN_REDACTED
    if caller_names:
        redacted = f"{_alternation(dict.fromkeys(caller_names, True))}|{redacted}"
    first_characters = _first_characters([*_BUILTIN_FOLDED_NAMES, *caller_names])
    # Redacted names first: "google deepmind" must win over "google" at the same position.
    return re.compile(
        f"(?={first_characters})"
        f"(?:(?P<redacted>{redacted})|(?P<origin_only>{_BUILTIN_ORIGIN_ONLY}))"
    )


def _caller_names_key(names: Iterable[str]) -> tuple[str, ...]:
    folded = {_fold(name).strip() for name in names}
    return tuple(sorted(name for name in folded if len(name) >= MIN_CALLER_NAME_LENGTH))


def _identity_spans(folded: str, name_finder: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of folded text to replace: whole phrases, then redacted names outside them."""
    # The text seen by the phrase grammar, each name shrunk to its placeholder character;
    # starts[i]/ends[i] give the span in folded text of character i.
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    redacted_names: list[tuple[int, int, int]] = []  # (placeholder index, start, end)
    copied_up_to = 0
    found_a_name = False
    for match in name_finder.finditer(folded):
        found_a_name = True
        start, end = match.span()
        pieces.append(folded[copied_up_to:start].translate(_DISARM_PLACEHOLDERS))
        starts.extend(range(copied_up_to, start))
        ends.extend(range(copied_up_to + 1, start + 1))
        placeholder_index = len(starts)
        if match.lastgroup == "redacted":
            redacted_names.append((placeholder_index, start, end))
            pieces.append(_REDACTED_NAME)
        else:
            pieces.append(_ORIGIN_ONLY_NAME)
        starts.append(start)
        ends.append(end)
        copied_up_to = end
    if not found_a_name:
        # Every phrase names a model or its maker; without a name there is nothing to do.
        return []
    pieces.append(folded[copied_up_to:].translate(_DISARM_PLACEHOLDERS))
    starts.extend(range(copied_up_to, len(folded)))
    ends.extend(range(copied_up_to + 1, len(folded) + 1))

    spans: list[tuple[int, int]] = []
    phrase_placeholder_ranges: list[tuple[int, int]] = []
    for match in _phrases("".join(pieces)):
        first, last = match.start(), match.end() - 1
        spans.append((starts[first], ends[last]))
        phrase_placeholder_ranges.append((first, last))
    phrase_firsts = [first for first, _ in phrase_placeholder_ranges]
    for placeholder, start, end in redacted_names:
        # Phrases do not overlap: only the last one starting at or before it can hold it.
        candidate = bisect.bisect_right(phrase_firsts, placeholder) - 1
        inside_phrase = candidate >= 0 and placeholder <= phrase_placeholder_ranges[candidate][1]
        if not inside_phrase:
            spans.append((start, end))
    spans.sort()
    return spans


def redact(
    text: str, *, names: Iterable[str] = (), marker: str = REDACTION_MARKER
) -> RedactionResult:
    """Replace self-identification phrases and model or provider names in text with marker.

    names: extra names to remove, such as endpoint names and model ids ("gpt-4o-2024-08-06",
    "deepseek-chat"); names shorter than two characters are ignored. Everything outside the
    replaced spans is returned exactly as given.
    """
    folded, origins = _fold_with_origins(text)
    spans = _identity_spans(folded, _name_finder(_caller_names_key(names)))
    pieces: list[str] = []
    matches: list[str] = []
    copied_up_to = 0
    for folded_start, folded_end in spans:
        start, end = folded_start, folded_end
        if origins is not None:
            # Widen to whole original characters when one character folded into several.
            start, end = origins[folded_start], origins[folded_end - 1] + 1
        start = max(start, copied_up_to)
        if start >= end:
            continue
        pieces.append(text[copied_up_to:start])
        pieces.append(marker)
        matches.append(text[start:end])
        copied_up_to = end
    pieces.append(text[copied_up_to:])
    return RedactionResult(text="".join(pieces), count=len(matches), matches=tuple(matches))
