"""Every run statistic the API, the dashboards and the replication package serve, as plain dicts.

Each function reads its frames through `llmruns.analysis.selectors`, calls the pure statistics
of `llmruns.stats`, and returns a dict ready for JSON: the scope (the run), the `parameters`
used, `n` (the observations that entered the statistic), the `exclusions` with their reasons and
counts, notes, and the statistic's own fields and tables. The campaign statistics
(`ratings.analysis.results`) share the plain-value, exclusion and caching helpers defined here.

Results are cached in the Django cache per campaign or run. The key holds a cheap version of
the data (for a run one aggregate query: counts and highest ids of trials and their last finish
time; for a campaign its data revision) and the parameters, so a new rating, a revision, a skip
or a finished trial gives a new key and a fresh computation; a result is never served for data
other than those it was computed from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.utils import timezone

from llmruns.analysis.labels import ANSWER_STATUS_REASONS
from llmruns.analysis.parameters import plain_parameters
from llmruns.analysis.selectors import (
    ANSWERED_STATUSES,
    interest_frame,
    run_data_version,
)
from llmruns.analysis.tables import MIXED_MODEL, PROFILES
from llmruns.models import Run
from llmruns.selectors import ANSWER, resolve_method
from llmruns.stats_columns import INTEREST_COLUMNS, POOLED

if TYPE_CHECKING:
    import pandas as pd

# Bump when the shape of a result, or what it counts, changes: no cached result of the old kind
# is then served.
RESULT_FORMAT = 2
CACHE_SECONDS = 7 * 24 * 3600

# --- plain values ------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A JSON-ready copy: numpy and pandas scalars become Python ones, NaN becomes None."""
    # Imported on use: the statistics stack costs seconds at every process's start-up.
    import numpy as np
    import pandas as pd

    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(item) for item in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | Decimal):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as JSON-ready dicts, columns in frame order."""
    columns = [str(column) for column in frame.columns]
    return [
        {column: plain(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


# --- caching -----------------------------------------------------------------------------------


def _cache_key(
    statistic: str, scope: str, scope_id: int, version: Sequence[Any], parameters: Mapping
) -> str:
    fingerprint = json.dumps(
        {"version": list(version), "parameters": plain_parameters(parameters)},
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return f"vocationlab:stats:{RESULT_FORMAT}:{statistic}:{scope}:{scope_id}:{digest}"


def cached_result(
    *,
    statistic: str,
    scope: str,
    scope_id: int,
    version: Sequence[Any],
    parameters: Mapping[str, Any],
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    key = _cache_key(statistic, scope, scope_id, version, parameters)
    result = cache.get(key)
    if result is None:
        result = compute()
        result["data_version"] = "-".join(map(str, version))
        result["computed_at"] = timezone.now().isoformat()
        result = plain(result)
        cache.set(key, result, CACHE_SECONDS)
    return result


# --- shared pieces -----------------------------------------------------------------------------


def run_scope(run: Run) -> dict[str, Any]:
    return {"id": run.pk, "name": run.name, "status": run.status}


def exclusion(reason: str, count: int, of: str, **detail: Any) -> dict[str, Any]:
    return {"reason": reason, "count": int(count), "of": of, **detail}


def answer_status_exclusions(frame: pd.DataFrame, *, what: str) -> list[dict[str, Any]]:
    """Answers of a run that carry no value, by status (invalid and refused answers included)."""
    statuses = Counter(frame.loc[frame["value"].isna(), "status"])
    return [
        exclusion(
            f"{what}: {ANSWER_STATUS_REASONS.get(status, status)}", count, "answers", status=status
        )
        for status, count in sorted(statuses.items())
    ]


def answered_only(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[frame["status"].isin(ANSWERED_STATUSES)]


def fallback_notes(answered: pd.DataFrame, *, method: str, what: str) -> list[str]:
    """A note per endpoint whose answers of `method` were asked with a fallback method instead
    (an endpoint lacking what the method needs): they enter as the method's answers."""
    fell_back = answered.loc[answered["method_fallback"].fillna("").ne("")]
    counts = fell_back.groupby(["endpoint", "method_fallback"], sort=True).size()
    return [
        f"{count} {what} answers of {endpoint} were asked {used} in place of {method} "
        "(method_fallback in the exports)"
        for (endpoint, used), count in counts.items()
    ]


# --- run statistics ----------------------------------------------------------------------------


def pool_factors(interest: pd.DataFrame, *, by: Sequence[str]) -> pd.DataFrame:
    """Pool the factors (endpoint, language) that are not in `by` into one level, 'all'.

    A respondent stays one replication of one cell, so the replication is renumbered over the
    pooled factors: pooling languages turns the en and zh-hans replications of a model into
    distinct respondents of that model.
    """
    pooled = [factor for factor in ("endpoint", "language") if factor not in by]
    if not pooled or interest.empty:
        return interest.assign(**dict.fromkeys(pooled, POOLED))
    keyed = interest.copy()
    keyed["replication"] = keyed.groupby([*pooled, "replication"], sort=True).ngroup() + 1
    for factor in pooled:
        keyed[factor] = POOLED
    return keyed


def _items_per_area(interest: pd.DataFrame) -> int:
    if interest.empty:
        return 10
    return int(interest.groupby("area")["item"].nunique().max())


def run_profiles(*, run: Run, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Interest profile per cell of `by`: area means with SD and CI, area scores, Holland codes,
    every excluded answer with its reason, and the English-Chinese differences."""

    def compute() -> dict[str, Any]:
        # Imported on use: the statistics stack costs seconds at every process's start-up.
        from llmruns.stats import interest_profiles, language_differences

        method = resolve_method(run, parameters.get("method"))
        basis = parameters.get("basis", ANSWER)
        frame = interest_frame(run_id=run.pk, method=method, basis=basis)
        answered = answered_only(frame)
        by = list(parameters["by"])
        # Pooled together, so that a trial without an answer keeps its respondent; it is counted
        # once, by its status below, not again as an item with no answer recorded.
        pooled = pool_factors(frame[list(INTEREST_COLUMNS)], by=by)
        has_answer = frame["status"].isin(ANSWERED_STATUSES)
        profile = interest_profiles(
            pooled.loc[has_answer],
            confidence=parameters["confidence"],
            items_per_area=_items_per_area(answered),
            unanswered=pooled.loc[~has_answer],
        )
        notes: list[str] = []
        differences: list[dict[str, Any]] = []
        languages = set(answered["language"])
        if "language" in by and {"en", "zh-hans"} <= languages:
            source = answered[list(INTEREST_COLUMNS)]
            if "endpoint" not in by:
                source = pool_factors(source, by=["language"])
            differences = records(language_differences(source, a="en", b="zh-hans"))
        elif "language" in by:
            notes.append("language differences need answers in both en and zh-hans")
        exclusions = answer_status_exclusions(frame.loc[~has_answer], what="interest")
        details = profile.exclusions
        if not details.empty:
            totals = details.groupby(["reason", "excluded_from"], sort=True)["n_answers"].sum()
            exclusions.extend(
                exclusion(str(reason), int(count), "answers", excluded_from=str(excluded_from))
                for (reason, excluded_from), count in totals.items()
            )
        if answered.empty:
            notes.append("the run has no interest answers")
        notes.extend(fallback_notes(answered, method=method, what="interest"))
        return {
            "statistic": PROFILES,
            "run": run_scope(run),
            "parameters": plain_parameters(parameters),
            "n": int(answered["value"].notna().sum()),
            "by": by,
            "method": method,
            "basis": basis,
            "areas": records(profile.areas),
            "holland": records(profile.holland),
            "language_differences": differences,
            "exclusion_details": records(details),
            "exclusions": exclusions,
            "notes": notes,
        }

    return _runcached_result(PROFILES, run, parameters, compute)


def run_mixed_model(*, run: Run, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The paper's mixed model of interest; `result` is None with the reason when it cannot be
    fitted to the data."""

    def compute() -> dict[str, Any]:
        # Imported on use: the statistics stack costs seconds at every process's start-up.
        from llmruns.stats import fit_mixed_model

        method = resolve_method(run, parameters.get("method"))
        basis = parameters.get("basis", ANSWER)
        frame = interest_frame(run_id=run.pk, method=method, basis=basis)
        answered = answered_only(frame)
        exclusions = answer_status_exclusions(frame, what="interest")
        fallbacks = fallback_notes(answered, method=method, what="interest")
        base = {
            "statistic": MIXED_MODEL,
            "run": run_scope(run),
            "parameters": plain_parameters(parameters),
            "method": method,
            "basis": basis,
            "exclusions": exclusions,
        }
        try:
            fit = fit_mixed_model(
                answered[list(INTEREST_COLUMNS)], confidence=parameters["confidence"]
            )
        except ValueError as error:
            return {
                **base,
                "n": int(answered["value"].notna().sum()),
                "result": None,
                "reason": str(error),
                "coefficients": [],
                "variance_components": [],
                "notes": fallbacks,
            }
        return {
            **base,
            "n": fit.n_observations,
            "result": {
                "formula": fit.formula,
                "n_observations": fit.n_observations,
                "n_items": fit.n_items,
                "n_excluded": fit.n_excluded,
                "converged": fit.converged,
                "reference_levels": fit.reference_levels,
                "log_likelihood": fit.log_likelihood,
                "warnings": fit.warnings,
            },
            "reason": None,
            "coefficients": records(fit.coefficients),
            "variance_components": records(fit.variance_components),
            "notes": [*fit.notes, *fallbacks],
        }

    return _runcached_result(MIXED_MODEL, run, parameters, compute)


def _runcached_result(
    statistic: str, run: Run, parameters: Mapping[str, Any], compute: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    return cached_result(
        statistic=statistic,
        scope="run",
        scope_id=run.pk,
        version=run_data_version(run_id=run.pk),
        parameters=parameters,
        compute=compute,
    )
