"""The Chinese forms of a self-introduction ("我是X", "作为X", "叫我X", a transliterated name
...): their patterns, the fast tests that run before them, and `chinese_spans`, which yields the
spans of the names they find. The package's docstring gives the rules."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from ratings.self_introduction.english import _APPOSITIVE_REACH, _english_name_ok
from ratings.self_introduction.english_credits import _SIGN_OFF_REACH, _attributes_or_lists
from ratings.self_introduction.ordinary_words import ORDINARY_CAPITALS_FOLDED
from ratings.self_introduction.roles import _titles_an_invented_name

# What a program calls itself, or an article, where a Latin name is expected: no name.
_NOT_NAMES_LATIN = frozenset({"AI", "LLM", "A", "AN"})
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
    # 我是由X开发的 / 作为一个由X训练的 ("作为模型设计师" is a job: 设计 starts a noun there)
    re.compile(
        rf"(?:我(?:是|由|被)|作为|身为)(?:一[个款种])?\s*由?\s*(?P<maker>{_CJK_NAME})\s*"
        rf"(?:公司|团队|实验室)?\s*(?:所|自主)?{_VERB_ZH}(?![师者员人])"
    ),
    # 由X开发的AI助手
    re.compile(
        rf"由\s*(?P<maker_of_model>{_CJK_NAME})\s*(?:公司|团队|实验室)?\s*(?:所|自主)?{_VERB_ZH}"
        rf"(?:和{_VERB_ZH})?的\s*(?=[^。！？，,]{{0,10}}?{_NOUN_ZH})"
    ),
    # X为您服务 / X在此为您解答 / X在这里为你服务
    re.compile(
        rf"(?:^|(?<=[。！？!?.，,\s：:]))(?P<serving>{_LATIN_NAME_ZH}|[{_CJK}]{{2,6}}?)"
        r"(?=(?:在此|在这里)?为[您你](?:服务|解答))"
    ),
)
# A fast test for the last form of _CHINESE, which is slow to scan: most texts offer no service.
_MAY_SERVE_ZH = re.compile(r"为[您你](?:服务|解答)")
_LATIN_ORG_ZH = rf"{_LATIN_NAME_ZH}(?:[ \t]{_LATIN_NAME_ZH}){{0,2}}"
# 叫我Zorblax就好 / 你可以称呼我为Zorblax (a Latin name only: "叫我帮忙" is an errand)
_CALL_ME_ZH = re.compile(
    rf"(?:叫我|称呼我为|称呼我|称我为)\s*(?P<called>{_LATIN_NAME_ZH})"
    r"(?=\s*(?:[。！？，,.!?；;：:、\s]|\Z|就好|就行|就可以|即可|吧))"
)
# 我是来自Acme AI的助手 / 来自Acme AI的AI助手Zorblax
_FROM_ZH = re.compile(
    r"来自\s*"
    rf"(?P<maker>{_LATIN_ORG_ZH}|{_CJK_NAME})\s*(?:公司|团队|实验室)?的\s*"
    rf"(?P<noun>[^。！？，,\s]{{0,10}}?{_NOUN_ZH})(?P<ends>{_CLAUSE_END_ZH}|(?=[A-Za-z]))?"
    rf"(?P<model>{_LATIN_NAME_ZH})?"
)
# 我是/作为 before 来自 (looked for behind: the pattern starts at 来自, which keeps it fast)
_LEAD_BEFORE_FROM_ZH = re.compile(r"(?:我是|作为|身为)(?:一[个款种名位])?\s*\Z")
# Nouns that only a program calls itself (助手 and 助理 are also people).
_PROGRAM_NOUN_ZH = re.compile(r"模型|人工智能|AI|机器人|智能体|智能助手")
# 此致\n敬礼\nZorblax / 祝好，\n灵犀 at the end of the text (a date line may follow)
# Zorblax（一个AI助手）/ Zorblax，一个AI助手，: a Latin name with a program's appositive.
# (Like _APPOSITIVE_EN, the pattern starts at the bracket or comma and looks behind for the name.)
_APPOSITIVE_ZH = re.compile(
    r"[（(，,](?<=[A-Za-z0-9+\s][（(，,])(?:(?<=[（(])\s*(?:一[个款种名位])?"
    rf"(?P<noun>[^）)。，,\n]{{0,10}}?{_NOUN_ZH})\s*[）)]"
    rf"|(?<=[，,])\s*一[个款种名位](?P<noun_apposed>[^。，,\n]{{0,10}}?{_NOUN_ZH})\s*[，,])"
)
_NAME_BEFORE_APPOSITIVE_ZH = re.compile(rf"(?<![A-Za-z0-9])(?P<appositive>{_LATIN_NAME_ZH})\s*\Z")
# 我的名字是灵犀。/ 我名叫灵犀，/ 你好，我叫灵犀。/ 我叫灵犀，很高兴为您服务: a name in Chinese
# script that ends the clause. A plain 我叫 also calls or orders someone or something ("我叫出租车。",
# "我叫了外卖。", "我叫他过来。") and introduces a person in a story ("我叫小明，今年十岁。"): see
# _plain_call_names.
_NAMED_ZH = re.compile(
    rf"(?:(?P<strong>我的名字是|我的名字叫|我名叫|我叫做)|(?P<is>我是)|我叫)\s*"
    rf"(?P<named>[{_CJK}]{{2,6}}?)"
    r"(?=[。！？!?]|\s*\Z|[，,]\s*(?P<then>很高兴为|随时为|专门为|可以帮|能帮|负责解答|负责回答)?)"
)
# Last characters of job titles ("店长", "店员", "老师", "医生", "经理", "客服"): "我是店长，很高兴
# 为您服务" is a person at work.
_ROLE_ENDINGS_ZH = tuple("长员师生理管服问表板工家手士官者人主匠户客")
# What a plain 我叫 calls or orders rather than what it names: 叫了/叫醒 (a verb), 叫他/叫你
# (a person called over), 叫外卖/叫出租车 (a service ordered), 叫同事过来/叫他回去 (an errand).
_CALLED_NOT_A_NAME_ZH = frozenset(
    [
        "外卖",
        "快递",
        "的士",
        "滴滴",
        "代驾",
        "警察",
        "保安",
        "服务员",
        "同事",
        "朋友",
        "孩子",
        "家人",
    ]
)
_CALLED_FIRST_ZH = frozenset("了着过醒他她你您它们大家人")
_CALLED_LAST_ZH = frozenset("车来去回走忙饭菜醒")
_CALLED_ANYWHERE_ZH = frozenset("他她你您它们")
# Where a plain 我叫 may start: the text, a line, a sentence or a clause.
_CLAUSE_START_ZH = frozenset("。！？!?\n，,；;")
# An age in the sentence after "我叫X，" ("今年十岁"): a person, not a program.
_AGE_ZH = re.compile(r"岁|今年|年级")
_GREETING_BEFORE_ZH = re.compile(r"(?:你好|您好|大家好|各位好|嗨|哈喽|Hi|Hello)[，,！!。~～]?\s*\Z")
# 本人Zorblax，/ 我，Zorblax，/ Zorblax在此为您解答: a Latin-script name.
_LATIN_SELF_ZH = re.compile(
    rf"(?:本人|(?:^|(?<=[。！？!?\n]))我[，,])\s*(?P<self_latin>{_LATIN_NAME_ZH})(?=\s*[，,。！!])"
)
_LATIN_HERE_ZH = re.compile(
    rf"(?:^|(?<=[。！？!?\n，,：:]))(?P<here_latin>{_LATIN_NAME_ZH})\s*(?:在此|在这里)"
    r"(?=\s*(?:为|[，,。！!]|\Z))"
)
# 作为AI助手沃布勒，/ 我是你的智能助手沃布勒。: a name right after a program's noun, ending the
# clause. An X that ends like a role ("作为AI助手开发者，", "作为模型设计师，") is a person.
_NOUN_THEN_NAME_ZH = re.compile(
    r"(?:作为|我是)(?:你的|您的)?(?:AI|人工智能|智能)?(?:助手|语言模型|模型|聊天机器人|机器人)\s*"
    rf"(?P<titled>{_LATIN_NAME_ZH}|[{_CJK}]{{2,8}}?)(?=\s*(?:[。！？，,.!?；;：:]|\Z))"
)
# 本回答由沃布勒生成 / 以上内容由Vorbler提供: the text says who wrote it.
# (The pattern starts at 由, which keeps its scan fast; the subject is looked for behind it.)
_ANSWER_BY_ZH = re.compile(
    r"由(?:(?<=(?:本回答|此回答|该回答|本答案|此答案|本内容|此内容|本方案|此方案)由)"
    r"|(?<=(?:以上回答|以下回答|上述回答|以上答案|以上内容|以下内容|上述内容|以上方案)由)|(?<=本文由))\s*"
    rf"(?P<credited>{_LATIN_ORG_ZH}|{_CJK_NAME})\s*(?:生成|提供|撰写|编写|给出)"
)
# 由沃布勒生成 / 内容由Vorbler生成，仅供参考 / 由AI助手沃布勒生成: whatever the subject, a name
# made of the characters that transliterate foreign names (or an invented Latin one) that
# generates something is a program ("由北京大学生成" and "由Excel生成" stay: see
# _generated_by_spans). Only 生成: "由菲亚特提供" is a maker's part.
_GENERATED_BY_ZH = re.compile(
    r"由\s*(?:(?:AI|人工智能|智能)?(?:助手|模型|大模型|语言模型))?\s*"
    rf"(?P<generator>{_LATIN_ORG_ZH}|[{_CJK}]{{2,6}}?)\s*(?:自动)?生成"
)
# 沃布勒\nAI助手 / ——沃布勒，你的AI助手 on the last lines: a program's signature, which its title
# tells from a person's ("张三\n客服专员" stays).
_PROGRAM_SIGNATURE_ZH = re.compile(
    r"(?m)^[ \t]*(?:——|—)?[ \t]*"
    rf"(?P<program_signed>{_LATIN_ORG_ZH}|[{_CJK}]{{2,8}})[ \t]*(?:[，,（(]|\n)[ \t]*"
    r"(?P<program_title>(?:你的|您的)?(?:AI|人工智能|智能)?"
    r"(?:助手|助理|大语言模型|语言模型|大模型|模型|聊天机器人|机器人)|(?:你的|您的)?AI)"
    r"[ \t]*[）)]?[ \t]*[。！!.]?\s*\Z"
)


def _may_sign_as_program_zh(text: str) -> bool:
    """Whether text ends with what every title of _PROGRAM_SIGNATURE_ZH ends with, once the
    whitespace and the full stop after it are set aside: a fast test before the pattern."""
    return text.rstrip().rstrip(" \t。！!.）)").endswith(("助手", "助理", "模型", "机器人", "AI"))


# 你正在与沃布勒对话。: whom the reader talks to, at the end of a clause ("你和朋友聊天时" goes on).
_TALKING_TO_ZH = re.compile(
    r"你(?:正在|现在|在)?(?:与|和|跟)\s*"
    rf"(?P<partner>{_LATIN_NAME_ZH}|[{_CJK}]{{2,8}}?)\s*(?:对话|聊天|交谈)"
    r"(?=\s*(?:[。！？，,.!?；;]|\Z))"
)
# 你好，这里是沃布勒。: after a greeting only, ending the sentence ("这里是厨房。" is a place).
_HERE_IS_ZH = re.compile(rf"这里是(?P<here_is>[{_CJK}]{{2,8}}?)(?=[。！!.，,]|\Z)")
# 我，沃布勒，建议...: a Chinese name set off by commas after a 我 that starts a sentence.
_SELF_APPOSED_ZH = re.compile(
    rf"(?:^|(?<=[。！？!?\n]))我[，,]\s*(?P<self_cjk>[{_CJK}]{{2,4}})\s*[，,]"
)
# Characters of a phrase, not a name, after "作为助手": "作为助手工作多年，".
_NOT_IN_A_TITLED_NAME_ZH = frozenset("了过着多年时期间中上下里来去做工作")
# Last characters of people and places that are no names in these forms: "作为模型设计师",
# "你和家人聊天", "你好，这里是客服中心".
_PERSON_ENDINGS_ZH = _ROLE_ENDINGS_ZH + tuple("们友事属户亲妈爸母父哥姐弟妹儿子")
_PLACE_ENDINGS_ZH = tuple("台站局厅店室部处心司馆院所厂场园区市省县镇村街路楼房家校")
# People one talks to and words that follow 我，: "你在和同学聊天", "我，当然，同意".
_ORDINARY_PEOPLE_ZH = frozenset(
    ["同学", "领导", "对方", "别人", "他人", "陌生人", "孩子", "父母", "家长", "邻居", "大家"]
    + ["当然", "其实", "个人", "认为", "觉得", "同样", "自己", "本人", "坦白", "说实话"]
)
# Characters that transliterate foreign names ("沃布勒", "索拉克斯", "泽诺维尔"), chosen so that
# ordinary words are seldom made only of them: 坦 (坦克), 格 (格格), 普 (普查, 科普), 加 and 法
# (加法), 内 and 科 (内科), 吉 and 利 (吉利) are left out. Of the words of wordfreq's Chinese list
# made only of these, all but a few ("勒索", "摩托" is out with 摩) are foreign names themselves.
_TRANSLITERATING_ZH = (
    "沃布勒索拉克斯泽诺维尔塔莫菲伊奥卡巴阿特德萨瓦扎亚贝梅佩塞韦赫舍迪尼蒂博戈洛托佐霍杜库卢"
    "穆努兹茨琳娜莎顿森丹罗"
)
_TRANSLITERATED_NAME_ZH = f"[{_TRANSLITERATING_ZH}]{{2,6}}"
# 作为沃布勒，我会……: a transliterated name before "，我" ("作为项目经理，我" is a role). "我们"
# speaks for a group ("作为索尼，我们"): not a self-introduction.
_AS_TRANSLITERATED_ZH = re.compile(
    rf"[作身]为\s*(?P<as_cjk>{_TRANSLITERATED_NAME_ZH})\s*[，,]\s*我(?!们)"
)
# 作为一个沃布勒模型，/ 我是一名沃布勒助手: a transliterated name before a program's noun after
# "一个/一名" ("作为一名医生" has no such name).
_KIND_OF_TRANSLITERATED_ZH = re.compile(
    rf"(?:作为|身为|我是)一[个名款种位]\s*(?P<kind_cjk>{_TRANSLITERATED_NAME_ZH})(?={_NOUN_ZH})"
)
# 沃布勒，你的助手，/ 沃布勒，您的AI助手。: a transliterated name that a clause, sentence or text
# starts with, set off by an appositive of 你的/您的 and a program's or an assistant's noun.
# "小王，你的同事，" has neither such a name nor such a noun. The pattern starts at 你的/您的; the
# name is read backwards from there (_NAME_BEFORE_YOUR_ASSISTANT_ZH).
_YOUR_ASSISTANT_ZH = re.compile(
    rf"(?:(?<=[{_TRANSLITERATING_ZH}][，,])|(?<=[{_TRANSLITERATING_ZH}][，,] ))"
    rf"(?:你|您)的[^。，,！!？?\n]{{0,8}}?{_NOUN_ZH}\s*(?=[，,。！!]|\Z)"
)
_NAME_BEFORE_YOUR_ASSISTANT_ZH = re.compile(
    r"(?:(?<=[\s。！？!?，,：:；;“\"])|(?<![\s\S]))"
    rf"(?P<your_cjk>{_TRANSLITERATED_NAME_ZH})[，,] ?\Z"
)
# 我（沃布勒）: a transliterated name in brackets after 我 ("我（作者）" is a role). 本我, 自我, 超我
# are words of their own ("本我（伊德）" translates Freud's id).
_BRACKETED_SELF_ZH = re.compile(
    rf"我[（(](?<![自本忘无唯超真小大非]我[（(])\s*(?P<bracket_cjk>{_TRANSLITERATED_NAME_ZH})\s*[）)]"
)
# What may follow a name that ends the clause in 叫我X, 称我为X, 我的代号是X.
_CALLED_END_ZH = r"(?=\s*(?:[。！？!?，,；;：:、]|\Z|就好|就行|就可以|即可|吧))"
# 我的代号是沃布勒。/ 我被称为灵犀。/ 你可以称我为灵犀: a Chinese name (or a Latin one) that ends the
# clause. A name in quotation marks is left alone: "我被称为“活字典”" is an epithet.
_CODE_NAME_ZH = re.compile(
    r"(?:我的代号(?:是|叫|为)|我被称为|我被称作|称我为|称呼我为)\s*"
    rf"(?P<code_name>{_LATIN_NAME_ZH}|[{_CJK}]{{2,6}}?){_CALLED_END_ZH}"
)
# 称我为“沃布勒”: in quotation marks, only a name made of transliterating characters is one (the
# quotes of "我被称为“活字典”" hold an epithet).
_QUOTED_CODE_NAME_ZH = re.compile(
    r"(?:我的代号(?:是|叫|为)|我被称为|我被称作|称我为|称呼我为)\s*[“\"「『]"
    rf"(?P<quoted_code>{_TRANSLITERATED_NAME_ZH})[”\"」』]"
)
# Characters of a question or a negation, not a name, after 我的代号是: "我的代号是什么不重要".
_NOT_IN_A_CODE_NAME_ZH = frozenset("什么谁哪不没")
# 叫我沃布勒就好: a plain 叫我 calls the speaker by a transliterated name only ("大家叫我小王" is a
# nickname among people, "妈妈叫我回家" an errand).
_CALL_ME_TRANSLITERATED_ZH = re.compile(
    rf"叫我\s*(?P<call_cjk>{_TRANSLITERATED_NAME_ZH}){_CALLED_END_ZH}"
)
# ——X / （签名）X / 签名：X on the last line (a date line may follow)
_SIGNATURE_ZH = re.compile(
    r"(?m)^[ \t]*(?:(?P<dash>——|—|--)|（签名）|\(签名\)|(?:签名|落款|署名)[：:])[ \t]*"
    rf"(?P<signed>{_LATIN_ORG_ZH}|[{_CJK}A-Za-z0-9·]{{2,8}})[ \t]*"
    r"(?:\n[ \t]*\S[^\n]{0,39})?\s*\Z"
)
_SIGN_OFF_ZH = re.compile(
    r"(?:此致\s*敬礼|祝好)[！!。，,]?\s*\n\s*"
    rf"(?P<signed>{_LATIN_ORG_ZH}|[{_CJK}A-Za-z0-9·]{{2,8}})[ \t]*(?:\n[ \t]*\S[^\n]{{0,39}})?\s*\Z"
)
# 本助手（沃布勒）/ 本模型(Vorbler): the name of the program that writes, in brackets.
_OWN_NAME_IN_BRACKETS_ZH = re.compile(
    r"本(?:助手|模型|AI|系统|机器人|智能体)\s*[（(]\s*"
    rf"(?P<own>{_LATIN_ORG_ZH}|[{_CJK}A-Za-z0-9·]{{2,8}})\s*[）)]"
)
# What a bracket after 本系统 holds that is no name: "以下简称", "见图1", "第二版", "2024年版", "V2".
_NOT_A_NAME_IN_BRACKETS_ZH = re.compile(
    r"^(?:以下|下称|简称|即|见|参见|详见|如|例如|包括|含|注|第|共|约|图|表)|[版号型式]$|^[Vv]?\d"
)
# The stage or kind of a system in brackets ("本系统（试行）", "本模型（Beta）"): no name.
_ORDINARY_IN_BRACKETS_ZH = frozenset(
    [
        "试行",
        "暂行",
        "草案",
        "测试",
        "试用",
        "内测",
        "公测",
        "演示",
        "修订",
        "正式",
        "下同",
        "简体",
        "繁体",
    ]
    + ["中文", "英文", "beta", "alpha", "demo", "test", "pro", "lite", "free", "new", "preview"]
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


def _plain_call_names(text: str, match: re.Match[str]) -> bool:
    """Whether a plain "我叫X" with no greeting before it and no offer to help after it names
    the speaker: it starts the text or a clause, X is two to four characters and none of what
    叫 calls or orders (_CALLED_NOT_A_NAME_ZH ...), and the sentence ends after X ("我叫灵犀。")
    or goes on after a comma without an age ("我叫灵犀，今天先做预算。", not "我叫小明，今年十岁。")."""
    before = text[: match.start()].rstrip(" \t")
    if before and before[-1] not in _CLAUSE_START_ZH:
        return False
    name = match.group("named")
    if (
        len(name) > 4
        or name in _CALLED_NOT_A_NAME_ZH
        or name[0] in _CALLED_FIRST_ZH
        or name[-1] in _CALLED_LAST_ZH
        or _CALLED_ANYWHERE_ZH.intersection(name)
    ):
        return False
    rest = text[match.end("named") :]
    if rest[:1] in ("，", ","):
        sentence = re.split(r"[。！？!?\n]", rest, maxsplit=1)[0]
        return not _AGE_ZH.search(sentence)
    return True


def chinese_spans(text: str) -> Iterator[tuple[int, int]]:
    for pattern in _CHINESE:
        if pattern is _CHINESE[-1] and not _MAY_SERVE_ZH.search(text):
            continue
        for match in pattern.finditer(text):
            group = next(iter(pattern.groupindex))
            name = match.group(group)
            latin = group == "latin" or (group == "serving" and name.isascii())
            if latin and name.upper() in _NOT_NAMES_LATIN:
                continue
            # "店员在此为您服务": a role, not a name.
            if latin or (_chinese_name_ok(name) and not name.endswith(_ROLE_ENDINGS_ZH)):
                yield match.span(group)
    if "叫我" in text or "称" in text:
        for match in _CALL_ME_ZH.finditer(text):
            if match.group("called").upper() not in _NOT_NAMES_LATIN:
                yield match.span("called")
    if "来自" in text:
        for match in _FROM_ZH.finditer(text):
            maker = match.group("maker")
            program = bool(_PROGRAM_NOUN_ZH.search(match.group("noun")))
            lead = _LEAD_BEFORE_FROM_ZH.search(text, max(0, match.start() - 8), match.start())
            if maker.isascii():
                # "来自MIT的助理教授": without 我是/作为 the noun must end the phrase.
                ok = maker.upper() not in {"AI", "LLM"} and (
                    lead is not None or match.group("ends") is not None
                )
            else:
                # "我是来自北京的助理" is a person: a Chinese maker needs 我是 and a program noun.
                ok = lead is not None and program and _chinese_name_ok(maker)
            if ok:
                yield match.span("maker")
                if match.group("model") and match.group("model").upper() not in {"AI", "LLM"}:
                    yield match.span("model")
    for match in _OWN_NAME_IN_BRACKETS_ZH.finditer(text) if "本" in text else ():
        name = match.group("own")
        if (
            _NOT_A_NAME_IN_BRACKETS_ZH.search(name)
            or name.upper() in {"AI", "LLM"}
            or name.casefold() in _ORDINARY_IN_BRACKETS_ZH
        ):
            continue
        if name.isascii() or _chinese_name_ok(name):
            yield match.span("own")
    tail_start = max(0, len(text) - _SIGN_OFF_REACH)
    for match in _SIGN_OFF_ZH.finditer(text, tail_start):
        name = match.group("signed")
        if (name.isascii() and name.upper() not in {"AI", "LLM"}) or _chinese_name_ok(name):
            yield match.span("signed")
    if "我" in text:
        for match in _NAMED_ZH.finditer(text):
            if match.group("is") is not None:
                # 我是X, with an offer to help after it, and X no job title.
                if match.group("then") is None or match.group("named").endswith(_ROLE_ENDINGS_ZH):
                    continue
            elif (
                match.group("strong") is None
                and match.group("then") is None
                and not _GREETING_BEFORE_ZH.search(text, max(0, match.start() - 8), match.start())
                and not _plain_call_names(text, match)
            ):
                continue
            if _chinese_name_ok(match.group("named")):
                yield match.span("named")
    latin_self = (
        _LATIN_SELF_ZH.finditer(text) if "本人" in text or "我，" in text or "我," in text else ()
    )
    latin_here = _LATIN_HERE_ZH.finditer(text) if "在此" in text or "在这里" in text else ()
    for match in itertools.chain(latin_self, latin_here):
        group = "self_latin" if "self_latin" in match.re.groupindex else "here_latin"
        name = match.group(group)
        if name.upper() not in _NOT_NAMES_LATIN and _english_name_ok(
            name, stop=ORDINARY_CAPITALS_FOLDED
        ):
            yield match.span(group)
    for match in _APPOSITIVE_ZH.finditer(text) if _PROGRAM_NOUN_ZH.search(text) else ():
        if not _PROGRAM_NOUN_ZH.search(match.group("noun") or match.group("noun_apposed")):
            continue
        named = _NAME_BEFORE_APPOSITIVE_ZH.search(
            text, max(0, match.start() - _APPOSITIVE_REACH), match.start()
        )
        if named and named.group("appositive").upper() not in _NOT_NAMES_LATIN:
            yield named.span("appositive")
    for match in _SIGNATURE_ZH.finditer(text, tail_start):
        name = match.group("signed")
        if _attributes_or_lists(text, match):
            continue
        if (name.isascii() and name.upper() not in {"AI", "LLM"}) or _chinese_name_ok(name):
            yield match.span("signed")
    program_signed = (
        _PROGRAM_SIGNATURE_ZH.search(text, tail_start) if _may_sign_as_program_zh(text) else None
    )
    if program_signed is not None and _PROGRAM_NOUN_ZH.search(
        program_signed.group("program_title")
    ):
        name = program_signed.group("program_signed")
        if (
            _english_name_ok(name, stop=ORDINARY_CAPITALS_FOLDED)
            and name.upper() not in _NOT_NAMES_LATIN
            if name.isascii()
            else _person_name_ok_zh(name, _PERSON_ENDINGS_ZH)
        ):
            yield program_signed.span("program_signed")
    yield from _generated_by_spans(text)
    yield from _more_chinese_spans(text)
    yield from _transliterated_spans(text)


# ——来自沃布勒的回答 / 沃布勒 敬上 / 回答者：沃布勒 on a line of their own: a signature or a credit,
# for a transliterated or invented name only ("张伟 敬上" and "回答者：张三" are people, "来自索尼相机的
# 回复" a maker's).
_SIGNED_ZH = re.compile(
    r"(?m)^[ \t]*(?:(?:——|—|--)[ \t]*)?"
    rf"(?:来自[ \t]*(?P<from_signed>{_TRANSLITERATED_NAME_ZH}|{_LATIN_ORG_ZH})[ \t]*的(?:回答|回复|答复)"
    rf"|(?P<respectfully>{_TRANSLITERATED_NAME_ZH}|{_LATIN_ORG_ZH})[ \t]*敬上"
    rf"|回答者[ \t]*[：:][ \t]*(?P<answerer>{_TRANSLITERATED_NAME_ZH}|{_LATIN_ORG_ZH}))"
    r"[ \t]*[。.!！]?[ \t]*$"
)


def _may_sign_zh(text: str) -> bool:
    """Whether text holds the words one of which every match of _SIGNED_ZH holds: a fast test."""
    return "敬上" in text or "回答者" in text or "来自" in text


def _may_generate_zh(text: str) -> bool:
    """Whether text holds the 生成 every match of _GENERATED_BY_ZH holds: a fast test."""
    return "生成" in text


def _generated_by_spans(text: str) -> Iterator[tuple[int, int]]:
    """由X生成, ——来自X的回答, X 敬上 and 回答者：X for a transliterated X or an invented Latin one
    ("由沃布勒生成", "由Vorbler生成")."""
    generated = _GENERATED_BY_ZH.finditer(text) if _may_generate_zh(text) else ()
    signed = _SIGNED_ZH.finditer(text) if _may_sign_zh(text) else ()
    for match in itertools.chain(generated, signed):
        group = next(name for name, value in match.groupdict().items() if value is not None)
        name = match.group(group)
        if name.isascii():
            # "由PowerPoint生成" is a product: an inner capital marks no model here, a digit does.
            invented = _titles_an_invented_name(name) or any(char.isdigit() for char in name)
        else:
            invented = re.fullmatch(_TRANSLITERATED_NAME_ZH, name) is not None
        if invented and not name.endswith(_PERSON_ENDINGS_ZH):
            yield match.span(group)


def _person_name_ok_zh(name: str, endings: tuple[str, ...]) -> bool:
    """Whether X in the forms of _more_chinese_spans is a name: a Latin name other than "AI", or
    a Chinese one that is no role, person or place word (endings) and no ordinary word."""
    if name.isascii():
        return name.upper() not in _NOT_NAMES_LATIN
    return (
        _chinese_name_ok(name)
        and not name.endswith(endings)
        and name not in _ORDINARY_PEOPLE_ZH
        and not _NOT_IN_A_TITLED_NAME_ZH.intersection(name)
    )


def _more_chinese_spans(text: str) -> Iterator[tuple[int, int]]:
    """作为AI助手X, 本回答由X生成, 你正在与X对话, 你好，这里是X, 我，X，."""
    checks = (
        (_NOUN_THEN_NAME_ZH, "titled", _PERSON_ENDINGS_ZH, "作为" in text or "我是" in text),
        (_ANSWER_BY_ZH, "credited", _PERSON_ENDINGS_ZH + _PLACE_ENDINGS_ZH, "由" in text),
        (_TALKING_TO_ZH, "partner", _PERSON_ENDINGS_ZH, "你" in text),
        (_HERE_IS_ZH, "here_is", _PERSON_ENDINGS_ZH + _PLACE_ENDINGS_ZH, "这里是" in text),
        (_SELF_APPOSED_ZH, "self_cjk", _PERSON_ENDINGS_ZH, "我，" in text or "我," in text),
    )
    for pattern, group, endings, hinted in checks:
        for match in pattern.finditer(text) if hinted else ():
            if group == "here_is" and not _GREETING_BEFORE_ZH.search(
                text, max(0, match.start() - 8), match.start()
            ):
                continue
            if _person_name_ok_zh(match.group(group), endings):
                yield match.span(group)


# The forms of a transliterated name, each with the marks every one of its matches starts with.
_TRANSLITERATED_FORMS_ZH: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_AS_TRANSLITERATED_ZH, ("作为", "身为")),
    (_KIND_OF_TRANSLITERATED_ZH, ("作为一", "身为一", "我是一")),
    (_YOUR_ASSISTANT_ZH, ("你的", "您的")),
    (_BRACKETED_SELF_ZH, ("我（", "我(")),
    (_CODE_NAME_ZH, ("我的代号", "我被称", "称我为", "称呼我为")),
    (_QUOTED_CODE_NAME_ZH, ("我的代号", "我被称", "称我为", "称呼我为")),
    (_CALL_ME_TRANSLITERATED_ZH, ("叫我",)),
)


def _matches_at_marks(
    text: str, pattern: re.Pattern[str], marks: tuple[str, ...]
) -> Iterator[re.Match[str]]:
    """The matches of pattern, all of which start with one of marks: found by trying it where
    str.find finds a mark, which is far faster than a scan of the pattern over the text."""
    for mark in marks:
        start = text.find(mark)
        while start != -1:
            match = pattern.match(text, start)
            if match is not None:
                yield match
            start = text.find(mark, start + len(mark))


_TRANSLITERATED_PAIR_ZH = re.compile(f"[{_TRANSLITERATING_ZH}][{_TRANSLITERATING_ZH}]")


def _may_hold_transliterated_name(text: str) -> bool:
    """Whether text holds two transliterating characters in a row, as every match of the forms of
    a transliterated name does: one fast test before them (most texts hold no foreign name)."""
    return _TRANSLITERATED_PAIR_ZH.search(text) is not None


def _may_name_a_code(text: str) -> bool:
    """Whether text holds a character every match of _CODE_NAME_ZH holds: a fast test."""
    return "称" in text or "代号" in text


def _transliterated_name_ok(pattern: re.Pattern[str], name: str) -> bool:
    """Whether X is a name: any Chinese name after 我的代号是/我被称为/称我为 that is no role, person,
    phrase or question; a transliterated one (the patterns ask for it) in the other forms that
    does not end like a person."""
    if pattern is _CODE_NAME_ZH:
        return _person_name_ok_zh(
            name, _PERSON_ENDINGS_ZH
        ) and not _NOT_IN_A_CODE_NAME_ZH.intersection(name)
    return not name.endswith(_PERSON_ENDINGS_ZH)


def _transliterated_spans(text: str) -> Iterator[tuple[int, int]]:
    """作为沃布勒，我, 作为一个沃布勒模型, 沃布勒，你的助手，, 我（沃布勒） and 叫我沃布勒: a name made of
    the characters that transliterate foreign names, where a Chinese word would be a role or a
    person ("作为项目经理，我", "我（作者）"); and 我的代号是X, 我被称为X, 称我为X for any name."""
    transliterated = _may_hold_transliterated_name(text)
    for pattern, marks in _TRANSLITERATED_FORMS_ZH:
        if not (_may_name_a_code(text) if pattern is _CODE_NAME_ZH else transliterated):
            continue
        for match in _matches_at_marks(text, pattern, marks):
            named: re.Match[str] | None = match
            if pattern is _YOUR_ASSISTANT_ZH:
                # The name before the comma, within the reach of the longest name.
                named = _NAME_BEFORE_YOUR_ASSISTANT_ZH.search(
                    text, max(0, match.start() - 8), match.start()
                )
            if named is None:
                continue
            group = next(iter(named.re.groupindex))
            if _transliterated_name_ok(pattern, named.group(group)):
                yield named.span(group)
