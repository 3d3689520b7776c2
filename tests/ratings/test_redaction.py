"""Redaction of a model's self-identification before an expert reads a work sample."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings.redaction import (
    BUILTIN_MODEL_NAMES,
    BUILTIN_PROVIDER_NAMES,
    REDACTION_MARKER,
    RedactionResult,
    redact,
)

M = REDACTION_MARKER

ENGLISH_CASES: list[tuple[str, str]] = [
    # Whole self-identification phrases become one marker, with the comma that closes them.
    ("As ChatGPT, I would start with a budget.", f"{M} I would start with a budget."),
    ("As an AI developed by OpenAI, I cannot lift boxes.", f"{M} I cannot lift boxes."),
    ("I am Claude. Here is the plan.", f"{M}. Here is the plan."),
    ("I'm Claude, made by Anthropic, and here is my sketch.", f"{M} and here is my sketch."),
    ("I cannot drive, as a large language model trained by Google.", f"I cannot drive, {M}."),
    ("I'm Qwen, and this is my answer.", f"{M} and this is my answer."),
    ("This is DeepSeek. The schedule follows.", f"{M}. The schedule follows."),
    ("Hello! I'm ChatGPT, a large language model trained by OpenAI.", f"Hello! {M}."),
    ("My name is Claude and I drafted the letter.", f"{M} and I drafted the letter."),
    ("You're chatting with Gemini. Let's begin.", f"{M}. Let's begin."),
    ("I was created by Anthropic to help.", f"{M} to help."),
    ("As an OpenAI model, I follow the brief.", f"{M} I follow the brief."),
    ("I am Llama 3.1 70B Instruct, built by Meta AI.", f"{M}."),
    ("I'm Claude 3 Opus. Let me explain.", f"{M}. Let me explain."),
    ("I am GPT-4, an AI developed by OpenAI.", f"{M}."),
    # Names outside a phrase are replaced one by one, the longest spelling first.
    (
        "The draft came from GPT-4o, the notes from GPT-4.",
        f"The draft came from {M}, the notes from {M}.",
    ),
    ("Command R+ and Claude 3.5 Sonnet both answered.", f"{M} and {M} both answered."),
    ("Qwen2.5-72B-Instruct is fast.", f"{M} is fast."),
    ("The Yi-34B model and Phi-3 wrote this.", f"The {M} model and {M} wrote this."),
    ("Claude's outline is shorter.", f"{M}'s outline is shorter."),
    ("Claude\u2019s outline is shorter.", f"{M}\u2019s outline is shorter."),
    ("chatgpt and CLAUDE disagree.", f"{M} and {M} disagree."),
    ("ＣｈａｔＧＰＴ suggested a rota.", f"{M} suggested a rota."),
    ("The OpenAI 2024 report", f"The {M} 2024 report"),
    # Talking about a model is not speaking as it: only the name goes.
    ("As ChatGPT gained users, schools adapted.", f"As {M} gained users, schools adapted."),
    (
        "Tools such as ChatGPT, Claude and Gemini help teachers.",
        f"Tools such as {M}, {M} and {M} help teachers.",
    ),
    ("It writes as well as Claude.", f"It writes as well as {M}."),
    ("I am a Claude user.", f"I am a {M} user."),
    ("This is DeepSeek's summary.", f"This is {M}'s summary."),
    # Not about identity at all: unchanged.
    ("Yield per hectare rose; Philosophy matters.", "Yield per hectare rose; Philosophy matters."),
    ("Intermittent claudication is a symptom.", "Intermittent claudication is a symptom."),
    (
        "Fit a GLMM; the Yiddish press and a Cohort study.",
        "Fit a GLMM; the Yiddish press and a Cohort study.",
    ),
    (
        "As an AI language model, I cannot taste food.",
        "As an AI language model, I cannot taste food.",
    ),
    ("Search on Google, then ask Meta.", "Search on Google, then ask Meta."),
    (
        "Claude Monet painted water lilies; Claude Shannon defined entropy.",
        "Claude Monet painted water lilies; Claude Shannon defined entropy.",
    ),
    # A listed name that is also a word is removed all the same (the blind comes first).
    ("Llamas graze while the mistral blows.", f"Llamas graze while the {M} blows."),
]

CHINESE_CASES: list[tuple[str, str]] = [
    ("我是文心一言，很高兴为您服务。", f"{M}很高兴为您服务。"),
    ("作为通义千问，我建议先列出预算。", f"{M}我建议先列出预算。"),
    ("作为一个由百度开发的人工智能，我无法亲自搬运货物。", f"{M}我无法亲自搬运货物。"),
    ("我是由深度求索公司开发的智能助手。", f"{M}。"),
    ("我是由深度求索公司开发的", M),
    ("我是ChatGPT。下面是我的方案。", f"{M}。下面是我的方案。"),
    ("你好！我是Kimi，由月之暗面科技有限公司开发的人工智能助手。", f"你好！{M}。"),
    ("我是一个名为Claude的AI助手。", f"{M}。"),
    ("我是Anthropic公司的Claude。", f"{M}。"),
    ("我是一个人工智能助手，名叫Kimi。", f"{M}。"),
    ("作为OpenAI开发的语言模型，我会这样安排。", f"{M}我会这样安排。"),
    ("我是豆包，字节跳动开发的AI。", f"{M}。"),
    ("我是来自OpenAI的ChatGPT。", f"{M}。"),
    ("我是智谱开发的ChatGLM。", f"{M}。"),
    ("我是由OpenAI训练的大型语言模型GPT-4。", f"{M}。"),
    ("这里是DeepSeek，很高兴见到你。", f"{M}很高兴见到你。"),
    ("身为一款由腾讯开发的大模型，我尽量简洁。", f"{M}我尽量简洁。"),
    ("我是ＣｈａｔＧＰＴ，请多指教。", f"{M}请多指教。"),
    # Names outside a phrase; Chinese names match inside words too, by decision.
    ("这个方案参考了百度百科。", f"这个方案参考了{M}百科。"),
    ("腾讯会议和字节跳动的飞书都可以用。", f"{M}会议和{M}的飞书都可以用。"),
    ("文心一言4.0和通义千问2.5都回答了。", f"{M}和{M}都回答了。"),
    ("豆包2023年上线。", f"{M}2023年上线。"),
    ("混元和零一万物的Yi都很强。", f"{M}和{M}的{M}都很强。"),
    # About someone else, not the model speaking: only the name goes.
    ("作为文心一言的用户，我觉得很方便。", f"作为{M}的用户，我觉得很方便。"),
    ("我是百度员工。", f"我是{M}员工。"),
    # Not about identity: unchanged.
    ("作为一个人工智能语言模型，我无法品尝食物。", "作为一个人工智能语言模型，我无法品尝食物。"),
    ("我是一名教师，我会先备课。", "我是一名教师，我会先备课。"),
    ("海纳百川，有容乃大。", "海纳百川，有容乃大。"),
    ("《文心雕龙》是文学批评名著。", "《文心雕龙》是文学批评名著。"),
    ("我在谷歌上搜索了资料。", "我在谷歌上搜索了资料。"),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH_CASES)
def test_english_self_identification_and_names_are_redacted(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(("text", "expected"), CHINESE_CASES)
def test_chinese_self_identification_and_names_are_redacted(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize("name", BUILTIN_MODEL_NAMES + BUILTIN_PROVIDER_NAMES)
def test_each_builtin_name_is_redacted_whole_in_a_sentence(name: str) -> None:
    result = redact(f"Notes: {name} here; 备注：{name}。")

    assert result.text == f"Notes: {M} here; 备注：{M}。"
    assert result.matches == (name, name)


def test_a_phrase_counts_once_and_reports_the_original_span() -> None:
    result = redact("Hi. As ChatGPT, I think GPT-4o is faster than ＣＬＡＵＤＥ.")

    assert result == RedactionResult(
        text=f"Hi. {M} I think {M} is faster than {M}.",
        count=3,
        matches=("As ChatGPT,", "GPT-4o", "ＣＬＡＵＤＥ"),
    )


def test_two_chinese_phrases_in_one_sentence_are_two_matches() -> None:
    result = redact("我是阿里云开发的超大规模语言模型，我叫通义千问。")

    assert result.text == f"{M}{M}。"
    assert result.matches == ("我是阿里云开发的超大规模语言模型，", "我叫通义千问")
    assert result.count == 2


def test_text_without_identity_is_returned_unchanged_with_no_matches() -> None:
    text = "Ｆｕｌｌ-width text, ß, İstanbul and 表格。\n\tIndentation stays."

    result = redact(text)

    assert result == RedactionResult(text=text, count=0, matches=())


def test_caller_names_are_redacted_only_when_given() -> None:
    text = "The mock-alpha sample and the mock alpha sample."

    assert redact(text).text == text
    assert redact(text, names=["mock-alpha"]).text == f"The {M} sample and the {M} sample."


def test_dated_model_id_is_redacted_whole() -> None:
    result = redact("Endpoint gpt-4o-2024-08-06 replied.", names=["gpt-4o-2024-08-06"])

    assert result.text == f"Endpoint {M} replied."
    assert result.matches == ("gpt-4o-2024-08-06",)


def test_caller_names_are_matched_literally_not_as_patterns() -> None:
    names = ["mock.alpha+", "beta(v2)"]

    assert redact("mockXalpha and betav2 stay.", names=names).text == "mockXalpha and betav2 stay."
    assert redact("mock.alpha+ and beta(v2) go.", names=names).text == f"{M} and {M} go."


def test_caller_names_respect_word_boundaries() -> None:
    result = redact("mock-alphabet, premock-alpha and mock-alpha.", names=["mock-alpha"])

    assert result.text == f"mock-alphabet, premock-alpha and {M}."


def test_caller_names_shorter_than_two_characters_are_ignored() -> None:
    text = "x marks the spot, Q is a letter."

    assert redact(text, names=["x", "Q", " ", ""]).text == text


def test_caller_names_match_across_full_and_half_width() -> None:
    names = ["ｍｏｃｋ－ａｌｐｈａ", "deepseek-chat"]

    result = redact("mock-alpha, ＤＥＥＰＳＥＥＫ－ＣＨＡＴ.", names=names)

    assert result.text == f"{M}, {M}."
    assert result.matches == ("mock-alpha", "ＤＥＥＰＳＥＥＫ－ＣＨＡＴ")


def test_chinese_caller_name_matches_inside_a_sentence() -> None:
    assert redact("这是小明模型写的。", names=["小明模型"]).text == f"这是{M}写的。"


def test_caller_name_inside_a_phrase_makes_the_phrase_one_match() -> None:
    result = redact("I am mock-alpha, I think.", names=["mock-alpha"])

    assert result.text == f"{M} I think."
    assert result.matches == ("I am mock-alpha,",)


def test_private_use_characters_in_the_text_do_not_pass_for_names() -> None:
    text = "I am \ue000, and Claude wrote this."

    assert redact(text).text == f"I am \ue000, and {M} wrote this."


def test_a_custom_marker_replaces_the_default() -> None:
    assert redact("我是文心一言，你好", marker="▇").text == "▇你好"


WORDS = [
    "As ChatGPT, ",
    "I am Claude",
    "我是文心一言，",
    "作为通义千问",
    "GPT-4o",
    "ＣｈａｔＧＰＴ",
    "claude's",
    "mock-alpha",
    "百度百科",
    "Yield",
    "Philosophy",
    "the plan",
    "方案",
    "，",
    ". ",
    " ",
    "\n",
    "ß",
    "İ",
    "海纳百川",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=12))
def test_only_the_reported_matches_change(parts: list[str]) -> None:
    text = "".join(parts)
    marker = "\x00"  # never in the generated text, so splitting on it is exact
    text = text.replace(marker, "")

    result = redact(text, names=["mock-alpha"], marker=marker)

    pieces = result.text.split(marker)
    assert len(pieces) == result.count + 1 == len(result.matches) + 1
    rebuilt = pieces[0] + "".join(
        match + piece for match, piece in zip(result.matches, pieces[1:], strict=True)
    )
    assert rebuilt == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12))
def test_redacted_text_has_nothing_left_to_redact(parts: list[str]) -> None:
    once = redact("".join(parts), names=["mock-alpha"])

    assert redact(once.text, names=["mock-alpha"]).count == 0
