"""Reads of a run's trials that feed its statistics and exports: one `.values_list()` query each.

The answer frames follow the column contracts of `llmruns.stats` (endpoint, language, item,
area, replication, value); items are named by their number and endpoints by their name.
Alongside them: a cheap "version" of a run's data that changes whenever a finished trial
changes what a statistic would say, and the rows of the trials export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db import connections
from django.db.models import Count, Max, Q, QuerySet

from careers.models import QuestionKind
from llmruns.models import Trial, TrialStatus
from llmruns.selectors import ANSWER, answer_value, method_filter

if TYPE_CHECKING:
    import pandas as pd

# Trial statuses whose answer enters a statistic: ok with its value, invalid and refused as NaN
# (counted as excluded answers by the statistics). Other statuses have no answer yet or never
# will (failed, cancelled) and are reported separately.
ANSWERED_STATUSES: tuple[str, ...] = (TrialStatus.OK, TrialStatus.INVALID, TrialStatus.REFUSED)

ANSWER_COLUMNS: list[str] = [
    "trial_id",
    "endpoint",
    "language",
    "item",
    "area",
    "kind",
    "replication",
    "status",
    "value",
    "method_fallback",
]


def plain_rows(queryset: QuerySet) -> list[tuple]:
    """The rows of a `values_list` query as the database driver returns them.

    Django converts every value of a row with a converter column (SQLite booleans), which
    costs more than the query itself on a large campaign; the callers' columns are integers,
    text and booleans that pandas reads as they come (0/1 or True/False).
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def rows_frame(rows: Iterable[tuple], columns: Sequence[str]) -> pd.DataFrame:
    # Imported on use: the statistics stack costs seconds at every process's start-up.
    import pandas as pd

    return pd.DataFrame.from_records(list(rows), columns=list(columns))


def run_answers_frame(
    *,
    run_id: int,
    kinds: Sequence[str],
    endpoint_names: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    areas: Sequence[str] | None = None,
    method: str | None = None,
    basis: str = ANSWER,
) -> pd.DataFrame:
    """One row per trial of the given kinds: value where ok, NaN otherwise, with its status.

    The statistics take only the answered statuses (ok, invalid, refused); the caller filters
    on `status` and reports the others. For `self_review` the replication is that of the work
    sample reviewed. The optional filters narrow the frame to a campaign's selection.
    Answers of one elicitation method (the run's first unless `method` names another), read on
    `basis` (see `llmruns.selectors`).
    """
    # Imported on use: the statistics stack costs seconds at every process's start-up.
    import numpy as np

    trials = (
        Trial.objects.filter(run_id=run_id, kind__in=list(kinds))
        .filter(method_filter(method))
        .annotate(answer=answer_value(basis))
    )
    if endpoint_names is not None:
        trials = trials.filter(endpoint__name__in=list(endpoint_names))
    if languages is not None:
        trials = trials.filter(language__in=list(languages))
    if areas is not None:
        trials = trials.filter(item__area__in=list(areas))
    rows = trials.order_by("endpoint__name", "language", "item__number", "replication").values_list(
        "pk",
        "endpoint__name",
        "language",
        "item__number",
        "item__area",
        "kind",
        "replication",
        "status",
        "answer",
        "method_fallback",
    )
    frame = rows_frame(rows, ANSWER_COLUMNS)
    frame["value"] = frame["value"].astype(np.float64)
    return frame


def interest_frame(*, run_id: int, method: str | None = None, basis: str = ANSWER) -> pd.DataFrame:
    return run_answers_frame(
        run_id=run_id, kinds=[QuestionKind.INTEREST], method=method, basis=basis
    )


def self_assessed_frame(
    *,
    run_id: int,
    source: str,
    endpoint_names: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    areas: Sequence[str] | None = None,
    method: str | None = None,
    basis: str = ANSWER,
) -> pd.DataFrame:
    """Self-assessed competence answers (`self_competence`) or self-reviews (`self_review`), of
    one elicitation method (the run's first unless `method` names another)."""
    if source not in (QuestionKind.SELF_COMPETENCE, QuestionKind.SELF_REVIEW):
        raise ValueError(f"source must be self_competence or self_review, got {source!r}")
    return run_answers_frame(
        run_id=run_id,
        kinds=[source],
        endpoint_names=endpoint_names,
        languages=languages,
        areas=areas,
        method=method,
        basis=basis,
    )


# --- versions for caching --------------------------------------------------------------------


def run_data_version(*, run_id: int) -> tuple[int | str, ...]:
    """Changes whenever a trial of the run is added, finishes, or is reset for a retry."""
    totals = Trial.objects.filter(run_id=run_id).aggregate(
        trials=Count("id"),
        last_trial=Max("id"),
        answered=Count("id", filter=Q(status__in=ANSWERED_STATUSES)),
        ok=Count("id", filter=Q(status=TrialStatus.OK)),
        last_finished=Max("finished_at"),
    )
    last_finished = totals["last_finished"]
    return (
        int(totals["trials"] or 0),
        int(totals["last_trial"] or 0),
        int(totals["answered"] or 0),
        int(totals["ok"] or 0),
        last_finished.isoformat() if last_finished else "",
    )


# --- exports ---------------------------------------------------------------------------------

TRIAL_EXPORT_FIELDS: dict[str, str] = {
    "trial_id": "pk",
    "endpoint": "endpoint__name",
    "model": "endpoint__model",
    "language": "language",
    "item": "item__number",
    "area": "item__area",
    "kind": "kind",
    "method": "method",
    "method_fallback": "method_fallback",
    "replication": "replication",
    "template_variant": "template_variant",
    "scale_reversed": "scale_reversed",
    "status": "status",
    "value": "value",
    "expected_value": "expected_value",
    "valid_mass": "valid_mass",
    "text": "text",
    "reasoning_text": "reasoning_text",
    "outcome_reason": "outcome_reason",
    "input_tokens": "input_tokens",
    "cached_input_tokens": "cached_input_tokens",
    "output_tokens": "output_tokens",
    "reasoning_tokens": "reasoning_tokens",
    "cost": "cost",
    "latency_ms": "latency_ms",
    "attempts": "attempt_count",
    "created_at": "created_at",
    "started_at": "started_at",
    "finished_at": "finished_at",
    # Last: the export spreads it over p_1 .. p_5 (token_probability trials).
    "option_probabilities": "option_probabilities",
}


def trial_export_rows(*, run_id: int) -> QuerySet:
    """Every trial of the run as a tuple in `TRIAL_EXPORT_FIELDS` order, in id order."""
    return (
        Trial.objects.filter(run_id=run_id)
        .order_by("pk")
        .values_list(*TRIAL_EXPORT_FIELDS.values())
    )


# --- diagnostics -------------------------------------------------------------------------------

DIAGNOSTIC_COLUMNS: list[str] = [
    "endpoint",
    "language",
    "method",
    "kind",
    "item",
    "area",
    "replication",
    "template_variant",
    "scale_reversed",
    "status",
    "value",
    "expected_value",
    "method_fallback",
]


def diagnostics_frame(*, run_id: int) -> pd.DataFrame:
    """One row per trial of the run, every kind: what the diagnostics and the answer rates read.

    `value` is NaN where the trial has none (invalid, refused, not finished); `expected_value`
    is NaN except for token-probability answers; `method_fallback` names the method a trial was
    asked with instead of `method` (empty when it was asked with `method`).
    """
    # Imported on use: the statistics stack costs seconds at every process's start-up.
    import numpy as np

    rows = (
        Trial.objects.filter(run_id=run_id)
        .order_by("endpoint__name", "language", "method", "kind", "item__number", "replication")
        .values_list(
            "endpoint__name",
            "language",
            "method",
            "kind",
            "item__number",
            "item__area",
            "replication",
            "template_variant",
            "scale_reversed",
            "status",
            "value",
            "expected_value",
            "method_fallback",
        )
    )
    frame = rows_frame(plain_rows(rows), DIAGNOSTIC_COLUMNS)
    frame["value"] = frame["value"].astype(np.float64)
    frame["expected_value"] = frame["expected_value"].astype(np.float64)
    frame["scale_reversed"] = frame["scale_reversed"].astype(bool)
    return frame
