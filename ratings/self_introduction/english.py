"""The English forms of a self-introduction ("I am X", "As X, I", a sign-off, "Powered by X"
...): their patterns, the fast tests that run before them, and `english_spans`, which yields the
spans of the names they find. The package's docstring gives the rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ratings.self_introduction.ordinary_words import (
    ORDINARY_AFTER_CALL_FOLDED,
    ORDINARY_AFTER_THIS_IS_FOLDED,
    ORDINARY_BEFORE_APPOSITIVE_FOLDED,
    ORDINARY_BEFORE_HERE_FOLDED,
    ORDINARY_BEFORE_SIZE_FOLDED,
    ORDINARY_CAPITALS_FOLDED,
)
from ratings.self_introduction.roles import (
    _MODEL_SHAPE,
    ORDINARY_AFTER_TALKING_FOLDED,
    _has_a_word_no_english_list_knows,
    _is_english_or_trade_word,
    _is_role,
    _titles_an_invented_name,
    _trade_title,
)

_CAPITALISED_WORD = r"[A-Z][A-Za-z0-9]*(?:[-.+_][A-Za-z0-9]+)*\+?"
# "zq-omega-7b", "glm4-9b": lower case but with a digit, like a model id.
_ID_LIKE_WORD = (
    r"(?=[a-z0-9._-]*\d)[a-z][a-z0-9]*(?:[-._][a-z0-9]+)+|(?=[a-z]*\d)[a-z]+\d[a-z0-9.]*"
)
# Emoji a signature may end with ("— Vorbler 🤖").
_EMOJI = "(?:[\u2600-\u27bf\U0001f300-\U0001faff]\ufe0f?)"
_VERSION_WORD = r"(?:v?\d+(?:\.\d+)*[A-Za-z]*)"
_NAME = rf"(?:{_CAPITALISED_WORD}(?:[ \t](?:{_CAPITALISED_WORD}|{_VERSION_WORD})){{0,3}}|{_ID_LIKE_WORD})"
_NOUN_EN = (
    r"(?:(?:[\w-]+\s+){0,4}?(?:model|assistant|AI|chatbot|LLM|system|bot|agent|intelligence)"
    r"(?![\w-]))"
)
_VERB_EN = (
    r"(?:developed|created|trained|built|made|designed|released|engineered|programmed|"
    r"fine-tuned|finetuned|brought\s+to\s+you)"
)
_ORG = rf"(?:the\s+(?:team|researchers|engineers|people)\s+(?:at|of)\s+)?(?P<org>{_NAME})"
# The lead after its first character, which the pattern matches first (a fast scan).
_LEAD_EN_FIRST = r"[IMm]"
_LEAD_EN_REST = (
    r"(?:(?<=I)(?:\s+am|['’]m)\s+(?:called|named|known\s+as)|(?<=I)\s+am|(?<=I)['’]m"
    r"|(?<=[Mm])y\s+name(?:\s+is|['’]s))"
)
# After the name: the clause ends, or a model noun, a maker or "here" follows.
_AFTER_NAME_EN = (
    rf"(?=\s*(?:[,.;:!?)\]]|\Z|\n)|\s+(?:and|here|your|version|{_VERB_EN}|from|by)(?![\w-])"
    rf"|\s+(?:a|an|the)\s+{_NOUN_EN})"
)
# One pattern per form, each with one named group: a rejected name must not hide another form
# that starts at the same place. "I am" right after a Chinese character starts a word ("你好I am X":
# Chinese puts no space before it), as it does after the marker that replaces a name.
_ENGLISH = (
    # I am X(, a ... model)(, developed by Y)
    re.compile(
        rf"[IMm](?<![A-Za-z0-9_-][IMm])(?<={_LEAD_EN_FIRST}){_LEAD_EN_REST}\s+(?P<name>{_NAME}){_AFTER_NAME_EN}"
        rf"(?:,?\s+(?:(?:a|an|the)\s+{_NOUN_EN},?\s+)?(?:{_VERB_EN}\s+by|from)\s+{_ORG})?"
    ),
    # As X, a ... model(, developed by Y) / As x-7b, I ...
    re.compile(
        rf"[Aa](?<![\w-][Aa])s\s+(?P<as_name>{_NAME}),\s+(?:(?:a|an|the|your)\s+{_NOUN_EN}"
        rf"(?:,?\s+(?:{_VERB_EN}\s+by|from)\s+(?P<as_org>{_NAME}))?|(?=I\s|I['’]|my\s))"
    ),
    # X here, ... (searched backwards from each " here,": see _HERE)
    re.compile(
        r"(?:^|(?<=[.!?]\s)|(?<=\n)|(?<=Hi[,!]\s)|(?<=Hey[,!]\s)|(?<=Hello[,!]\s)"
        r"|(?<=there,\s))"
        rf"(?P<here_name>{_NAME})\Z"
    ),
    # I was developed by Y / I'm an AI assistant developed by Y
    re.compile(
        rf"[IAa](?<![\w-][IAa])(?:(?<=I)(?:\s+(?:was|am|have\s+been)|['’]m)\s+(?:originally\s+|initially\s+)?"
        rf"|(?:(?<=I)\s+am|(?<=I)['’]m|(?<=[Aa])s)\s+(?:a|an|the|your)\s+{_NOUN_EN},?\s+"
        rf"(?:that\s+was\s+|which\s+was\s+)?)"
        rf"{_VERB_EN}\s+by\s+(?:the\s+(?:team|researchers|engineers|people)\s+(?:at|of)\s+)?"
        rf"(?P<made_by>{_NAME})"
    ),
)
# I, X, will answer (X set off by commas right after a leading "I"; "I, too," is lower case).
_APPOSED_TO_I = re.compile(
    rf"I,(?<![\w-]I,)(?<![\w-][ \t]I,)[ \t]+(?P<apposed>{_NAME}),[ \t]+(?!(?:and|or|nor)(?![\w-]))"
    r"(?=[a-z])"
)
# I go by (the name) Vorbler: a name the text gives itself, with the ending of "I am X". ("go
# by" with other whitespace between is found when the text is read with it made one space.)
_GOES_BY = re.compile(
    rf"I(?<![\w-]I)[ \t]+go by[ \t]+(?:the[ \t]+name[ \t]+(?:of[ \t]+)?)?(?P<goes_by>{_NAME})"
    rf"{_AFTER_NAME_EN}"
)


def _may_go_by(text: str) -> bool:
    """Whether text holds the words every match of _GOES_BY holds: a fast test before it."""
    return "go by" in text


# The nouns of _NOUN_NAMED and _NOUN_THEN_NAME, each followed by a space in every match of them
# ("chatbot " holds "bot "): one scan of the text for each tells whether to run the patterns.
_PROGRAM_NOUN_BEFORE_NAME = r"(?:assistant|AI|LLM|model|chatbot|bot)(?=[ ])"
# As an assistant called Vorbler, I / I'm an AI named Vorbler
_NOUN_NAMED = re.compile(
    rf"[IAa](?<![\w-][IAa])(?:(?<=I)\s+am|(?<=I)['’]m|(?<=[Aa])s)\s+(?:a|an|the|your)\s+"
    rf"(?P<noun>(?:[\w-]+\s+){{0,3}}?{_PROGRAM_NOUN_BEFORE_NAME})"
    rf"\s+(?:called|named|known\s+as)\s+(?P<noun_named>{_NAME})"
    r"(?=\s*(?:[,.;:!?)\]]|\Z|\n))"
)


def _names_a_program_noun(text: str) -> bool:
    """Whether text holds a noun of _NOUN_NAMED and _NOUN_THEN_NAME followed by a space, as every
    match of them does: a fast test before both."""
    # Five `in` tests: a generator over a tuple of the nouns, or one pattern of them, is slower.
    return (
        "assistant " in text
        or "AI " in text
        or "model " in text
        or "bot " in text
        or "LLM " in text
    )


def _may_name_a_program(text: str) -> bool:
    """Whether text, which holds a noun (_names_a_program_noun), holds the word every match of
    _NOUN_NAMED holds after it: "called", "named" or "known as"."""
    return "called " in text or "named " in text or "known as " in text


# A noun of _NOUN_THEN_NAME before a capital, as every match of it holds ("the model Vorbler"):
# searched only in a text that holds a noun (_names_a_program_noun), so that the pattern, whose
# scan stops at every "t" and "y", runs on few texts.
_NOUN_BEFORE_CAPITAL = re.compile(r"(?:assistant|AI|LLM|model|bot) +[A-Z]")


def _may_title_a_program(text: str) -> bool:
    """Whether text holds a noun of _NOUN_THEN_NAME followed by a capital."""
    return _NOUN_BEFORE_CAPITAL.search(text) is not None


# You can refer to me as X / address me as X: like "call me X".
_REFER_TO_ME = re.compile(
    r"(?:refer[ \t]+to|address)[ \t]+me[ \t]+as[ \t]+"
    rf"(?P<referred>{_NAME})(?=\s*(?:[,.;:!?)\]]|\Z|\n))"
)


def _may_refer_to_me(text: str) -> bool:
    """Whether text holds the words every match of _REFER_TO_ME holds: a fast test."""
    return " me as " in text


# (You can) call me X
_CALL_ME = re.compile(
    rf"all(?<![\w-][Cc]all)(?<=[Cc]all)[ \t]+me[ \t]+(?P<called>{_NAME})"
    r"(?=\s*(?:[,.;:!?)\]]|\Z|\n)|\s+(?:for\s+short|if|or|and|instead|from|by)(?![\w-]))"
)
# Greetings from X! / Hello from the team at X, (at the start of a text, line or sentence).
# The pattern starts at "from", which keeps its scan fast; the greeting is looked for behind.
_GREETING_FROM = re.compile(
    r"from(?<![\w-]from)\s+"
    rf"(?:the\s+(?:team|folks|people|crew)\s+(?:at|of)\s+)?(?P<greeting_from>{_NAME})"
    r"(?=\s*(?:[,.;:!?—–-]|\Z|\n))"
)
_GREETING_BEFORE_FROM = re.compile(
    r"(?:(?:Warm|Warmest|Kind|Best|Friendly|Hearty|Many)\s+greetings|Greetings|Hello|Hi|Hey|"
    r"Howdy|Salutations)(?:\s+again)?\s+\Z"
)
_GREETING_REACH = 30
# I am an assistant from X / As an AI model from X, I
_NOUN_FROM = re.compile(
    rf"[IAa](?<![\w-][IAa])(?:(?<=I)\s+am|(?<=I)['’]m|(?<=[Aa])s)\s+(?:a|an|the|your)\s+"
    rf"(?P<noun>{_NOUN_EN})\s+from\s+(?:the\s+(?:team|researchers|engineers|people)\s+(?:at|of)\s+)?"
    rf"(?P<from_org>{_NAME})"
)


# Nouns that only a program calls itself; "assistant", "agent" or "model" are also jobs.
_PROGRAM_NOUN = re.compile(
    r"(?i)(?<![\w-])(?:ai|llm|chatbot|bot|language\s+model|artificial\s+intelligence)(?!\w)"
)
# A maker's name rather than a place's: a digit, an inner capital, or "AI"/"Labs" at the end.
_ORG_SHAPE = re.compile(r"\d|[a-z][A-Z]|(?<![\w-])(?:AI|Labs?|Research)\Z")
# This is X (where a text or a greeting starts: see _GREETING_BEFORE_HERE), when the speaker
# goes on ("This is X. I ...", "This is X, your ...", "This is X speaking") or nothing follows.
_THIS_IS = re.compile(
    rf"[Tt]his[ \t]+is[ \t]+(?P<this_name>{_NAME})"
    rf"(?=[ \t]+(?:speaking|here)(?![\w-])|,[ \t]+(?:your\s|(?:a|an|the)\s+{_NOUN_EN})"
    r"|[,.!]\s+(?:and[ \t]+)?(?:I|[Mm]y|[Mm]e)(?![\w-])|[.!]?\s*\Z)"
)
# X (an AI assistant) / X, a large language model, ...: a name with a program's appositive.
# The pattern starts at the bracket or comma, which keeps its scan fast; the name is looked for
# behind it (_NAME_BEFORE_APPOSITIVE).
_APPOSITIVE_EN = re.compile(
    r"[(,](?<=(?:[\w\t ]\(|\w,))[ \t]*(?:(?P<your>your)[ \t]+|(?:a|an|the)[ \t]+|(?<=\()(?P<bare>))"
    r"(?P<appositive_noun>(?:[\w-]+[ \t]+){0,3}?"
    r"(?:assistant|model|chatbot|bot|system|agent|helper|companion|AI|LLM))[ \t]*[),]"
)
_NAME_BEFORE_APPOSITIVE = re.compile(rf"(?<![\w-])(?P<appositive_name>{_NAME})[ \t]*\Z")
_APPOSITIVE_REACH = 60


_QUOTE_CLOSERS = "\"”’'»」』"
# " here" or " at your service" after a name (the name is read backwards from it).
_HERE = re.compile(
    r"[ \t]+(?:here|at[ \t]+your[ \t]+service)(?:(?=\s*[,!:—–-])|(?P<stop>(?=\.(?!\.)|\s*\Z)))"
)
# What may stand before "X here." with a full stop: nothing, or a greeting ("Hi!", "Hey there,").
_GREETING_BEFORE_HERE = re.compile(
    r"(?:\A|(?:Hi|Hey|Hello|Greetings|Howdy)(?:\s+(?:there|again|everyone|all))?[,!.]?)\s*\Z"
)
_GREETING_BEFORE_HERE_REACH = 40


def _after_greeting_or_start(text: str, start: int) -> bool:
    """Whether only a greeting ("Hi!", "Hey there,") or nothing stands before start."""
    return bool(
        _GREETING_BEFORE_HERE.search(text, max(0, start - _GREETING_BEFORE_HERE_REACH), start)
    )


_HERE_REACH = 80


def _may_hold_here(text: str) -> bool:
    """Whether text holds a word every match of _HERE holds: a fast test before the pattern."""
    return "here" in text or "service" in text


_ID_LIKE = re.compile(_ID_LIKE_WORD)


# A name with a model size: "Vorbler-7B", "Qwen2.5-72B", "Vorbler-1.5B-Instruct", "Mixtral-8x7B",
# "Vorbler-350M". The pattern starts at the hyphen before the size, which keeps its scan fast;
# the name is read backwards from it (_NAME_BEFORE_SIZE).
_MODEL_SIZE = re.compile(
    r"-(?<=[A-Za-z0-9.]-)(?:\d+x)?\d+(?:\.\d+)?(?P<unit>[BbMm])"
    r"(?:-[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)*(?![A-Za-z0-9_]|\.\w|-\w)"
)
_NAME_BEFORE_SIZE = re.compile(r"(?<![\w.-])[A-Z][A-Za-z0-9]*(?:[.-][A-Za-z0-9]+)*\Z")
_SIZE_REACH = 40
# Letters a name needs before its size: the codes of aircraft and parts have one or two ("B-52B",
# "Su-27M", "Tu-22M", "AV-8B"). The two-letter families ("Yi-34B") are in the list of model names.
_MIN_LETTERS_BEFORE_SIZE = 3
# I am the Vorbler assistant / I'm your Vorbler model: a word no English list knows before a
# model noun ("I am the Research assistant", "I'm your Virtual assistant" are English words).
_BRAND_BEFORE_NOUN = re.compile(
    r"I(?<![\w-]I)(?:\s+am|['’]m)\s+(?:the|an|a|your)\s+"
    r"(?P<brand>[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*(?:[ \t][A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*)?)"
    r"\s+(?:assistant|model|AI|chatbot|bot|language\s+model|LLM)(?![\w-])"
)
# Ask the assistant Vorbler / your AI Zorblax will ...: a program's noun before a name, which
# counts only when the name's first word is no English word (see _titles_an_invented_name).
# (The pattern starts with a class of letters, which keeps its scan fast.)
_NOUN_THEN_NAME = re.compile(
    r"[YyTt](?<![\w-][YyTt])(?:(?<=[Yy])our|(?<=[Tt])he)[ \t]+(?:(?:AI|[a-z][a-z-]*)[ \t]+){0,2}?"
    rf"{_PROGRAM_NOUN_BEFORE_NAME}[ ]+"
    rf"(?P<titled>[A-Z][a-z]+(?:[-.][A-Za-z0-9]+)*(?:[ \t](?:[A-Z][a-z]+|{_VERSION_WORD}))?)"
    r"(?![\w'’-])"
)


# You're talking to Vorbler. / You are chatting with Vorbler about ...
_TALKING_TO = re.compile(
    r"[Yy]ou(?<![\w-][Yy]ou)(?:['’]re|\s+are)\s+(?:talking|speaking|chatting)\s+(?:to|with)\s+"
    rf"(?P<talking_to>{_CAPITALISED_WORD}(?:[ \t]{_CAPITALISED_WORD}){{0,2}})"
    r"(?P<talking_end>(?=\s*(?:[,.;:!?)\]]|\Z|\n)))?(?![\w'’-])"
)


def _english_name_ok(name: str, *, stop: frozenset[str]) -> bool:
    first = re.split(r"[\s.-]", name, maxsplit=1)[0]
    return first.casefold() not in stop


def _starts_sentence(text: str, start: int) -> bool:
    """Whether start begins the text, a line or a sentence (spaces and tabs before it aside)."""
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in "\n.!?" or before.endswith(('."', ".”", "!”", "?”"))


def english_spans(text: str) -> Iterator[tuple[int, int]]:
    introduced, as_lead, here, _made_by = _ENGLISH
    # Cheap tests first: most texts introduce nothing.
    speaks = "I" in text and ("I am" in text or "I'm" in text or "I’m" in text)
    if not (speaks or "name is" in text or "name's" in text or "name’s" in text):
        introduced_matches: Iterator[re.Match[str]] = iter(())
    else:
        introduced_matches = introduced.finditer(text)
    for match in introduced_matches:
        if _english_name_ok(match.group("name"), stop=ORDINARY_CAPITALS_FOLDED):
            yield match.span("name")
            org = match.group("org")
            if org and _english_name_ok(org, stop=ORDINARY_CAPITALS_FOLDED):
                yield match.span("org")
    for match in _GOES_BY.finditer(text) if _may_go_by(text) else ():
        # "I go by Uber" and "I go by Tube" are a way to travel: only a word no English list
        # knows, or a model id, is a name there.
        name = match.group("goes_by")
        if _english_name_ok(name, stop=ORDINARY_CAPITALS_FOLDED) and (
            _has_a_word_no_english_list_knows(name)
        ):
            yield match.span("goes_by")
    program_noun = _names_a_program_noun(text)
    program_named = program_noun and _may_name_a_program(text)
    for match in _NOUN_NAMED.finditer(text) if program_named else ():
        # "As a travel agent named Jasper, I": a job and a persona, unless the noun is a
        # program's or the name is no English word.
        name = match.group("noun_named")
        if _english_name_ok(name, stop=ORDINARY_CAPITALS_FOLDED) and (
            _PROGRAM_NOUN.search(match.group("noun")) or _has_a_word_no_english_list_knows(name)
        ):
            yield match.span("noun_named")
    for match in _BRAND_BEFORE_NOUN.finditer(text) if speaks else ():
        # "I am the Research assistant": an English word names a kind of help, not a program.
        brand = match.group("brand")
        if _english_name_ok(
            brand, stop=ORDINARY_CAPITALS_FOLDED
        ) and _has_a_word_no_english_list_knows(brand):
            yield match.span("brand")
    for match in _MODEL_SIZE.finditer(text):
        named = _NAME_BEFORE_SIZE.search(text, max(0, match.start() - _SIZE_REACH), match.start())
        if named is None:
            continue
        name = named.group(0)
        # "W-2B", "B-52B", "Su-27M" and "AV-8B" are forms and aircraft; "Room-12B" is a room;
        # "Cable-10m" a length.
        letters = sum(char.isalpha() for char in name)
        # A digit in the name marks a model id with two letters too ("UL2-20B"); no aircraft
        # code above has one.
        needed = 2 if any(char.isdigit() for char in name) else _MIN_LETTERS_BEFORE_SIZE
        if letters < needed or not _english_name_ok(name, stop=ORDINARY_BEFORE_SIZE_FOLDED):
            continue
        if match.group("unit") == "m" and not _has_a_word_no_english_list_knows(name):
            continue
        yield named.start(), match.end()
    program_titled = program_noun and _may_title_a_program(text)
    for match in _NOUN_THEN_NAME.finditer(text) if program_titled else ():
        # "your assistant Sarah" is a person, "the model Vorbler" a program.
        if _titles_an_invented_name(match.group("titled")):
            yield match.span("titled")
    if "alking" in text or "peaking" in text or "hatting" in text:
        for match in _TALKING_TO.finditer(text):
            name = match.group("talking_to")
            # "You're talking to Customers directly": an English word that does not end the
            # clause is an ordinary object.
            if _english_name_ok(name, stop=ORDINARY_AFTER_TALKING_FOLDED) and (
                match.group("talking_end") is not None or _has_a_word_no_english_list_knows(name)
            ):
                yield match.span("talking_to")
    for match in as_lead.finditer(text):
        name = match.group("as_name")
        # "As X, I" only for a name shaped like a model's; "As Director, I" is a role.
        apposed = not match.group(0).endswith(" ")
        shaped = bool(_MODEL_SHAPE.search(name)) and not _trade_title(name)
        role = not (apposed or shaped) and _is_role(name)
        if _english_name_ok(name, stop=ORDINARY_CAPITALS_FOLDED) and not role:
            yield match.span("as_name")
            if match.group("as_org"):
                yield match.span("as_org")
    for hit in _HERE.finditer(text) if _may_hold_here(text) else ():
        # The name just before " here": read backwards from the hit, within one sentence.
        window_start = max(0, hit.start() - _HERE_REACH)
        match = here.search(text[window_start : hit.start()])
        if match is None or (window_start > 0 and match.start() == 0):
            continue
        start, end = match.span("here_name")
        # "X here." ends the sentence: a self-introduction only where a text or greeting starts.
        if hit.group("stop") is not None and not _after_greeting_or_start(
            text, window_start + start
        ):
            continue
        if _english_name_ok(match.group("here_name"), stop=ORDINARY_BEFORE_HERE_FOLDED):
            yield window_start + start, window_start + end
    if "his is " in text:
        for match in _THIS_IS.finditer(text):
            if _after_greeting_or_start(text, match.start()) and _english_name_ok(
                match.group("this_name"), stop=ORDINARY_AFTER_THIS_IS_FOLDED
            ):
                yield match.span("this_name")
    for match in _APPOSITIVE_EN.finditer(text):
        # "Jones, a dental assistant," is a person: the noun must be a program's, or the noun
        # is "your" helper and the name is no English word ("Vorbler, your assistant, ...").
        program = _PROGRAM_NOUN.search(match.group("appositive_noun"))
        if not program and match.group("your") is None:
            continue
        named = _NAME_BEFORE_APPOSITIVE.search(
            text, max(0, match.start() - _APPOSITIVE_REACH), match.start()
        )
        if not named or not _english_name_ok(
            named.group("appositive_name"), stop=ORDINARY_BEFORE_APPOSITIVE_FOLDED
        ):
            continue
        if not program and not _titles_an_invented_name(named.group("appositive_name")):
            continue
        # "Vorbler (AI)" with no article: "Ethics (AI)" and "Chapter 3 (AI)" are a subject.
        first = re.split(r"[\s.-]", named.group("appositive_name"), maxsplit=1)[0]
        if match.group("bare") is None or not _is_english_or_trade_word(first.casefold()):
            yield named.span("appositive_name")
    if "I, " in text:
        for match in _APPOSED_TO_I.finditer(text):
            name = match.group("apposed")
            # "sections H, I, J, ..." and "I, II, III": a letter or a numeral, not a name.
            numeral = len(name) == 1 or re.fullmatch(r"[IVXLCDM]+", name.split()[0])
            if not numeral and _english_name_ok(name, stop=ORDINARY_CAPITALS_FOLDED):
                yield match.span("apposed")
    for match in _REFER_TO_ME.finditer(text) if _may_refer_to_me(text) else ():
        if _english_name_ok(match.group("referred"), stop=ORDINARY_AFTER_CALL_FOLDED):
            yield match.span("referred")
    if "all me" in text:
        for match in _CALL_ME.finditer(text):
            if _english_name_ok(match.group("called"), stop=ORDINARY_AFTER_CALL_FOLDED):
                yield match.span("called")
    if "from " in text:
        for match in _GREETING_FROM.finditer(text):
            greeting = _GREETING_BEFORE_FROM.search(
                text, max(0, match.start() - _GREETING_REACH), match.start()
            )
            if (
                greeting
                and _starts_sentence(text, greeting.start())
                and _english_name_ok(match.group("greeting_from"), stop=ORDINARY_CAPITALS_FOLDED)
            ):
                yield match.span("greeting_from")
        for match in _NOUN_FROM.finditer(text):
            org = match.group("from_org")
            # "a travel agent from Denver": a job and a place, unless the noun is a program's
            # or the name is shaped like a maker's.
            program = _PROGRAM_NOUN.search(match.group("noun"))
            if (program or _ORG_SHAPE.search(org)) and _english_name_ok(
                org, stop=ORDINARY_CAPITALS_FOLDED
            ):
                yield match.span("from_org")
