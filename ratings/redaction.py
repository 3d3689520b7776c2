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
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ratings.self_introduction import unknown_name_spans

REDACTION_MARKER = "[model name removed]"

# Caller names shorter than this would hit ordinary words and letters.
MIN_CALLER_NAME_LENGTH = 2

# The shipped list of model families, products and makers; study admins extend it in the admin
# (ratings.ModelName, loaded from this same file by a data migration).
NAMES_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "model_names.json"


class NameRule:
    """Where a listed spelling is redacted (the values of ratings.ModelName.rule)."""

    # Wherever it appears, with any version that follows ("Qwen2.5-72B").
    ALWAYS = "always"
    # Also an ordinary word ("Spark", "Step", "Nova", "o3", "星火"): only with a version or
    # variant attached ("Step-2", "Nova Pro", "o3-mini") or inside a self-introduction.
    WITH_VERSION = "with_version"
    # A company that names a model only as its maker ("trained by Google"): inside a phrase only.
    IN_PHRASE = "in_phrase"


class NameKind:
    FAMILY = "family"
    PRODUCT = "product"
    MAKER = "maker"


@dataclass(frozen=True)
class NameList:
    """Spellings to redact, by how they are matched. Hashable, so compiled patterns are cached."""

    models: tuple[str, ...] = ()
    makers: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    in_phrase: tuple[str, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[str, str, Iterable[str]]]) -> NameList:
        """From (kind, rule, forms) triples, as stored in ratings.ModelName or the fixture."""
        models: dict[str, None] = {}
        makers: dict[str, None] = {}
        ambiguous: dict[str, None] = {}
        in_phrase: dict[str, None] = {}
        for kind, rule, forms in entries:
            if rule == NameRule.IN_PHRASE:
                target = in_phrase
            elif rule == NameRule.WITH_VERSION:
                target = ambiguous
            elif kind == NameKind.MAKER:
                target = makers
            else:
                target = models
            for form in forms:
                if form.strip():
                    target[form.strip()] = None
        return cls(
            models=tuple(models),
            makers=tuple(makers),
            ambiguous=tuple(ambiguous),
            in_phrase=tuple(in_phrase),
        )


def fixture_entries(path: Path = NAMES_FIXTURE) -> list[dict]:
    """The fields of each entry of a ModelName fixture file."""
    return [row["fields"] for row in json.loads(path.read_text(encoding="utf-8"))]


@functools.lru_cache(maxsize=1)
def shipped_name_list() -> NameList:
    return NameList.from_entries(
        (entry["kind"], entry["rule"], entry["forms"]) for entry in fixture_entries()
    )


BUILTIN_MODEL_NAMES: tuple[str, ...] = shipped_name_list().models
BUILTIN_PROVIDER_NAMES: tuple[str, ...] = shipped_name_list().makers
AMBIGUOUS_NAMES: tuple[str, ...] = shipped_name_list().ambiguous
ORIGIN_ONLY_NAMES: tuple[str, ...] = shipped_name_list().in_phrase

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
    # Gemini the sign of the zodiac.
    "a Gemini,",
    "a Gemini.",
    "a Gemini and",
    "a Gemini who",
    "Gemini season",
    "Gemini sign",
    "Gemini horoscope",
    "Gemini constellation",
    # The algorithm, not the company.
    "minimax algorithm",
    "minimax search",
    "minimax strategy",
    "minimax theorem",
)


KIND_LISTED = "listed"
KIND_PATTERN = "pattern"


@dataclass(frozen=True)
class RedactionResult:
    """The redacted text, how many spans were replaced, those spans as they were written, and
    for each whether a listed name (KIND_LISTED) or a self-introduction (KIND_PATTERN) found it."""

    text: str
    count: int
    matches: tuple[str, ...]
    kinds: tuple[str, ...] = field(default=(), compare=False)

    def count_of(self, kind: str) -> int:
        return sum(1 for each in self.kinds if each == kind)


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char).casefold()


def _fold(text: str) -> str:
    return "".join(_fold_char(char) for char in text)


# The full-width punctuation of Chinese text and the ideographic space, with what each folds to:
# one character.
_FULL_WIDTH_PUNCTUATION = {char: _fold_char(char) for char in "，：；！？（）　"}


def _fold_with_origins(text: str) -> tuple[str, list[int] | None]:
    """Fold text for matching; origins[i] is the index in text of folded character i.

    Folding may change lengths ("ß" -> "ss", "㎏" -> "kg"), hence the map; None when every
    character folds to exactly one, the common case, so that positions agree.
    """
    if text.isascii():
        return text.lower(), None
    # Chinese punctuation is mostly full-width forms, which fold one for one ("，" -> ","): with
    # them replaced first, most Chinese texts take the whole-text path below, far faster than
    # the table of their characters. The positions stay, as every replacement is one for one.
    for char, folded in _FULL_WIDTH_PUNCTUATION.items():
        if char in text:
            text = text.replace(char, folded)
    if unicodedata.is_normalized("NFKC", text):
        # Case folding never empties a character, so equal lengths mean one for one.
        folded = text.casefold()
        if len(folded) == len(text):
            return folded, None
    # Full-width punctuation ("，", "：") is not NFKC-normal, but folds one for one.
    table = {char: _fold_char(char) for char in set(text)}
    if all(len(folded) == 1 for folded in table.values()):
        changed = {char: folded for char, folded in table.items() if folded != char}
        if changed.keys().isdisjoint(changed.values()):
            # A few characters change ("，" -> ","): replacing each is one fast scan, where
            # translating costs a lookup per character. No replacement makes a character that
            # a later one would change again, so the result is the translation's.
            for char, folded in changed.items():
                text = text.replace(char, folded)
            return text, None
        return text.translate(str.maketrans(table)), None
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


def _starts_latin(folded_name: str) -> bool:
    return bool(_LATIN_EDGE.fullmatch(folded_name[0]))


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


def _first_characters(folded_names: Iterable[str]) -> str:
    """A character class of the names' first characters, to skip other positions quickly."""
    return "[{}]".format("".join(sorted({re.escape(name[0]) for name in folded_names})))


# Names are found first and each is stood in for by one private-use character, so the phrase
# grammar below stays small and is compiled once whatever names the caller adds.
_REDACTED_NAME = "\ue000"
_ORIGIN_ONLY_NAME = "\ue001"
# A name that is also an ordinary word ("Spark", "星火"): a name only where a self-introduction
# leads to it and nothing but punctuation or a model noun follows it.
_AMBIGUOUS_NAME = "\ue002"
_ANY_NAME = f"[{_REDACTED_NAME}{_ORIGIN_ONLY_NAME}{_AMBIGUOUS_NAME}]"
# The same characters in the text itself must not pass for names.
_DISARM_PLACEHOLDERS = str.maketrans(
    {_REDACTED_NAME: "\ufffd", _ORIGIN_ONLY_NAME: "\ufffd", _AMBIGUOUS_NAME: "\ufffd"}
)


def _english_phrase() -> str:
    origins = _ANY_NAME
    article = r"(?:(?:an?|the|your)\s+)"
    adjective = (
        r"(?:large|small|helpful|friendly|conversational|virtual|digital|multimodal|generative|"
        r"advanced|open[-\s]?source|general[-\s]purpose|text[-\s]based|artificial|ai|language|"
        r"llm|chat|foundation|frontier|neural|intelligent|cognitive|personal|creative)"
    )
    head = (
        r"(?:ai|intelligence|model|assistant|chatbot|bot|system|llm|agent|program|companion|"
        r"collaborator)(?![a-z])"
    )
    noun = rf"(?:{adjective}(?:\s+and)?\s+){{0,4}}{head}"
    verb = (
        r"(?:developed|created|trained|made|built|designed|released|provided|owned|operated|"
        r"powered|programmed|engineered|fine[-\s]?tuned|brought\s+to\s+you)"
    )
    maker = rf"(?:the\s+)?(?:(?:team|researchers|engineers|people|folks)\s+(?:at|of)\s+)?{origins}"
    origin = rf"(?:(?:{verb}\s+)?by|from|of|at)\s+{maker}(?:\s*(?:,|and|&)\s*{maker})*"

    def descriptor(names: str) -> str:
        named = rf"(?:called|named|known\s+as)\s+{names}"
        # Atomic: once the longest descriptor is found, the checks after it may not shorten it
        # ("As ChatGPT gained users" must not become an identity by dropping words).
        return (
            "(?>"
            rf"{article}?{noun}(?:\s*,?\s+{named}(?:\s*,?\s+{origin})?|\s*,?\s+{origin})"
            # With an article the name is a modifier and needs its noun: "a Claude model", but
            # "I am a Claude user" is not an identity.
            rf"|{article}(?:{origins}(?:['’]s)?\s+)?{names}\s+{noun}(?:\s*,?\s+{origin})?"
            rf"|(?:{origins}(?:['’]s)?\s+)?{names}(?:\s+{noun})?"
            rf"(?:\s*,\s*{article}?(?:{origins}(?:['’]s)?\s+)?{noun})?(?:\s*,?\s+{origin})?"
            rf"|{article}?{origins}(?:['’]s)?\s+{noun}(?:\s*,?\s+{origin})?"
            ")"
        )

    # An ambiguous name counts after "I am", "my name is" or "As" only, and only when the
    # clause ends after it or a model noun follows ("I am Spark, ...", but not "I am Spark
    # plugs"); "This is Step 2" is not an introduction.
    ambiguous = rf"{_AMBIGUOUS_NAME}(?=\s*(?:[,.;:!?)]|\Z)|\s+{article}?{noun})"
    strong_names = f"(?:{_REDACTED_NAME}|{ambiguous})"
    possessive = r"['’]s(?![a-z])"
    # "As X" is an identity only when the clause ends or the speaker follows.
    clause_ends = r"(?=\s*(?:[,.;:!?)\]。、]|\Z|(?:i|my|me|we|our)(?![a-z])|i['’]))"
    self_lead = r"(?:i\s+am\s+called|i['’]m\s+called|i\s+am|i['’]m|my\s+name\s+is)"
    weak_lead = r"(?:this\s+is|you(?:['’]re|\s+are)\s+(?:talking|chatting|speaking)\s+(?:to|with))"
    made_by = rf"i\s+(?:was|am|have\s+been)\s+(?:originally\s+)?{verb}\s+by\s+{maker}"
    return (
        rf"{_NOT_AFTER_WORD}(?:"
        rf"(?P<as_lead>as)\s+{descriptor(strong_names)}(?!{possessive}){clause_ends}"
        rf"|{self_lead}\s+{descriptor(strong_names)}(?!{possessive})"
        rf"|{weak_lead}\s+{descriptor(_REDACTED_NAME)}(?!{possessive})"
        rf"|{made_by}(?!{possessive})"
        r")[,、]?"
    )


def _chinese_phrase() -> str:
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
    adjective = (
        r"(?:超大规模|大规模|大型|通用|智能|对话式|多模态|生成式|中文|开源|预训练|认知|先进的?)"
    )
    head = (
        r"(?:人工智能|ai(?![a-z])|大语言模型|语言模型|大模型|模型|智能助手|助手|助理|"
        r"聊天机器人|机器人|智能体|系统|程序)"
    )
    noun = rf"(?:{adjective}*{head}+)"
    # "我是星火，" or "我是星火认知模型", but not "我是商量好的".
    ambiguous = rf"{_AMBIGUOUS_NAME}(?=\s*(?:[\s,.;:!?、，。；：！？]|\Z|{adjective}*{head}))"
    names = f"(?:{_REDACTED_NAME}|{ambiguous})"
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


# How far before and after a name a phrase about it can reach; the phrase grammar runs only
# there, so a long text with one name costs little.
_PHRASE_REACH_BEFORE = 200
_PHRASE_REACH_AFTER = 300


def _windows(positions: list[int], length: int) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for position in positions:
        start = max(0, position - _PHRASE_REACH_BEFORE)
        end = min(length, position + _PHRASE_REACH_AFTER)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


# Where a phrase can start: every phrase opens with one of these words ("as", "i", "my",
# "this", "you" followed by a space or an apostrophe; "我", "作为", "身为", "这里是", "本人是").
# The grammar is tried only there, not at every character of a window; the pattern opens with
# a character class, so the regex engine skips the other characters in one fast scan.
_PHRASE_START = re.compile(
    rf"[aimty我作身这本](?:(?<![{_WORD_CHARS}][aimty])"
    r"(?:(?<=a)s|(?<=m)y|(?<=t)his|(?<=y)ou|(?<=i))(?=[\s'’])"
    r"|(?<=我)|(?<=作)为|(?<=身)为|(?<=这)里是|(?<=本)人是)"
)


def _phrases(token_text: str, name_positions: list[int]) -> Iterator[re.Match[str]]:
    position = 0
    for window_start, window_end in _windows(name_positions, len(token_text)):
        position = max(position, window_start)
        while (match := _next_phrase(token_text, position, window_end)) is not None:
            start = match.start()
            if match.group("as_lead") is not None and _COMPARISON_BEFORE_AS.search(
                token_text[max(0, start - _COMPARISON_LOOKBACK) : start]
            ):
                # Not an identity here, but a phrase may still start inside it ("as I am ...").
                position = start + 1
                continue
            yield match
            position = match.end()


def _next_phrase(token_text: str, position: int, window_end: int) -> re.Match[str] | None:
    """The first phrase starting at or after position, as _PHRASE.search would find it."""
    while (start := _PHRASE_START.search(token_text, position, window_end)) is not None:
        if (match := _PHRASE.match(token_text, start.start(), window_end)) is not None:
            return match
        position = start.start() + 1
    return None


def _trie(items: list[tuple[str, str, int]]) -> str:
    """Alternatives (literal key, regex tail, length) that share a literal prefix share its test.

    At each node the longer keys are tried before the tails that end there ("通义千问" before
    "通义"), and tails longest first ("openai o3" before "openai"); each alternative starts with
    a literal character, which the regex engine checks before trying the rest, so a long list
    costs little at each position of the text.
    """
    children: dict[str, list[tuple[str, str, int]]] = {}
    tails: list[tuple[str, int]] = []
    for key, tail, length in items:
        if key:
            children.setdefault(key[0], []).append((key[1:], tail, length))
        else:
            tails.append((tail, length))
    alternatives = [re.escape(char) + _trie(children[char]) for char in sorted(children)]
    alternatives += [tail for tail, _length in sorted(tails, key=lambda item: -item[1])]
    if len(alternatives) == 1:
        return alternatives[0] if len(alternatives[0]) <= 1 else f"(?:{alternatives[0]})"
    return "(?:" + "|".join(alternatives) + ")"


def _name_pattern(endings: Iterable[tuple[str, str]]) -> str:
    """Names, each with its own ending, as one prefix tree per script of the first character.

    The literal key of a name is its first piece (up to a separator); the rest of its spelling,
    with flexible separators ("gpt-4o", "gpt 4o", "gpt4o"), and its ending form the tail. A
    Latin-script name starts at a word start only, tested once before the tree is entered.
    """
    latin, other = _name_keys(endings)
    groups = []
    if latin:
        firsts = _first_characters(key for key, _tail, _length in latin)
        groups.append(f"{_NOT_AFTER_WORD}(?={firsts}){_trie(latin)}")
    if other:
        firsts = _first_characters(key for key, _tail, _length in other)
        groups.append(f"(?={firsts}){_trie(other)}")
    return "|".join(groups) or "(?!)"


def _name_keys(
    endings: Iterable[tuple[str, str]],
) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """The (literal key, regex tail, length) of each name, Latin-script names first."""
    latin: list[tuple[str, str, int]] = []
    other: list[tuple[str, str, int]] = []
    for name, ending in endings:
        pieces = [piece for piece in _SEPARATOR_RUN.split(name) if piece]
        if not pieces:
            continue
        rest = "".join(_FLEXIBLE_SEPARATOR + re.escape(piece) for piece in pieces[1:])
        item = (pieces[0], rest + ending, len(name))
        (latin if _starts_latin(name) else other).append(item)
    return latin, other


def _name_pattern_by_first_character(endings: Iterable[tuple[str, str]]) -> str:
    """_name_pattern's names as one alternation whose every branch opens with a literal first
    character (a Latin-script one followed by the word-start test).

    From such a pattern the regex engine takes the set of first characters and skips the
    characters no name starts with in one fast scan. In Chinese text few characters start a
    name and this is several times faster; in English text nearly every letter does, and
    _name_pattern, whose one word-start test rejects a letter inside a word at once, is faster.
    """
    latin, other = _name_keys(endings)
    # A key that starts with the same character in both scripts is tried Latin-script first,
    # as in _name_pattern.
    branches = [
        *_first_branches(latin, word_start=True),
        *_first_branches(other, word_start=False),
    ]
    return "|".join(branches) or "(?!)"


def _first_branches(items: list[tuple[str, str, int]], *, word_start: bool) -> list[str]:
    """The branches of _trie(items), one per first character, each opening with it; with
    word_start, the character before it must not be a word's."""
    children: dict[str, list[tuple[str, str, int]]] = {}
    for key, tail, length in items:
        children.setdefault(key[0], []).append((key[1:], tail, length))
    branches = []
    for char in sorted(children):
        first = re.escape(char)
        after_word = f"(?<![{_WORD_CHARS}]{first})" if word_start else ""
        branches.append(f"{first}{after_word}{_trie(children[char])}")
    return branches


def _versioned_ending(folded_name: str) -> str:
    """An ambiguous name's ending: a version or variant must follow ("step-2", "nova pro")."""
    if _ends_latin(folded_name):
        first = (
            rf"(?:{_SEPARATOR}?{_VERSION}|{_SEPARATOR}{_VARIANT_AFTER_HYPHEN}"
            rf"|\s{_VARIANT_AFTER_SPACE})"
        )
        return first + _LATIN_MODEL_SUFFIX + _NOT_BEFORE_WORD
    first = rf"(?:\s?{_DOTTED_VERSION}|{_SEPARATOR}(?:{_VERSION}|{_VARIANT_AFTER_HYPHEN}))"
    return first + _CJK_MODEL_SUFFIX


_HAS_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class _NameFinder:
    """One pattern for every name, and what tells the kinds of name apart once one is found.

    Redacted: caller names (read as model names, so "deepseek-chat-v2" is one match), listed
    models and makers, and ambiguous names with a version attached. Ambiguous: an ambiguous
    name alone. Origin only: a maker that counts inside a phrase only.
    """

    pattern: re.Pattern[str]
    # The same names, faster in text with Chinese characters (_name_pattern_by_first_character).
    pattern_by_first_character: re.Pattern[str]
    ambiguous: frozenset[str]
    origin_only: frozenset[str]

    def pattern_for(self, folded: str) -> re.Pattern[str]:
        """The faster of the two equal patterns for this text."""
        if folded.isascii() or not _HAS_HAN.search(folded):
            return self.pattern
        return self.pattern_by_first_character

    def placeholder(self, matched: str) -> str:
        key = _SEPARATOR_RUN.sub("", matched)
        if key in self.ambiguous:
            return _AMBIGUOUS_NAME
        if key in self.origin_only:
            return _ORIGIN_ONLY_NAME
        return _REDACTED_NAME


@functools.lru_cache(maxsize=64)
def _name_finder(name_list: NameList, caller_names: tuple[str, ...]) -> _NameFinder:
    endings: dict[str, str] = {}
    for name in name_list.makers:
        folded = _fold(name).strip()
        endings[folded] = _name_end(takes_version=False, ends_latin=_ends_latin(folded))
    for name in (*name_list.models, *caller_names):
        folded = _fold(name).strip()
        endings[folded] = _name_end(takes_version=True, ends_latin=_ends_latin(folded))
    ambiguous = [
        folded
        for folded in (_fold(name).strip() for name in name_list.ambiguous)
        if folded not in endings
    ]
    origin_only = [
        folded
        for folded in (_fold(name).strip() for name in name_list.in_phrase)
        if folded not in endings and folded not in ambiguous
    ]
    alternatives = [
        *endings.items(),
        *((name, _versioned_ending(name)) for name in ambiguous),
        *(
            (name, _name_end(takes_version=False, ends_latin=_ends_latin(name)))
            for name in [*ambiguous, *origin_only]
        ),
    ]
    return _NameFinder(
        pattern=re.compile(_name_pattern(alternatives)),
        pattern_by_first_character=re.compile(_name_pattern_by_first_character(alternatives)),
        ambiguous=frozenset(_SEPARATOR_RUN.sub("", name) for name in ambiguous),
        origin_only=frozenset(_SEPARATOR_RUN.sub("", name) for name in origin_only),
    )


def _caller_names_key(names: Iterable[str]) -> tuple[str, ...]:
    return _folded_caller_names(tuple(names))


@functools.lru_cache(maxsize=64)
def _folded_caller_names(names: tuple[str, ...]) -> tuple[str, ...]:
    folded = {_fold(name).strip() for name in names}
    return tuple(sorted(name for name in folded if len(name) >= MIN_CALLER_NAME_LENGTH))


_PROTECTED = re.compile(
    "|".join(re.escape(_fold(idiom)) for idiom in sorted(PROTECTED_IDIOMS, key=len, reverse=True))
)


@functools.lru_cache(maxsize=1024)
def _in_an_idiom(folded_name: str) -> bool:
    return any(folded_name in _fold(idiom) for idiom in PROTECTED_IDIOMS)


def _protected_spans(folded: str) -> list[tuple[int, int]]:
    """Where a protected idiom stands: a name inside it is not a name ("海纳百川", "Jean-Claude")."""
    return [match.span() for match in _PROTECTED.finditer(folded)]


_PLACEHOLDERS = (_REDACTED_NAME, _ORIGIN_ONLY_NAME, _AMBIGUOUS_NAME)


def _disarm(piece: str) -> str:
    return piece.translate(_DISARM_PLACEHOLDERS)


def _as_it_is(piece: str) -> str:
    return piece


# What stands between a maker and its model: "的", "'s ", a space.
_BETWEEN_MAKER_AND_MODEL = frozenset({"的", "'s ", "’s ", " ", ""})


def _identity_spans(folded: str, name_finder: _NameFinder) -> list[tuple[int, int]]:
    """Spans of folded text to replace: whole phrases, then redacted names outside them."""
    # The text seen by the phrase grammar, each name shrunk to its placeholder character.
    pieces: list[str] = []
    # For each name: (its index in the token text, its start and end in folded text).
    names: list[tuple[int, int, int]] = []
    redacted_names: list[tuple[int, int, int]] = []
    copied_up_to = 0
    token_length = 0
    protected: list[tuple[int, int]] | None = None
    previous_placeholder = ""
    # Translating every piece costs a lookup per character; a text holds a placeholder's
    # character almost never, so the pieces are copied as they are unless it does.
    disarm = _disarm if any(char in folded for char in _PLACEHOLDERS) else _as_it_is
    for match in name_finder.pattern_for(folded).finditer(folded):
        start, end = match.span()
        if protected is None and _in_an_idiom(match.group(0)):
            protected = _protected_spans(folded)
        if protected and any(low <= start and end <= high for low, high in protected):
            continue
        pieces.append(disarm(folded[copied_up_to:start]))
        token_length += start - copied_up_to
        placeholder = name_finder.placeholder(match.group(0))
        if (
            placeholder == _AMBIGUOUS_NAME
            and previous_placeholder in (_REDACTED_NAME, _ORIGIN_ONLY_NAME)
            and names[-1][2] == copied_up_to
            and folded[copied_up_to:start] in _BETWEEN_MAKER_AND_MODEL
        ):
            # "零一万物的Yi", "iFLYTEK's Spark": the maker says which sense is meant.
            placeholder = _REDACTED_NAME
        names.append((token_length, start, end))
        previous_placeholder = placeholder
        if placeholder == _REDACTED_NAME:
            redacted_names.append((token_length, start, end))
        pieces.append(placeholder)
        token_length += 1
        copied_up_to = end
    if not names:
        # Every phrase names a model or its maker; without a name there is nothing to do.
        return []
    pieces.append(disarm(folded[copied_up_to:]))
    name_indexes = [index for index, _start, _end in names]

    def folded_start(index: int) -> int:
        # The last name at or before the index: text after it is copied one for one.
        at = bisect.bisect_right(name_indexes, index) - 1
        if at < 0:
            return index
        name_index, start, end = names[at]
        return start if name_index == index else end + (index - name_index - 1)

    def folded_end(index: int) -> int:
        at = bisect.bisect_right(name_indexes, index) - 1
        if at >= 0 and names[at][0] == index:
            return names[at][2]
        return folded_start(index) + 1

    spans: list[tuple[int, int]] = []
    phrase_placeholder_ranges: list[tuple[int, int]] = []
    for match in _phrases("".join(pieces), name_indexes):
        first, last = match.start(), match.end() - 1
        spans.append((folded_start(first), folded_end(last)))
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


def _listed_spans(
    text: str, *, name_list: NameList, caller_names: tuple[str, ...]
) -> list[tuple[int, int]]:
    """Spans of the original text to replace for listed and caller names (and their phrases)."""
    folded, origins = _fold_with_origins(text)
    spans = []
    for start, end in _identity_spans(folded, _name_finder(name_list, caller_names)):
        if origins is not None:
            # Widen to whole original characters when one character folded into several.
            start, end = origins[start], origins[end - 1] + 1
        spans.append((start, end))
    return spans


def redact(
    text: str,
    *,
    names: Iterable[str] = (),
    name_list: NameList | None = None,
    marker: str = REDACTION_MARKER,
) -> RedactionResult:
    """Replace self-identification phrases and model or provider names in text with marker.

    names: extra names to remove, such as endpoint names and model ids ("gpt-4o-2024-08-06",
    "deepseek-chat"); names shorter than two characters are ignored. name_list: the listed
    families, products and makers (default: the shipped list). A name in a self-introduction
    ("I am X", "我是X", "由X开发") is removed even when it is on no list (kind "pattern").
    Everything outside the replaced spans is returned exactly as given.
    """
    listed = _listed_spans(
        text,
        name_list=shipped_name_list() if name_list is None else name_list,
        caller_names=_caller_names_key(names),
    )
    spans = [(start, end, KIND_LISTED) for start, end in listed]
    spans.extend((start, end, KIND_PATTERN) for start, end in unknown_name_spans(text))
    merged: list[list] = []
    for start, end, kind in sorted(spans):
        if start >= end:
            continue
        if merged and start < merged[-1][1]:
            # Overlapping spans become one; a listed name wins over a pattern's kind.
            merged[-1][1] = max(merged[-1][1], end)
            if kind == KIND_LISTED:
                merged[-1][2] = KIND_LISTED
            continue
        merged.append([start, end, kind])
    pieces: list[str] = []
    matches: list[str] = []
    kinds: list[str] = []
    copied_up_to = 0
    for start, end, kind in merged:
        pieces.append(text[copied_up_to:start])
        pieces.append(marker)
        matches.append(text[start:end])
        kinds.append(kind)
        copied_up_to = end
    pieces.append(text[copied_up_to:])
    return RedactionResult(
        text="".join(pieces), count=len(matches), matches=tuple(matches), kinds=tuple(kinds)
    )
