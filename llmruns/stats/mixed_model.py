"""The paper's mixed model of interest: value ~ area x language x model, random item intercept.

Fits statsmodels MixedLM by REML on every valid interest answer and returns the fixed-effect
coefficients with SEs, CIs and p, the variance components, the counts, and every warning the
fit raised (a model that did not converge says so; it is never reported as if it had).
Pure pandas/statsmodels; no Django.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.regression.mixed_linear_model import MixedLMResults

from careers.scoring import AREAS, require_columns, validate_areas, validate_scale_values
from llmruns.stats_columns import COEFFICIENT_COLUMNS, INTEREST_COLUMNS

# Order of the factors in the formula; the first level of each is the reference level.
FACTORS: tuple[str, ...] = ("area", "language", "endpoint")


@dataclass(frozen=True)
class MixedModelResult:
    """A fitted mixed model of interest, with what went into it and what the fit reported."""

    formula: str
    coefficients: pd.DataFrame
    variance_components: pd.DataFrame
    n_observations: int
    n_items: int
    n_excluded: int
    converged: bool
    reference_levels: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    log_likelihood: float | None = None


def _model_frame(interest: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    require_columns(interest, INTEREST_COLUMNS, name="interest")
    validate_areas(interest["area"])
    validate_scale_values(interest["value"], what="interest value")
    valid = interest["value"].notna()
    frame = interest.loc[valid, ["item", "value", *FACTORS]].copy()
    # RIASEC order makes R the reference area, as in the instrument, instead of alphabetical A.
    present_areas = [area for area in AREAS if area in set(frame["area"])]
    frame["area"] = pd.Categorical(frame["area"], categories=present_areas)
    for factor in ("language", "endpoint"):
        levels = sorted(frame[factor].unique(), key=str)
        frame[factor] = pd.Categorical(frame[factor], categories=levels)
    return frame.reset_index(drop=True), int((~valid).sum())


def _formula_and_notes(frame: pd.DataFrame) -> tuple[str, dict[str, str], list[str]]:
    kept: list[str] = []
    reference_levels: dict[str, str] = {}
    notes: list[str] = []
    for factor in FACTORS:
        levels = list(frame[factor].cat.categories)
        if len(levels) < 2:
            # A factor with one level has no contrast to estimate; the model simply omits it.
            notes.append(
                f"only one {factor} ({levels[0]}): {factor} and its interactions are dropped "
                "from the model"
            )
            continue
        kept.append(f"C({factor})")
        reference_levels[factor] = str(levels[0])
    right_hand_side = " * ".join(kept) if kept else "1"
    return f"value ~ {right_hand_side}", reference_levels, notes


def _coefficients(result: MixedLMResults, *, confidence: float) -> pd.DataFrame:
    names = list(result.fe_params.index)
    intervals = result.conf_int(alpha=1.0 - confidence).loc[names]
    return pd.DataFrame(
        {
            "term": names,
            "estimate": result.fe_params.to_numpy(dtype=float),
            "se": result.bse_fe.loc[names].to_numpy(dtype=float),
            "ci_low": intervals.iloc[:, 0].to_numpy(dtype=float),
            "ci_high": intervals.iloc[:, 1].to_numpy(dtype=float),
            "p": result.pvalues.loc[names].to_numpy(dtype=float),
        },
        columns=COEFFICIENT_COLUMNS,
    )


def _variance_components(result: MixedLMResults) -> pd.DataFrame:
    item_variance = float(result.cov_re.iloc[0, 0])
    residual_variance = float(result.scale)
    return pd.DataFrame(
        {
            "component": ["item intercept", "residual"],
            "variance": [item_variance, residual_variance],
            "sd": [np.sqrt(max(item_variance, 0.0)), np.sqrt(max(residual_variance, 0.0))],
        }
    )


def fit_mixed_model(interest: pd.DataFrame, *, confidence: float = 0.95) -> MixedModelResult:
    """Fit value ~ C(area) * C(language) * C(endpoint) with a random intercept per item.

    `interest` is long: endpoint, language, item, area, replication, value (NaN for an invalid
    or refused answer; those rows are left out and counted in `n_excluded`). Reference levels
    are R for area and the alphabetically first language and endpoint. A factor with a single
    level is dropped from the formula, with a note. Warnings raised while fitting (convergence,
    a variance on the boundary, ...) are recorded in `warnings`.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    frame, n_excluded = _model_frame(interest)
    n_items = int(frame["item"].nunique())
    if n_items < 2:
        raise ValueError(
            f"the mixed model needs valid answers to at least 2 items, found {n_items}"
        )
    formula, reference_levels, notes = _formula_and_notes(frame)
    if n_excluded:
        notes.append(f"{n_excluded} invalid or refused answer(s) excluded")

    # Results are computed lazily by statsmodels, so everything read from the fit stays inside
    # the block: a warning raised while computing an SE or the likelihood is recorded too.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = smf.mixedlm(formula, frame, groups=frame["item"])
        try:
            result = model.fit(reml=True)
        except np.linalg.LinAlgError as error:
            raise ValueError(f"the mixed model cannot be fitted to these data: {error}") from error
        coefficients = _coefficients(result, confidence=confidence)
        variance_components = _variance_components(result)
        log_likelihood = float(result.llf)
        n_observations = int(result.nobs)
        converged = bool(result.converged)
    fit_warnings = list(
        dict.fromkeys(f"{warning.category.__name__}: {warning.message}" for warning in caught)
    )
    return MixedModelResult(
        formula=formula,
        coefficients=coefficients,
        variance_components=variance_components,
        n_observations=n_observations,
        n_items=n_items,
        n_excluded=n_excluded,
        converged=converged,
        reference_levels=reference_levels,
        warnings=fit_warnings,
        notes=notes,
        log_likelihood=None if np.isnan(log_likelihood) else log_likelihood,
    )
