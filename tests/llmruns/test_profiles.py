"""Interest profiles per endpoint x language, and the English-Chinese comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from careers.scoring import AREAS
from llmruns.stats.profiles import interest_profiles, language_differences


def replication_rows(
    endpoint: str, language: str, replication: int, value_by_area: dict[str, float]
) -> list[dict]:
    """One respondent answering all 60 items, every item of an area with the same value."""
    return [
        {
            "endpoint": endpoint,
            "language": language,
            "item": area_index * 10 + position + 1,
            "area": area,
            "replication": replication,
            "value": value_by_area[area],
        }
        for area_index, area in enumerate(AREAS)
        for position in range(10)
    ]


BASE = {"R": 1.0, "I": 2.0, "A": 4.0, "S": 5.0, "E": 3.0, "C": 2.0}


@pytest.fixture
def interest() -> pd.DataFrame:
    rows = replication_rows("m1", "en", 0, BASE)
    rows += replication_rows("m1", "en", 1, BASE | {"A": 5.0})
    third = replication_rows("m1", "en", 2, BASE | {"A": 3.0})
    # Item 21 is the first A item: a refused answer makes this respondent incomplete.
    next(row for row in third if row["item"] == 21)["value"] = np.nan
    rows += third
    # zh-hans: I, A and E share second place; one C item (51) was never recorded.
    chinese = replication_rows("m1", "zh-hans", 0, {"R": 2, "I": 4, "A": 4, "S": 5, "E": 4, "C": 1})
    rows += [row for row in chinese if row["item"] != 51]
    return pd.DataFrame(rows)


def area_row(areas: pd.DataFrame, language: str, area: str) -> pd.Series:
    selected = areas[(areas["language"] == language) & (areas["area"] == area)]
    assert len(selected) == 1
    return selected.iloc[0]


def test_area_mean_sd_and_t_interval_are_over_respondent_means(interest):
    areas = interest_profiles(interest).areas

    artistic = area_row(areas, "en", "A")
    # respondent means 4, 5 and 3 (the third over its 9 answered items)
    assert artistic["n_respondents"] == 3
    assert artistic["mean"] == pytest.approx(4.0)
    assert artistic["sd"] == pytest.approx(1.0)
    # t(0.975, df=2) = 4.302653; half width = 4.302653 * 1 / sqrt(3)
    assert artistic["ci_low"] == pytest.approx(4.0 - 2.484138, abs=1e-6)
    assert artistic["ci_high"] == pytest.approx(4.0 + 2.484138, abs=1e-6)


def test_area_score_is_averaged_over_complete_respondents_only(interest):
    areas = interest_profiles(interest).areas

    artistic = area_row(areas, "en", "A")
    # complete respondents score 10 * (4 - 1) = 30 and 10 * (5 - 1) = 40
    assert artistic["n_complete"] == 2
    assert artistic["mean_score"] == pytest.approx(35.0)
    social = area_row(areas, "en", "S")
    assert social["mean_score"] == pytest.approx(40.0)
    assert social["sd"] == pytest.approx(0.0)
    chinese_social = area_row(areas, "zh-hans", "S")
    assert chinese_social["n_complete"] == 0
    assert math.isnan(chinese_social["mean_score"])
    assert chinese_social["mean"] == pytest.approx(5.0)


def test_single_respondent_has_no_sd_or_interval(interest):
    chinese_realistic = area_row(interest_profiles(interest).areas, "zh-hans", "R")

    assert chinese_realistic["n_respondents"] == 1
    assert math.isnan(chinese_realistic["sd"])
    assert math.isnan(chinese_realistic["ci_low"])


def test_areas_are_listed_in_riasec_order(interest):
    areas = interest_profiles(interest).areas

    assert areas.loc[areas["language"] == "en", "area"].tolist() == list(AREAS)


def test_holland_code_comes_from_area_means_and_reports_ties(interest):
    holland = interest_profiles(interest).holland.set_index("language")

    assert holland.loc["en", "code"] == "SAE"
    assert holland.loc["en", "ties"] == []
    assert not holland.loc["en", "ambiguous"]
    assert holland.loc["zh-hans", "code"] == "SIA"
    assert holland.loc["zh-hans", "ties"] == [["I", "A", "E"]]
    assert holland.loc["zh-hans", "ambiguous"]


def test_exclusions_name_invalid_answers_and_incomplete_respondents(interest):
    exclusions = interest_profiles(interest).exclusions
    english = exclusions[exclusions["language"] == "en"]

    invalid = english[english["reason"] == "invalid or refused answer"]
    assert invalid[["area", "n_answers", "n_respondents", "excluded_from"]].values.tolist() == [
        ["A", 1, 1, "means and scores"]
    ]
    incomplete = english[english["reason"] == "incomplete respondent"].set_index("area")
    assert incomplete.index.tolist() == list(AREAS)
    # the incomplete respondent's valid answers are left out of the scores only
    assert incomplete.loc["A", "n_answers"] == 9
    assert incomplete.loc["R", "n_answers"] == 10
    assert set(incomplete["n_respondents"]) == {1}
    assert set(incomplete["excluded_from"]) == {"scores"}


def test_unrecorded_item_is_counted_as_missing_answer(interest):
    exclusions = interest_profiles(interest).exclusions
    chinese = exclusions[exclusions["language"] == "zh-hans"]

    missing = chinese[chinese["reason"] == "no answer recorded"]
    assert missing[["area", "n_answers", "n_respondents"]].values.tolist() == [["C", 1, 1]]
    assert set(chinese["reason"]) == {"no answer recorded", "incomplete respondent"}


def test_nothing_excluded_gives_no_exclusion_rows():
    interest = pd.DataFrame(replication_rows("m1", "en", 0, BASE))

    assert interest_profiles(interest).exclusions.empty


def test_duplicate_answer_for_one_trial_is_rejected(interest):
    duplicated = pd.concat([interest, interest.iloc[[0]]], ignore_index=True)

    with pytest.raises(ValueError, match="more than one answer"):
        interest_profiles(duplicated)


def comparison_rows() -> pd.DataFrame:
    rows = []

    def add(language: str, item: int, values: list[float]) -> None:
        for replication, value in enumerate(values):
            rows.append(
                {
                    "endpoint": "m1",
                    "language": language,
                    "item": item,
                    "area": "R",
                    "replication": replication,
                    "value": value,
                }
            )

    add("en", 1, [2.0, 4.0])  # mean 3
    add("en", 2, [1.0, 1.0])  # mean 1
    add("en", 3, [2.0, np.nan])  # mean 2; the refused answer is left out
    add("en", 4, [5.0, 5.0])  # no Chinese answer: unpaired
    add("zh-hans", 1, [4.0, 4.0])  # mean 4, difference 1
    add("zh-hans", 2, [3.0, 3.0])  # mean 3, difference 2
    add("zh-hans", 3, [5.0, 5.0])  # mean 5, difference 3
    return pd.DataFrame(rows)


def test_language_difference_pairs_item_means_across_languages():
    differences = language_differences(comparison_rows()).set_index("area")

    realistic = differences.loc["R"]
    assert realistic["mean_a"] == pytest.approx(2.0)
    assert realistic["mean_b"] == pytest.approx(4.0)
    assert realistic["difference"] == pytest.approx(2.0)
    assert realistic["n_items"] == 3
    assert realistic["n_unpaired_items"] == 1
    assert realistic["n_invalid_answers"] == 1
    # differences 1, 2, 3: all positive, exact two-sided p = 2 / 2**3
    assert realistic["wilcoxon_p"] == pytest.approx(0.25)
    # t = 2 / (1 / sqrt(3)) with 2 df: two-sided p = 1 - t / sqrt(2 + t**2) = 1 - sqrt(12 / 14)
    assert realistic["t_p"] == pytest.approx(1 - math.sqrt(12 / 14))


def test_area_without_items_in_both_languages_has_no_test():
    differences = language_differences(comparison_rows()).set_index("area")

    social = differences.loc["S"]
    assert social["n_items"] == 0
    assert social["wilcoxon_p"] is None
    assert social["difference"] is None
    assert "both en and zh-hans" in social["note"]


def test_language_absent_from_data_is_rejected_with_available_languages():
    with pytest.raises(ValueError, match="available: en, zh-hans"):
        language_differences(comparison_rows(), b="fr")


def test_an_item_whose_trial_has_no_answer_is_left_to_the_callers_reason(interest):
    # zh-hans item 51 has a trial that failed: the caller counts it by its status, so it is no
    # longer "no answer recorded"; the respondent is still incomplete.
    unanswered = pd.DataFrame(
        [{"endpoint": "m1", "language": "zh-hans", "item": 51, "area": "C", "replication": 0}]
    )
    exclusions = interest_profiles(interest, unanswered=unanswered).exclusions
    chinese = exclusions[exclusions["language"] == "zh-hans"]

    assert set(chinese["reason"]) == {"incomplete respondent"}
    assert chinese.loc[chinese["area"] == "C", "n_answers"].tolist() == [9]
