"""Scoring rules of the interest scale: RIASEC area scores and the Holland code.

Pure functions over pandas objects (no Django), shared by the statistics the API serves.
A respondent answers the 60 items of the O*NET Interest Profiler Short Form, 10 per area, on
a 1-5 scale. An answer that did not parse or was refused arrives as NaN and is never counted
as a value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

AREAS: tuple[str, ...] = ("R", "I", "A", "S", "E", "C")
ITEMS_PER_AREA = 10
SCALE_MIN = 1.0
SCALE_MAX = 5.0
# Means are averages of small integers, so two means that should be equal can differ in the last
# bits; anything closer than this counts as a tie.
TIE_TOLERANCE = 1e-9

RESPONSE_COLUMNS: tuple[str, ...] = ("respondent", "item", "area", "value")


def validate_scale_values(values: pd.Series, *, what: str = "value") -> None:
    """Raise ValueError when an answered value lies outside the 1-5 scale.

    Values are never clipped or rounded into range: an out-of-range number means the data are
    wrong upstream, and inventing a value would hide that.
    """
    answered = values.dropna()
    out_of_range = answered[(answered < SCALE_MIN) | (answered > SCALE_MAX)]
    if not out_of_range.empty:
        examples = ", ".join(str(value) for value in out_of_range.unique()[:5])
        raise ValueError(
            f"{what} must lie between {SCALE_MIN:g} and {SCALE_MAX:g} (NaN for a missing "
            f"answer); found {examples}"
        )


def validate_areas(areas: pd.Series) -> None:
    """Raise ValueError when an area is not one of the six RIASEC letters."""
    unknown = sorted(set(areas.dropna().unique()) - set(AREAS), key=str)
    if unknown or areas.isna().any():
        shown = ", ".join(repr(area) for area in unknown) or "a missing area"
        raise ValueError(f"area must be one of {', '.join(AREAS)}; found {shown}")


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], *, name: str) -> None:
    """Raise ValueError naming the columns a frame lacks."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )


def _validate_responses(responses: pd.DataFrame, *, items_per_area: int) -> None:
    require_columns(responses, RESPONSE_COLUMNS, name="responses")
    if items_per_area < 1:
        raise ValueError(f"items_per_area must be at least 1, got {items_per_area}")
    validate_areas(responses["area"])
    validate_scale_values(responses["value"])
    duplicated = responses.duplicated(subset=["respondent", "item"], keep=False)
    if duplicated.any():
        first = responses.loc[duplicated, ["respondent", "item"]].iloc[0]
        raise ValueError(
            "each respondent answers an item once; respondent "
            f"{first['respondent']!r} has item {first['item']!r} more than once"
        )
    areas_per_item = responses.groupby("item")["area"].nunique()
    inconsistent = areas_per_item[areas_per_item > 1]
    if not inconsistent.empty:
        raise ValueError(
            f"an item belongs to one area; item(s) {', '.join(map(str, inconsistent.index))} "
            "appear under several areas"
        )
    items_in_area = responses.groupby("area")["item"].nunique()
    too_many = items_in_area[items_in_area > items_per_area]
    if not too_many.empty:
        raise ValueError(
            f"each area has {items_per_area} items; area(s) {', '.join(too_many.index)} have more"
        )


def area_scores(responses: pd.DataFrame, *, items_per_area: int = ITEMS_PER_AREA) -> pd.DataFrame:
    """Score each respondent of the interest scale.

    `responses` is long: one row per (respondent, item) with `area` and `value` (1-5, NaN when
    the answer is missing, invalid or refused). Returns one row per respondent, in order of
    first appearance, with:

    - `complete`: every item of every area answered (60 items for the short form);
    - `n_answered`: number of answered items;
    - `score_<area>`: sum over the area's items of (value - 1), 0-40, only for complete
      respondents (NaN otherwise, because a partial sum is not on the same scale);
    - `mean_<area>`: mean item value over the answered items of the area (NaN if none).
    """
    _validate_responses(responses, items_per_area=items_per_area)
    respondents = pd.Index(responses["respondent"].unique(), name="respondent")

    answered_per_area: dict[str, pd.Series] = {}
    sum_per_area: dict[str, pd.Series] = {}
    mean_per_area: dict[str, pd.Series] = {}
    for area in AREAS:
        values = responses.loc[responses["area"] == area].groupby("respondent", sort=False)["value"]
        answered_per_area[area] = values.count().reindex(respondents, fill_value=0)
        sum_per_area[area] = values.sum().reindex(respondents, fill_value=0.0)
        mean_per_area[area] = values.mean().reindex(respondents)

    answered = pd.DataFrame(answered_per_area)
    complete = (answered == items_per_area).all(axis=1)

    result = pd.DataFrame(
        {
            "respondent": respondents,
            "complete": complete.to_numpy(dtype=bool),
            "n_answered": answered.sum(axis=1).to_numpy(dtype=np.int64),
        }
    )
    for area in AREAS:
        # Complete respondents answered every item, so sum(value - 1) = sum(value) - items.
        score = sum_per_area[area] - items_per_area * SCALE_MIN
        result[f"score_{area}"] = score.where(complete).to_numpy(dtype=float)
    for area in AREAS:
        result[f"mean_{area}"] = mean_per_area[area].to_numpy(dtype=float)
    return result


@dataclass(frozen=True)
class HollandCode:
    """The three highest areas, with every tie that touches them made explicit.

    `code` lists the three areas with the highest means, highest first, equal means in RIASEC
    order. `ties` holds each group of equal means that reaches into the top three. A tie inside
    the top three only leaves the order of letters open; a tie across the third and fourth
    place leaves open which letters belong in the code at all, and sets `ambiguous`.
    `missing` lists areas without a mean (no answered item); they are not ranked.
    """

    code: str
    ties: list[list[str]]
    ambiguous: bool
    ranking: list[tuple[str, float]]
    missing: list[str] = field(default_factory=list)


def _tie_groups(
    ranking: list[tuple[str, float]], *, tolerance: float
) -> list[list[tuple[str, float]]]:
    """Split a ranking sorted by descending mean into runs of equal means."""
    groups: list[list[tuple[str, float]]] = []
    for area, mean in ranking:
        # Compare with the first member of the run so a chain of tiny steps cannot merge areas
        # that are clearly different.
        if groups and abs(groups[-1][0][1] - mean) <= tolerance:
            groups[-1].append((area, mean))
        else:
            groups.append([(area, mean)])
    return groups


def holland_code(
    area_means: Mapping[str, float], *, code_length: int = 3, tolerance: float = TIE_TOLERANCE
) -> HollandCode:
    """Holland code from the mean item value per area; ties are reported, never hidden.

    `area_means` maps RIASEC letters to means. An area absent from the mapping or with a NaN
    mean has no answers to rank and goes to `missing`; the code is then shorter than three
    letters only if fewer than three areas have a mean.
    """
    unknown = sorted(set(area_means) - set(AREAS), key=str)
    if unknown:
        raise ValueError(
            f"area must be one of {', '.join(AREAS)}; found {', '.join(map(repr, unknown))}"
        )
    ranked: list[tuple[str, float]] = []
    missing: list[str] = []
    for area in AREAS:
        mean = area_means.get(area)
        if mean is None or math.isnan(float(mean)):
            missing.append(area)
        else:
            ranked.append((area, float(mean)))
    # Python's sort is stable, so equal means keep RIASEC order before tie grouping.
    ranked.sort(key=lambda pair: -pair[1])

    groups = _tie_groups(ranked, tolerance=tolerance)
    ranking: list[tuple[str, float]] = []
    ties: list[list[str]] = []
    ambiguous = False
    for group in groups:
        start = len(ranking)
        # Within a tie, RIASEC order decides the listing; the tie itself is reported.
        group.sort(key=lambda pair: AREAS.index(pair[0]))
        ranking.extend(group)
        end = len(ranking)
        if len(group) > 1 and start < code_length:
            ties.append([area for area, _ in group])
            if end > code_length:
                ambiguous = True

    code = "".join(area for area, _ in ranking[:code_length])
    return HollandCode(code=code, ties=ties, ambiguous=ambiguous, ranking=ranking, missing=missing)
