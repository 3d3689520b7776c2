"""Reliability coefficients of a complete respondents x items (or targets x judges) matrix.

Cronbach's alpha, McDonald's omega total and the six intraclass correlations of Shrout and
Fleiss (1979), as plain numpy/scipy functions (no Django, no pandas). The frame-level
diagnostics of a run (`llmruns.stats.diagnostics`) arrange the answers into such matrices.

Estimation, stated so a reviewer can reproduce every number:

- Cronbach's alpha: k / (k - 1) * (1 - sum of item variances / variance of the total), sample
  variances (ddof 1).
- McDonald's omega total from a one-factor model fitted by iterated principal-axis factoring of
  the item correlation matrix: communalities start at the squared multiple correlations and are
  re-estimated from the first factor's loadings until they change by less than 1e-6 (at most 500
  iterations), each kept within [0.005, 0.995] (a communality at the upper bound is a Heywood
  case and is noted). With standardised loadings l: omega = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)).
  Equal loadings give omega = standardised alpha; a one-factor correlation matrix gives back its
  own loadings exactly.
- ICC: from the two-way ANOVA mean squares of an n targets x k judges matrix (BMS between
  targets, WMS within targets, JMS between judges, EMS residual), the Shrout-Fleiss formulas
  ICC(1,1), ICC(2,1), ICC(3,1) and their averages over k judges ICC(1,k), ICC(2,k), ICC(3,k),
  with the F tests and confidence intervals of McGraw and Wong (1996) (the ICC(2,*) interval by
  Satterthwaite's approximation).
- Bootstrap intervals resample respondents (rows) with replacement, percentile method; a
  replicate whose coefficient is undefined is left out and counted.

A coefficient undefined for the data (too few respondents or items, no variance) is None with
the reason, never NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_COMMUNALITY = 0.005
MAX_COMMUNALITY = 0.995
PAF_TOLERANCE = 1e-6
PAF_MAX_ITERATIONS = 500
VARIANCE_TOLERANCE = 1e-12

ICC_FORMS: tuple[str, ...] = (
    "ICC(1,1)",
    "ICC(2,1)",
    "ICC(3,1)",
    "ICC(1,k)",
    "ICC(2,k)",
    "ICC(3,k)",
)
ICC_DESCRIPTIONS: dict[str, str] = {
    "ICC(1,1)": "one-way random effects, single judge",
    "ICC(2,1)": "two-way random effects, absolute agreement, single judge",
    "ICC(3,1)": "two-way mixed effects, consistency, single judge",
    "ICC(1,k)": "one-way random effects, mean of k judges",
    "ICC(2,k)": "two-way random effects, absolute agreement, mean of k judges",
    "ICC(3,k)": "two-way mixed effects, consistency, mean of k judges",
}


@dataclass(frozen=True)
class Coefficient:
    """A coefficient with its bootstrap interval, or None with the reason."""

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str | None = None
    undefined_replicates: int = 0


def _matrix(values: np.ndarray) -> np.ndarray:
    matrix = np.asarray(values, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"expected a respondents x items matrix, got {matrix.ndim} dimension(s)")
    if np.isnan(matrix).any():
        raise ValueError("the matrix must be complete (no missing values)")
    return matrix


# --- Cronbach's alpha ----------------------------------------------------------------------------


def _alpha_batch(batch: np.ndarray) -> np.ndarray:
    """Alpha of each matrix of a (B, n, k) stack; NaN where the total has no variance."""
    k = batch.shape[2]
    item_variances = batch.var(axis=1, ddof=1).sum(axis=1)
    total_variance = batch.sum(axis=2).var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = k / (k - 1) * (1.0 - item_variances / total_variance)
    return np.where(total_variance > VARIANCE_TOLERANCE, alpha, np.nan)


def cronbach_alpha(values: np.ndarray) -> tuple[float | None, str | None]:
    """Cronbach's alpha of a complete respondents x items matrix, or None with the reason."""
    matrix = _matrix(values)
    n, k = matrix.shape
    if k < 2:
        return None, f"alpha undefined: needs at least 2 items, found {k}"
    if n < 2:
        return None, f"alpha undefined: needs at least 2 complete respondents, found {n}"
    value = float(_alpha_batch(matrix[None])[0])
    if np.isnan(value):
        return None, "alpha undefined: the total score has no variance"
    return value, None


# --- McDonald's omega ----------------------------------------------------------------------------


def one_factor_loadings(correlation: np.ndarray) -> tuple[np.ndarray, bool]:
    """Standardised loadings of one factor by iterated principal axes; and whether a
    communality reached the upper bound (a Heywood case)."""
    correlation = np.asarray(correlation, dtype=float)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            communality = 1.0 - 1.0 / np.diag(np.linalg.inv(correlation))
    except np.linalg.LinAlgError:
        communality = np.full(len(correlation), np.nan)
    if not np.all(np.isfinite(communality)):
        # A singular matrix has no squared multiple correlations: start at the largest
        # absolute correlation of each item instead.
        communality = np.max(np.abs(correlation - np.eye(len(correlation))), axis=0)
    communality = np.clip(communality, MIN_COMMUNALITY, MAX_COMMUNALITY)
    loadings = np.sqrt(communality)
    for _iteration in range(PAF_MAX_ITERATIONS):
        reduced = correlation.copy()
        np.fill_diagonal(reduced, communality)
        eigenvalues, eigenvectors = np.linalg.eigh(reduced)
        loadings = eigenvectors[:, -1] * np.sqrt(max(eigenvalues[-1], 0.0))
        updated = np.clip(loadings**2, MIN_COMMUNALITY, MAX_COMMUNALITY)
        converged = np.max(np.abs(updated - communality)) < PAF_TOLERANCE
        communality = updated
        if converged:
            break
    if loadings.sum() < 0:
        loadings = -loadings
    loadings = np.sign(loadings) * np.sqrt(communality)
    return loadings, bool(np.any(communality >= MAX_COMMUNALITY))


def _omega_from_loadings(loadings: np.ndarray) -> float:
    common = loadings.sum() ** 2
    return float(common / (common + (1.0 - loadings**2).sum()))


def _omega(matrix: np.ndarray) -> tuple[float | None, str | None, bool]:
    n, k = matrix.shape
    if k < 2:
        return None, f"omega undefined: needs at least 2 items, found {k}", False
    if n < 3:
        return None, f"omega undefined: needs at least 3 complete respondents, found {n}", False
    if np.any(matrix.var(axis=0, ddof=1) <= VARIANCE_TOLERANCE):
        return None, "omega undefined: an item has the same answer from every respondent", False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        correlation = np.corrcoef(matrix, rowvar=False)
    loadings, heywood = one_factor_loadings(correlation)
    return _omega_from_loadings(loadings), None, heywood


def mcdonald_omega(values: np.ndarray) -> tuple[float | None, str | None]:
    """McDonald's omega total (one factor, principal axes), or None with the reason."""
    value, reason, heywood = _omega(_matrix(values))
    if value is not None and heywood:
        reason = "a communality reached its bound (Heywood case); omega may be overestimated"
    return value, reason


# --- bootstrap -----------------------------------------------------------------------------------


def _percentile(values: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    values = values[~np.isnan(values)]
    if values.size < 2:
        return None, None
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)


def consistency(
    values: np.ndarray, *, replicates: int, confidence: float, seed: int
) -> tuple[Coefficient, Coefficient]:
    """Alpha and omega of a complete matrix, each with its percentile bootstrap interval."""
    matrix = _matrix(values)
    alpha, alpha_note = cronbach_alpha(matrix)
    omega, omega_note = mcdonald_omega(matrix)
    if replicates == 0 or matrix.shape[0] < 2:
        return Coefficient(alpha, note=alpha_note), Coefficient(omega, note=omega_note)
    generator = np.random.default_rng(seed)
    rows = generator.integers(0, matrix.shape[0], size=(replicates, matrix.shape[0]))
    samples = matrix[rows]
    alphas = _alpha_batch(samples) if matrix.shape[1] >= 2 else np.full(replicates, np.nan)
    omegas = np.full(replicates, np.nan)
    if omega is not None:
        for index in range(replicates):
            value, _reason, _heywood = _omega(samples[index])
            omegas[index] = np.nan if value is None else value
    alpha_ci = _percentile(alphas, confidence) if alpha is not None else (None, None)
    omega_ci = _percentile(omegas, confidence) if omega is not None else (None, None)
    return (
        Coefficient(
            alpha,
            *alpha_ci,
            note=alpha_note,
            undefined_replicates=int(np.isnan(alphas).sum()) if alpha is not None else 0,
        ),
        Coefficient(
            omega,
            *omega_ci,
            note=omega_note,
            undefined_replicates=int(np.isnan(omegas).sum()) if omega is not None else 0,
        ),
    )


# --- intraclass correlations ---------------------------------------------------------------------


def _none_if_nan(value: float) -> float | None:
    value = float(value)
    return None if np.isnan(value) or np.isinf(value) else value


def icc_table(values: np.ndarray, *, confidence: float = 0.95) -> list[dict[str, object]]:
    """The six Shrout-Fleiss ICCs of a complete n targets x k judges matrix.

    One row per form: `form`, `description`, `k`, `n_targets`, `icc`, `ci_low`, `ci_high`, and
    the F test against ICC = 0 (`f`, `df1`, `df2`, `p`).
    """
    matrix = _matrix(values)
    n, k = matrix.shape
    if n < 2 or k < 2:
        raise ValueError(f"ICC needs at least 2 targets and 2 judges, found {n} x {k}")
    grand = matrix.mean()
    ss_total = ((matrix - grand) ** 2).sum()
    ss_targets = k * ((matrix.mean(axis=1) - grand) ** 2).sum()
    ss_judges = n * ((matrix.mean(axis=0) - grand) ** 2).sum()
    ss_error = ss_total - ss_targets - ss_judges
    bms = ss_targets / (n - 1)
    wms = (ss_total - ss_targets) / (n * (k - 1))
    jms = ss_judges / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))
    alpha = 1.0 - confidence

    def f_quantile(df1: float, df2: float) -> float:
        return float(stats.f.ppf(1.0 - alpha / 2.0, df1, df2))

    rows: list[dict[str, object]] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (bms - wms) / (bms + (k - 1) * wms)
        icc2 = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
        icc3 = (bms - ems) / (bms + (k - 1) * ems)
        icc1k = (bms - wms) / bms
        icc2k = (bms - ems) / (bms + (jms - ems) / n)
        icc3k = (bms - ems) / bms

        # One-way: F = BMS / WMS.
        f1, df1_1, df2_1 = bms / wms, n - 1, n * (k - 1)
        f1_low = f1 / f_quantile(df1_1, df2_1)
        f1_high = f1 * f_quantile(df2_1, df1_1)
        ci1 = ((f1_low - 1) / (f1_low + k - 1), (f1_high - 1) / (f1_high + k - 1))
        ci1k = (1 - 1 / f1_low, 1 - 1 / f1_high)

        # Two-way: F = BMS / EMS (the same test for ICC(2,*) and ICC(3,*)).
        f3, df1_3, df2_3 = bms / ems, n - 1, (n - 1) * (k - 1)
        f3_low = f3 / f_quantile(df1_3, df2_3)
        f3_high = f3 * f_quantile(df2_3, df1_3)
        ci3 = ((f3_low - 1) / (f3_low + k - 1), (f3_high - 1) / (f3_high + k - 1))
        ci3k = (1 - 1 / f3_low, 1 - 1 / f3_high)

        # ICC(2,1): Satterthwaite's degrees of freedom for the combined judge and error terms.
        a = k * icc2 / (n * (1 - icc2))
        b = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
        v = (a * jms + b * ems) ** 2 / ((a * jms) ** 2 / (k - 1) + (b * ems) ** 2 / df2_3)
        f_star = f_quantile(n - 1, v)
        f_star2 = f_quantile(v, n - 1)
        low2 = n * (bms - f_star * ems) / (f_star * (k * jms + (k * n - k - n) * ems) + n * bms)
        high2 = n * (f_star2 * bms - ems) / (k * jms + (k * n - k - n) * ems + n * f_star2 * bms)
        ci2 = (low2, high2)
        ci2k = (low2 * k / (1 + low2 * (k - 1)), high2 * k / (1 + high2 * (k - 1)))

    p1 = float(stats.f.sf(f1, df1_1, df2_1))
    p3 = float(stats.f.sf(f3, df1_3, df2_3))
    tests = {
        "1": (f1, df1_1, df2_1, p1),
        "2": (f3, df1_3, df2_3, p3),
        "3": (f3, df1_3, df2_3, p3),
    }
    values_by_form = {
        "ICC(1,1)": (icc1, ci1),
        "ICC(2,1)": (icc2, ci2),
        "ICC(3,1)": (icc3, ci3),
        "ICC(1,k)": (icc1k, ci1k),
        "ICC(2,k)": (icc2k, ci2k),
        "ICC(3,k)": (icc3k, ci3k),
    }
    for form in ICC_FORMS:
        value, (low, high) = values_by_form[form]
        f_value, df1, df2, p = tests[form[4]]
        rows.append(
            {
                "form": form,
                "description": ICC_DESCRIPTIONS[form],
                "k": k,
                "n_targets": n,
                "icc": _none_if_nan(value),
                "ci_low": _none_if_nan(low),
                "ci_high": _none_if_nan(high),
                "f": _none_if_nan(f_value),
                "df1": float(df1),
                "df2": float(df2),
                "p": _none_if_nan(p),
            }
        )
    return rows
