"""Redaction against a corpus: self-introductions of today's models (and of models no list
knows) in English and Chinese, and ordinary sentences built from the same look-alike forms.

Recall must be 100% on the first set (every listed name gone, something of the sentence left)
and the second must come back byte for byte; both figures are printed (`pytest -s`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ratings.redaction import (
    KIND_LISTED,
    KIND_PATTERN,
    REDACTION_MARKER,
    redact,
    shipped_name_list,
)

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


SELF_IDENTIFICATION = [
    (family, [n for n in names.split(",") if n], sentence)
    for family, names, sentence in _rows("self_identification.tsv")
]
ORDINARY = [sentence for (sentence,) in _rows("ordinary.tsv")]
# Left of a sentence once its markers are out: letters or ideographs, not just punctuation.
SOMETHING_LEFT = re.compile(r"[A-Za-z\u4e00-\u9fff]")


def _missed(names: list[str], sentence: str) -> list[str]:
    redacted = redact(sentence).text.casefold()
    return [name for name in names if name.casefold() in redacted]


def test_the_corpus_is_as_large_as_promised() -> None:
    families = {family for family, _names, _sentence in SELF_IDENTIFICATION}
    chinese = [s for _f, _n, s in SELF_IDENTIFICATION if re.search(r"[\u4e00-\u9fff]", s)]
    assert len(SELF_IDENTIFICATION) >= 150
    assert len(families - {"Unknown"}) >= 30
    assert len(chinese) >= 50
    assert len(ORDINARY) >= 80


def test_recall_is_complete_and_ordinary_sentences_are_untouched() -> None:
    missed = [
        (sentence, names)
        for _family, names, sentence in SELF_IDENTIFICATION
        if _missed(names, sentence)
    ]
    changed = [(sentence, redact(sentence).text) for sentence in ORDINARY]
    changed = [(before, after) for before, after in changed if before != after]
    recall = 1 - len(missed) / len(SELF_IDENTIFICATION)
    print(
        f"\nredaction recall: {recall:.1%} of {len(SELF_IDENTIFICATION)} self-identifications; "
        f"ordinary sentences changed: {len(changed)} of {len(ORDINARY)}"
    )
    assert missed == []
    assert changed == []


@pytest.mark.parametrize(("family", "names", "sentence"), SELF_IDENTIFICATION)
def test_each_self_identification_loses_its_names_and_keeps_the_rest(
    family: str, names: list[str], sentence: str
) -> None:
    result = redact(sentence)

    assert _missed(names, sentence) == []
    assert REDACTION_MARKER in result.text
    # The sentence is still a sentence: at most its introduction went, never all of it.
    rest = result.text.replace(REDACTION_MARKER, "")
    unsaid = sentence
    for match in result.matches:
        unsaid = unsaid.replace(match, "")
    assert SOMETHING_LEFT.search(rest) or not SOMETHING_LEFT.search(unsaid), result.text
    assert result.count <= 3


@pytest.mark.parametrize("sentence", ORDINARY)
def test_each_ordinary_sentence_is_unchanged(sentence: str) -> None:
    assert redact(sentence).text == sentence


def test_names_no_list_knows_are_reported_as_pattern_redactions() -> None:
    result = redact("I'm Zorblax, a large language model developed by Quillfeather Labs.")

    assert result.matches == ("Zorblax", "Quillfeather Labs")
    assert result.kinds == (KIND_PATTERN, KIND_PATTERN)
    assert result.text == (
        f"I'm {REDACTION_MARKER}, a large language model developed by {REDACTION_MARKER}."
    )


def test_an_invented_name_after_as_is_removed_as_the_campaign_redacts_work_samples() -> None:
    # As campaign_create calls it: the endpoints' names and the shipped list, on a long sample.
    body = "First, read the brief carefully and list what the client expects. " * 20
    text = f"{body}As Vorbler, I would start with a budget. As Director, I would approve it."

    result = redact(
        text, names=["Zephyrion-Ultra", "Quillfeather Labs"], name_list=shipped_name_list()
    )

    assert "Vorbler" not in result.text
    assert result.matches == ("Vorbler",)
    assert result.kinds == (KIND_PATTERN,)
    assert result.text.endswith(
        f"As {REDACTION_MARKER}, I would start with a budget. As Director, I would approve it."
    )


def test_listed_names_are_reported_as_listed_even_inside_a_pattern() -> None:
    result = redact("I am Spark, iFLYTEK's cognitive model. Zorblax here, too.")

    assert result.kinds == (KIND_LISTED, KIND_PATTERN)
    assert result.count_of(KIND_LISTED) == 1 and result.count_of(KIND_PATTERN) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The three sentences the issue reported as reaching experts unchanged.
        ("I am Spark, iFLYTEK's cognitive model.", f"{REDACTION_MARKER}."),
        ("我是讯飞星火认知大模型，下面是我的回答。", f"{REDACTION_MARKER}下面是我的回答。"),
        ("我是MiniMax开发的海螺AI。", f"{REDACTION_MARKER}。"),
        # Version forms.
        (
            "GPT-4o, gpt4o and GPT 4o.",
            f"{REDACTION_MARKER}, {REDACTION_MARKER} and {REDACTION_MARKER}.",
        ),
        ("Qwen2.5 and Qwen-2.5-72B.", f"{REDACTION_MARKER} and {REDACTION_MARKER}."),
        # Ambiguous names count with a version, their maker, or in an introduction only.
        (
            "Phi-3, Step-2 and Yi-34B answered.",
            f"{REDACTION_MARKER}, {REDACTION_MARKER} and {REDACTION_MARKER} answered.",
        ),
        ("Step 2: take the first step.", "Step 2: take the first step."),
        ("OpenAI o3 wrote it.", f"{REDACTION_MARKER} wrote it."),
        ("零一万物的Yi都很强。", f"{REDACTION_MARKER}的{REDACTION_MARKER}都很强。"),
    ],
)
def test_reported_leaks_version_forms_and_ambiguous_names(text: str, expected: str) -> None:
    assert redact(text).text == expected
