"""The psychometric diagnostics of a run as one cached result: is its profile an artifact?

Reads every trial of the run in one query (`diagnostics_frame`), hands the interest answers to
the pure diagnostics of `llmruns.stats.diagnostics` and returns, with the conventions of every
other statistic (`n`, `exclusions`, `parameters`, notes, the data version), one table per
diagnostic and a `flags` table that lists every cell where a diagnostic fired: acquiescence,
straight-lining, a scale-direction or template effect, a method effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmruns.analysis.parameters import plain_parameters
from llmruns.analysis.results import (
    answer_status_exclusions,
    cached_result,
    records,
    run_scope,
)
from llmruns.analysis.selectors import ANSWERED_STATUSES, diagnostics_frame, run_data_version
from llmruns.analysis.tables import DIAGNOSTICS
from llmruns.models import ElicitationMethod, Run
from llmruns.selectors import EXPECTED_VALUE
from llmruns.stats_columns import ANSWER_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

INTEREST = "interest"


def _scale_range(run: Run) -> tuple[int, int]:
    """The lowest and highest value of the run's frozen interest scale (1-5 when not frozen)."""
    values = [point["value"] for point in run.config.get("scales", {}).get(INTEREST, [])]
    return (min(values), max(values)) if values else (1, 5)


def _number(value: Any) -> str:
    return "-" if value is None else f"{float(value):+.2f}"


def _flag(row: Mapping[str, Any], diagnostic: str, detail: str) -> dict[str, Any]:
    return {
        "diagnostic": diagnostic,
        "endpoint": row.get("endpoint", "all"),
        "language": row.get("language", "all"),
        "method": row.get("method", "all"),
        "detail": detail,
    }


def diagnostic_flags(
    styles: list[dict], effects: list[dict], methods: list[dict], *, threshold: float
) -> list[dict[str, Any]]:
    """Every cell where a diagnostic fired, with what it found."""
    flags = []
    for row in styles:
        if row["flagged"]:
            flags.append(
                _flag(
                    row,
                    "acquiescence",
                    f"{row['style']}: mean agreement {row['mean_agreement']:.2f}, "
                    f"{_number(row['acquiescence_index'])} from the midpoint "
                    f"(threshold {threshold:g})",
                )
            )
        if row.get("n_straight_lining"):
            flags.append(
                _flag(
                    row,
                    "straight-lining",
                    f"{row['n_straight_lining']} of {row['n_respondents']} respondent(s) gave "
                    "one value to every item",
                )
            )
    for row in effects:
        if row["flagged"]:
            flags.append(
                _flag(
                    row,
                    row["effect"],
                    f"{row['contrast']}: {_number(row['mean_difference'])} "
                    f"[{_number(row['ci_low'])}, {_number(row['ci_high'])}] over {row['n_items']} "
                    "items",
                )
            )
    for row in methods:
        low, high = row["ci_low"], row["ci_high"]
        if low is not None and high is not None and (low > 0 or high < 0):
            flags.append(
                _flag(
                    {**row, "method": f"{row['method_a']} / {row['method_b']}"},
                    "method",
                    f"{row['method_b']} - {row['method_a']}: {_number(row['mean_difference'])} "
                    f"[{_number(low)}, {_number(high)}]; Holland {row['holland_a']} / "
                    f"{row['holland_b']}",
                )
            )
    return flags


def _interest_answers(frame: pd.DataFrame, *, basis: str) -> pd.DataFrame:
    answered = frame.loc[(frame["kind"] == INTEREST) & frame["status"].isin(ANSWERED_STATUSES)]
    answers = answered[list(ANSWER_COLUMNS)].copy()
    if basis == EXPECTED_VALUE:
        token = (answered["method"] == ElicitationMethod.TOKEN_PROBABILITY) & answered[
            "expected_value"
        ].notna()
        answers.loc[token, "value"] = answered.loc[token, "expected_value"]
    return answers


def run_diagnostics(*, run: Run, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Internal consistency, stability, response styles, presentation and method effects and
    answer rates of the run, per cell of `by`, with the flags they raise."""

    def compute() -> dict[str, Any]:
        # Imported on use: the statistics stack costs seconds at every process's start-up.
        import pandas as pd

        from llmruns.stats import (
            answer_rates,
            internal_consistency,
            method_comparison,
            presentation_effects,
            response_styles,
            stability,
        )

        frame = diagnostics_frame(run_id=run.pk)
        by = list(parameters["by"])
        answers = _interest_answers(frame, basis=parameters["basis"])
        scale_min, scale_max = _scale_range(run)
        notes: list[str] = []
        interest = frame.loc[frame["kind"] == INTEREST]
        # Invalid and refused answers, failed and unfinished trials, by status.
        exclusions = answer_status_exclusions(interest, what="interest")
        valid = answers.dropna(subset=["value"])
        if valid.empty:
            notes.append("the run has no interest answers")
        elif parameters["basis"] == EXPECTED_VALUE:
            notes.append("token-probability answers enter with their expected value")
        options = {"by": by, "confidence": parameters["confidence"]}
        consistency = internal_consistency(
            answers, bootstrap=parameters["bootstrap"], seed=parameters["seed"], **options
        )
        stable = pd.concat(
            [stability(answers, facet=facet, **options) for facet in ("replication", "template")],
            ignore_index=True,
        )
        styles = records(
            response_styles(
                answers,
                scale_min=scale_min,
                scale_max=scale_max,
                threshold=parameters["threshold"],
                **options,
            )
        )
        effects = records(presentation_effects(answers, **options))
        # Trials asked with a fallback method (verbal, where the endpoint lacks what their
        # method needs) did not use their method: they would make it look like the fallback.
        asked_otherwise = frame["method_fallback"].fillna("").ne("")
        fallback = interest.loc[asked_otherwise.loc[interest.index]]
        if not fallback.empty:
            cells = fallback.groupby(["endpoint", "method", "method_fallback"], sort=True).size()
            notes.append(
                "the method comparison leaves out interest trials asked with a fallback method: "
                + "; ".join(
                    f"{endpoint} {method} asked {used} ({count} trials)"
                    for (endpoint, method, used), count in cells.items()
                )
            )
        compared = answers.loc[~asked_otherwise.loc[answers.index]]
        methods = records(method_comparison(compared, **options))
        return {
            "statistic": DIAGNOSTICS,
            "run": run_scope(run),
            "parameters": {**plain_parameters(parameters), "scale": [scale_min, scale_max]},
            "n": len(valid),
            "by": by,
            "flags": diagnostic_flags(styles, effects, methods, threshold=parameters["threshold"]),
            "consistency": records(consistency),
            "stability": records(stable),
            "response_styles": styles,
            "presentation_effects": effects,
            "method_comparison": methods,
            "answer_rates": records(
                answer_rates(frame[["endpoint", "language", "kind", "method", "status"]])
            ),
            "exclusions": exclusions,
            "notes": notes,
        }

    return cached_result(
        statistic=DIAGNOSTICS,
        scope="run",
        scope_id=run.pk,
        version=run_data_version(run_id=run.pk),
        parameters=parameters,
        compute=compute,
    )
