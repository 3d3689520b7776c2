"""Every campaign statistic the API, the dashboards and the replication package serve.

Each function reads its frames through `ratings.stats_selectors` (and the run's answers through
`llmruns.analysis.selectors`), calls the pure statistics of `ratings.stats`, and returns a dict
ready for JSON with the same conventions and the same cache as the run statistics
(`llmruns.analysis.results`): the campaign, the `parameters` used, `n`, the `exclusions` with
their reasons and counts, notes, and the statistic's own fields and tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from careers.models import QuestionKind
from llmruns.analysis.parameters import plain_parameters
from llmruns.analysis.results import (
    answer_status_exclusions,
    answered_only,
    cached_result,
    exclusion,
    fallback_notes,
    records,
)
from llmruns.analysis.selectors import run_answers_frame, run_data_version, self_assessed_frame
from llmruns.selectors import ANSWER, resolve_method
from ratings.analysis.labels import (
    CALIBRATION_UNIT,
    NOT_RATED_YET,
    RATING_ALONE,
    UNIT_NOT_PAIRABLE,
    UNIT_NOT_RATED,
    item_without,
    skipped,
)
from ratings.analysis.tables import AGREEMENT, DISCREPANCY, RATERS, UNITS
from ratings.models import Campaign
from ratings.stats_columns import EXPERT_COLUMNS, SELF_COLUMNS
from ratings.stats_selectors import (
    AssignmentCounts,
    campaign_agreement_frame,
    campaign_assignment_counts,
    campaign_data_version,
    campaign_ratings_frame,
    campaign_scale_values,
    campaign_selection,
    rated_units_meta,
)


def campaign_scope(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.pk, "name": campaign.name, "run": campaign.run_id}


def assignment_exclusions(counts: AssignmentCounts, *, rated_units: int) -> list[dict[str, Any]]:
    """What a campaign's ratings frame leaves out: calibration units, skipped and unrated
    assignments, and units without any submitted rating."""
    exclusions = []
    if counts.calibration_units:
        exclusions.append(exclusion(CALIBRATION_UNIT, counts.calibration_units, "units"))
    exclusions.extend(
        exclusion(skipped(reason), count, "assignments")
        for reason, count in sorted(counts.skipped_by_reason.items())
    )
    if counts.unrated_assignments:
        exclusions.append(exclusion(NOT_RATED_YET, counts.unrated_assignments, "assignments"))
    if counts.n_units > rated_units:
        exclusions.append(exclusion(UNIT_NOT_RATED, counts.n_units - rated_units, "units"))
    return exclusions


# --- campaign statistics -----------------------------------------------------------------------


def campaign_agreement(*, campaign: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Krippendorff's alpha of the latest submitted ratings, overall and per subgroup."""

    def compute() -> dict[str, Any]:
        # Imported on use: the statistics stack costs seconds at every process's start-up.
        from ratings.stats import alpha, alpha_by, riasec_sort_key

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
            exclusions.append(exclusion(UNIT_NOT_PAIRABLE, overall.n_units_not_pairable, "units"))
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

    return _campaigncached_result(AGREEMENT, campaign, parameters, compute)


def campaign_raters(*, campaign: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Per rater: n, mean, mean deviation from the other raters of the same units, alpha
    without the rater, and a flag when the deviation reaches the threshold."""

    def compute() -> dict[str, Any]:
        # Imported on use: the statistics stack costs seconds at every process's start-up.
        import numpy as np

        from ratings.stats import rater_stats

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
            exclusions.append(exclusion(RATING_ALONE, alone, "ratings"))
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

    return _campaigncached_result(RATERS, campaign, parameters, compute)


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
        # Imported on use: the statistics stack costs seconds at every process's start-up.
        from ratings.stats import unit_stats

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

    full = _campaigncached_result(UNITS, campaign, cached_parameters, compute)
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
    """Self - expert competence per item x endpoint x language, aggregated by `by`; and the
    interest-competence alignment per endpoint x language: Spearman's rho across items between
    mean interest and expert competence, and between mean interest and the self-assessment
    (`source`), interest read with the same method and basis."""
    source = parameters["source"]

    def compute() -> dict[str, Any]:
        # Imported on use: the statistics stack costs seconds at every process's start-up.
        from ratings.stats import alignment, discrepancy

        ratings = campaign_ratings_frame(campaign_id=campaign.pk)
        counts = campaign_assignment_counts(campaign_id=campaign.pk)
        selection = campaign_selection(campaign=campaign)
        method = resolve_method(campaign.run, parameters.get("method"))
        basis = parameters.get("basis", ANSWER)
        self_frame = self_assessed_frame(
            run_id=campaign.run_id, source=source, method=method, basis=basis, **selection
        )
        self_answers = answered_only(self_frame)[list(SELF_COLUMNS)]
        interest_answers = answered_only(
            run_answers_frame(
                run_id=campaign.run_id,
                kinds=[QuestionKind.INTEREST],
                method=method,
                basis=basis,
                **selection,
            )
        )
        interest = interest_answers[list(SELF_COLUMNS)]
        result = discrepancy(
            self_answers,
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
            exclusions.append(exclusion(item_without(reason), int(count), "items"))
        exclusions.extend(assignment_exclusions(counts, rated_units=ratings["unit"].nunique()))
        return {
            "statistic": DISCREPANCY,
            "campaign": campaign_scope(campaign),
            "parameters": {**plain_parameters(parameters), "selection": selection},
            "n": paired,
            "by": list(result.by),
            "method": method,
            "basis": basis,
            "groups": records(result.groups),
            "items": records(items),
            "excluded_items": records(result.excluded),
            "alignment": [
                *records(alignment(interest, ratings[list(EXPERT_COLUMNS)], label="expert")),
                *records(alignment(interest, self_answers, label=source)),
            ],
            "exclusions": exclusions,
            "notes": [
                *result.notes,
                *fallback_notes(
                    answered_only(self_frame), method=method, what=source.replace("_", "-")
                ),
                *fallback_notes(interest_answers, method=method, what="interest"),
            ],
        }

    version = (*campaign_version(campaign), *run_data_version(run_id=campaign.run_id))
    return cached_result(
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


def _campaigncached_result(
    statistic: str,
    campaign: Campaign,
    parameters: Mapping[str, Any],
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    return cached_result(
        statistic=statistic,
        scope="campaign",
        scope_id=campaign.pk,
        version=campaign_version(campaign),
        parameters=parameters,
        compute=compute,
    )
