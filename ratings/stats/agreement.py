"""Inter-rater agreement of expert ratings: Krippendorff's alpha with a bootstrap confidence
interval over units, per subgroup, per rater and per unit.

Pure functions over a long DataFrame of ratings with columns ``unit``, ``rater`` and ``value``
(a NaN value is missing and ignored), plus any subgroup columns. The point estimate comes from
the ``krippendorff`` package. The confidence interval is a percentile bootstrap over pairable
units; it recomputes alpha for all replicates at once from the units' shares of the coincidence
matrix, with the definitions of Krippendorff (2011), "Computing Krippendorff's
Alpha-Reliability".

Units with a single rating are not pairable: they add nothing to alpha and are counted in
``n_units_not_pairable``. When alpha is undefined (fewer than two pairable values, or no
variation among them) the result carries ``alpha=None`` and the reason, never NaN.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import krippendorff
import numpy as np
import pandas as pd

from ratings.stats_columns import (
    ALPHA_RESULT_FIELDS,
    REASON_NO_EXPECTED_DISAGREEMENT,
    REASON_NO_VARIATION,
    REASON_NOTHING_PAIRABLE,
    AlphaResult,
)

LEVELS = ("nominal", "ordinal", "interval", "ratio")
REQUIRED_COLUMNS = ("unit", "rater", "value")

# Upper bound on the array elements one block of bootstrap replicates may allocate, so memory
# stays bounded when the data hold many distinct rating patterns or many distinct values.
_BOOTSTRAP_BLOCK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class _CodedRatings:
    """Non-missing ratings as integer codes into first-appearance lists of units and raters."""

    unit_codes: np.ndarray
    rater_codes: np.ndarray
    rating_values: np.ndarray
    unit_labels: list[Hashable]
    rater_labels: list[Hashable]

    def without_rater(self, rater_code: int) -> _CodedRatings:
        keep = self.rater_codes != rater_code
        return dataclasses.replace(
            self,
            unit_codes=self.unit_codes[keep],
            rater_codes=self.rater_codes[keep],
            rating_values=self.rating_values[keep],
        )


@dataclass(frozen=True)
class _PairablePatterns:
    """Pairable units grouped by their value-count pattern.

    A unit's contribution to the coincidence matrix depends only on how many of its ratings
    take each value, so units with the same pattern are interchangeable. Resampling units
    uniformly with replacement is then the same as drawing pattern counts from a multinomial
    with the patterns' unit frequencies, which keeps the bootstrap arrays small (a 1-5 scale
    rated by 3 raters has at most 50 patterns, whatever the number of units).
    """

    value_counts: np.ndarray  # patterns x values: ratings per value
    unit_frequency: np.ndarray  # patterns: pairable units with this pattern


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(
            f"Unknown level of measurement {level!r}; expected one of {', '.join(LEVELS)}."
        )


def _check_columns(ratings: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in ratings.columns]
    if missing:
        raise ValueError(
            f"Ratings are missing column(s) {', '.join(map(repr, missing))}; "
            f"present: {', '.join(map(repr, map(str, ratings.columns)))}."
        )


def _factorize_present(labels: pd.Series, present: np.ndarray) -> tuple[np.ndarray, list]:
    """Codes of the labels on rows with a value, numbered in order of first appearance in the
    whole frame; labels seen only on rows without a value are left out."""
    codes, uniques = pd.factorize(labels)
    if present.all():
        return codes, uniques.tolist()
    codes = codes[present]
    used = np.unique(codes[codes >= 0])
    remapped = np.where(codes >= 0, np.searchsorted(used, codes), -1)
    return remapped, uniques[used].tolist()


def _code_ratings(ratings: pd.DataFrame) -> _CodedRatings:
    _check_columns(ratings, REQUIRED_COLUMNS)
    try:
        values = pd.to_numeric(ratings["value"], errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Rating values must be numeric: {error}") from error
    present = ~np.isnan(values)
    unit_codes, unit_labels = _factorize_present(ratings["unit"], present)
    rater_codes, rater_labels = _factorize_present(ratings["rater"], present)
    if (unit_codes < 0).any() or (rater_codes < 0).any():
        raise ValueError(
            "Every rating with a value needs a unit and a rater (found a missing one)."
        )
    coded = _CodedRatings(
        unit_codes=unit_codes.astype(np.intp),
        rater_codes=rater_codes.astype(np.intp),
        rating_values=values[present],
        unit_labels=unit_labels,
        rater_labels=rater_labels,
    )
    _check_one_rating_per_cell(coded)
    return coded


def _check_one_rating_per_cell(coded: _CodedRatings) -> None:
    # The reliability matrix holds one value per rater and unit; a second one would be lost.
    cells = coded.rater_codes * len(coded.unit_labels) + coded.unit_codes
    unique_cells, counts = np.unique(cells, return_counts=True)
    if (counts > 1).any():
        first = unique_cells[counts > 1][0]
        rater = coded.rater_labels[first // len(coded.unit_labels)]
        unit = coded.unit_labels[first % len(coded.unit_labels)]
        raise ValueError(
            f"{int((counts > 1).sum())} rater/unit pair(s) have more than one rating, "
            f"e.g. rater {rater!r} on unit {unit!r}; keep one rating per rater and unit."
        )


def _matrix(coded: _CodedRatings) -> np.ndarray:
    matrix = np.full((len(coded.rater_labels), len(coded.unit_labels)), np.nan)
    matrix[coded.rater_codes, coded.unit_codes] = coded.rating_values
    return matrix


def reliability_matrix(ratings: pd.DataFrame) -> tuple[np.ndarray, list, list]:
    """Raters x units matrix of values (NaN where missing) with the rater and unit labels.

    Rows and columns follow the order in which raters and units first appear in the frame;
    a rater or unit with no value at all is left out.
    """
    coded = _code_ratings(ratings)
    return _matrix(coded), coded.rater_labels, coded.unit_labels


def _resolve_value_domain(values: np.ndarray, value_domain: Sequence[float] | None) -> np.ndarray:
    observed = np.unique(values)
    if value_domain is None:
        return observed
    # Numeric values have one natural order, which ordinal alpha needs.
    domain = np.unique(np.asarray(value_domain, dtype=np.float64))
    if np.isnan(domain).any():
        raise ValueError("value_domain must not contain NaN.")
    outside = observed[~np.isin(observed, domain)]
    if outside.size:
        raise ValueError(
            f"Ratings hold value(s) outside value_domain {domain.tolist()}: "
            f"{outside[:10].tolist()}."
        )
    return domain


def _unit_value_counts(
    unit_codes: np.ndarray, values: np.ndarray, n_units: int, domain: np.ndarray
) -> np.ndarray:
    """Units x values matrix: how many ratings of each unit take each value of the domain."""
    value_codes = np.searchsorted(domain, values)
    flat = np.bincount(unit_codes * len(domain) + value_codes, minlength=n_units * len(domain))
    return flat.reshape(n_units, len(domain))


def _distinct_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a non-negative integer matrix, sorted, with how often each occurs."""
    n_rows, n_columns = counts.shape
    base = int(counts.max(initial=0)) + 1
    if n_rows and n_columns * np.log2(base) < 62:
        # One integer key per row is much faster to sort than np.unique(axis=0).
        weights = base ** np.arange(n_columns - 1, -1, -1, dtype=np.int64)
        _keys, first_row, frequency = np.unique(
            counts @ weights, return_index=True, return_counts=True
        )
        return counts[first_row], frequency
    return np.unique(counts, axis=0, return_counts=True)


def _pairable_patterns(unit_value_counts: np.ndarray) -> _PairablePatterns:
    pairable = unit_value_counts[unit_value_counts.sum(axis=1) >= 2]
    patterns, frequency = _distinct_rows(pairable)
    return _PairablePatterns(value_counts=patterns.astype(np.float64), unit_frequency=frequency)


def _fixed_distances(domain: np.ndarray, level: str) -> np.ndarray:
    """Distance between domain values for the levels whose metric does not depend on the data."""
    first, second = domain[:, np.newaxis], domain[np.newaxis, :]
    if level == "nominal":
        return (first != second).astype(np.float64)
    if level == "interval":
        return (first - second) ** 2
    total = first + second
    # Same convention as the krippendorff package: values summing to zero are at distance zero.
    ratio = np.divide(first - second, total, out=np.zeros_like(total), where=total != 0)
    return ratio**2


def _alphas_from_pattern_draws(
    draws: np.ndarray, patterns: _PairablePatterns, domain: np.ndarray, level: str
) -> np.ndarray:
    """Alpha for each row of ``draws`` (replicates x patterns: units drawn per pattern).

    Krippendorff (2011): a unit with n_c ratings of value c (m in all) adds
    (n_c * n_k - [c == k] * n_c) / (m - 1) to coincidence o_ck, the marginals n_c count the
    pairable values, and alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck).
    Since d_cc = 0, a unit's share of sum(o_ck * d_ck) is sum(n_c * n_k * d_ck) / (m - 1), so
    each pattern reduces to one number and no replicate needs its V x V matrix.
    Returns NaN where alpha is undefined.
    """
    pattern_counts = patterns.value_counts
    ratings_per_pattern = pattern_counts.sum(axis=1)
    value_totals = draws @ pattern_counts
    n_pairable = value_totals.sum(axis=1)
    if level == "ordinal":
        # d_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 = (M_k - M_c)^2 with the mid-ranks
        # M_g = sum_{h<=g} n_h - n_g / 2, which depend on the replicate's marginals. Then
        # sum_ck a_c a_k (M_c - M_k)^2 = 2 (m sum_c a_c M_c^2 - (sum_c a_c M_c)^2) for any
        # counts a summing to m. Centring M keeps that subtraction accurate.
        midranks = np.cumsum(value_totals, axis=1) - value_totals / 2
        midranks -= n_pairable[:, np.newaxis] / 2
        rank_sums = midranks @ pattern_counts.T
        squared_rank_sums = (midranks**2) @ pattern_counts.T
        unit_disagreement = (
            2 * (ratings_per_pattern * squared_rank_sums - rank_sums**2) / (ratings_per_pattern - 1)
        )
        observed = (draws * unit_disagreement).sum(axis=1)
        expected = 2 * (
            n_pairable * (value_totals * midranks**2).sum(axis=1)
            - (value_totals * midranks).sum(axis=1) ** 2
        )
    else:
        distances = _fixed_distances(domain, level)
        unit_disagreement = ((pattern_counts @ distances) * pattern_counts).sum(axis=1) / (
            ratings_per_pattern - 1
        )
        observed = draws @ unit_disagreement
        expected = ((value_totals @ distances) * value_totals).sum(axis=1)
    expected = expected / np.maximum(n_pairable - 1, 1)
    defined = (expected > 0) & ((value_totals > 0).sum(axis=1) >= 2)
    alphas = np.full(len(draws), np.nan)
    alphas[defined] = 1.0 - observed[defined] / expected[defined]
    return alphas


def coincidence_alpha(
    reliability_data: np.ndarray,
    *,
    level: str = "ordinal",
    value_domain: Sequence[float] | None = None,
) -> float | None:
    """Alpha of a raters x units matrix (NaN missing) computed the way the bootstrap computes
    each replicate; None where alpha is undefined. ``alpha()`` reports the package's value."""
    _check_level(level)
    matrix = np.asarray(reliability_data, dtype=np.float64)
    rater_index, unit_index = np.nonzero(~np.isnan(matrix))
    values = matrix[rater_index, unit_index]
    domain = _resolve_value_domain(values, value_domain)
    unit_value_counts = _unit_value_counts(unit_index, values, matrix.shape[1], domain)
    patterns = _pairable_patterns(unit_value_counts)
    if not len(patterns.unit_frequency):
        return None
    every_unit_once = patterns.unit_frequency[np.newaxis, :].astype(np.float64)
    result = _alphas_from_pattern_draws(every_unit_once, patterns, domain, level)[0]
    return None if np.isnan(result) else float(result)


def _bootstrap_alphas(
    patterns: _PairablePatterns,
    domain: np.ndarray,
    level: str,
    replicates: int,
    rng: np.random.Generator,
) -> np.ndarray:
    n_pairable_units = int(patterns.unit_frequency.sum())
    probabilities = patterns.unit_frequency / n_pairable_units
    n_patterns, n_values = patterns.value_counts.shape
    block_size = max(1, _BOOTSTRAP_BLOCK_ELEMENTS // max(n_patterns, n_values))
    alphas = []
    for start in range(0, replicates, block_size):
        size = min(block_size, replicates - start)
        # Row b: how many units of each pattern one resample of the pairable units holds.
        draws = rng.multinomial(n_pairable_units, probabilities, size=size).astype(np.float64)
        alphas.append(_alphas_from_pattern_draws(draws, patterns, domain, level))
    return np.concatenate(alphas)


def _alpha_of_coded(
    coded: _CodedRatings,
    *,
    level: str,
    bootstrap: int,
    seed: int | None,
    value_domain: Sequence[float] | None,
    confidence: float,
) -> AlphaResult:
    domain = _resolve_value_domain(coded.rating_values, value_domain)
    n_units_total = len(coded.unit_labels)
    ratings_per_unit = np.bincount(coded.unit_codes, minlength=n_units_total)
    pairable_units = ratings_per_unit >= 2
    n_pairable_values = int(ratings_per_unit[pairable_units].sum())

    def result(
        alpha_value: float | None,
        reason: str | None,
        ci: tuple[float, float] | None = None,
        replicates: int = 0,
        undefined: int = 0,
    ) -> AlphaResult:
        return AlphaResult(
            alpha=alpha_value,
            level=level,
            reason=reason,
            n_units=int(np.count_nonzero(ratings_per_unit)),
            n_raters=int(np.count_nonzero(np.bincount(coded.rater_codes))),
            n_ratings=int(coded.rating_values.size),
            n_pairable_values=n_pairable_values,
            n_units_not_pairable=int((ratings_per_unit == 1).sum()),
            ci_low=None if ci is None else ci[0],
            ci_high=None if ci is None else ci[1],
            bootstrap_replicates=replicates,
            seed=seed,
            bootstrap_undefined=undefined,
            confidence=confidence,
        )

    if n_pairable_values < 2:
        return result(None, REASON_NOTHING_PAIRABLE)
    pairable_ratings = pairable_units[coded.unit_codes]
    if np.unique(coded.rating_values[pairable_ratings]).size < 2:
        return result(None, REASON_NO_VARIATION)

    point = float(
        krippendorff.alpha(
            reliability_data=_matrix(coded),
            value_domain=domain,
            level_of_measurement=level,
        )
    )
    if not np.isfinite(point):
        return result(None, REASON_NO_EXPECTED_DISAGREEMENT)
    if bootstrap == 0:
        return result(point, None)

    unit_value_counts = _unit_value_counts(
        coded.unit_codes, coded.rating_values, n_units_total, domain
    )
    patterns = _pairable_patterns(unit_value_counts)
    replicate_alphas = _bootstrap_alphas(
        patterns, domain, level, bootstrap, np.random.default_rng(seed)
    )
    defined = replicate_alphas[~np.isnan(replicate_alphas)]
    undefined = int(bootstrap - defined.size)
    if not defined.size:
        return result(point, None, replicates=bootstrap, undefined=undefined)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return result(
        point, None, ci=(float(low), float(high)), replicates=bootstrap, undefined=undefined
    )


def alpha(
    ratings: pd.DataFrame,
    *,
    level: str = "ordinal",
    bootstrap: int = 1000,
    seed: int | None = 0,
    value_domain: Sequence[float] | None = None,
    confidence: float = 0.95,
) -> AlphaResult:
    """Krippendorff's alpha of the ratings with a percentile bootstrap CI over pairable units.

    ``value_domain`` lists the possible values (default: the values observed); pass the full
    scale, e.g. (1, 2, 3, 4, 5), so that an out-of-scale value is an error. ``bootstrap=0``
    skips the CI. The same ``seed`` gives the same CI; replicates whose alpha is undefined are
    dropped and counted in ``bootstrap_undefined``.
    """
    _check_level(level)
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer) or bootstrap < 0:
        raise ValueError(f"bootstrap must be a non-negative integer, got {bootstrap!r}.")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}.")
    return _alpha_of_coded(
        _code_ratings(ratings),
        level=level,
        bootstrap=int(bootstrap),
        seed=seed,
        value_domain=value_domain,
        confidence=float(confidence),
    )


def _nullable_column(values: Sequence[object]) -> pd.Series:
    # object dtype keeps None (JSON null) instead of turning it into NaN.
    return pd.Series(list(values), dtype=object)


def alpha_by(ratings: pd.DataFrame, by: str | Sequence[str], **kwargs: Any) -> pd.DataFrame:
    """One row per subgroup (e.g. ``area``, ``language``) with the group columns followed by
    the ``AlphaResult`` fields. ``kwargs`` go to ``alpha()``. A missing group key is a group of
    its own, so no rating disappears from the table."""
    group_columns = [by] if isinstance(by, str) else list(by)
    if not group_columns:
        raise ValueError("alpha_by needs at least one group column.")
    _check_columns(ratings, [*REQUIRED_COLUMNS, *group_columns])
    rows = []
    for key, group in ratings.groupby(group_columns, sort=True, dropna=False):
        result = alpha(group, **kwargs)
        rows.append({**dict(zip(group_columns, key, strict=True)), **result.to_dict()})
    table = pd.DataFrame(rows, columns=[*group_columns, *ALPHA_RESULT_FIELDS])
    for column in ("alpha", "reason", "ci_low", "ci_high", "seed"):
        table[column] = _nullable_column([row[column] for row in rows])
    return table


def rater_stats(
    ratings: pd.DataFrame,
    *,
    level: str = "ordinal",
    value_domain: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Per rater: n ratings, mean value, mean deviation from the other raters of the same units,
    and alpha without that rater (no bootstrap; None where undefined).

    mean_deviation averages (value - mean of the other raters' values on that unit) over the
    rater's units that someone else also rated; NaN if there are none. A rater who is always
    one point more lenient than the others has mean_deviation +1.
    """
    _check_level(level)
    coded = _code_ratings(ratings)
    n_units = len(coded.unit_labels)
    n_raters = len(coded.rater_labels)
    unit_sums = np.bincount(coded.unit_codes, weights=coded.rating_values, minlength=n_units)
    unit_counts = np.bincount(coded.unit_codes, minlength=n_units)

    other_raters = unit_counts[coded.unit_codes] - 1
    compared = other_raters > 0
    compared_values = coded.rating_values[compared]
    others_sum = unit_sums[coded.unit_codes[compared]] - compared_values
    deviation = compared_values - others_sum / other_raters[compared]
    compared_raters = coded.rater_codes[compared]
    n_compared = np.bincount(compared_raters, minlength=n_raters)
    deviation_sums = np.bincount(compared_raters, weights=deviation, minlength=n_raters)

    rater_counts = np.bincount(coded.rater_codes, minlength=n_raters)
    rater_sums = np.bincount(coded.rater_codes, weights=coded.rating_values, minlength=n_raters)
    # Every leave-one-out alpha uses the whole data's value domain, so they compare like for like.
    domain = _resolve_value_domain(coded.rating_values, value_domain)
    alphas_without = [
        _alpha_of_coded(
            coded.without_rater(rater_code),
            level=level,
            bootstrap=0,
            seed=None,
            value_domain=domain,
            confidence=0.95,
        ).alpha
        for rater_code in range(n_raters)
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_deviation = np.where(n_compared > 0, deviation_sums / n_compared, np.nan)
    return pd.DataFrame(
        {
            "rater": pd.Series(coded.rater_labels, dtype=object),
            "n": rater_counts,
            "mean": rater_sums / rater_counts,
            "mean_deviation": mean_deviation,
            "alpha_without": _nullable_column(alphas_without),
        }
    )


def unit_stats(ratings: pd.DataFrame, *, disagreement_threshold: float = 2.0) -> pd.DataFrame:
    """Per unit with at least one rating: n, mean, sample SD (NaN for n < 2), min, max, range,
    and ``high_disagreement`` when the range reaches ``disagreement_threshold`` scale points.

    The statistic columns are numeric or boolean, so the table sorts directly (e.g. by range).
    """
    coded = _code_ratings(ratings)
    values = pd.Series(coded.rating_values)
    grouped = values.groupby(coded.unit_codes, sort=True)
    table = grouped.agg(["count", "mean", "std", "min", "max"])
    value_range = table["max"] - table["min"]
    return pd.DataFrame(
        {
            "unit": pd.Series([coded.unit_labels[code] for code in table.index], dtype=object),
            "n": table["count"].to_numpy(dtype=np.int64),
            "mean": table["mean"].to_numpy(),
            "sd": table["std"].to_numpy(),
            "min": table["min"].to_numpy(),
            "max": table["max"].to_numpy(),
            "range": value_range.to_numpy(),
            "high_disagreement": (value_range >= disagreement_threshold).to_numpy(),
        }
    )
