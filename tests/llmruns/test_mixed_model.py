"""The mixed model of interest: value ~ area x language x endpoint, random item intercept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from careers.scoring import AREAS
from llmruns.stats.mixed_model import fit_mixed_model

# True area effects relative to R, the reference area.
AREA_EFFECTS = {"R": 0.0, "I": 0.5, "A": 1.0, "S": 1.5, "E": 0.0, "C": -0.5}
BASELINE = 2.5
ITEM_SD = 0.3
RESIDUAL_SD = 0.6


def simulate_interest(
    *, languages: tuple[str, ...] = ("en", "zh-hans"), replications: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Integer answers on the 1-5 scale from known area effects plus item and residual noise."""
    generator = np.random.default_rng(seed)
    item_effects = generator.normal(0.0, ITEM_SD, size=60)
    rows = []
    for endpoint in ("m1", "m2"):
        for language in languages:
            for replication in range(replications):
                for item_index in range(60):
                    area = AREAS[item_index // 10]
                    latent = (
                        BASELINE
                        + AREA_EFFECTS[area]
                        + item_effects[item_index]
                        + generator.normal(0.0, RESIDUAL_SD)
                    )
                    rows.append(
                        {
                            "endpoint": endpoint,
                            "language": language,
                            "item": item_index + 1,
                            "area": area,
                            "replication": replication,
                            "value": float(np.clip(np.round(latent), 1, 5)),
                        }
                    )
    return pd.DataFrame(rows)


def coefficient(result, term: str) -> pd.Series:
    rows = result.coefficients[result.coefficients["term"] == term]
    assert len(rows) == 1, f"no single coefficient {term}"
    return rows.iloc[0]


def test_estimated_area_effects_recover_the_simulated_truth():
    result = fit_mixed_model(simulate_interest())

    assert result.converged
    assert result.reference_levels == {"area": "R", "language": "en", "endpoint": "m1"}
    for area in ("I", "A", "S", "C"):
        estimate = coefficient(result, f"C(area)[T.{area}]")
        assert estimate["estimate"] == pytest.approx(AREA_EFFECTS[area], abs=0.3)
        assert estimate["ci_low"] < estimate["estimate"] < estimate["ci_high"]
    social = coefficient(result, "C(area)[T.S]")
    assert social["p"] < 0.001
    assert social["se"] > 0


def test_item_variance_component_is_positive_and_residual_near_truth():
    components = fit_mixed_model(simulate_interest()).variance_components.set_index("component")

    assert components.loc["item intercept", "variance"] > 0
    # rounding to the integer scale adds about 1/12 to the residual variance
    assert components.loc["residual", "variance"] == pytest.approx(
        RESIDUAL_SD**2 + 1 / 12, rel=0.25
    )


def test_invalid_answers_are_dropped_and_counted():
    interest = simulate_interest()
    interest.loc[[0, 5, 77], "value"] = np.nan

    result = fit_mixed_model(interest)

    assert result.n_excluded == 3
    assert result.n_observations == len(interest) - 3
    assert result.n_items == 60
    assert "3 invalid or refused answer(s) excluded" in result.notes


def test_full_formula_has_all_interactions_with_two_languages_and_endpoints():
    result = fit_mixed_model(simulate_interest(replications=2))

    assert result.formula == "value ~ C(area) * C(language) * C(endpoint)"
    assert "C(area)[T.S]:C(language)[T.zh-hans]:C(endpoint)[T.m2]" in set(
        result.coefficients["term"]
    )


def test_single_language_is_dropped_from_the_formula_with_a_note():
    result = fit_mixed_model(simulate_interest(languages=("en",)))

    assert result.formula == "value ~ C(area) * C(endpoint)"
    assert not result.coefficients["term"].str.contains("language").any()
    assert any("only one language (en)" in note for note in result.notes)
    assert "language" not in result.reference_levels
    assert coefficient(result, "C(area)[T.S]")["estimate"] == pytest.approx(1.5, abs=0.3)


def test_fit_that_cannot_converge_says_so_and_reports_warnings():
    # Identical answers leave no variance to estimate.
    interest = simulate_interest(replications=2).assign(value=3.0)

    result = fit_mixed_model(interest)

    assert result.converged is False
    assert any(warning.startswith("ConvergenceWarning") for warning in result.warnings)


def test_fewer_than_two_items_with_answers_is_rejected():
    interest = simulate_interest(replications=1)
    interest.loc[interest["item"] != 1, "value"] = np.nan

    with pytest.raises(ValueError, match="at least 2 items"):
        fit_mixed_model(interest)
