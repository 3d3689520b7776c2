"""A statistic's notes on the dashboards, in the page's language; the API keeps them English."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from llmruns.analysis.labels import note_label
from llmruns.analysis.results import fallback_notes
from llmruns.stats.mixed_model import _formula_and_notes
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
