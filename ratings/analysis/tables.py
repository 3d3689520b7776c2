"""The tables of the campaign statistics, registered with those of the run statistics.

`llmruns.analysis.tables` holds the registries and the CSV form; importing this module adds
agreement, raters, units and discrepancy to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmruns.analysis.tables import (
    EXCLUSION_TABLE_COLUMNS,
    MIXED_MODEL,
    PROFILES,
    RESULT_TABLES,
    TABLE_COLUMNS,
    TABLE_ROWS,
    result_columns,
    result_table,
    table_csv,
)
from ratings.stats_columns import (
    ALIGNMENT_COLUMNS,
    ALPHA_RESULT_FIELDS,
    EXCLUDED_COLUMNS,
    GROUP_STATISTIC_COLUMNS,
    ITEM_COLUMNS,
)

__all__ = [
    "AGREEMENT",
    "DISCREPANCY",
    "EXCLUSION_TABLE_COLUMNS",
    "MIXED_MODEL",
    "PROFILES",
    "RATERS",
    "RESULT_TABLES",
    "UNITS",
    "result_columns",
    "result_table",
    "table_csv",
]

AGREEMENT = "agreement"
RATERS = "raters"
UNITS = "units"
DISCREPANCY = "discrepancy"

RESULT_TABLES.update(
    {
        AGREEMENT: ("agreement", "exclusions"),
        RATERS: ("results", "exclusions"),
        UNITS: ("results", "exclusions"),
        DISCREPANCY: ("groups", "items", "excluded_items", "alignment", "exclusions"),
    }
)
TABLE_COLUMNS.update(
    {
        (AGREEMENT, "agreement"): lambda by: [*by, *ALPHA_RESULT_FIELDS],
        (RATERS, "results"): lambda by: [
            "rater",
            "n",
            "mean",
            "mean_deviation",
            "alpha_without",
            "flagged",
            "direction",
        ],
        (UNITS, "results"): lambda by: [
            "unit",
            "trial_id",
            "endpoint",
            "language",
            "item",
            "area",
            "is_gold",
            "n",
            "mean",
            "sd",
            "min",
            "max",
            "range",
            "high_disagreement",
        ],
        (DISCREPANCY, "groups"): lambda by: [*by, *GROUP_STATISTIC_COLUMNS],
        (DISCREPANCY, "items"): lambda by: list(ITEM_COLUMNS),
        (DISCREPANCY, "excluded_items"): lambda by: list(EXCLUDED_COLUMNS),
        (DISCREPANCY, "alignment"): lambda by: list(ALIGNMENT_COLUMNS),
    }
)


def _agreement_rows(result: Mapping[str, Any]) -> list[dict]:
    """The overall row (subgroup columns empty) then one row per subgroup."""
    by = list(result["by"])
    overall = {**dict.fromkeys(by), **result["result"]}
    return [overall, *result["groups"]]


TABLE_ROWS[AGREEMENT, "agreement"] = _agreement_rows
