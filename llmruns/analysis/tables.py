"""The tables of each statistic's result: which exist, their columns, and their CSV form.

A result (a plain dict from `llmruns.analysis.results` or `ratings.analysis.results`) holds its
tables as lists of row dicts; the API's `?format=csv&table=...`, the dashboards' CSV links and
the replication package all take them from here, so a table has the same columns wherever it is
downloaded. The run statistics are declared here; `ratings.analysis.tables` registers the
campaign ones in the same registries (`RESULT_TABLES`, `TABLE_COLUMNS`, `TABLE_ROWS`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from llmruns.analysis.exports import spreadsheet_text
from llmruns.stats_columns import (
    AREA_COLUMNS,
    COEFFICIENT_COLUMNS,
    CONSISTENCY_COLUMNS,
    DIFFERENCE_COLUMNS,
    EFFECT_COLUMNS,
    EXCLUSION_COLUMNS,
    HOLLAND_COLUMNS,
    METHOD_COLUMNS,
    RATE_RESULT_COLUMNS,
    STABILITY_COLUMNS,
    STYLE_COLUMNS,
)

PROFILES = "profiles"
MIXED_MODEL = "mixed-model"
DIAGNOSTICS = "diagnostics"
FLAG_COLUMNS = ["diagnostic", "endpoint", "language", "method", "detail"]

# The tables of each statistic's result that have a CSV form, the first being the default.
RESULT_TABLES: dict[str, tuple[str, ...]] = {
    PROFILES: ("areas", "holland", "language_differences", "exclusion_details", "exclusions"),
    MIXED_MODEL: ("coefficients", "variance_components", "exclusions"),
    DIAGNOSTICS: (
        "flags",
        "consistency",
        "stability",
        "response_styles",
        "presentation_effects",
        "method_comparison",
        "answer_rates",
        "exclusions",
    ),
}
# The known columns of a table, from the result's `by`: known even when the table has no rows.
TABLE_COLUMNS: dict[tuple[str, str], Callable[[list[str]], list[str]]] = {
    (PROFILES, "areas"): lambda by: list(AREA_COLUMNS),
    (PROFILES, "holland"): lambda by: list(HOLLAND_COLUMNS),
    (PROFILES, "language_differences"): lambda by: list(DIFFERENCE_COLUMNS),
    (PROFILES, "exclusion_details"): lambda by: list(EXCLUSION_COLUMNS),
    (MIXED_MODEL, "coefficients"): lambda by: list(COEFFICIENT_COLUMNS),
    (MIXED_MODEL, "variance_components"): lambda by: ["component", "variance", "sd"],
    (DIAGNOSTICS, "flags"): lambda by: list(FLAG_COLUMNS),
    (DIAGNOSTICS, "consistency"): lambda by: [*by, *CONSISTENCY_COLUMNS],
    (DIAGNOSTICS, "stability"): lambda by: [*by, *STABILITY_COLUMNS],
    (DIAGNOSTICS, "response_styles"): lambda by: [*by, *STYLE_COLUMNS],
    (DIAGNOSTICS, "presentation_effects"): lambda by: [*by, *EFFECT_COLUMNS],
    (DIAGNOSTICS, "method_comparison"): lambda by: [
        *[factor for factor in by if factor != "method"],
        *METHOD_COLUMNS,
    ],
    (DIAGNOSTICS, "answer_rates"): lambda by: list(RATE_RESULT_COLUMNS),
}
# Tables whose rows are not a list in the result under the table's name.
TABLE_ROWS: dict[tuple[str, str], Callable[[Mapping[str, Any]], list[dict]]] = {}


EXCLUSION_TABLE_COLUMNS = ["reason", "count", "of"]


def result_table(statistic: str, result: Mapping[str, Any], table: str | None = None) -> list[dict]:
    """One table of a result as rows, for CSV: the default table when `table` is None."""
    name = table or RESULT_TABLES[statistic][0]
    if name not in RESULT_TABLES[statistic]:
        raise KeyError(name)
    if (statistic, name) in TABLE_ROWS:
        return TABLE_ROWS[statistic, name](result)
    return list(result[name])


def result_columns(
    statistic: str, result: Mapping[str, Any], table: str | None = None
) -> list[str]:
    """The columns of a result table, known even when the table has no rows."""
    name = table or RESULT_TABLES[statistic][0]
    by = list(result.get("by", []))
    known = TABLE_COLUMNS.get((statistic, name))
    columns = known(by) if known else EXCLUSION_TABLE_COLUMNS
    rows = result_table(statistic, result, name)
    extra = [key for row in rows for key in row if key not in columns]
    return [*columns, *dict.fromkeys(extra)]


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return spreadsheet_text(value)


def table_csv(rows: Sequence[dict[str, Any]], *, columns: Sequence[str] | None = None) -> str:
    """A list of row dicts as CSV text; lists and dicts in cells become JSON, and text that a
    spreadsheet would run as a formula is quoted as in the long exports."""
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()
