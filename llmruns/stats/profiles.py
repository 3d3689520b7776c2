"""Interest profiles of models: RIASEC area means and scores, Holland codes, language effects.

One replication of the 60 interest items for one endpoint x language is one respondent, scored
with the instrument's rules (`careers.scoring`). Per endpoint x language and area: the mean of
the respondents' mean item values with SD and a t-based CI over respondents, the mean area score
(0-40) over complete respondents, and every excluded answer counted with its reason.
Pure pandas/numpy/scipy; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from careers.scoring import (
    AREAS,
    ITEMS_PER_AREA,
    area_scores,
    holland_code,
    require_columns,
    validate_areas,
    validate_scale_values,
)
from llmruns.stats.inference import (
    paired_t_test,
    riasec_sort_key,
    signed_rank_test,
    statistics_frame,
)
from llmruns.stats_columns import (
    AREA_COLUMNS,
    DIFFERENCE_COLUMNS,
    EXCLUSION_COLUMNS,
    HOLLAND_COLUMNS,
    INCOMPLETE_RESPONDENT,
    INTEREST_COLUMNS,
    INVALID_ANSWER,
    NO_ANSWER_RECORDED,
)

RESPONDENT_KEYS: list[str] = ["endpoint", "language", "replication"]
CELL_KEYS: list[str] = ["endpoint", "language"]

MEANS_AND_SCORES = "means and scores"
SCORES = "scores"


@dataclass(frozen=True)
class ProfileResult:
    """Area statistics, Holland codes and exclusions per endpoint x language."""

    areas: pd.DataFrame
    holland: pd.DataFrame
    exclusions: pd.DataFrame


def _validate_interest(interest: pd.DataFrame) -> None:
    require_columns(interest, INTEREST_COLUMNS, name="interest")
    for key in ("endpoint", "language", "item", "replication"):
        if interest[key].isna().any():
            raise ValueError(f"interest has rows without {key}")
    validate_areas(interest["area"])
    validate_scale_values(interest["value"], what="interest value")
    duplicated = interest.duplicated(subset=[*RESPONDENT_KEYS, "item"])
    if duplicated.any():
        first = interest.loc[duplicated].iloc[0]
        raise ValueError(
            "interest has more than one answer for endpoint "
            f"{first['endpoint']!r}, language {first['language']!r}, replication "
            f"{first['replication']!r}, item {first['item']!r}"
        )


def _respondent_scores(interest: pd.DataFrame, *, items_per_area: int) -> pd.DataFrame:
    """Scores per respondent in long form: one row per respondent x area."""
    respondent = interest.groupby(RESPONDENT_KEYS, sort=False).ngroup()
    keyed = interest.assign(respondent=respondent)
    scores = area_scores(
        keyed[["respondent", "item", "area", "value"]], items_per_area=items_per_area
    )
    keys = keyed[["respondent", *RESPONDENT_KEYS]].drop_duplicates("respondent")
    scores = scores.merge(keys, on="respondent", how="left")
    per_area = [
        scores[["respondent", *RESPONDENT_KEYS, "complete"]].assign(
            area=area, mean=scores[f"mean_{area}"], score=scores[f"score_{area}"]
        )
        for area in AREAS
    ]
    return pd.concat(per_area, ignore_index=True)


def _t_interval(mean: float, sd: float, n: int, *, confidence: float) -> tuple[float, float]:
    if n < 2 or np.isnan(sd):
        return np.nan, np.nan
    half_width = stats.t.ppf((1.0 + confidence) / 2.0, n - 1) * sd / np.sqrt(n)
    return mean - half_width, mean + half_width


def _area_statistics(long_scores: pd.DataFrame, *, confidence: float) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for (endpoint, language, area), group in long_scores.groupby([*CELL_KEYS, "area"], sort=False):
        respondent_means = group["mean"].dropna()
        n_respondents = len(respondent_means)
        mean = float(respondent_means.mean()) if n_respondents else np.nan
        sd = float(respondent_means.std(ddof=1)) if n_respondents > 1 else np.nan
        ci_low, ci_high = _t_interval(mean, sd, n_respondents, confidence=confidence)
        complete_scores = group["score"].dropna()
        rows.append(
            {
                "endpoint": endpoint,
                "language": language,
                "area": area,
                "n_respondents": n_respondents,
                "mean": mean,
                "sd": sd,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "mean_score": float(complete_scores.mean()) if len(complete_scores) else np.nan,
                "n_complete": len(complete_scores),
            }
        )
    areas = pd.DataFrame(rows, columns=AREA_COLUMNS)
    return areas.sort_values([*CELL_KEYS, "area"], key=riasec_sort_key).reset_index(drop=True)


def _holland_codes(areas: pd.DataFrame) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for (endpoint, language), cell in areas.groupby(CELL_KEYS, sort=False):
        result = holland_code(dict(zip(cell["area"], cell["mean"], strict=True)))
        rows.append(
            {
                "endpoint": endpoint,
                "language": language,
                "code": result.code,
                "ties": result.ties,
                "ambiguous": result.ambiguous,
                "missing": result.missing,
            }
        )
    return pd.DataFrame(rows, columns=HOLLAND_COLUMNS)


def _exclusions(
    interest: pd.DataFrame,
    long_scores: pd.DataFrame,
    *,
    items_per_area: int,
    unanswered: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count, per endpoint x language x area, every answer left out and why; the items of
    `unanswered` are left to the caller's own, more specific reason."""
    per_respondent = (
        interest.assign(invalid=interest["value"].isna(), valid=interest["value"].notna())
        .groupby([*RESPONDENT_KEYS, "area"], sort=False)
        .agg(invalid=("invalid", "sum"), valid=("valid", "sum"), recorded=("item", "count"))
        .reset_index()
    )
    # Respondents with no row at all in an area still miss all its items.
    everyone = long_scores[[*RESPONDENT_KEYS, "area", "complete"]]
    per_respondent = everyone.merge(per_respondent, on=[*RESPONDENT_KEYS, "area"], how="left")
    if unanswered is not None and not unanswered.empty:
        accounted = (
            unanswered.groupby([*RESPONDENT_KEYS, "area"], sort=False)["item"]
            .nunique()
            .rename("unanswered")
            .reset_index()
        )
        per_respondent = per_respondent.merge(accounted, on=[*RESPONDENT_KEYS, "area"], how="left")
    else:
        per_respondent["unanswered"] = 0
    for count in ("invalid", "valid", "recorded", "unanswered"):
        per_respondent[count] = per_respondent[count].fillna(0).astype(np.int64)
    per_respondent["unrecorded"] = (
        items_per_area - per_respondent["recorded"] - per_respondent["unanswered"]
    ).clip(lower=0)
    per_respondent["incomplete"] = ~per_respondent["complete"].astype(bool)
    per_respondent["excluded_from_score"] = per_respondent["valid"].where(
        per_respondent["incomplete"], 0
    )

    reasons = (
        ("invalid", INVALID_ANSWER, MEANS_AND_SCORES),
        ("unrecorded", NO_ANSWER_RECORDED, MEANS_AND_SCORES),
        ("excluded_from_score", INCOMPLETE_RESPONDENT, SCORES),
    )
    rows: list[dict[str, object]] = []
    for (endpoint, language, area), group in per_respondent.groupby(
        [*CELL_KEYS, "area"], sort=False
    ):
        for column, reason, excluded_from in reasons:
            affected = group["incomplete"] if column == "excluded_from_score" else group[column] > 0
            n_respondents = int(affected.sum())
            if n_respondents == 0:
                continue
            rows.append(
                {
                    "endpoint": endpoint,
                    "language": language,
                    "area": area,
                    "reason": reason,
                    "excluded_from": excluded_from,
                    "n_answers": int(group[column].sum()),
                    "n_respondents": n_respondents,
                }
            )
    exclusions = pd.DataFrame(rows, columns=EXCLUSION_COLUMNS)
    return exclusions.sort_values(
        [*CELL_KEYS, "area"], key=riasec_sort_key, kind="stable"
    ).reset_index(drop=True)


def interest_profiles(
    interest: pd.DataFrame,
    *,
    confidence: float = 0.95,
    items_per_area: int = ITEMS_PER_AREA,
    unanswered: pd.DataFrame | None = None,
) -> ProfileResult:
    """Interest profile per endpoint x language.

    `interest` is long: endpoint, language, item, area, replication, value (1-5, NaN for an
    invalid or refused answer). `areas` holds, per area, the mean over respondents of their
    mean item value (respondents with at least one answer in the area), its SD and t-based CI,
    and the mean area score over complete respondents. `holland` derives the code from those
    means. `exclusions` counts the answers left out: invalid or refused answers and items with no
    recorded answer (left out of means and scores), and the valid answers of incomplete
    respondents (left out of scores only). `unanswered` (endpoint, language, replication, item,
    area) names items whose trial exists but has no answer for a reason the caller reports
    itself (failed, cancelled, not run yet): they are not counted again as "no answer recorded".
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    _validate_interest(interest)
    if interest.empty:
        return ProfileResult(
            areas=pd.DataFrame(columns=AREA_COLUMNS),
            holland=pd.DataFrame(columns=HOLLAND_COLUMNS),
            exclusions=pd.DataFrame(columns=EXCLUSION_COLUMNS),
        )
    long_scores = _respondent_scores(interest, items_per_area=items_per_area)
    areas = _area_statistics(long_scores, confidence=confidence)
    return ProfileResult(
        areas=areas,
        holland=_holland_codes(areas),
        exclusions=_exclusions(
            interest, long_scores, items_per_area=items_per_area, unanswered=unanswered
        ),
    )


def language_differences(
    interest: pd.DataFrame, *, a: str = "en", b: str = "zh-hans"
) -> pd.DataFrame:
    """Mean interest per endpoint x area in language `a` and `b`, and the paired difference.

    Each item's value is first averaged over replications (invalid answers left out); items with
    a mean in both languages are paired (`n_unpaired_items` counts the others, and
    `n_invalid_answers` the invalid or refused answers left out), so `difference` = `mean_b` - `mean_a` is the mean of the
    item differences, tested across the area's items with the Wilcoxon signed-rank test and the
    paired t-test (None with a note when undefined).
    """
    _validate_interest(interest)
    if a == b:
        raise ValueError(f"languages a and b must differ, both are {a!r}")
    available = sorted(interest["language"].unique(), key=str)
    absent = [language for language in (a, b) if language not in available]
    if absent:
        raise ValueError(
            f"language(s) {', '.join(map(repr, absent))} not in the data; available: "
            f"{', '.join(map(str, available))}"
        )

    compared = interest.loc[interest["language"].isin([a, b])]
    invalid_answers = (
        compared.loc[compared["value"].isna()].groupby(["endpoint", "area"]).size().to_dict()
    )
    item_means = (
        compared.groupby(["endpoint", "area", "item", "language"], sort=False)["value"]
        .mean()
        .reset_index()
    )
    rows: list[dict[str, object]] = []
    for endpoint in sorted(item_means["endpoint"].unique(), key=str):
        for area in AREAS:
            cell = item_means.loc[
                (item_means["endpoint"] == endpoint) & (item_means["area"] == area)
            ]
            first = cell.loc[cell["language"] == a].set_index("item")["value"].dropna()
            second = cell.loc[cell["language"] == b].set_index("item")["value"].dropna()
            paired_items = first.index.intersection(second.index)
            first_paired = first.loc[paired_items].to_numpy(dtype=float)
            second_paired = second.loc[paired_items].to_numpy(dtype=float)
            notes: list[str] = []
            if len(paired_items):
                wilcoxon_p, wilcoxon_note = signed_rank_test(second_paired - first_paired)
                t_p, t_note = paired_t_test(first_paired, second_paired)
                notes.extend(note for note in (wilcoxon_note, t_note) if note)
                mean_a = float(first_paired.mean())
                mean_b = float(second_paired.mean())
            else:
                wilcoxon_p = t_p = mean_a = mean_b = None
                notes.append(f"no item has answers in both {a} and {b}")
            rows.append(
                {
                    "endpoint": endpoint,
                    "area": area,
                    "language_a": a,
                    "language_b": b,
                    "mean_a": mean_a,
                    "mean_b": mean_b,
                    "difference": None if mean_a is None else mean_b - mean_a,
                    "wilcoxon_p": wilcoxon_p,
                    "t_p": t_p,
                    "n_items": len(paired_items),
                    "n_unpaired_items": len(first.index.symmetric_difference(second.index)),
                    "n_invalid_answers": int(invalid_answers.get((endpoint, area), 0)),
                    "note": "; ".join(notes) or None,
                }
            )
    return statistics_frame(
        rows,
        DIFFERENCE_COLUMNS,
        nullable=("mean_a", "mean_b", "difference", "wilcoxon_p", "t_p", "note"),
    )
