"""Self-assessed versus expert competence, and interest-competence alignment.

Definitions follow the design: self-assessed competence of an item is the mean of a model's
answers over replications; the expert competence of a work sample (unit) is the mean of its
submitted ratings, and of an item the mean over its units. Discrepancy = self - expert per item
x endpoint x language, aggregated over items with a bootstrap CI, the share of underestimated
items, Spearman's rho and the Wilcoxon signed-rank test. Pure pandas/numpy/scipy; no Django.

A statistic that is undefined for the data at hand (a constant input, too few items) is None
with a note saying why, never NaN dressed up as a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from careers.scoring import (
    require_columns,
    validate_areas,
    validate_scale_values,
)
from llmruns.stats.inference import (
    bootstrap_mean_ci,
    check_confidence,
    rank_correlation,
    riasec_sort_key,
    signed_rank_test,
    snap_to_zero,
    statistics_frame,
)
from ratings.stats_columns import (
    ALIGNMENT_COLUMNS,
    EXCLUDED_COLUMNS,
    EXPERT_COLUMNS,
    GROUP_STATISTIC_COLUMNS,
    ITEM_COLUMNS,
    NO_EXPERT_RATING,
    NO_SELF_ASSESSMENT,
    SELF_COLUMNS,
)

ITEM_KEYS: list[str] = ["endpoint", "language", "item"]
GROUPABLE_COLUMNS: tuple[str, ...] = ("endpoint", "language", "area")


NULLABLE_GROUP_COLUMNS: tuple[str, ...] = (
    "ci_low",
    "ci_high",
    "spearman_rho",
    "spearman_p",
    "wilcoxon_p",
    "note",
)


@dataclass(frozen=True)
class DiscrepancyResult:
    """Aggregated discrepancy per group, the item-level rows behind it, and what was left out."""

    groups: pd.DataFrame
    excluded: pd.DataFrame
    items: pd.DataFrame
    by: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


# --- validation and per-item means ----------------------------------------------------------


def _validate_answers(answers: pd.DataFrame, *, name: str) -> None:
    """Check a frame of model answers (interest or self-assessed competence), one per trial."""
    require_columns(answers, SELF_COLUMNS, name=name)
    validate_areas(answers["area"])
    validate_scale_values(answers["value"], what=f"{name} value")
    duplicated = answers.duplicated(subset=[*ITEM_KEYS, "replication"])
    if duplicated.any():
        raise ValueError(
            f"{name} has more than one answer for the same endpoint, language, item and replication"
        )


def _validate_expert(expert: pd.DataFrame) -> None:
    require_columns(expert, EXPERT_COLUMNS, name="expert")
    validate_areas(expert["area"])
    validate_scale_values(expert["value"], what="expert rating")
    duplicated = expert.duplicated(subset=[*ITEM_KEYS, "unit", "rater"])
    if duplicated.any():
        raise ValueError(
            "expert has more than one rating by the same rater of the same unit; pass only the "
            "latest submitted revision of each rating"
        )


def _one_area_per_item(per_item: pd.DataFrame, *, name: str) -> None:
    if per_item.duplicated(subset=ITEM_KEYS).any():
        raise ValueError(f"{name}: an item appears under more than one area")


def _self_per_item(self_assessed: pd.DataFrame) -> pd.DataFrame:
    per_item = (
        self_assessed.groupby([*ITEM_KEYS, "area"], sort=False)["value"]
        # "self" cannot be a keyword of agg(), hence the rename.
        .agg(self_mean="mean", n_self="count")
        .reset_index()
        .rename(columns={"self_mean": "self"})
    )
    _one_area_per_item(per_item, name="self_assessed")
    return per_item


def _expert_per_item(expert: pd.DataFrame) -> pd.DataFrame:
    per_unit = (
        expert.groupby([*ITEM_KEYS, "area", "unit"], sort=False)["value"]
        .agg(unit_mean="mean", n_ratings="count")
        .reset_index()
    )
    # A unit without any usable rating has no expert competence; it does not count as a unit.
    rated_units = per_unit.loc[per_unit["n_ratings"] > 0]
    per_item = (
        rated_units.groupby([*ITEM_KEYS, "area"], sort=False)
        .agg(
            expert=("unit_mean", "mean"),
            n_units=("unit", "count"),
            n_ratings=("n_ratings", "sum"),
        )
        .reset_index()
    )
    # Items whose units all lack ratings stay visible, as items without an expert rating.
    unrated = (
        per_unit[[*ITEM_KEYS, "area"]]
        .drop_duplicates()
        .merge(per_item[ITEM_KEYS], on=ITEM_KEYS, how="left", indicator=True)
    )
    unrated = unrated.loc[unrated["_merge"] == "left_only", [*ITEM_KEYS, "area"]]
    if not unrated.empty:
        per_item = pd.concat(
            [per_item, unrated.assign(expert=np.nan, n_units=0, n_ratings=0)], ignore_index=True
        )
    _one_area_per_item(per_item, name="expert")
    return per_item


def _merge_items(left: pd.DataFrame, right: pd.DataFrame, **merge_options: object) -> pd.DataFrame:
    """Merge per-item frames on the item keys, tolerating an empty side.

    An empty input frame (no ratings yet, say) often carries generic column dtypes that pandas
    refuses to merge with typed keys; an empty side takes the other side's dtypes.
    """
    left, right = left.copy(), right.copy()
    for key in ITEM_KEYS:
        if left[key].dtype != right[key].dtype:
            if left.empty:
                left[key] = left[key].astype(right[key].dtype)
            elif right.empty:
                right[key] = right[key].astype(left[key].dtype)
    return left.merge(right, on=ITEM_KEYS, **merge_options)


def item_discrepancy(self_assessed: pd.DataFrame, expert: pd.DataFrame) -> pd.DataFrame:
    """Self minus expert competence per item x endpoint x language.

    Every item seen in either frame gets a row; where one side has no usable value, `self` or
    `expert` (and `difference`) is NaN and its count is 0, so the caller can say which side is
    missing.
    """
    _validate_answers(self_assessed, name="self_assessed")
    _validate_expert(expert)
    self_items = _self_per_item(self_assessed)
    expert_items = _expert_per_item(expert)

    merged = _merge_items(self_items, expert_items, how="outer", suffixes=("_self", "_expert"))
    both_sides = merged["area_self"].notna() & merged["area_expert"].notna()
    mismatched = both_sides & (merged["area_self"] != merged["area_expert"])
    if mismatched.any():
        item = merged.loc[mismatched, "item"].iloc[0]
        raise ValueError(
            f"item {item!r} has a different area in self_assessed and expert; both must come "
            "from the same instrument"
        )
    merged["area"] = merged["area_self"].fillna(merged["area_expert"])
    for count in ("n_self", "n_units", "n_ratings"):
        merged[count] = merged[count].fillna(0).astype(np.int64)
    merged["difference"] = merged["self"] - merged["expert"]
    return merged[ITEM_COLUMNS].sort_values(["endpoint", "language", "item"]).reset_index(drop=True)


def _excluded_items(items: pd.DataFrame) -> pd.DataFrame:
    no_self = items.loc[items["self"].isna(), [*ITEM_KEYS, "area"]].assign(
        reason=NO_SELF_ASSESSMENT
    )
    no_expert = items.loc[items["expert"].isna(), [*ITEM_KEYS, "area"]].assign(
        reason=NO_EXPERT_RATING
    )
    excluded = pd.concat([no_self, no_expert], ignore_index=True)
    if excluded.empty:
        return pd.DataFrame(columns=EXCLUDED_COLUMNS)
    return excluded.sort_values([*ITEM_KEYS, "reason"]).reset_index(drop=True)[EXCLUDED_COLUMNS]


def _validate_by(by: Sequence[str] | str) -> tuple[str, ...]:
    columns = (by,) if isinstance(by, str) else tuple(by)
    invalid = [column for column in columns if column not in GROUPABLE_COLUMNS]
    if invalid:
        raise ValueError(
            f"cannot group by {', '.join(map(repr, invalid))}; valid values are "
            f"{', '.join(GROUPABLE_COLUMNS)} (any subset, or none for overall)"
        )
    if len(set(columns)) != len(columns):
        raise ValueError(f"by lists a column more than once: {', '.join(columns)}")
    return columns


def _group_statistics(
    paired: pd.DataFrame, *, replicates: int, confidence: float, seed: int
) -> dict[str, object]:
    differences = snap_to_zero(paired["difference"].to_numpy(dtype=float))
    ci_low, ci_high = bootstrap_mean_ci(
        differences, replicates=replicates, confidence=confidence, seed=seed
    )
    rho, rho_p, rho_note = rank_correlation(
        paired["self"].to_numpy(dtype=float), paired["expert"].to_numpy(dtype=float)
    )
    wilcoxon_p, wilcoxon_note = signed_rank_test(differences)
    notes = [note for note in (rho_note, wilcoxon_note) if note]
    if ci_low is None and replicates > 0:
        notes.append(f"bootstrap CI undefined: needs at least 2 items, found {len(differences)}")
    return {
        "n": len(differences),
        "mean_difference": float(differences.mean()),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "share_underestimated": float(np.mean(differences < 0)),
        "spearman_rho": rho,
        "spearman_p": rho_p,
        "wilcoxon_p": wilcoxon_p,
        "note": "; ".join(notes) or None,
    }


def discrepancy(
    self_assessed: pd.DataFrame,
    expert: pd.DataFrame,
    *,
    by: Sequence[str] = ("endpoint", "language"),
    bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> DiscrepancyResult:
    """Aggregate self - expert over items, per group of `by` (a subset of endpoint, language,
    area; empty for one overall group).

    Only items with both a self-assessment and an expert rating enter; the others are listed in
    `excluded` with the reason. `share_underestimated` is the share of items with self < expert.
    """
    by_columns = _validate_by(by)
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be 0 (no CI) or a positive number, got {bootstrap}")
    check_confidence(confidence)

    items = item_discrepancy(self_assessed, expert)
    paired = items.loc[items["difference"].notna()]
    excluded = _excluded_items(items)
    notes: list[str] = []
    if not excluded.empty:
        counts = excluded["reason"].value_counts()
        notes.extend(f"{count} item(s) excluded: {reason}" for reason, count in counts.items())

    rows: list[dict[str, object]] = []
    if paired.empty:
        notes.append("no item has both a self-assessment and an expert rating")
    elif not by_columns:
        rows.append(
            _group_statistics(paired, replicates=bootstrap, confidence=confidence, seed=seed)
        )
    else:
        for key, group in paired.groupby(list(by_columns), sort=False):
            statistics = _group_statistics(
                group, replicates=bootstrap, confidence=confidence, seed=seed
            )
            rows.append(dict(zip(by_columns, key, strict=True)) | statistics)

    groups = statistics_frame(
        rows, [*by_columns, *GROUP_STATISTIC_COLUMNS], nullable=NULLABLE_GROUP_COLUMNS
    )
    if by_columns and not groups.empty:
        groups = groups.sort_values(list(by_columns), key=riasec_sort_key).reset_index(drop=True)
    return DiscrepancyResult(
        groups=groups, excluded=excluded, items=items, by=by_columns, notes=notes
    )


# --- interest-competence alignment ----------------------------------------------------------


def _interest_per_item(interest: pd.DataFrame) -> pd.DataFrame:
    _validate_answers(interest, name="interest")
    return interest.groupby(ITEM_KEYS, sort=False)["value"].mean().rename("interest").reset_index()


def _competence_per_item(competence: pd.DataFrame) -> pd.DataFrame:
    if {"unit", "rater"} <= set(competence.columns):
        _validate_expert(competence)
        per_item = _expert_per_item(competence).rename(columns={"expert": "competence"})
    elif "replication" in competence.columns:
        _validate_answers(competence, name="expert_or_self")
        per_item = _self_per_item(competence).rename(columns={"self": "competence"})
    else:
        raise ValueError(
            "expert_or_self must be expert ratings (columns "
            f"{', '.join(EXPERT_COLUMNS)}) or self-assessments (columns {', '.join(SELF_COLUMNS)})"
        )
    return per_item[[*ITEM_KEYS, "competence"]]


def alignment(interest: pd.DataFrame, expert_or_self: pd.DataFrame, *, label: str) -> pd.DataFrame:
    """Spearman's rho across items between mean interest and mean competence, per endpoint x
    language.

    `expert_or_self` is either expert ratings (recognised by `unit` and `rater` columns; item
    competence = mean over units of the unit's mean rating) or self-assessments (recognised by
    `replication`; mean over replications). `label` names the competence source in the output.
    Only items with both a mean interest and a mean competence are correlated; the others are
    counted in `n_unpaired_items`.
    """
    interest_items = _interest_per_item(interest)
    competence_items = _competence_per_item(expert_or_self)
    merged = _merge_items(interest_items, competence_items, how="outer")
    merged["paired"] = merged["interest"].notna() & merged["competence"].notna()

    rows: list[dict[str, object]] = []
    for (endpoint, language), group in merged.groupby(["endpoint", "language"], sort=True):
        paired = group.loc[group["paired"]]
        rho, pvalue, note = rank_correlation(
            paired["interest"].to_numpy(dtype=float), paired["competence"].to_numpy(dtype=float)
        )
        rows.append(
            {
                "endpoint": endpoint,
                "language": language,
                "competence": label,
                "spearman_rho": rho,
                "spearman_p": pvalue,
                "n": len(paired),
                "n_unpaired_items": int((~group["paired"]).sum()),
                "note": note,
            }
        )
    return statistics_frame(
        rows, ALIGNMENT_COLUMNS, nullable=("spearman_rho", "spearman_p", "note")
    )
