"""Scoring rules of the interest scale: area scores and the Holland code."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from careers.scoring import AREAS, area_scores, holland_code


def respondent_rows(respondent: object, values_by_area: dict[str, list[float]]) -> list[dict]:
    """Rows of one respondent; items are numbered area by area, 1-10 for R, 11-20 for I, ..."""
    rows = []
    for area_index, area in enumerate(AREAS):
        for position, value in enumerate(values_by_area[area]):
            rows.append(
                {
                    "respondent": respondent,
                    "item": area_index * 10 + position + 1,
                    "area": area,
                    "value": value,
                }
            )
    return rows


def uniform(value: float) -> list[float]:
    return [value] * 10


MIXED_PROFILE = {
    "R": uniform(5.0),
    "I": uniform(1.0),
    "A": [1.0, 2.0, 3.0, 4.0, 5.0, 1.0, 2.0, 3.0, 4.0, 5.0],
    "S": uniform(4.0),
    "E": uniform(2.0),
    "C": [3.0] * 9 + [4.0],
}


def test_complete_respondent_gets_area_scores_from_zero_to_forty():
    scores = area_scores(pd.DataFrame(respondent_rows("r1", MIXED_PROFILE)))

    row = scores.iloc[0]
    assert bool(row["complete"]) is True
    assert row["n_answered"] == 60
    # sum of (value - 1): R 10*4, I 10*0, A 2*(0+1+2+3+4), S 10*3, E 10*1, C 9*2 + 3
    assert row["score_R"] == 40
    assert row["score_I"] == 0
    assert row["score_A"] == 20
    assert row["score_S"] == 30
    assert row["score_E"] == 10
    assert row["score_C"] == 21
    assert row["mean_A"] == pytest.approx(3.0)
    assert row["mean_C"] == pytest.approx(3.1)


def test_invalid_answer_makes_respondent_incomplete_without_scores_but_keeps_means():
    profile = dict(MIXED_PROFILE)
    profile["S"] = [np.nan] + [4.0] * 8 + [2.0]

    row = area_scores(pd.DataFrame(respondent_rows("r1", profile))).iloc[0]

    assert bool(row["complete"]) is False
    assert row["n_answered"] == 59
    for area in AREAS:
        assert math.isnan(row[f"score_{area}"])
    # mean over the 9 answered S items: (8*4 + 2) / 9
    assert row["mean_S"] == pytest.approx(34 / 9)
    assert row["mean_R"] == pytest.approx(5.0)


def test_item_without_any_row_counts_as_unanswered():
    rows = respondent_rows("r1", MIXED_PROFILE)
    rows = [row for row in rows if row["item"] != 1]

    row = area_scores(pd.DataFrame(rows)).iloc[0]

    assert bool(row["complete"]) is False
    assert row["n_answered"] == 59
    assert math.isnan(row["score_R"])
    assert row["mean_R"] == pytest.approx(5.0)


def test_area_without_answers_has_no_mean():
    profile = dict(MIXED_PROFILE)
    profile["E"] = uniform(np.nan)

    row = area_scores(pd.DataFrame(respondent_rows("r1", profile))).iloc[0]

    assert math.isnan(row["mean_E"])
    assert row["n_answered"] == 50


def test_each_respondent_is_scored_separately_in_order_of_appearance():
    incomplete = dict(MIXED_PROFILE)
    incomplete["R"] = uniform(np.nan)
    rows = respondent_rows(("gpt", 2), uniform_profile(2.0)) + respondent_rows(
        ("gpt", 1), incomplete
    )

    scores = area_scores(pd.DataFrame(rows))

    assert scores["respondent"].tolist() == [("gpt", 2), ("gpt", 1)]
    assert scores["complete"].tolist() == [True, False]
    assert scores["score_S"].iloc[0] == 10
    assert math.isnan(scores["score_S"].iloc[1])
    assert scores["n_answered"].tolist() == [60, 50]


def uniform_profile(value: float) -> dict[str, list[float]]:
    return {area: uniform(value) for area in AREAS}


def test_value_outside_the_scale_is_rejected_not_clipped():
    rows = respondent_rows("r1", MIXED_PROFILE)
    rows[0]["value"] = 6.0

    with pytest.raises(ValueError, match="between 1 and 5"):
        area_scores(pd.DataFrame(rows))


def test_unknown_area_is_rejected():
    rows = respondent_rows("r1", MIXED_PROFILE)
    rows[0]["area"] = "X"

    with pytest.raises(ValueError, match="R, I, A, S, E, C"):
        area_scores(pd.DataFrame(rows))


def test_item_answered_twice_by_one_respondent_is_rejected():
    rows = respondent_rows("r1", MIXED_PROFILE)
    rows.append(dict(rows[0]))

    with pytest.raises(ValueError, match="more than once"):
        area_scores(pd.DataFrame(rows))


def test_missing_column_is_named():
    frame = pd.DataFrame(respondent_rows("r1", MIXED_PROFILE)).drop(columns=["area"])

    with pytest.raises(ValueError, match="area"):
        area_scores(frame)


def test_holland_code_takes_three_highest_areas_without_ties():
    result = holland_code({"R": 1.5, "I": 2.0, "A": 4.5, "S": 4.9, "E": 3.0, "C": 2.5})

    assert result.code == "SAE"
    assert result.ties == []
    assert result.ambiguous is False
    assert [area for area, _ in result.ranking] == ["S", "A", "E", "C", "I", "R"]
    assert result.ranking[0] == ("S", 4.9)


def test_tie_inside_top_three_is_reported_but_code_letters_are_certain():
    result = holland_code({"R": 1.0, "I": 2.0, "A": 4.0, "S": 4.0, "E": 3.0, "C": 2.5})

    assert result.code == "ASE"
    assert result.ties == [["A", "S"]]
    assert result.ambiguous is False


def test_tie_between_third_and_fourth_place_makes_code_ambiguous():
    result = holland_code({"R": 1.0, "I": 3.0, "A": 4.0, "S": 4.5, "E": 3.0, "C": 2.0})

    # I and E share third place; RIASEC order lists I first, and the tie is reported.
    assert result.code == "SAI"
    assert result.ties == [["I", "E"]]
    assert result.ambiguous is True


def test_full_tie_reports_all_six_areas_and_is_ambiguous():
    result = holland_code(dict.fromkeys(AREAS, 3.0))

    assert result.code == "RIA"
    assert result.ties == [list(AREAS)]
    assert result.ambiguous is True


def test_tie_below_the_top_three_is_not_reported():
    result = holland_code({"R": 1.0, "I": 1.0, "A": 4.0, "S": 5.0, "E": 3.0, "C": 2.0})

    assert result.code == "SAE"
    assert result.ties == []
    assert result.ambiguous is False


def test_means_within_tolerance_tie_and_clearly_different_means_do_not():
    nearly_equal = holland_code(
        {"R": 1.0, "I": 2.0, "A": 4.0, "S": 5.0, "E": 3.0 + 1e-12, "C": 3.0}
    )
    different = holland_code({"R": 1.0, "I": 2.0, "A": 4.0, "S": 5.0, "E": 3.0 + 1e-6, "C": 3.0})

    assert nearly_equal.ties == [["E", "C"]]
    assert nearly_equal.ambiguous is True
    assert different.ties == []
    assert different.code == "SAE"


def test_area_without_a_mean_is_listed_as_missing_and_not_ranked():
    result = holland_code({"R": 2.0, "I": float("nan"), "A": 4.0, "S": 5.0, "E": 3.0})

    assert result.code == "SAE"
    assert result.missing == ["I", "C"]
    assert [area for area, _ in result.ranking] == ["S", "A", "E", "R"]


def test_unknown_area_in_holland_code_is_rejected():
    with pytest.raises(ValueError, match="R, I, A, S, E, C"):
        holland_code({"R": 2.0, "Z": 4.0})
