"""Tests for ratings.stats.agreement: Krippendorff's alpha, its bootstrap CI, and the per
subgroup, per rater and per unit tables."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest

from ratings.stats.agreement import (
    LEVELS,
    REASON_NO_VARIATION,
    REASON_NOTHING_PAIRABLE,
    AlphaResult,
    alpha,
    alpha_by,
    coincidence_alpha,
    rater_stats,
    reliability_matrix,
    unit_stats,
)

REFERENCE_DATA = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "reference"
    / "krippendorff_2011_reliability_data.csv"
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: the published
# three-decimal values and the exact ones (nominal 113/152) quoted in the data file's header.
PUBLISHED_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
PUBLISHED_ALPHA_PRECISE = {
    "nominal": 0.743421,
    "ordinal": 0.815388,
    "interval": 0.849107,
    "ratio": 0.797403,
}


def long_ratings(matrix: np.ndarray) -> pd.DataFrame:
    """Long frame (unit, rater, value) from a raters x units matrix with NaN missing."""
    n_raters, n_units = matrix.shape
    return pd.DataFrame(
        {
            "unit": np.tile(np.arange(n_units), n_raters),
            "rater": np.repeat([f"rater{index}" for index in range(n_raters)], n_units),
            "value": matrix.ravel(),
        }
    )


@pytest.fixture(scope="module")
def example_c() -> pd.DataFrame:
    wide = pd.read_csv(REFERENCE_DATA, comment="#")
    return wide.melt(id_vars="coder", var_name="unit", value_name="value").rename(
        columns={"coder": "rater"}
    )


@pytest.fixture(scope="module")
def moderately_agreeing() -> pd.DataFrame:
    """200 units rated 1-5 by 3 raters who mostly agree within one point, 10% missing."""
    rng = np.random.default_rng(7)
    true_values = rng.integers(1, 6, size=200)
    noise = rng.choice([-1, 0, 0, 0, 1], size=(3, 200))
    matrix = np.clip(true_values + noise, 1, 5).astype(float)
    matrix[rng.random(matrix.shape) < 0.1] = np.nan
    return long_ratings(matrix)


def pairwise_alpha(matrix: np.ndarray, level: str) -> float | None:
    """Krippendorff (2011) alpha written out over units and pairs of values, as a reference.

    D_o = 1/n * sum_u sum_{i != j in u} delta(v_i, v_j) / (m_u - 1)
    D_e = 1/(n (n - 1)) * sum over all ordered pairs of distinct pairable values of delta
    """
    units = []
    for column in matrix.T:
        values = [float(value) for value in column if not math.isnan(value)]
        if len(values) >= 2:
            units.append(values)
    pairable_values = [value for unit in units for value in unit]
    n = len(pairable_values)
    if n < 2:
        return None
    frequency = {value: pairable_values.count(value) for value in set(pairable_values)}
    ordered_values = sorted(frequency)

    def delta(first: float, second: float) -> float:
        if level == "nominal":
            return 0.0 if first == second else 1.0
        if level == "interval":
            return (first - second) ** 2
        if level == "ratio":
            return 0.0 if first + second == 0 else ((first - second) / (first + second)) ** 2
        low, high = sorted((first, second))
        between = sum(frequency[value] for value in ordered_values if low <= value <= high)
        return (between - (frequency[first] + frequency[second]) / 2) ** 2

    observed = 0.0
    for values in units:
        for i, j in itertools.permutations(range(len(values)), 2):
            observed += delta(values[i], values[j]) / (len(values) - 1)
    observed /= n
    expected = 0.0
    for i, j in itertools.permutations(range(n), 2):
        expected += delta(pairable_values[i], pairable_values[j])
    expected /= n * (n - 1)
    if expected == 0:
        return None
    return 1.0 - observed / expected


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_reproduces_published_example_c(example_c: pd.DataFrame, level: str) -> None:
    result = alpha(example_c, level=level, bootstrap=0)

    assert round(result.alpha, 3) == PUBLISHED_ALPHA[level]
    assert result.alpha == pytest.approx(PUBLISHED_ALPHA_PRECISE[level], abs=1e-4)
    assert result.reason is None
    assert result.level == level


def test_example_c_counts_pairable_values_and_the_single_rated_unit(
    example_c: pd.DataFrame,
) -> None:
    result = alpha(example_c, bootstrap=0)

    assert result.n_pairable_values == 40
    assert result.n_units_not_pairable == 1
    assert result.n_units == 12
    assert result.n_raters == 4
    assert result.n_ratings == 41


def test_nominal_example_c_is_exactly_113_over_152(example_c: pd.DataFrame) -> None:
    assert alpha(example_c, level="nominal", bootstrap=0).alpha == pytest.approx(113 / 152)


def test_full_competence_scale_as_value_domain_keeps_the_published_ordinal_alpha(
    example_c: pd.DataFrame,
) -> None:
    result = alpha(example_c, level="ordinal", bootstrap=0, value_domain=(1, 2, 3, 4, 5))

    assert result.alpha == pytest.approx(PUBLISHED_ALPHA_PRECISE["ordinal"], abs=1e-4)


def test_value_outside_the_value_domain_is_rejected(example_c: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="outside value_domain"):
        alpha(example_c, value_domain=(1, 2, 3, 4))


def test_reliability_matrix_is_raters_by_units_with_nan_for_missing(
    example_c: pd.DataFrame,
) -> None:
    matrix, raters, units = reliability_matrix(example_c)

    assert matrix.shape == (4, 12)
    assert raters == ["A", "B", "C", "D"]
    assert units[0] == "u1"
    assert units[-1] == "u12"
    assert np.isnan(matrix[raters.index("C"), units.index("u1")])
    assert matrix[raters.index("B"), units.index("u12")] == 3.0
    assert int((~np.isnan(matrix)).sum()) == 41


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", range(6))
def test_coincidence_alpha_matches_pairwise_definition_and_package(level: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_raters, n_units = int(rng.integers(2, 6)), int(rng.integers(5, 25))
    matrix = rng.integers(1, 6, size=(n_raters, n_units)).astype(float)
    matrix[rng.random(matrix.shape) < 0.35] = np.nan

    reference = pairwise_alpha(matrix, level)
    assert reference is not None
    assert coincidence_alpha(matrix, level=level) == pytest.approx(reference, abs=1e-10)
    assert coincidence_alpha(matrix, level=level) == pytest.approx(
        krippendorff.alpha(reliability_data=matrix, level_of_measurement=level), abs=1e-10
    )
    assert alpha(long_ratings(matrix), level=level, bootstrap=0).alpha == pytest.approx(
        reference, abs=1e-10
    )


@pytest.mark.parametrize("level", LEVELS)
def test_coincidence_alpha_handles_non_integer_values_and_unobserved_domain_values(
    level: str,
) -> None:
    rng = np.random.default_rng(11)
    matrix = rng.choice([0.5, 1.0, 2.5, 4.0, 7.0], size=(3, 12))
    matrix[rng.random(matrix.shape) < 0.25] = np.nan
    domain = (0.5, 1.0, 2.0, 2.5, 4.0, 7.0, 9.0)

    assert coincidence_alpha(matrix, level=level, value_domain=domain) == pytest.approx(
        pairwise_alpha(matrix, level), abs=1e-10
    )


def test_no_variation_gives_none_with_reason_and_no_ci() -> None:
    ratings = long_ratings(np.full((3, 10), 4.0))

    result = alpha(ratings, value_domain=(1, 2, 3, 4, 5))

    assert result.alpha is None
    assert result.reason == REASON_NO_VARIATION
    assert result.ci_low is None
    assert result.ci_high is None
    assert result.n_pairable_values == 30


def test_variation_only_in_unpairable_units_is_no_variation() -> None:
    matrix = np.array([[2.0, 2.0, 5.0], [2.0, 2.0, np.nan]])

    result = alpha(long_ratings(matrix))

    assert result.alpha is None
    assert result.reason == REASON_NO_VARIATION
    assert result.n_units_not_pairable == 1


def test_single_rating_per_unit_gives_none_nothing_pairable() -> None:
    ratings = pd.DataFrame({"unit": [1, 2, 3], "rater": ["a", "b", "a"], "value": [1.0, 3.0, 5.0]})

    result = alpha(ratings)

    assert result.alpha is None
    assert result.reason == REASON_NOTHING_PAIRABLE
    assert result.n_pairable_values == 0
    assert result.n_units_not_pairable == 3
    assert result.ci_low is None


def test_missing_values_are_ignored_not_counted() -> None:
    ratings = pd.DataFrame(
        {
            "unit": [1, 1, 2, 2, 3, 3],
            "rater": ["a", "b", "a", "b", "a", "b"],
            "value": [1.0, 2.0, 4.0, 4.0, 3.0, np.nan],
        }
    )

    result = alpha(ratings, bootstrap=0)

    assert result.n_ratings == 5
    assert result.n_pairable_values == 4
    assert result.n_units_not_pairable == 1


def test_empty_ratings_are_nothing_pairable() -> None:
    empty = pd.DataFrame({"unit": [], "rater": [], "value": []})

    result = alpha(empty)

    assert result.alpha is None
    assert result.reason == REASON_NOTHING_PAIRABLE
    assert result.n_units == 0


def test_bootstrap_is_reproducible_with_the_same_seed(moderately_agreeing: pd.DataFrame) -> None:
    first = alpha(moderately_agreeing, seed=42)
    second = alpha(moderately_agreeing, seed=42)

    assert (first.ci_low, first.ci_high) == (second.ci_low, second.ci_high)
    assert first.bootstrap_replicates == 1000
    assert first.seed == 42


def test_bootstrap_differs_with_another_seed(moderately_agreeing: pd.DataFrame) -> None:
    first = alpha(moderately_agreeing, seed=1)
    second = alpha(moderately_agreeing, seed=2)

    assert first.alpha == second.alpha
    assert (first.ci_low, first.ci_high) != (second.ci_low, second.ci_high)


@pytest.mark.parametrize("level", LEVELS)
def test_ci_contains_the_point_estimate(moderately_agreeing: pd.DataFrame, level: str) -> None:
    result = alpha(moderately_agreeing, level=level)

    assert result.ci_low < result.alpha < result.ci_high
    assert result.ci_high - result.ci_low < 0.3
    assert result.bootstrap_undefined == 0


def test_wider_confidence_gives_a_wider_interval(moderately_agreeing: pd.DataFrame) -> None:
    narrow = alpha(moderately_agreeing, confidence=0.8)
    wide = alpha(moderately_agreeing, confidence=0.99)

    assert wide.ci_low < narrow.ci_low
    assert wide.ci_high > narrow.ci_high


def test_bootstrap_agrees_with_naive_resampling_of_units(moderately_agreeing: pd.DataFrame) -> None:
    matrix, _, _ = reliability_matrix(moderately_agreeing)
    pairable = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
    rng = np.random.default_rng(3)
    naive = [
        krippendorff.alpha(
            reliability_data=pairable[:, rng.integers(0, pairable.shape[1], pairable.shape[1])],
            level_of_measurement="ordinal",
        )
        for _ in range(400)
    ]

    result = alpha(moderately_agreeing, level="ordinal", bootstrap=4000, seed=5)

    naive_low, naive_high = np.quantile(naive, [0.025, 0.975])
    assert result.ci_low == pytest.approx(naive_low, abs=0.025)
    assert result.ci_high == pytest.approx(naive_high, abs=0.025)


def test_replicates_without_variation_are_dropped_and_counted() -> None:
    # One unit with disagreement among many unanimous ones: most resamples lack it entirely.
    matrix = np.full((2, 4), 3.0)
    matrix[1, 0] = 4.0

    result = alpha(long_ratings(matrix), level="interval", bootstrap=500, seed=0)

    assert result.alpha is not None
    assert 0 < result.bootstrap_undefined < 500
    assert result.ci_low is not None
    assert result.bootstrap_replicates == 500


def test_no_bootstrap_gives_no_ci(moderately_agreeing: pd.DataFrame) -> None:
    result = alpha(moderately_agreeing, bootstrap=0)

    assert result.alpha is not None
    assert result.ci_low is None
    assert result.ci_high is None
    assert result.bootstrap_replicates == 0


def test_unknown_level_is_rejected_listing_the_valid_ones(example_c: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="nominal, ordinal, interval, ratio"):
        alpha(example_c, level="cardinal")


def test_missing_column_is_rejected_naming_it() -> None:
    with pytest.raises(ValueError, match="'rater'"):
        alpha(pd.DataFrame({"unit": [1], "value": [2.0]}))


def test_two_ratings_by_one_rater_of_one_unit_are_rejected() -> None:
    ratings = pd.DataFrame({"unit": [1, 1, 1], "rater": ["a", "a", "b"], "value": [1.0, 2.0, 2.0]})

    with pytest.raises(ValueError, match="rater 'a' on unit 1"):
        alpha(ratings)


def test_result_to_dict_holds_plain_values(example_c: pd.DataFrame) -> None:
    payload = alpha(example_c, bootstrap=50).to_dict()

    assert payload["alpha"] == pytest.approx(PUBLISHED_ALPHA_PRECISE["ordinal"], abs=1e-4)
    assert payload["n_units_not_pairable"] == 1
    assert type(payload["alpha"]) is float
    assert type(payload["ci_low"]) is float
    assert type(payload["n_pairable_values"]) is int


def test_alpha_by_gives_one_row_per_group_with_its_own_alpha() -> None:
    agreeing = long_ratings(np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]))
    unanimous = long_ratings(np.full((2, 4), 5.0))
    ratings = pd.concat(
        [agreeing.assign(area="R"), unanimous.assign(area="I", unit=lambda f: f["unit"] + 10)]
    )

    table = alpha_by(ratings, "area", bootstrap=0)

    assert list(table["area"]) == ["I", "R"]
    by_area = table.set_index("area")
    assert by_area.loc["R", "alpha"] == pytest.approx(1.0)
    assert by_area.loc["I", "alpha"] is None
    assert by_area.loc["I", "reason"] == REASON_NO_VARIATION
    assert by_area.loc["R", "reason"] is None
    assert by_area.loc["R", "n_pairable_values"] == 8
    assert set(table.columns) >= {f.name for f in AlphaResult.__dataclass_fields__.values()}


def test_alpha_by_several_columns_matches_alpha_of_each_subset(
    moderately_agreeing: pd.DataFrame,
) -> None:
    ratings = moderately_agreeing.assign(
        area=np.where(moderately_agreeing["unit"] % 2 == 0, "R", "I"),
        language=np.where(moderately_agreeing["unit"] < 100, "en", "zh-hans"),
    )

    table = alpha_by(ratings, ["area", "language"], level="interval", seed=9)

    assert len(table) == 4
    for row in table.itertuples():
        subset = ratings[(ratings["area"] == row.area) & (ratings["language"] == row.language)]
        expected = alpha(subset, level="interval", seed=9)
        assert row.alpha == pytest.approx(expected.alpha)
        assert row.ci_low == pytest.approx(expected.ci_low)
        assert row.n_units == expected.n_units


def test_alpha_by_rejects_a_missing_group_column(example_c: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="'endpoint'"):
        alpha_by(example_c, "endpoint")


def test_rater_stats_flags_a_rater_always_one_point_above_the_others() -> None:
    rng = np.random.default_rng(4)
    consensus = rng.integers(1, 5, size=30).astype(float)
    matrix = np.vstack([consensus, consensus, consensus, consensus + 1])
    ratings = long_ratings(matrix)
    overall = alpha(ratings, bootstrap=0, value_domain=(1, 2, 3, 4, 5)).alpha

    table = rater_stats(ratings, value_domain=(1, 2, 3, 4, 5)).set_index("rater")

    assert table.loc["rater3", "mean_deviation"] == pytest.approx(1.0)
    assert table.loc["rater0", "mean_deviation"] == pytest.approx(-1 / 3)
    assert table.loc["rater3", "mean"] == pytest.approx(consensus.mean() + 1)
    assert table.loc["rater3", "n"] == 30
    assert table.loc["rater3", "alpha_without"] == pytest.approx(1.0)
    assert table.loc["rater3", "alpha_without"] > overall
    assert table.loc["rater0", "alpha_without"] < overall


def test_rater_stats_deviation_uses_only_units_shared_with_others() -> None:
    ratings = pd.DataFrame(
        {
            "unit": [1, 1, 1, 2, 3],
            "rater": ["a", "b", "c", "a", "b"],
            "value": [4.0, 2.0, 3.0, 5.0, 1.0],
        }
    )

    table = rater_stats(ratings).set_index("rater")

    # a: unit 1 only (unit 2 has no other rater): 4 - (2 + 3) / 2 = 1.5
    assert table.loc["a", "mean_deviation"] == pytest.approx(1.5)
    assert table.loc["a", "mean"] == pytest.approx(4.5)
    assert table.loc["b", "mean_deviation"] == pytest.approx(2 - 3.5)


def test_rater_stats_mean_deviation_is_nan_for_a_rater_who_shares_no_unit() -> None:
    ratings = pd.DataFrame({"unit": [1, 1, 2], "rater": ["a", "b", "c"], "value": [1.0, 2.0, 3.0]})

    table = rater_stats(ratings).set_index("rater")

    assert math.isnan(table.loc["c", "mean_deviation"])
    assert table.loc["c", "n"] == 1
    # Without a, no unit has two ratings left.
    assert table.loc["a", "alpha_without"] is None
    assert table.loc["c", "alpha_without"] == pytest.approx(0.0)


def test_unit_stats_on_a_hand_built_frame() -> None:
    ratings = pd.DataFrame(
        {
            "unit": ["a", "a", "a", "b", "b", "c", "d", "d", "d"],
            "rater": ["x", "y", "z", "x", "y", "x", "x", "y", "z"],
            "value": [1.0, 3.0, 5.0, 2.0, 2.0, 4.0, 1.0, 3.0, np.nan],
        }
    )

    table = unit_stats(ratings).set_index("unit")

    assert list(table.index) == ["a", "b", "c", "d"]
    assert table.loc["a", "n"] == 3
    assert table.loc["a", "mean"] == pytest.approx(3.0)
    assert table.loc["a", "sd"] == pytest.approx(2.0)
    assert (table.loc["a", "min"], table.loc["a", "max"], table.loc["a", "range"]) == (1, 5, 4)
    assert bool(table.loc["a", "high_disagreement"])
    assert table.loc["b", "sd"] == pytest.approx(0.0)
    assert not table.loc["b", "high_disagreement"]
    assert math.isnan(table.loc["c", "sd"])
    assert table.loc["c", "range"] == 0
    # d's missing value is ignored; its range of 2 reaches the default threshold.
    assert table.loc["d", "n"] == 2
    assert table.loc["d", "sd"] == pytest.approx(math.sqrt(2))
    assert bool(table.loc["d", "high_disagreement"])


def test_unit_stats_threshold_is_configurable() -> None:
    ratings = pd.DataFrame({"unit": [1, 1], "rater": ["x", "y"], "value": [1.0, 3.0]})

    assert not unit_stats(ratings, disagreement_threshold=2.5)["high_disagreement"].iloc[0]
    assert unit_stats(ratings, disagreement_threshold=2.0)["high_disagreement"].iloc[0]
