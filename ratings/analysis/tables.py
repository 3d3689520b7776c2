"""The tables of each statistic's result: which exist, their columns, and their CSV form.

A result (a plain dict from `ratings.analysis.results`) holds its tables as lists of row dicts;
the API's `?format=csv&table=...`, the dashboards' CSV links and the replication package all
take them from here, so a table has the same columns wherever it is downloaded.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ratings.stats import (
    ALPHA_RESULT_FIELDS,
    AREA_COLUMNS,
    COEFFICIENT_COLUMNS,
    DIFFERENCE_COLUMNS,
    EXCLUDED_COLUMNS,
    EXCLUSION_COLUMNS,
    GROUP_STATISTIC_COLUMNS,
    HOLLAND_COLUMNS,
    ITEM_COLUMNS,
)

AGREEMENT = "agreement"
RATERS = "raters"
UNITS = "units"
DISCREPANCY = "discrepancy"
PROFILES = "profiles"
MIXED_MODEL = "mixed-model"

# The tables of each statistic's result that have a CSV form, the first being the default.
RESULT_TABLES: dict[str, tuple[str, ...]] = {
    AGREEMENT: ("agreement", "exclusions"),
    RATERS: ("results", "exclusions"),
    UNITS: ("results", "exclusions"),
    DISCREPANCY: ("groups", "items", "excluded_items", "exclusions"),
    PROFILES: ("areas", "holland", "language_differences", "exclusion_details", "exclusions"),
    MIXED_MODEL: ("coefficients", "variance_components", "exclusions"),
}


EXCLUSION_TABLE_COLUMNS = ["reason", "count", "of"]


def result_table(statistic: str, result: Mapping[str, Any], table: str | None = None) -> list[dict]:
    """One table of a result as rows, for CSV: the default table when `table` is None.

    The agreement table holds the overall row (subgroup columns empty) then one row per
    subgroup.
    """
    name = table or RESULT_TABLES[statistic][0]
    if name not in RESULT_TABLES[statistic]:
        raise KeyError(name)
    if statistic == AGREEMENT and name == "agreement":
        by = list(result["by"])
        overall = {**dict.fromkeys(by), **result["result"]}
        return [overall, *result["groups"]]
    return list(result[name])


def result_columns(
    statistic: str, result: Mapping[str, Any], table: str | None = None
) -> list[str]:
    """The columns of a result table, known even when the table has no rows."""
    name = table or RESULT_TABLES[statistic][0]
    by = list(result.get("by", []))
    known: dict[tuple[str, str], list[str]] = {
        (AGREEMENT, "agreement"): [*by, *ALPHA_RESULT_FIELDS],
        (RATERS, "results"): [
            "rater",
            "n",
            "mean",
            "mean_deviation",
            "alpha_without",
            "flagged",
            "direction",
        ],
        (UNITS, "results"): [
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
        (DISCREPANCY, "groups"): [*by, *GROUP_STATISTIC_COLUMNS],
        (DISCREPANCY, "items"): list(ITEM_COLUMNS),
        (DISCREPANCY, "excluded_items"): list(EXCLUDED_COLUMNS),
        (PROFILES, "areas"): list(AREA_COLUMNS),
        (PROFILES, "holland"): list(HOLLAND_COLUMNS),
        (PROFILES, "language_differences"): list(DIFFERENCE_COLUMNS),
        (PROFILES, "exclusion_details"): list(EXCLUSION_COLUMNS),
        (MIXED_MODEL, "coefficients"): list(COEFFICIENT_COLUMNS),
        (MIXED_MODEL, "variance_components"): ["component", "variance", "sd"],
    }
    columns = known.get((statistic, name), EXCLUSION_TABLE_COLUMNS)
    rows = result_table(statistic, result, name)
    extra = [key for row in rows for key in row if key not in columns]
    return [*columns, *dict.fromkeys(extra)]


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def table_csv(rows: Sequence[dict[str, Any]], *, columns: Sequence[str] | None = None) -> str:
    """A list of row dicts as CSV text; lists and dicts in cells become JSON."""
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()
