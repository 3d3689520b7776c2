"""The shortcuts of redaction (tests that skip a stage, scans that skip characters) change
nothing: on the sentences of the other redaction tests, the benchmark's work samples and
generated texts, redaction with every shortcut disabled (one pattern of names for every text,
the phrase grammar tried at every character, every pattern run) finds the same spans.

A shortcut that skips too much ("you" left out of the words a phrase may start with, a dash
left out of the marks of a signature) makes a text here come out differently.
"""

from __future__ import annotations

import ast
import random
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings import redaction, self_introduction
from ratings.redaction import redact

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent.parent
CALLER_NAMES = ("Zephyrion-Ultra", "zq-omega-2031-01-01", "Quillfeather Labs", "Borealis-Max")


def _string_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip()
    ]


def _tsv_sentences(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[-1] for line in lines if line.strip() and not line.startswith("#")]


def _benchmark_samples(count: int) -> list[str]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_redaction
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    chooser = random.Random(20260101)
    return [bench_redaction.work_sample(chooser, index) for index in range(count)]


# A text that ends with each form of signature, and with each form of "X here".
SIGNED = [
    f"The plan is ready.\n{mark}Zorblax"
    for mark in ("— ", "—— ", "– ", "― ", "-- ", "(signed) ", "[signed] ", "/s/ ", "Signed: ")
] + ["The plan is ready. Signature: Zorblax", "Zorblax here, with the plan."]
# Chinese text with Latin-script words that hold a name inside them ("xChatGPT", "Yield").
MIXED = [
    "用户名是xChatGPT和openaiClaude，我是灵犀大模型。",
    "Yield曲线说明了问题，作为文心一言，我建议先列出预算。",
    "claudication是一种病症，由百度开发的模型会这样解释。",
]
SENTENCES = sorted(
    {
        *SIGNED,
        *MIXED,
        *_string_literals(TESTS / "test_redaction.py"),
        *_string_literals(TESTS / "test_self_introduction.py"),
        *_tsv_sentences(TESTS / "data" / "self_identification.tsv"),
        *_tsv_sentences(TESTS / "data" / "ordinary.tsv"),
    }
)
SAMPLES = _benchmark_samples(60)

# Pieces of self-introductions, names, signatures and ordinary prose, joined at random.
FRAGMENTS = [
    "As ",
    "as ",
    "I am ",
    "I'm ",
    "I’m ",
    "My name is ",
    "This is ",
    "this is ",
    "You're talking to ",
    "you are chatting with ",
    "I was developed by ",
    "I was trained by ",
    "Hi! ",
    "Hello, ",
    "Greetings from ",
    "call me ",
    "I, ",
    "ChatGPT",
    "Claude",
    "Spark",
    "Step-2",
    "Step",
    "Gemini",
    "OpenAI",
    "Google",
    "Anthropic",
    "Zorblax",
    "zq-7b",
    "Quillfeather Labs",
    "Zephyrion-Ultra",
    "Jean-Claude",
    "Vorbler-7B",
    "-8x7B",
    "Room-12B",
    "I am the ",
    " assistant",
    " here",
    " at your service",
    ", ",
    ". ",
    "! ",
    " ",
    "\n",
    "'s ",
    "a large language model",
    " developed by ",
    " made by ",
    " by ",
    " from ",
    "(an AI assistant)",
    "— ",
    "-- ",
    "– ",
    "(signed) ",
    "Signed: ",
    "/s/ ",
    "Best regards,\n",
    "Cheers, ",
    "such as ",
    "I would plan the budget",
    "the first step is to read the brief",
    "我是",
    "我叫",
    "作为",
    "身为",
    "这里是",
    "本人是",
    "由",
    "开发的",
    "来自",
    "讯飞星火",
    "星火",
    "文心一言",
    "百度",
    "灵犀",
    "大模型",
    "AI助手",
    "，",
    "。",
    "为您服务",
    "本助手（",
    "本系统(",
    "）",
    "此致\n敬礼\n",
    "——",
    "我会先准备好所有食材",
    "Ｃｈａｔ",
    "ß",
    "\ue000",
    "\ue002",
]


def _with_every_shortcut_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction._NameFinder, "pattern_for", lambda self, folded: self.pattern)
    # Any character may start a phrase: the grammar is tried at every position of a window.
    monkeypatch.setattr(redaction, "_PHRASE_START", re.compile(r"(?s)."))
    monkeypatch.setattr(redaction, "_as_it_is", redaction._disarm)
    monkeypatch.setattr(self_introduction, "_may_hold_here", lambda text: True)
    monkeypatch.setattr(self_introduction, "_may_hold_signature_mark", lambda text, start: True)


def _redactions(texts: list[str]) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    results = [redact(text, names=CALLER_NAMES) for text in texts]
    return [(result.text, result.matches, result.kinds) for result in results]


def _same_with_and_without_shortcuts(texts: list[str]) -> None:
    fast = _redactions(texts)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _with_every_shortcut_disabled(monkeypatch)
        full = _redactions(texts)
    different = [(text, f, g) for text, f, g in zip(texts, fast, full, strict=True) if f != g]
    assert different == []


def test_the_sentences_of_the_redaction_tests_come_out_the_same_without_shortcuts() -> None:
    assert len(SENTENCES) > 500
    _same_with_and_without_shortcuts(SENTENCES)


def test_the_benchmark_samples_come_out_the_same_without_shortcuts() -> None:
    _same_with_and_without_shortcuts(SAMPLES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14).map("".join))
def test_generated_texts_come_out_the_same_without_shortcuts(text: str) -> None:
    _same_with_and_without_shortcuts([text])


def test_each_fast_test_lets_through_every_text_its_pattern_matches() -> None:
    texts = [*SENTENCES, *SAMPLES]
    for text in texts:
        if not self_introduction._may_hold_here(text):
            assert self_introduction._HERE.search(text) is None, text
        for start in (0, max(0, len(text) - self_introduction._SIGN_OFF_REACH)):
            if not self_introduction._may_hold_signature_mark(text, start):
                assert self_introduction._SIGNATURE_EN.search(text, start) is None, text
    # The tests above would prove nothing if no text reached the patterns.
    assert any(self_introduction._HERE.search(text) for text in texts)
    assert all(self_introduction._SIGNATURE_EN.search(text) for text in SIGNED[:-1])


@given(
    st.text(
        alphabet=st.sampled_from(list("aZ ，：！（ﬁ①ＡßİΣς") + ["\u0301", "文", "\ue000"]),
        max_size=40,
    )
)
def test_folding_a_text_at_once_equals_folding_each_character(text: str) -> None:
    folded, origins = redaction._fold_with_origins(text)
    by_character = "".join(redaction._fold_char(char) for char in text)
    assert folded == by_character
    if origins is not None:
        assert [text[index] for index in origins] == [
            char for char in text for _ in redaction._fold_char(char)
        ]
