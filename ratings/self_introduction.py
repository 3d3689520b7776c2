"""Names a work sample gives itself that no list knows: found by how the sentence is built.

A name list is always one model behind, so a sentence in which the text introduces itself or
its maker has the name removed whatever it is: "I am X", "I'm X, ...", "As X, a ... model",
"X here", "I was developed / created / trained / built / made by X", "我是X", "作为X",
"由X开发/训练/打造/推出的", "X为您服务". Pure Python, no Django: `ratings.redaction` calls it on
the original text and reports these spans as kind "pattern".

What makes X a name rather than an ordinary word, and the decisions behind it:

- In English, X is capitalised mid-sentence ("I am Zorblax", not "I am confident") or shaped
  like a model id ("zq-omega-7b"), is not one of the capitalised words that follow "I am" in
  ordinary prose (nationalities, faiths, signs of the zodiac, "OK", titles: ORDINARY_CAPITALS),
  and the clause ends after it or a model noun or maker follows. So a persona's first name in
  a role play ("I'm Alex, your coordinator") is removed too: the review gate shows it to the
  study admin, who can restore it, while a missed model name would break the blind.
- "developed by X" counts only when the text speaks of itself ("I was trained by X", "an AI
  assistant developed by X"): "The theory was developed by John Holland" is left alone, and
  "made by hand" or "developed by our team" never name anyone (X must be capitalised).
- "X here" counts at the start of a text, sentence or greeting only, followed by a comma, dash
  or exclamation ("Zorblax here, ..."), and not for imperatives ("Click here, then ...").
- In Chinese, X after "我是/作为" must be Latin-script ("我是Zorblax") or be followed by a
  model noun ("我是灵犀大模型") or by an appositive that ends in one ("我是灵犀，一个AI助手。");
  "我是一名厨师" and "作为项目经理，我会" have neither. Role words ("写作助手", "客服") are not names.
- `identity_hints` finds self-introductions with no name at all ("As an AI language model",
  "我是一个人工智能助手"): nothing to remove, but the unit goes to the review list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Capitalised words that follow "I am"/"I'm" in ordinary prose.
ORDINARY_CAPITALS = frozenset(
    [
        "I",
        "A",
        "An",
        "The",
        "Not",
        "OK",
        "Okay",
        "Ok",
        "Sure",
        "Fine",
        "Ready",
        "Here",
        "There",
        "Back",
        "Done",
        "Sorry",
        "No",
        "Yes",
        "So",
        "Very",
        "Also",
        "Just",
        "Still",
        "Now",
        "Always",
        "Never",
        "Really",
        "Quite",
        "Happy",
        "Glad",
        "Proud",
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Dr",
        "Prof",
        "Professor",
        "Sir",
        "Madam",
        "Mister",
        "Doctor",
        "Captain",
        "Chef",
        "Coach",
        "Officer",
        "Nurse",
        "Your",
        "Yours",
        "Their",
        "His",
        "Her",
        "Our",
        "My",
        "American",
        "British",
        "English",
        "Scottish",
        "Welsh",
        "Irish",
        "French",
        "German",
        "Dutch",
        "Spanish",
        "Portuguese",
        "Italian",
        "Greek",
        "Swiss",
        "Swedish",
        "Norwegian",
        "Danish",
        "Finnish",
        "Polish",
        "Russian",
        "Ukrainian",
        "Czech",
        "Hungarian",
        "Turkish",
        "Chinese",
        "Japanese",
        "Korean",
        "Vietnamese",
        "Thai",
        "Indian",
        "Pakistani",
        "Filipino",
        "Indonesian",
        "Malaysian",
        "Australian",
        "Canadian",
        "Mexican",
        "Brazilian",
        "Argentinian",
        "Chilean",
        "Colombian",
        "Peruvian",
        "Cuban",
        "African",
        "Nigerian",
        "Kenyan",
        "Egyptian",
        "Moroccan",
        "Israeli",
        "Iranian",
        "Arab",
        "Arabic",
        "European",
        "Asian",
        "Latino",
        "Latina",
        "Hispanic",
        "Caucasian",
        "Black",
        "White",
        "Christian",
        "Catholic",
        "Protestant",
        "Muslim",
        "Jewish",
        "Buddhist",
        "Hindu",
        "Sikh",
        "Mormon",
        "Orthodox",
        "Aries",
        "Taurus",
        "Gemini",
        "Cancer",
        "Leo",
        "Virgo",
        "Libra",
        "Scorpio",
        "Sagittarius",
        "Capricorn",
        "Aquarius",
        "Pisces",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "CEO",
        "CTO",
        "CFO",
        "COO",
        "HR",
        "IT",
        "PhD",
        "MBA",
        "MD",
        "RN",
        "UX",
        "QA",
        "ADHD",
        "LGBTQ",
        "Democrat",
        "Republican",
        "Conservative",
        "Liberal",
        "Vegan",
        "Vegetarian",
    ]
)
# Words that begin an ordinary sentence "X here, ...".
ORDINARY_BEFORE_HERE = frozenset(
    [
        "Click",
        "Tap",
        "Sign",
        "Start",
        "Look",
        "Come",
        "Go",
        "Stop",
        "Wait",
        "Stay",
        "Sit",
        "Stand",
        "Put",
        "Place",
        "Insert",
        "Enter",
        "Type",
        "Press",
        "Read",
        "Write",
        "Begin",
        "Continue",
        "Listen",
        "Over",
        "Right",
        "Left",
        "Up",
        "Down",
        "Out",
        "In",
        "Not",
        "Only",
        "Just",
        "Same",
        "More",
        "Nobody",
        "Everyone",
        "Everybody",
        "Someone",
        "Somebody",
        "Anyone",
        "Anybody",
        "Nothing",
        "Everything",
        "Something",
        "It",
        "This",
        "That",
        "These",
        "Those",
        "Things",
        "Life",
        "Work",
        "Winter",
        "Summer",
        "Spring",
        "Autumn",
        "Fall",
        "Today",
        "Tomorrow",
        "Yesterday",
        "Now",
        "Then",
        "Details",
        "Info",
        "Information",
        "Help",
        "Support",
        "Text",
        "Hi",
        "Hello",
        "Hey",
        "Dear",
        "Thanks",
        "Thank",
        "Welcome",
        "Note",
        "Notes",
        "Answer",
        "Question",
        "Results",
        "Result",
        "Summary",
        "Step",
        "Steps",
        "Example",
        "Examples",
        "Us",
        "We",
        "You",
        "They",
        "He",
        "She",
        "I",
        "Me",
        "Him",
        "Her",
        "Them",
        "Everything",
        "All",
        "Ok",
        "Okay",
        "Sure",
        "Yes",
        "No",
        "Please",
    ]
)
ORDINARY_BEFORE_HERE_FOLDED = frozenset(word.casefold() for word in ORDINARY_BEFORE_HERE)
ORDINARY_CAPITALS_FOLDED = frozenset(word.casefold() for word in ORDINARY_CAPITALS)

_CAPITALISED_WORD = r"[A-Z][A-Za-z0-9]*(?:[-.+_][A-Za-z0-9]+)*\+?"
# "zq-omega-7b", "glm4-9b": lower case but with a digit, like a model id.
_ID_LIKE_WORD = (
    r"(?=[a-z0-9._-]*\d)[a-z][a-z0-9]*(?:[-._][a-z0-9]+)+|(?=[a-z]*\d)[a-z]+\d[a-z0-9.]*"
)
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
    r"(?:(?<=I)\s+am\s+called|(?<=I)['’]m\s+called|(?<=I)\s+am|(?<=I)['’]m|(?<=[Mm])y\s+name\s+is)"
)
# After the name: the clause ends, or a model noun, a maker or "here" follows.
_AFTER_NAME_EN = (
    rf"(?=\s*(?:[,.;:!?)\]]|\Z|\n)|\s+(?:and|here|your|version|{_VERB_EN}|from|by)(?![\w-])"
    rf"|\s+(?:a|an|the)\s+{_NOUN_EN})"
)
# One pattern per form, each with one named group: a rejected name must not hide another form
# that starts at the same place.
_ENGLISH = (
    # I am X(, a ... model)(, developed by Y)
    re.compile(
        rf"[IMm](?<![\w-][IMm])(?<={_LEAD_EN_FIRST}){_LEAD_EN_REST}\s+(?P<name>{_NAME}){_AFTER_NAME_EN}"
        rf"(?:,?\s+(?:(?:a|an|the)\s+{_NOUN_EN},?\s+)?{_VERB_EN}\s+by\s+{_ORG})?"
    ),
    # As X, a ... model(, developed by Y) / As x-7b, I ...
    re.compile(
        rf"[Aa](?<![\w-][Aa])s\s+(?P<as_name>{_NAME}),\s+(?:(?:a|an|the|your)\s+{_NOUN_EN}"
        rf"(?:,?\s+{_VERB_EN}\s+by\s+(?P<as_org>{_NAME}))?|(?=I\s|I['’]|my\s))"
    ),
    # X here, ... (searched backwards from each " here,": see _HERE)
    re.compile(
        r"(?:^|(?<=[.!?]\s)|(?<=\n)|(?<=Hi[,!]\s)|(?<=Hey[,!]\s)|(?<=Hello[,!]\s))"
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
_HERE = re.compile(r"[ \t]+here(?=\s*[,!:—–-])")
_HERE_REACH = 80
# A name of a model must look like one in "As X, I": a digit or an inner capital.
_MODEL_SHAPE = re.compile(r"\d|[a-z][A-Z]")

_CJK = r"\u4e00-\u9fff"
_LATIN_NAME_ZH = r"[A-Za-z][A-Za-z0-9]*(?:[-.·_][A-Za-z0-9]+)*\+?"
# Two to eight characters, none of them 的 (a description, not a name, holds one).
_CJK_NAME = rf"(?:(?!的)[{_CJK}A-Za-z0-9·]){{2,8}}?"
_ADJECTIVE_ZH = (
    r"(?:超大规模|大规模|大型|通用|智能|对话式|多模态|生成式|中文|开源|预训练|认知|综合)"
)
_NOUN_ZH = (
    rf"(?:{_ADJECTIVE_ZH}*(?:大语言模型|语言模型|大模型|模型|智能助手|AI助手|助手|助理|人工智能|AI|"
    r"聊天机器人|机器人|智能体))"
)
_LEAD_ZH = r"(?:我的名字是|我的名字叫|我名叫|我叫做|我叫|我就是|我是|作为|身为|这里是|本人是)"
_VERB_ZH = r"(?:开发|研发|训练|打造|推出|创建|创造|设计|构建|发布|研制)"
_CLAUSE_END_ZH = r"(?=[。！？，,.!?；;：:、\s]|\Z)"
_CHINESE = (
    # 我是Zorblax / 我是Zorblax的AI助手
    re.compile(
        rf"{_LEAD_ZH}\s*(?P<latin>{_LATIN_NAME_ZH})"
        rf"(?=\s*(?:[。！？，,.!?；;：:、\s]|\Z|的?{_NOUN_ZH}))"
    ),
    # 我是灵犀大模型
    re.compile(rf"{_LEAD_ZH}\s*(?P<cjk>{_CJK_NAME})(?={_NOUN_ZH})"),
    # 我是灵犀，一个AI助手。
    re.compile(
        rf"{_LEAD_ZH}\s*(?P<apposed>{_CJK_NAME})[，,]\s*"
        rf"(?=(?:一[个款种]|是)?[^。！？\n，,]{{0,15}}?{_NOUN_ZH}{_CLAUSE_END_ZH})"
    ),
    # 我是由X开发的 / 作为一个由X训练的
    re.compile(
        rf"(?:我(?:是|由|被)|作为|身为)(?:一[个款种])?\s*由?\s*(?P<maker>{_CJK_NAME})\s*"
        rf"(?:公司|团队|实验室)?\s*(?:所|自主)?{_VERB_ZH}"
    ),
    # 由X开发的AI助手
    re.compile(
        rf"由\s*(?P<maker_of_model>{_CJK_NAME})\s*(?:公司|团队|实验室)?\s*(?:所|自主)?{_VERB_ZH}"
        rf"(?:和{_VERB_ZH})?的\s*(?=[^。！？，,]{{0,10}}?{_NOUN_ZH})"
    ),
    # X为您服务
    re.compile(
        rf"(?:^|(?<=[。！？!?.，,\s：:]))(?P<serving>{_LATIN_NAME_ZH}|[{_CJK}]{{2,6}})(?=为您服务)"
    ),
)
# Words that are roles, descriptions or people, not names, where a name would stand.
_NOT_A_NAME_ZH = frozenset(
    [
        "智能",
        "人工智能",
        "语言",
        "对话",
        "大型",
        "通用",
        "写作",
        "客服",
        "翻译",
        "编程",
        "学习",
        "聊天",
        "私人",
        "个人",
        "虚拟",
        "数字",
        "语音",
        "办公",
        "专业",
        "中文",
        "开源",
        "生成式",
        "多模态",
        "公司",
        "团队",
        "我们",
        "我们团队",
        "本公司",
        "政府",
        "学校",
        "专家",
        "工程师",
        "研究人员",
        "科学家",
        "老师",
        "医生",
        "大家",
        "用户",
        "贵公司",
        "你们",
        "他们",
        "AI",
        "LLM",
    ]
)
_NOT_A_NAME_START_ZH = frozenset(
    "一个名位您你他她它这那该本我某各其很竭乐随将会愿继正全热诚也都再为来在可能高非真用心尽马立即现今每共同永由特此专"
)


# Characters of adverbs and auxiliaries ("客服将继续为您服务"): a phrase, not a name.
_NOT_IN_A_NAME_ZH = frozenset("将会继续正在随时竭诚乐意愿很都也还再")


def _chinese_name_ok(name: str) -> bool:
    if name in _NOT_A_NAME_ZH or name[0] in _NOT_A_NAME_START_ZH:
        return False
    if not name.isascii() and _NOT_IN_A_NAME_ZH.intersection(name):
        return False
    return "的" not in name and not name.isdigit()


def _english_name_ok(name: str, *, stop: frozenset[str]) -> bool:
    first = re.split(r"[\s.-]", name, maxsplit=1)[0]
    return first.casefold() not in stop


def _english_spans(text: str) -> Iterator[tuple[int, int]]:
    introduced, as_lead, here, made_by = _ENGLISH
    # Cheap tests first: most texts introduce nothing.
    speaks = "I" in text and ("I am" in text or "I'm" in text or "I’m" in text)
    if not (speaks or "name is" in text):
        introduced_matches: Iterator[re.Match[str]] = iter(())
    else:
        introduced_matches = introduced.finditer(text)
    for match in introduced_matches:
        if _english_name_ok(match.group("name"), stop=ORDINARY_CAPITALS_FOLDED):
            yield match.span("name")
            org = match.group("org")
            if org and _english_name_ok(org, stop=ORDINARY_CAPITALS_FOLDED):
                yield match.span("org")
    for match in as_lead.finditer(text):
        name = match.group("as_name")
        # "As X, I" only for a name shaped like a model's; "As Director, I" is a role.
        apposed = not match.group(0).endswith(" ")
        shaped = bool(_MODEL_SHAPE.search(name))
        if _english_name_ok(name, stop=ORDINARY_CAPITALS_FOLDED) and (apposed or shaped):
            yield match.span("as_name")
            if match.group("as_org"):
                yield match.span("as_org")
    for hit in _HERE.finditer(text):
        # The name just before " here": read backwards from the hit, within one sentence.
        window_start = max(0, hit.start() - _HERE_REACH)
        match = here.search(text[window_start : hit.start()])
        if match is None or (window_start > 0 and match.start() == 0):
            continue
        if _english_name_ok(match.group("here_name"), stop=ORDINARY_BEFORE_HERE_FOLDED):
            start, end = match.span("here_name")
            yield window_start + start, window_start + end
    if " by " not in text:
        return
    for match in made_by.finditer(text):
        if _english_name_ok(match.group("made_by"), stop=ORDINARY_CAPITALS_FOLDED):
            yield match.span("made_by")


def _chinese_spans(text: str) -> Iterator[tuple[int, int]]:
    for pattern in _CHINESE:
        if pattern is _CHINESE[-1] and "为您服务" not in text:
            continue
        for match in pattern.finditer(text):
            group = next(iter(pattern.groupindex))
            name = match.group(group)
            latin = group == "latin" or (group == "serving" and name.isascii())
            if latin and name.upper() in {"AI", "LLM", "A", "AN"}:
                continue
            if latin or _chinese_name_ok(name):
                yield match.span(group)


_HAS_CJK = re.compile(f"[{_CJK}]")


def unknown_name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of text that a self-introduction names, sorted, not overlapping."""
    spans = list(_english_spans(text))
    if not text.isascii() and _HAS_CJK.search(text):
        spans.extend(_chinese_spans(text))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            continue
        merged.append((start, end))
    return merged


_HINTS = re.compile(
    r"(?i)(?<![\w-])(?:as|i\s+am|i['’]m)\s+(?:an?\s+|the\s+|your\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:language\s+model|llm|ai\s+model|ai\s+assistant|ai|chatbot|virtual\s+assistant)(?![\w-])"
    r"|(?<![\w-])my\s+(?:developers|creators|training\s+data|knowledge\s+cutoff)(?![\w-])"
    r"|(?:我是|作为|身为)(?:一[个款种])?[^。，！？,.!?]{0,8}?"
    r"(?:人工智能|AI|语言模型|大模型|智能助手|聊天机器人)"
    r"|我的(?:开发者|训练数据|知识截止)"
)


def identity_hints(text: str) -> list[str]:
    """Self-introductions that name nobody ("As an AI language model"): worth a human look."""
    return [match.group(0) for match in _HINTS.finditer(text)]
