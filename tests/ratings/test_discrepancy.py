"""Self-assessed versus expert competence, and interest-competence alignment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ratings.stats.discrepancy import alignment, discrepancy, item_discrepancy


def self_rows(endpoint: str, language: str, item: int, area: str, values: list[float]) -> list:
    return [
        {
            "endpoint": endpoint,
            "language": language,
            "item": item,
            "area": area,
            "replication": replication,
            "value": value,
        }
        for replication, value in enumerate(values)
    ]


def expert_rows(
    endpoint: str, language: str, item: int, area: str, unit: str, ratings: list[float]
) -> list:
    return [
        {
            "endpoint": endpoint,
            "language": language,
            "item": item,
            "area": area,
            "unit": unit,
            "rater": f"expert-{position}",
            "value": value,
        }
        for position, value in enumerate(ratings)
    ]


@pytest.fixture
def self_assessed() -> pd.DataFrame:
    rows = []
    rows += self_rows("m1", "en", 1, "R", [4.0, 4.0])  # self 4
    rows += self_rows("m1", "en", 2, "R", [4.0, np.nan])  # self 4 from one valid answer
    rows += self_rows("m1", "en", 3, "I", [3.0, 3.0])  # self 3
    rows += self_rows("m1", "en", 4, "I", [2.0, 2.0])  # never rated by experts
    rows += self_rows("m1", "en", 6, "A", [np.nan, np.nan])  # every answer refused
    return pd.DataFrame(rows)


@pytest.fixture
def expert() -> pd.DataFrame:
    rows = []
    # item 1: unit means 4.5 and 5 -> 4.75 (not the 14/3 of pooling the three ratings)
    rows += expert_rows("m1", "en", 1, "R", "u1", [5.0, 4.0])
    rows += expert_rows("m1", "en", 1, "R", "u2", [5.0])
    rows += expert_rows("m1", "en", 2, "R", "u3", [3.0, 4.0])  # 3.5
    rows += expert_rows("m1", "en", 3, "I", "u4", [2.0, 2.0])  # 2
    rows += expert_rows("m1", "en", 5, "I", "u5", [3.0, 3.0])  # no self-assessment
    rows += expert_rows("m1", "en", 6, "A", "u6", [4.0, 4.0])
    return pd.DataFrame(rows)


def test_item_competence_averages_units_then_replications(self_assessed, expert):
    items = item_discrepancy(self_assessed, expert).set_index("item")

    assert items.loc[1, "self"] == pytest.approx(4.0)
    assert items.loc[1, "expert"] == pytest.approx(4.75)
    assert items.loc[1, "difference"] == pytest.approx(-0.75)
    assert items.loc[1, "n_units"] == 2
    assert items.loc[1, "n_ratings"] == 3
    assert items.loc[2, "self"] == pytest.approx(4.0)
    assert items.loc[2, "n_self"] == 1
    assert items.loc[3, "difference"] == pytest.approx(1.0)


def test_items_missing_a_side_are_kept_with_no_difference(self_assessed, expert):
    items = item_discrepancy(self_assessed, expert).set_index("item")

    assert math.isnan(items.loc[4, "expert"])
    assert items.loc[4, "n_units"] == 0
    assert math.isnan(items.loc[5, "self"])
    assert items.loc[5, "n_self"] == 0
    assert items.loc[5, "area"] == "I"
    assert math.isnan(items.loc[6, "difference"])


def test_discrepancy_aggregates_hand_computed_differences(self_assessed, expert):
    groups = discrepancy(self_assessed, expert).groups

    assert len(groups) == 1
    group = groups.iloc[0]
    # self 4, 4, 3 against expert 4.75, 3.5, 2: differences -0.75, 0.5, 1
    assert (group["endpoint"], group["language"]) == ("m1", "en")
    assert group["n"] == 3
    assert group["mean_difference"] == pytest.approx(0.25)
    assert group["share_underestimated"] == pytest.approx(1 / 3)
    # ranks: self (2.5, 2.5, 1), expert (3, 2, 1): rho = 1.5 / sqrt(1.5 * 2)
    assert group["spearman_rho"] == pytest.approx(1.5 / math.sqrt(3))
    # signed ranks +1 (0.5), -2 (0.75), +3 (1): W- = 2; exact p = 2 * P(W <= 2) = 2 * 3/8
    assert group["wilcoxon_p"] == pytest.approx(0.75)
    assert group["ci_low"] <= group["mean_difference"] <= group["ci_high"]
    # resampled means cannot leave the range of the differences
    assert group["ci_low"] >= -0.75
    assert group["ci_high"] <= 1.0


def test_excluded_items_are_named_with_reason(self_assessed, expert):
    result = discrepancy(self_assessed, expert)

    excluded = result.excluded[["item", "reason"]].values.tolist()
    assert excluded == [
        [4, "no expert rating"],
        [5, "no self-assessment"],
        [6, "no self-assessment"],
    ]
    assert "2 item(s) excluded: no self-assessment" in result.notes


def test_perfectly_monotone_underestimation_has_rho_one_and_full_share():
    self_assessed = pd.DataFrame(
        [row for item in range(1, 5) for row in self_rows("m1", "zh-hans", item, "S", [item])]
    )
    expert = pd.DataFrame(
        [
            row
            for item in range(1, 5)
            for row in expert_rows("m1", "zh-hans", item, "S", f"u{item}", [item + 1.0])
        ]
    )

    group = discrepancy(self_assessed, expert).groups.iloc[0]

    assert group["spearman_rho"] == pytest.approx(1.0)
    assert group["share_underestimated"] == pytest.approx(1.0)
    assert group["mean_difference"] == pytest.approx(-1.0)
    # every bootstrap resample of identical differences has the same mean
    assert group["ci_low"] == pytest.approx(-1.0)
    assert group["ci_high"] == pytest.approx(-1.0)


def test_all_zero_differences_leave_wilcoxon_undefined_with_a_note():
    self_assessed = pd.DataFrame(
        [row for item in range(1, 4) for row in self_rows("m1", "en", item, "C", [float(item)])]
    )
    expert = pd.DataFrame(
        [
            row
            for item in range(1, 4)
            for row in expert_rows("m1", "en", item, "C", f"u{item}", [float(item)])
        ]
    )

    group = discrepancy(self_assessed, expert).groups.iloc[0]

    assert group["wilcoxon_p"] is None
    assert "all differences are zero" in group["note"]
    assert group["share_underestimated"] == 0.0
    assert group["spearman_rho"] == pytest.approx(1.0)


def test_single_item_group_has_no_interval_or_tests(self_assessed, expert):
    groups = discrepancy(self_assessed, expert, by=("area",)).groups.set_index("area")

    intelligent = groups.loc["I"]
    assert intelligent["n"] == 1
    assert intelligent["ci_low"] is None
    assert intelligent["spearman_rho"] is None
    assert intelligent["wilcoxon_p"] is None
    assert "bootstrap CI undefined" in intelligent["note"]


def test_grouping_by_area_lists_areas_in_riasec_order(self_assessed, expert):
    groups = discrepancy(self_assessed, expert, by=("area",)).groups

    assert groups["area"].tolist() == ["R", "I"]
    assert groups["n"].tolist() == [2, 1]
    assert groups.loc[0, "mean_difference"] == pytest.approx((-0.75 + 0.5) / 2)


def test_empty_grouping_gives_one_overall_row(self_assessed, expert):
    english = self_assessed.assign(language="en")
    chinese_self = self_assessed.assign(language="zh-hans")
    chinese_expert = expert.assign(language="zh-hans")

    groups = discrepancy(
        pd.concat([english, chinese_self]), pd.concat([expert, chinese_expert]), by=()
    ).groups

    assert len(groups) == 1
    assert "endpoint" not in groups.columns
    assert groups.loc[0, "n"] == 6


def test_unknown_grouping_column_is_rejected_naming_valid_ones(self_assessed, expert):
    with pytest.raises(ValueError, match="endpoint, language, area"):
        discrepancy(self_assessed, expert, by=("endpoint", "model"))


def test_bootstrap_interval_is_reproducible_for_a_seed():
    differences = np.random.default_rng(7).normal(0.3, 0.5, size=40)
    self_assessed = pd.DataFrame(
        [row for item in range(40) for row in self_rows("m1", "en", item, "E", [3.0])]
    )
    expert = pd.DataFrame(
        [
            row
            for item in range(40)
            for row in expert_rows("m1", "en", item, "E", f"u{item}", [3.0 - differences[item]])
        ]
    )

    first = discrepancy(self_assessed, expert, seed=11).groups.iloc[0]
    again = discrepancy(self_assessed, expert, seed=11).groups.iloc[0]
    other = discrepancy(self_assessed, expert, seed=12).groups.iloc[0]
    none = discrepancy(self_assessed, expert, bootstrap=0).groups.iloc[0]

    assert (first["ci_low"], first["ci_high"]) == (again["ci_low"], again["ci_high"])
    assert (first["ci_low"], first["ci_high"]) != (other["ci_low"], other["ci_high"])
    assert none["ci_low"] is None


def test_bootstrap_interval_matches_normal_theory_for_a_large_sample():
    differences = np.random.default_rng(3).normal(0.0, 0.5, size=400)
    self_assessed = pd.DataFrame(
        [row for item in range(400) for row in self_rows("m1", "en", item, "S", [3.0])]
    )
    expert = pd.DataFrame(
        [
            row
            for item in range(400)
            for row in expert_rows("m1", "en", item, "S", f"u{item}", [3.0 + differences[item]])
        ]
    )

    group = discrepancy(self_assessed, expert, bootstrap=4000, seed=1).groups.iloc[0]

    standard_error = differences.std(ddof=1) / math.sqrt(400)
    mean = -differences.mean()
    assert group["ci_low"] == pytest.approx(mean - 1.96 * standard_error, abs=0.2 * standard_error)
    assert group["ci_high"] == pytest.approx(mean + 1.96 * standard_error, abs=0.2 * standard_error)


def test_second_rating_by_the_same_rater_of_a_unit_is_rejected(self_assessed, expert):
    doubled = pd.concat([expert, expert.iloc[[0]]], ignore_index=True)

    with pytest.raises(ValueError, match="latest submitted revision"):
        discrepancy(self_assessed, doubled)


def test_item_with_different_areas_in_the_two_frames_is_rejected(self_assessed, expert):
    wrong = expert.assign(area=expert["area"].where(expert["item"] != 1, "S"))

    with pytest.raises(ValueError, match="different area"):
        item_discrepancy(self_assessed, wrong)


def interest_rows(values_by_item: dict[int, list[float]], language: str = "en") -> pd.DataFrame:
    return pd.DataFrame(
        [
            row
            for item, values in values_by_item.items()
            for row in self_rows("m1", language, item, "R", values)
        ]
    )


def test_alignment_with_expert_competence_is_perfect_for_a_monotone_relation():
    interest = interest_rows({1: [1.0, 2.0], 2: [3.0, 3.0], 3: [5.0, 4.0], 4: [np.nan, np.nan]})
    expert = pd.DataFrame(
        [
            *expert_rows("m1", "en", 1, "R", "u1", [2.0]),
            *expert_rows("m1", "en", 2, "R", "u2", [3.0, 4.0]),
            *expert_rows("m1", "en", 3, "R", "u3", [5.0]),
            *expert_rows("m1", "en", 4, "R", "u4", [1.0]),
        ]
    )

    row = alignment(interest, expert, label="expert").iloc[0]

    assert row["competence"] == "expert"
    assert row["spearman_rho"] == pytest.approx(1.0)
    assert row["n"] == 3
    # item 4 has an expert rating but only refused interest answers
    assert row["n_unpaired_items"] == 1


def test_alignment_with_self_assessment_detects_a_reversed_relation():
    interest = interest_rows({1: [1.0], 2: [2.0], 3: [4.0]})
    self_assessed = interest_rows({1: [5.0, 5.0], 2: [4.0, 3.0], 3: [1.0, 2.0]})

    row = alignment(interest, self_assessed, label="self_competence").iloc[0]

    assert row["competence"] == "self_competence"
    assert row["spearman_rho"] == pytest.approx(-1.0)


def test_alignment_with_constant_competence_is_undefined():
    interest = interest_rows({1: [1.0], 2: [2.0], 3: [4.0]})
    self_assessed = interest_rows({1: [3.0], 2: [3.0], 3: [3.0]})

    row = alignment(interest, self_assessed, label="self_competence").iloc[0]

    assert row["spearman_rho"] is None
    assert "constant" in row["note"]


def test_alignment_rejects_a_frame_that_is_neither_expert_nor_self():
    interest = interest_rows({1: [1.0], 2: [2.0]})

    with pytest.raises(ValueError, match="expert ratings"):
        alignment(interest, interest.drop(columns=["replication"]), label="x")
