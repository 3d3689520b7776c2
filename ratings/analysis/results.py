"""Every statistic the API, the dashboards and the replication package serve, as plain dicts.

Each function reads its frames through `ratings.stats_selectors`, calls the pure statistics of
`ratings.stats`, and returns a dict ready for JSON: the scope (campaign or run), the
`parameters` used, `n` (the observations that entered the statistic), the `exclusions` with
their reasons and counts, notes, and the statistic's own fields and tables.

Results are cached in the Django cache per campaign or run. The key holds a cheap version of
the data (one aggregate query: counts and highest ids of ratings, assignments per status, trials
and their last finish time) and the parameters, so a new rating, a revision, a skip or a
finished trial gives a new key and a fresh computation; a result is never served for data other
than those it was computed from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.utils import timezone

from llmruns.models import Run, TrialStatus
from llmruns.selectors import ANSWER, resolve_method
from ratings.analysis.parameters import plain_parameters
from ratings.analysis.tables import (
    AGREEMENT,
    DISCREPANCY,
    MIXED_MODEL,
    PROFILES,
    RATERS,
    UNITS,
)
from ratings.models import Campaign
from ratings.stats import (
    EXPERT_COLUMNS,
    INTEREST_COLUMNS,
    SELF_COLUMNS,
    alpha,
    alpha_by,
    discrepancy,
    fit_mixed_model,
    interest_profiles,
    language_differences,
    rater_stats,
    riasec_sort_key,
    unit_stats,
)
from ratings.stats_selectors import (
    ANSWERED_STATUSES,
    AssignmentCounts,
    campaign_agreement_frame,
    campaign_assignment_counts,
    campaign_data_version,
    campaign_ratings_frame,
    campaign_scale_values,
    campaign_selection,
    interest_frame,
    rated_units_meta,
    run_data_version,
    self_assessed_frame,
)

# Bump when the shape of a result changes, so no cached result of the old shape is served.
RESULT_FORMAT = 1
CACHE_SECONDS = 7 * 24 * 3600

# --- plain values ------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A JSON-ready copy: numpy and pandas scalars become Python ones, NaN becomes None."""
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


def _cached(
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


def campaign_scope(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.pk, "name": campaign.name, "run": campaign.run_id}


def run_scope(run: Run) -> dict[str, Any]:
    return {"id": run.pk, "name": run.name, "status": run.status}


def exclusion(reason: str, count: int, of: str, **detail: Any) -> dict[str, Any]:
    return {"reason": reason, "count": int(count), "of": of, **detail}


def assignment_exclusions(counts: AssignmentCounts, *, rated_units: int) -> list[dict[str, Any]]:
    """What a campaign's ratings frame leaves out: skipped and unrated assignments, and units
    without any submitted rating."""
    exclusions = [
        exclusion(f"assignment skipped ({reason})", count, "assignments")
        for reason, count in sorted(counts.skipped_by_reason.items())
    ]
    if counts.unrated_assignments:
        exclusions.append(
            exclusion(
                "assignment not rated yet (pending or draft)",
                counts.unrated_assignments,
                "assignments",
            )
        )
    if counts.n_units > rated_units:
        exclusions.append(
            exclusion("unit has no submitted rating", counts.n_units - rated_units, "units")
        )
    return exclusions


def answer_status_exclusions(frame: pd.DataFrame, *, what: str) -> list[dict[str, Any]]:
    """Answers of a run that carry no value, by status (invalid and refused answers included)."""
    statuses = Counter(frame.loc[frame["value"].isna(), "status"])
    labels = {
        TrialStatus.INVALID: "invalid answer",
        TrialStatus.REFUSED: "refused answer",
        TrialStatus.FAILED: "trial failed",
        TrialStatus.CANCELLED: "trial cancelled",
        TrialStatus.PENDING: "trial not run yet",
        TrialStatus.RUNNING: "trial still running",
    }
    return [
        exclusion(f"{what}: {labels.get(status, status)}", count, "answers", status=status)
        for status, count in sorted(statuses.items())
    ]


def _answered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[frame["status"].isin(ANSWERED_STATUSES)]


# --- campaign statistics -----------------------------------------------------------------------


def campaign_agreement(*, campaign: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Krippendorff's alpha of the latest submitted ratings, overall and per subgroup."""

    def compute() -> dict[str, Any]:
        by = list(parameters["by"])
        # Subgroups need the units' labels; overall alpha only tells units and raters apart.
        if by:
            ratings = campaign_ratings_frame(campaign_id=campaign.pk)
        else:
            ratings = campaign_agreement_frame(campaign_id=campaign.pk)
        counts = campaign_assignment_counts(campaign_id=campaign.pk)
        domain = campaign_scale_values(campaign=campaign)
        options = {
            "level": parameters["level"],
            "bootstrap": parameters["bootstrap"],
            "seed": parameters["seed"],
            "confidence": parameters["confidence"],
            "value_domain": domain or None,
        }
        overall = alpha(ratings, **options)
        groups: list[dict[str, Any]] = []
        if by and not ratings.empty:
            table = alpha_by(ratings, by, **options)
            # RIASEC order for areas, as everywhere else; other keys alphabetically.
            groups = records(table.sort_values(by, key=riasec_sort_key, kind="stable"))
        exclusions = assignment_exclusions(counts, rated_units=overall.n_units)
        if overall.n_units_not_pairable:
            exclusions.append(
                exclusion(
                    "unit has a single rating (not pairable)", overall.n_units_not_pairable, "units"
                )
            )
        notes = [f"alpha undefined: {overall.reason}"] if overall.alpha is None else []
        if overall.bootstrap_undefined:
            notes.append(
                f"{overall.bootstrap_undefined} bootstrap replicate(s) had an undefined alpha "
                "and were left out of the interval"
            )
        return {
            "statistic": AGREEMENT,
            "campaign": campaign_scope(campaign),
            "parameters": {**plain_parameters(parameters), "value_domain": domain},
            "n": overall.n_ratings,
            "result": overall.to_dict(),
            "by": by,
            "groups": groups,
            "exclusions": exclusions,
            "notes": notes,
        }

    return _campaign_cached(AGREEMENT, campaign, parameters, compute)


def campaign_raters(*, campaign: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Per rater: n, mean, mean deviation from the other raters of the same units, alpha
    without the rater, and a flag when the deviation reaches the threshold."""

    def compute() -> dict[str, Any]:
        ratings = campaign_ratings_frame(campaign_id=campaign.pk)
        counts = campaign_assignment_counts(campaign_id=campaign.pk)
        domain = campaign_scale_values(campaign=campaign)
        rows: list[dict[str, Any]] = []
        if not ratings.empty:
            table = rater_stats(ratings, level=parameters["level"], value_domain=domain or None)
            rows = records(table.sort_values("rater", kind="stable"))
        threshold = parameters["threshold"]
        for row in rows:
            deviation = row["mean_deviation"]
            row["flagged"] = deviation is not None and abs(deviation) >= threshold
            row["direction"] = (
                None
                if deviation is None or deviation == 0
                else ("lenient" if deviation > 0 else "severe")
            )
        per_unit = ratings.groupby("unit")["rater"].transform("count") if len(ratings) else []
        alone = int((np.asarray(per_unit) == 1).sum())
        exclusions = assignment_exclusions(counts, rated_units=ratings["unit"].nunique())
        if alone:
            exclusions.append(
                exclusion("rating has no other rating on its unit (no deviation)", alone, "ratings")
            )
        return {
            "statistic": RATERS,
            "campaign": campaign_scope(campaign),
            "parameters": {**plain_parameters(parameters), "value_domain": domain},
            "n": len(ratings),
            "count": len(rows),
            "results": rows,
            "exclusions": exclusions,
            "notes": [],
        }

    return _campaign_cached(RATERS, campaign, parameters, compute)


def _unit_sort_key(field: str) -> Callable[[dict[str, Any]], tuple]:
    def number(value: Any) -> float:
        return -math.inf if value is None else float(value)

    if field == "disagreement":
        return lambda row: (number(row["range"]), number(row["sd"]), row["unit"])
    if field == "unit":
        return lambda row: (row["unit"],)
    return lambda row: (number(row[field]), row["unit"])


def campaign_units(*, campaign: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Per unit: n, mean, SD, range and the high-disagreement flag, ordered and sliced.

    The full table is cached; ordering, limit and offset apply to the cached table.
    """
    cached_parameters = {"threshold": parameters["threshold"]}

    def compute() -> dict[str, Any]:
        ratings = campaign_ratings_frame(campaign_id=campaign.pk)
        counts = campaign_assignment_counts(campaign_id=campaign.pk)
        rows: list[dict[str, Any]] = []
        if not ratings.empty:
            table = unit_stats(ratings, disagreement_threshold=parameters["threshold"])
            table = rated_units_meta(ratings=ratings).merge(table, on="unit", how="right")
            rows = records(table)
        return {
            "statistic": UNITS,
            "campaign": campaign_scope(campaign),
            "n": len(ratings),
            "results": rows,
            "exclusions": assignment_exclusions(counts, rated_units=len(rows)),
            "notes": [],
        }

    full = _campaign_cached(UNITS, campaign, cached_parameters, compute)
    ordering = parameters["ordering"]
    descending = ordering.startswith("-")
    rows = sorted(full["results"], key=_unit_sort_key(ordering.lstrip("-")), reverse=descending)
    offset, limit = parameters["offset"], parameters["limit"]
    page = rows[offset : None if limit is None else offset + limit]
    return {
        **full,
        "parameters": plain_parameters(parameters),
        "count": len(rows),
        "results": page,
    }


def campaign_discrepancy(*, campaign: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Self - expert competence per item x endpoint x language, aggregated by `by`."""
    source = parameters["source"]

    def compute() -> dict[str, Any]:
        ratings = campaign_ratings_frame(campaign_id=campaign.pk)
        counts = campaign_assignment_counts(campaign_id=campaign.pk)
        selection = campaign_selection(campaign=campaign)
        self_frame = self_assessed_frame(run_id=campaign.run_id, source=source, **selection)
        result = discrepancy(
            _answered(self_frame)[list(SELF_COLUMNS)],
            ratings[list(EXPERT_COLUMNS)],
            by=parameters["by"],
            bootstrap=parameters["bootstrap"],
            seed=parameters["seed"],
            confidence=parameters["confidence"],
        )
        items = result.items
        paired = int(items["difference"].notna().sum())
        exclusions = answer_status_exclusions(self_frame, what=source.replace("_", "-"))
        for reason, count in result.excluded["reason"].value_counts().sort_index().items():
            exclusions.append(exclusion(f"item has {reason}", int(count), "items"))
        exclusions.extend(assignment_exclusions(counts, rated_units=ratings["unit"].nunique()))
        return {
            "statistic": DISCREPANCY,
            "campaign": campaign_scope(campaign),
            "parameters": {**plain_parameters(parameters), "selection": selection},
            "n": paired,
            "by": list(result.by),
            "groups": records(result.groups),
            "items": records(items),
            "excluded_items": records(result.excluded),
            "exclusions": exclusions,
            "notes": list(result.notes),
        }

    version = (*campaign_version(campaign), *run_data_version(run_id=campaign.run_id))
    return _cached(
        statistic=DISCREPANCY,
        scope="campaign",
        scope_id=campaign.pk,
        version=version,
        parameters=parameters,
        compute=compute,
    )


def campaign_version(campaign: Campaign) -> tuple[int | str, ...]:
    """The campaign's data revision and its creation time.

    The time keeps a result cached for a campaign of a database since reset (the same id at the
    same revision, other data) from being served.
    """
    return (*campaign_data_version(campaign_id=campaign.pk), campaign.created_at.isoformat())


def _campaign_cached(
    statistic: str,
    campaign: Campaign,
    parameters: Mapping[str, Any],
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    return _cached(
        statistic=statistic,
        scope="campaign",
        scope_id=campaign.pk,
        version=campaign_version(campaign),
        parameters=parameters,
        compute=compute,
    )


# --- run statistics ----------------------------------------------------------------------------

POOLED = "all"


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
        method = resolve_method(run, parameters.get("method"))
        basis = parameters.get("basis", ANSWER)
        frame = interest_frame(run_id=run.pk, method=method, basis=basis)
        answered = _answered(frame)
        by = list(parameters["by"])
        interest = pool_factors(answered[list(INTEREST_COLUMNS)], by=by)
        profile = interest_profiles(
            interest,
            confidence=parameters["confidence"],
            items_per_area=_items_per_area(answered),
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
        exclusions = answer_status_exclusions(
            frame.loc[~frame["status"].isin(ANSWERED_STATUSES)], what="interest"
        )
        details = profile.exclusions
        if not details.empty:
            totals = details.groupby(["reason", "excluded_from"], sort=True)["n_answers"].sum()
            exclusions.extend(
                exclusion(str(reason), int(count), "answers", excluded_from=str(excluded_from))
                for (reason, excluded_from), count in totals.items()
            )
        if answered.empty:
            notes.append("the run has no interest answers")
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

    return _run_cached(PROFILES, run, parameters, compute)


def run_mixed_model(*, run: Run, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The paper's mixed model of interest; `result` is None with the reason when it cannot be
    fitted to the data."""

    def compute() -> dict[str, Any]:
        frame = interest_frame(run_id=run.pk)
        answered = _answered(frame)
        exclusions = answer_status_exclusions(frame, what="interest")
        base = {
            "statistic": MIXED_MODEL,
            "run": run_scope(run),
            "parameters": plain_parameters(parameters),
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
                "notes": [],
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
            "notes": list(fit.notes),
        }

    return _run_cached(MIXED_MODEL, run, parameters, compute)


def _run_cached(
    statistic: str, run: Run, parameters: Mapping[str, Any], compute: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    return _cached(
        statistic=statistic,
        scope="run",
        scope_id=run.pk,
        version=run_data_version(run_id=run.pk),
        parameters=parameters,
        compute=compute,
    )
