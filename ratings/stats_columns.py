"""What the campaign statistics promise: the columns of their input and result tables, the
fields of an alpha result and the reasons they leave data out.

Kept apart from `ratings.stats`, which imports pandas, scipy and krippendorff, so that the result
tables, labels and pages that name these load without the statistics stack; the statistics
import them from here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Agreement (`ratings.stats.agreement`).
REASON_NOTHING_PAIRABLE = "nothing pairable"
REASON_NO_VARIATION = "no variation"
# Distinct values whose distance is still zero, e.g. ratio values c and -c.
REASON_NO_EXPECTED_DISAGREEMENT = "no expected disagreement"


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha of one set of ratings, with its sample sizes and bootstrap CI."""

    alpha: float | None
    level: str
    reason: str | None
    n_units: int
    n_raters: int
    n_ratings: int
    n_pairable_values: int
    n_units_not_pairable: int
    ci_low: float | None
    ci_high: float | None
    bootstrap_replicates: int
    seed: int | None
    bootstrap_undefined: int
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


ALPHA_RESULT_FIELDS: tuple[str, ...] = tuple(
    field.name for field in dataclasses.fields(AlphaResult)
)

# Discrepancy (`ratings.stats.discrepancy`).
SELF_COLUMNS: tuple[str, ...] = ("endpoint", "language", "item", "area", "replication", "value")
EXPERT_COLUMNS: tuple[str, ...] = ("endpoint", "language", "item", "area", "unit", "rater", "value")
NO_SELF_ASSESSMENT = "no self-assessment"
NO_EXPERT_RATING = "no expert rating"
ITEM_COLUMNS: list[str] = [
    "endpoint",
    "language",
    "item",
    "area",
    "self",
    "expert",
    "difference",
    "n_self",
    "n_units",
    "n_ratings",
]
GROUP_STATISTIC_COLUMNS: list[str] = [
    "n",
    "mean_difference",
    "ci_low",
    "ci_high",
    "share_underestimated",
    "spearman_rho",
    "spearman_p",
    "wilcoxon_p",
    "note",
]
EXCLUDED_COLUMNS: list[str] = ["endpoint", "language", "item", "area", "reason"]
ALIGNMENT_COLUMNS: list[str] = [
    "endpoint",
    "language",
    "competence",
    "spearman_rho",
    "spearman_p",
    "n",
    "n_unpaired_items",
    "note",
]
