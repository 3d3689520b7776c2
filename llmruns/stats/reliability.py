"""Reliability coefficients of a complete respondents x items (or targets x judges) matrix.

Cronbach's alpha, McDonald's omega total and the six intraclass correlations of Shrout and
Fleiss (1979), as plain numpy/scipy functions (no Django, no pandas). The frame-level
diagnostics of a run (`llmruns.stats.diagnostics`) arrange the answers into such matrices.

Estimation, stated so a reviewer can reproduce every number:

- Cronbach's alpha: k / (k - 1) * (1 - sum of item variances / variance of the total), sample
  variances (ddof 1).
- McDonald's omega total from a one-factor model fitted by iterated principal-axis factoring of
  the item correlation matrix: communalities start at the squared multiple correlations and are
  re-estimated from the first factor's loadings until they change by less than 1e-6 (a fit
  that has not settled after 1000 iterations is undefined; bootstrap replicates stop at 1e-4), each kept within [0.005, 0.995] (a communality at the upper bound is a Heywood
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

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_COMMUNALITY = 0.005
MAX_COMMUNALITY = 0.995
PAF_TOLERANCE = 1e-6
# Bootstrap replicates only place the interval's percentiles: a looser fit is enough.
BOOTSTRAP_PAF_TOLERANCE = 1e-4
PAF_MAX_ITERATIONS = 1000
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


def _smc(correlations: np.ndarray) -> np.ndarray:
    """Squared multiple correlations of each item on the others, for a (B, k, k) stack; where a
    matrix is singular, the item's largest absolute correlation instead."""
    k = correlations.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        smc = 1.0 - 1.0 / np.diagonal(
            np.linalg.pinv(correlations, hermitian=True), axis1=1, axis2=2
        )
    largest = np.max(np.abs(correlations - np.eye(k)), axis=2)
    return np.where(np.isfinite(smc) & (smc > 0) & (smc < 1), smc, largest)


def one_factor_loadings_batch(
    correlations: np.ndarray, *, tolerance: float = PAF_TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Iterated principal-axis loadings of one factor for a (B, k, k) stack of correlation
    matrices, and per matrix whether a communality reached the upper bound (Heywood case).

    Each step takes the leading eigenvector of the reduced matrix (communalities on the
    diagonal) by one power iteration from the current loadings, whose fixed point is the
    principal-axis solution: the loadings l with (R - I + diag(l^2)) l = (l'l) l.
    """
    correlations = np.asarray(correlations, dtype=float)
    _batch, k, _k = correlations.shape
    communality = np.clip(_smc(correlations), MIN_COMMUNALITY, MAX_COMMUNALITY)
    loadings = np.sqrt(communality)
    off_diagonal = correlations * (1.0 - np.eye(k))
    # Only the fits that have not settled yet are iterated further.
    active = np.arange(len(correlations))
    for _iteration in range(PAF_MAX_ITERATIONS):
        current, current_communality = loadings[active], communality[active]
        product = (
            np.einsum("bij,bj->bi", off_diagonal[active], current) + current_communality * current
        )
        norm = np.linalg.norm(product, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            eigenvalue = np.einsum("bi,bi->b", current, product) / np.einsum(
                "bi,bi->b", current, current
            )
            updated = product / norm[:, None] * np.sqrt(np.maximum(eigenvalue, 0.0))[:, None]
        updated[~np.isfinite(updated)] = 0.0
        new_communality = np.clip(updated**2, MIN_COMMUNALITY, MAX_COMMUNALITY)
        change = np.max(np.abs(new_communality - current_communality), axis=1)
        communality[active] = new_communality
        loadings[active] = np.sign(updated) * np.sqrt(new_communality)
        active = active[change >= tolerance]
        if active.size == 0:
            break
    flip = loadings.sum(axis=1) < 0
    loadings[flip] = -loadings[flip]
    # A fit that did not settle within the iterations has no solution to report.
    loadings[active] = np.nan
    return loadings, np.any(communality >= MAX_COMMUNALITY, axis=1)


def one_factor_loadings(correlation: np.ndarray) -> tuple[np.ndarray, bool]:
    """Standardised loadings of one factor by iterated principal axes; and whether a
    communality reached the upper bound (a Heywood case)."""
    loadings, heywood = one_factor_loadings_batch(np.asarray(correlation, dtype=float)[None])
    return loadings[0], bool(heywood[0])


def _omega_from_loadings(loadings: np.ndarray) -> np.ndarray:
    common = loadings.sum(axis=-1) ** 2
    return common / (common + (1.0 - loadings**2).sum(axis=-1))


def _correlations(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrices of a (B, n, k) stack, and which have an item without variance."""
    centred = batch - batch.mean(axis=1, keepdims=True)
    sd = np.sqrt((centred**2).sum(axis=1) / (batch.shape[1] - 1))
    constant = np.any(sd <= math.sqrt(VARIANCE_TOLERANCE), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        standardised = centred / sd[:, None, :]
    standardised = np.nan_to_num(standardised)
    correlations = np.einsum("bni,bnj->bij", standardised, standardised) / (batch.shape[1] - 1)
    k = batch.shape[2]
    correlations[:, np.arange(k), np.arange(k)] = 1.0
    return correlations, constant


def _omega_batch(
    batch: np.ndarray, *, tolerance: float = PAF_TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Omega of each matrix of a (B, n, k) stack (NaN where an item has no variance), and
    whether each fit is a Heywood case."""
    correlations, constant = _correlations(batch)
    omega = np.full(len(batch), np.nan)
    heywood = np.zeros(len(batch), dtype=bool)
    if not constant.all():
        loadings, fitted_heywood = one_factor_loadings_batch(
            correlations[~constant], tolerance=tolerance
        )
        omega[~constant] = _omega_from_loadings(loadings)
        heywood[~constant] = fitted_heywood
    return omega, heywood


def _omega(matrix: np.ndarray) -> tuple[float | None, str | None, bool]:
    n, k = matrix.shape
    if k < 2:
        return None, f"omega undefined: needs at least 2 items, found {k}", False
    if n < 3:
        return None, f"omega undefined: needs at least 3 complete respondents, found {n}", False
    if np.any(matrix.var(axis=0, ddof=1) <= VARIANCE_TOLERANCE):
        return None, "omega undefined: an item has the same answer from every respondent", False
    omega, heywood = _omega_batch(matrix[None])
    if np.isnan(omega[0]):
        return None, "omega undefined: the one-factor fit did not converge", False
    return float(omega[0]), None, bool(heywood[0])


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


def _omega_many(
    batches: list[np.ndarray], *, tolerance: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`_omega_batch` of several (B, n, k) stacks, fitted together: one iteration serves every
    correlation matrix of the same size, whatever stack it comes from."""
    prepared = [_correlations(batch) for batch in batches]
    results = [(np.full(len(batch), np.nan), np.zeros(len(batch), dtype=bool)) for batch in batches]
    for k in sorted({batch.shape[2] for batch in batches}):
        members = [i for i, batch in enumerate(batches) if batch.shape[2] == k]
        stacked = np.concatenate([prepared[i][0][~prepared[i][1]] for i in members])
        if not len(stacked):
            continue
        loadings, heywood = one_factor_loadings_batch(stacked, tolerance=tolerance)
        omegas = _omega_from_loadings(loadings)
        start = 0
        for i in members:
            fitted = ~prepared[i][1]
            count = int(fitted.sum())
            results[i][0][fitted] = omegas[start : start + count]
            results[i][1][fitted] = heywood[start : start + count]
            start += count
    return results


def consistency_many(
    matrices: list[np.ndarray], *, replicates: int, confidence: float, seed: int
) -> list[tuple[Coefficient, Coefficient]]:
    """Alpha and omega of each complete matrix, each with its percentile bootstrap interval
    (every matrix resampled with a generator seeded by `seed`, as if it were alone)."""
    matrices = [_matrix(values) for values in matrices]
    alphas = [cronbach_alpha(matrix) for matrix in matrices]
    omegas: list[tuple[float | None, str | None]] = []
    fittable = []
    for matrix in matrices:
        n, k = matrix.shape
        if k < 2:
            omegas.append((None, f"omega undefined: needs at least 2 items, found {k}"))
        elif n < 3:
            omegas.append(
                (None, f"omega undefined: needs at least 3 complete respondents, found {n}")
            )
        elif np.any(matrix.var(axis=0, ddof=1) <= VARIANCE_TOLERANCE):
            omegas.append(
                (None, "omega undefined: an item has the same answer from every respondent")
            )
        else:
            omegas.append((None, None))
            fittable.append(len(omegas) - 1)
    fitted = _omega_many([matrices[i][None] for i in fittable], tolerance=PAF_TOLERANCE)
    for i, (omega, heywood) in zip(fittable, fitted, strict=True):
        if np.isnan(omega[0]):
            omegas[i] = (None, "omega undefined: the one-factor fit did not converge")
        elif heywood[0]:
            omegas[i] = (
                float(omega[0]),
                "a communality reached its bound (Heywood case); omega may be overestimated",
            )
        else:
            omegas[i] = (float(omega[0]), None)

    samples = []
    for matrix in matrices:
        generator = np.random.default_rng(seed)
        rows = generator.integers(0, matrix.shape[0], size=(replicates, matrix.shape[0]))
        samples.append(matrix[rows])
    resampled = [
        i
        for i, matrix in enumerate(matrices)
        if replicates and matrix.shape[0] >= 2 and omegas[i][0] is not None
    ]
    bootstrap_omegas = dict(
        zip(
            resampled,
            _omega_many([samples[i] for i in resampled], tolerance=BOOTSTRAP_PAF_TOLERANCE),
            strict=True,
        )
    )
    results = []
    for i, matrix in enumerate(matrices):
        (alpha, alpha_note), (omega, omega_note) = alphas[i], omegas[i]
        if replicates == 0 or matrix.shape[0] < 2:
            results.append(
                (Coefficient(alpha, note=alpha_note), Coefficient(omega, note=omega_note))
            )
            continue
        alpha_samples = (
            _alpha_batch(samples[i]) if matrix.shape[1] >= 2 else np.full(replicates, np.nan)
        )
        omega_samples = (
            bootstrap_omegas[i][0] if i in bootstrap_omegas else np.full(replicates, np.nan)
        )
        alpha_ci = _percentile(alpha_samples, confidence) if alpha is not None else (None, None)
        omega_ci = _percentile(omega_samples, confidence) if omega is not None else (None, None)
        results.append(
            (
                Coefficient(
                    alpha,
                    *alpha_ci,
                    note=alpha_note,
                    undefined_replicates=int(np.isnan(alpha_samples).sum())
                    if alpha is not None
                    else 0,
                ),
                Coefficient(
                    omega,
                    *omega_ci,
                    note=omega_note,
                    undefined_replicates=int(np.isnan(omega_samples).sum())
                    if omega is not None
                    else 0,
                ),
            )
        )
    return results


def consistency(
    values: np.ndarray, *, replicates: int, confidence: float, seed: int
) -> tuple[Coefficient, Coefficient]:
    """Alpha and omega of a complete matrix, each with its percentile bootstrap interval."""
    return consistency_many([values], replicates=replicates, confidence=confidence, seed=seed)[0]


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
