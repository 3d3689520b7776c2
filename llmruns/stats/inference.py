"""Small statistical tests and result helpers shared by the statistics modules.

Pure numpy/scipy/pandas, no Django. A statistic that is undefined for the data at hand (a
constant input, too few values) is None with the reason, never NaN dressed up as a number.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from careers.scoring import AREAS, TIE_TOLERANCE

# One non-zero difference gives p = 1 whatever its size: no test worth reporting.
MIN_NONZERO_DIFFERENCES_FOR_WILCOXON = 2


def _float_or_none(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def snap_to_zero(differences: np.ndarray) -> np.ndarray:
    """Treat differences within rounding noise of zero as exact zeros (ties, for the tests)."""
    differences = np.asarray(differences, dtype=float)
    return np.where(np.abs(differences) <= TIE_TOLERANCE, 0.0, differences)


def signed_rank_test(differences: np.ndarray) -> tuple[float | None, str | None]:
    """Two-sided Wilcoxon signed-rank p for paired differences, or None with the reason."""
    differences = snap_to_zero(differences)
    nonzero = int(np.count_nonzero(differences))
    if nonzero == 0:
        return None, "Wilcoxon test undefined: all differences are zero"
    if nonzero < MIN_NONZERO_DIFFERENCES_FOR_WILCOXON:
        return None, (
            f"Wilcoxon test undefined: needs at least {MIN_NONZERO_DIFFERENCES_FOR_WILCOXON} "
            f"non-zero differences, found {nonzero}"
        )
    with warnings.catch_warnings():
        # Zero differences are dropped by design (zero_method="wilcox"); scipy's warnings
        # about them add nothing to the note.
        warnings.simplefilter("ignore", RuntimeWarning)
        pvalue = stats.wilcoxon(differences, zero_method="wilcox").pvalue
    result = _float_or_none(pvalue)
    return result, None if result is not None else "Wilcoxon test undefined for these data"


def paired_t_test(first: np.ndarray, second: np.ndarray) -> tuple[float | None, str | None]:
    """Two-sided paired t-test p, or None with the reason."""
    differences = snap_to_zero(np.asarray(second, dtype=float) - np.asarray(first, dtype=float))
    if differences.size < 2:
        return None, f"paired t-test undefined: needs at least 2 pairs, found {differences.size}"
    if np.ptp(differences) <= TIE_TOLERANCE:
        # scipy reports p = 0 (infinite t) here, which would claim certainty from no variance.
        return None, "paired t-test undefined: all differences are equal"
    return _float_or_none(stats.ttest_rel(second, first).pvalue), None


def rank_correlation(
    first: np.ndarray, second: np.ndarray
) -> tuple[float | None, float | None, str | None]:
    """Spearman's rho and its p, each None (with the reason) when undefined."""
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    if first.size < 2:
        return None, None, f"Spearman's rho undefined: needs at least 2 items, found {first.size}"
    if np.ptp(first) <= TIE_TOLERANCE or np.ptp(second) <= TIE_TOLERANCE:
        return None, None, "Spearman's rho undefined: one of the variables is constant"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.spearmanr(first, second)
    rho = _float_or_none(result.statistic)
    pvalue = _float_or_none(result.pvalue)
    note = None
    if rho is not None and pvalue is None:
        note = f"Spearman's p undefined for {first.size} items"
    return rho, pvalue, note


def bootstrap_mean_ci(
    values: np.ndarray, *, replicates: int, confidence: float, seed: int
) -> tuple[float | None, float | None]:
    """Percentile bootstrap CI of the mean, resampling all replicates in one array operation."""
    values = np.asarray(values, dtype=float)
    if replicates == 0 or values.size < 2:
        return None, None
    # A fresh generator per call: the same seed gives a group the same interval however the
    # other groups are formed or ordered.
    generator = np.random.default_rng(seed)
    indices = generator.integers(0, values.size, size=(replicates, values.size))
    means = values[indices].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def riasec_sort_key(column: pd.Series) -> pd.Series:
    """Sort key for `sort_values`: areas in RIASEC order, other columns as they are."""
    if column.name == "area":
        return column.map({area: position for position, area in enumerate(AREAS)})
    return column


def statistics_frame(
    rows: list[dict[str, object]], columns: list[str], *, nullable: Sequence[str]
) -> pd.DataFrame:
    """Build a result frame whose `nullable` columns hold Python floats or None.

    None, not NaN, marks an undefined statistic: it is what the API serves as null, and the
    column keeps the same (object) dtype whether or not a value happens to be undefined.
    """
    frame = pd.DataFrame(rows, columns=columns)
    for column in nullable:
        values = [row.get(column) for row in rows]
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
    return frame
