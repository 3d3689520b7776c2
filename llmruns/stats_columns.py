"""What the run statistics promise: the columns of their input and result tables and the
reasons they leave an answer out.

Kept apart from `llmruns.stats`, which imports pandas, scipy and statsmodels, so that the
result tables, labels and pages that name these load without the statistics stack; the
statistics import them from here.
"""

from __future__ import annotations

# The level of a factor (endpoint, language, method) that a table pools over.
POOLED = "all"

# Interest profiles (`llmruns.stats.profiles`).
INTEREST_COLUMNS: tuple[str, ...] = ("endpoint", "language", "item", "area", "replication", "value")
INVALID_ANSWER = "invalid or refused answer"
NO_ANSWER_RECORDED = "no answer recorded"
INCOMPLETE_RESPONDENT = "incomplete respondent"
AREA_COLUMNS: list[str] = [
    "endpoint",
    "language",
    "area",
    "n_respondents",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "mean_score",
    "n_complete",
]
HOLLAND_COLUMNS: list[str] = ["endpoint", "language", "code", "ties", "ambiguous", "missing"]
EXCLUSION_COLUMNS: list[str] = [
    "endpoint",
    "language",
    "area",
    "reason",
    "excluded_from",
    "n_answers",
    "n_respondents",
]
DIFFERENCE_COLUMNS: list[str] = [
    "endpoint",
    "area",
    "language_a",
    "language_b",
    "mean_a",
    "mean_b",
    "difference",
    "wilcoxon_p",
    "t_p",
    "n_items",
    "n_unpaired_items",
    "n_invalid_answers",
    "note",
]

# Diagnostics (`llmruns.stats.diagnostics`).
ANSWER_COLUMNS: tuple[str, ...] = (
    "endpoint",
    "language",
    "method",
    "item",
    "area",
    "replication",
    "template_variant",
    "scale_reversed",
    "value",
)
CONSISTENCY_COLUMNS: list[str] = [
    "area",
    "n_items",
    "n_respondents",
    "n_complete",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega",
    "omega_ci_low",
    "omega_ci_high",
    "note",
]
STABILITY_COLUMNS: list[str] = [
    "facet",
    "form",
    "description",
    "k",
    "n_targets",
    "n_targets_excluded",
    "icc",
    "ci_low",
    "ci_high",
    "f",
    "df1",
    "df2",
    "p",
    "note",
]
STYLE_COLUMNS: list[str] = [
    "n_respondents",
    "n_answers",
    "mean_agreement",
    "acquiescence_index",
    "ci_low",
    "ci_high",
    "extreme_share",
    "midpoint_share",
    "n_straight_lining",
    "straight_lining_share",
    "style",
    "flagged",
    "note",
]
EFFECT_COLUMNS: list[str] = [
    "effect",
    "contrast",
    "n_items",
    "mean_difference",
    "sd",
    "ci_low",
    "ci_high",
    "t",
    "p",
    "item_correlation",
    "flagged",
    "note",
]
METHOD_COLUMNS: list[str] = [
    "method_a",
    "method_b",
    "n_items",
    "correlation",
    "mean_difference",
    "ci_low",
    "ci_high",
    "p",
    "holland_a",
    "holland_b",
    "holland_agreement",
    "first_letter_agreement",
    "shared_letters",
    "note",
]
RATE_RESULT_COLUMNS: list[str] = [
    "endpoint",
    "language",
    "kind",
    "method",
    "n_trials",
    "n_finished",
    "ok",
    "invalid",
    "refused",
    "failed",
    "unfinished",
    "invalid_rate",
    "refusal_rate",
    "failure_rate",
]

# Mixed model (`llmruns.stats.mixed_model`).
COEFFICIENT_COLUMNS: list[str] = ["term", "estimate", "se", "ci_low", "ci_high", "p"]
