"""Statistics of a run's answers, as pure functions over pandas DataFrames (no Django).

Re-exports the public names of the package's modules: profiles (interest profiles, Holland
codes, language differences), the mixed model, the psychometric diagnostics (`diagnostics`:
internal consistency, stability, response styles, presentation and method effects, answer
rates) with the coefficients behind them (`reliability`: alpha, omega, ICC), and the small tests
shared by every statistics module (`inference`). The statistics that need expert ratings live in `ratings.stats`.
"""

from __future__ import annotations

from llmruns.stats.diagnostics import (
    ANSWER_COLUMNS,
    CONSISTENCY_COLUMNS,
    EFFECT_COLUMNS,
    METHOD_COLUMNS,
    RATE_RESULT_COLUMNS,
    STABILITY_COLUMNS,
    STYLE_COLUMNS,
    answer_rates,
    internal_consistency,
    method_comparison,
    presentation_effects,
    response_styles,
    stability,
)
from llmruns.stats.inference import (
    bootstrap_mean_ci,
    paired_t_test,
    rank_correlation,
    riasec_sort_key,
    signed_rank_test,
    statistics_frame,
)
from llmruns.stats.mixed_model import (
    COEFFICIENT_COLUMNS,
    FACTORS,
    MixedModelResult,
    fit_mixed_model,
)
from llmruns.stats.profiles import (
    AREA_COLUMNS,
    DIFFERENCE_COLUMNS,
    EXCLUSION_COLUMNS,
    HOLLAND_COLUMNS,
    INCOMPLETE_RESPONDENT,
    INTEREST_COLUMNS,
    INVALID_ANSWER,
    NO_ANSWER_RECORDED,
    ProfileResult,
    interest_profiles,
    language_differences,
)
from llmruns.stats.reliability import cronbach_alpha, icc_table, mcdonald_omega

__all__ = [
    "ANSWER_COLUMNS",
    "CONSISTENCY_COLUMNS",
    "EFFECT_COLUMNS",
    "METHOD_COLUMNS",
    "RATE_RESULT_COLUMNS",
    "STABILITY_COLUMNS",
    "STYLE_COLUMNS",
    "answer_rates",
    "internal_consistency",
    "method_comparison",
    "presentation_effects",
    "response_styles",
    "stability",
    "cronbach_alpha",
    "icc_table",
    "mcdonald_omega",
    "AREA_COLUMNS",
    "COEFFICIENT_COLUMNS",
    "DIFFERENCE_COLUMNS",
    "EXCLUSION_COLUMNS",
    "FACTORS",
    "HOLLAND_COLUMNS",
    "INCOMPLETE_RESPONDENT",
    "INTEREST_COLUMNS",
    "INVALID_ANSWER",
    "NO_ANSWER_RECORDED",
    "MixedModelResult",
    "ProfileResult",
    "bootstrap_mean_ci",
    "fit_mixed_model",
    "interest_profiles",
    "language_differences",
    "paired_t_test",
    "rank_correlation",
    "riasec_sort_key",
    "signed_rank_test",
    "statistics_frame",
]
