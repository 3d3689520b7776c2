"""A statistic's notes on the dashboards, in the page's language; the API keeps them English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

import llmruns.stats
from llmruns.analysis.labels import note_label
from llmruns.analysis.results import fallback_notes
from llmruns.stats.mixed_model import _formula_and_notes
from llmruns.stats.profiles import INCOMPLETE_RESPONDENT, INVALID_ANSWER, NO_ANSWER_RECORDED
from llmruns.stats.reliability import ICC_DESCRIPTIONS
from tests.llmruns.test_diagnostics_api import add_trials
from tests.ratings.stats_builders import make_endpoint, make_run, make_trials

LANGUAGE_NOTE = "language differences need answers in both en and zh-hans"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_the_profile_dashboard_shows_its_notes_in_the_page_language(instrument, researcher):
    endpoint = make_endpoint("Model-A")
    run = make_run(instrument, [endpoint], kinds=("interest",))  # English only
    make_trials(
        run,
        kind="interest",
        values={("Model-A", "en", item, 1): 1 + item % 5 for item in range(1, 61)},
        endpoints={"Model-A": endpoint},
    )
    client = Client()
    client.force_login(researcher)
    url = f"/dashboards/runs/{run.pk}/profile/"
    assert f"<li>{LANGUAGE_NOTE}</li>" in client.get(url).content.decode()

    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url).content.decode()
    assert "<li>语言差异需要 en 和 zh-hans 两种语言的回答</li>" in chinese
    assert LANGUAGE_NOTE not in chinese

    # The API keeps the English note, whatever the language.
    body = client.get(f"/api/v1/runs/{run.pk}/profiles/").json()
    assert LANGUAGE_NOTE in body["notes"]


def test_notes_with_figures_and_names_are_translated_around_them():
    answered = pd.DataFrame(
        {"endpoint": ["Model A", "Model A", "B"], "method_fallback": ["verbal", "verbal", None]}
    )
    [fallback] = fallback_notes(answered, method="structured", what="interest")
    factors = pd.DataFrame(
        {
            factor: pd.Categorical(levels)
            for factor, levels in {
                "area": ["R", "I"],
                "language": ["en", "en"],
                "endpoint": ["m1", "m2"],
            }.items()
        }
    )
    _formula, _levels, [dropped] = _formula_and_notes(factors)
    comparison = (
        "the method comparison leaves out interest trials asked with a fallback method: "
        "Model A structured asked verbal (2 trials); B logprobs asked verbal (1 trials)"
    )
    english = [fallback, dropped, "3 invalid or refused answer(s) excluded", comparison]
    with translation.override("en"):
        assert [note_label(note) for note in english] == english
    with translation.override("zh-hans"):
        assert [note_label(note) for note in english] == [
            "Model A 的 2 个兴趣回答以 verbal 代替 structured 提问（见导出中的 method_fallback）",
            "只有一个 language（en）：模型中去掉了 language 及其交互项",
            "排除了 3 个无效或被拒绝的回答",
            "方法比较不计入以回退方法提问的兴趣试次：Model A structured 以 verbal 提问（2 个试次）; "
            "B logprobs 以 verbal 提问（1 个试次）",
        ]
        assert note_label("a note nobody labelled") == "a note nobody labelled"


def test_a_table_rows_joined_notes_are_each_translated():
    """A group's note joins the undefined tests' notes with "; " (`ratings.stats.discrepancy`);
    the notes are the ones the tests write, with their figures."""
    import numpy as np

    from llmruns.stats.inference import paired_t_test, rank_correlation, signed_rank_test

    _rho, _p, few = rank_correlation(np.array([1.0]), np.array([2.0]))
    _wilcoxon, one_difference = signed_rank_test(np.array([1.0, 0.0]))
    _t, equal = paired_t_test(np.array([1.0, 2.0]), np.array([2.0, 3.0]))
    joined = f"{few}; {one_difference}"
    with translation.override("en"):
        assert note_label(joined) == joined
    with translation.override("zh-hans"):
        assert note_label(joined) == (
            "Spearman's rho 无定义：至少需要 2 个题目，实际只有 1 个; "
            "Wilcoxon 检验无定义：至少需要 2 个非零差值，实际只有 1 个"
        )
        assert note_label(equal) == "配对 t 检验无定义：所有差值都相等"


@pytest.mark.django_db
def test_the_diagnostics_dashboard_shows_its_notes_in_the_page_language(instrument, researcher):
    """Model-A answers four replications, Model-B one (a single respondent), with every answer 3:
    the reliability coefficients, the ICCs, the response-style interval and the scale-direction
    effect are undefined or degenerate, each with its note."""
    a, b = make_endpoint("Model-A"), make_endpoint("Model-B")
    run = make_run(instrument, [a, b], kinds=("interest",), replications=4)
    for replication in (1, 2, 3, 4):
        add_trials(
            run,
            a,
            [(item, replication, 2 + item % 3, "ok") for item in range(1, 13)],
            scale_reversed=replication % 2 == 0,
        )
    add_trials(run, b, [(item, 1, 3, "ok") for item in range(1, 61)])
    client = Client()
    client.force_login(researcher)
    url = f"/dashboards/runs/{run.pk}/diagnostics/"
    english_notes = [
        # Internal consistency: alpha's and omega's notes, joined.
        "alpha undefined: needs at least 2 complete respondents, found 1; "
        "omega undefined: needs at least 3 complete respondents, found 1",
        "alpha undefined: the total score has no variance; "
        "omega undefined: an item has the same answer from every respondent",
        # Stability.
        "ICC undefined: needs at least 2 items answered by at least 2 replications, found 60 x 1",
        "ICC undefined: needs at least 2 items answered by at least 2 templates, found 12 x 1",
        # Response styles.
        "interval undefined: needs at least 2 respondents",
        # Presentation effects.
        "paired t test undefined: every item differs by the same amount; "
        "compared within the same template",
    ]
    english = client.get(url).content.decode()
    for note in english_notes:
        assert f"<td>{note}</td>" in english

    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url).content.decode()
    for note in [
        "alpha 无定义：至少需要 2 个完整答题者，实际只有 1 个; "
        "omega 无定义：至少需要 3 个完整答题者，实际只有 1 个",
        "alpha 无定义：总分没有变异; omega 无定义：有一道题目所有答题者的回答都相同",
        "ICC 无定义：至少需要 2 个题目、每题至少有 2 次重复的回答，实际为 60 × 1",
        "ICC 无定义：至少需要 2 个题目、每题至少有 2 个模板的回答，实际为 12 × 1",
        "置信区间无定义：至少需要 2 个答题者",
        "配对 t 检验无定义：每道题目的差值都相同; 在同一模板内比较",
    ]:
        assert f"<td>{note}</td>" in chinese
    for fragment in ("undefined", "compared within"):
        assert fragment not in chinese

    # The API keeps the English notes, whatever the language.
    body = client.get(f"/api/v1/runs/{run.pk}/diagnostics/").json()
    served = {
        row["note"]
        for table in ("consistency", "stability", "response_styles", "presentation_effects")
        for row in body[table]
    }
    assert set(english_notes) <= served


def test_a_note_that_holds_a_semicolon_is_one_note_among_joined_ones():
    heywood = "a communality reached its bound (Heywood case); omega may be overestimated"
    joined = f"2 bootstrap replicate(s) undefined and left out of an interval; {heywood}"
    with translation.override("zh-hans"):
        assert note_label(heywood) == "有一个共同度达到了上限（Heywood 情形）；omega 可能被高估"
        assert note_label(joined) == (
            "2 个自助法重抽样结果无定义，未计入置信区间; "
            "有一个共同度达到了上限（Heywood 情形）；omega 可能被高估"
        )
        # A campaign note's reason does not swallow the notes joined after it.
        assert note_label("alpha undefined: needs at least 2 items, found 1; no variation") == (
            "alpha 无定义：至少需要 2 个题目，实际只有 1 个; 没有变异"
        )


# The sentences of the run statistics (`llmruns.stats`) that are not notes: ICC descriptions,
# exclusion reasons (`exclusion_label`), model terms, and the fitting library's own warnings,
# which are shown as they are. (The names of effects and contrasts are labelled like notes.)
NOT_NOTES = {
    *ICC_DESCRIPTIONS.values(),
    INVALID_ANSWER,
    NO_ANSWER_RECORDED,
    INCOMPLETE_RESPONDENT,
    "means and scores",
    "interest value",
    "item intercept",
    "f'value ~ {right_hand_side}'",
    "f'{warning.category.__name__}: {warning.message}'",
}
# The notes with figures and names, as the code writes them: each with the notes it can give.
NOTE_SAMPLES = {
    "f'template {variant} - template {variants[0]}'": ["template 2 - template 1"],
    "f\"{name} ties {' = '.join(group)}\"": ["verbal ties R = I", "structured ties A = S = E"],
    "f'{excluded} item(s) without an answer from every judge left out'": [
        "3 item(s) without an answer from every judge left out"
    ],
    "f'compared within the same {other}'": [
        "compared within the same template",
        "compared within the same scale direction",
    ],
    "f'{effect} and {other} are confounded in this design'": [
        "scale direction and template are confounded in this design",
        "template and scale direction are confounded in this design",
    ],
    "f'{coefficient.undefined_replicates} bootstrap replicate(s) undefined and left out of an "
    "interval'": ["7 bootstrap replicate(s) undefined and left out of an interval"],
    "f\"ICC undefined: needs at least 2 items answered by at least 2 {('replications' if facet "
    "== 'replication' else 'templates')}, found {complete.shape[0]} x {complete.shape[1]}\"": [
        "ICC undefined: needs at least 2 items answered by at least 2 replications, found 60 x 1",
        "ICC undefined: needs at least 2 items answered by at least 2 templates, found 1 x 3",
    ],
    'f"Spearman\'s p undefined for {first.size} items"': ["Spearman's p undefined for 3 items"],
    "f'Wilcoxon test undefined: needs at least {MIN_NONZERO_DIFFERENCES_FOR_WILCOXON} non-zero "
    "differences, found {nonzero}'": [
        "Wilcoxon test undefined: needs at least 2 non-zero differences, found 1"
    ],
    "f'paired t-test undefined: needs at least 2 pairs, found {differences.size}'": [
        "paired t-test undefined: needs at least 2 pairs, found 1"
    ],
    'f"Spearman\'s rho undefined: needs at least 2 items, found {first.size}"': [
        "Spearman's rho undefined: needs at least 2 items, found 1"
    ],
    "f'{n_excluded} invalid or refused answer(s) excluded'": [
        "4 invalid or refused answer(s) excluded"
    ],
    "f'only one {factor} ({levels[0]}): {factor} and its interactions are dropped from the "
    "model'": ["only one language (en): language and its interactions are dropped from the model"],
    "f'no item has answers in both {a} and {b}'": ["no item has answers in both en and zh-hans"],
    "f'alpha undefined: needs at least 2 items, found {k}'": [
        "alpha undefined: needs at least 2 items, found 1"
    ],
    "f'alpha undefined: needs at least 2 complete respondents, found {n}'": [
        "alpha undefined: needs at least 2 complete respondents, found 1"
    ],
    "f'omega undefined: needs at least 2 items, found {k}'": [
        "omega undefined: needs at least 2 items, found 1"
    ],
    "f'omega undefined: needs at least 3 complete respondents, found {n}'": [
        "omega undefined: needs at least 3 complete respondents, found 2"
    ],
}


def _sentences(path: Path) -> list[tuple[int, str, ast.AST]]:
    """Every string and f-string of a module with a space in its text, but docstrings, the
    messages of the errors it raises and the parts of f-strings."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))
        if isinstance(node, (ast.Raise, ast.JoinedStr)):
            skipped.update(id(sub) for sub in ast.walk(node) if sub is not node)
    sentences = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and " " in node.value.strip()
        ):
            sentences.append((node.lineno, node.value, node))
        elif isinstance(node, ast.JoinedStr) and any(
            isinstance(part, ast.Constant) and " " in part.value for part in node.values
        ):
            sentences.append((node.lineno, ast.unparse(node), node))
    return sentences


def _template(node: ast.JoinedStr) -> re.Pattern:
    """The f-string as a pattern: its text, anything in place of its fields."""
    parts = [
        re.escape(part.value) if isinstance(part, ast.Constant) else ".+" for part in node.values
    ]
    return re.compile("".join(parts))


def test_every_note_of_the_run_statistics_has_a_label():
    """A new note in `llmruns.stats` fails here until it has a label (and a sample, when it has
    figures or names), or is listed as not a note."""
    unlabelled = []
    stats_dir = Path(llmruns.stats.__file__).parent
    for path in sorted(stats_dir.glob("*.py")):
        for line, sentence, node in _sentences(path):
            if sentence in NOT_NOTES:
                continue
            where = f"{path.name}:{line}"
            if isinstance(node, ast.JoinedStr):
                assert sentence in NOTE_SAMPLES, f"{where}: a sample of {sentence} is missing"
                samples = NOTE_SAMPLES[sentence]
                for sample in samples:
                    assert _template(node).fullmatch(sample), f"{where}: {sample!r}"
            else:
                samples = [sentence]
            with translation.override("zh-hans"):
                unlabelled += [
                    f"{where}: {sample}"
                    for sample in samples
                    if note_label(sample) == sample
                    or re.search("[a-z]{3} [a-z]{3}", note_label(sample))
                ]
    assert unlabelled == []
