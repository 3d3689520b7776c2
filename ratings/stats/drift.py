"""Rater drift: how far each rater's ratings move away from the other raters' over time.

A rater can start calibrated and drift (grow lenient, or harsh, as fatigue or habit sets in).
For every rating of a unit that someone else also rated, the deviation is the value minus the
mean of the other raters' values on that unit (as in ``agreement.rater_stats``). A rater's
deviations, in the order they rated, are cut into consecutive blocks of ``block_size``; each
block's mean deviation shows the trend. A rater is flagged when the absolute mean deviation of
their latest complete block exceeds ``threshold`` scale points: their recent ratings sit that
far from their colleagues' on the same units, whatever they did before.

Pure: a DataFrame with columns ``unit``, ``rater``, ``value`` and ``order`` (anything that sorts
in rating order: a time, a sequence number) in, DataFrames out. No Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ratings.drift_defaults import DEFAULT_BLOCK_SIZE, DEFAULT_DRIFT_THRESHOLD

REQUIRED_COLUMNS = ("unit", "rater", "value", "order")
BLOCK_COLUMNS = ["rater", "block", "n", "mean_deviation"]
RATER_COLUMNS = [
    "rater",
    "n_compared",
    "blocks",
    "first_block_deviation",
    "latest_block_deviation",
    "growth",
    "flagged",
]


@dataclass(frozen=True)
class DriftResult:
    """Per rater and block of their ratings, and per rater with the flag."""

    blocks: pd.DataFrame
    raters: pd.DataFrame
    block_size: int
    threshold: float


def rater_drift(
    ratings: pd.DataFrame,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    threshold: float = DEFAULT_DRIFT_THRESHOLD,
) -> DriftResult:
    """Mean deviation from the other raters per block of each rater's ratings, and the flag.

    Only complete blocks of ``block_size`` ratings count towards the flag; a final partial
    block is reported with its n. ``growth`` is |latest complete block| - |first block|.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in ratings.columns]
    if missing:
        raise ValueError(f"Ratings are missing column(s) {', '.join(map(repr, missing))}.")
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}.")
    if not threshold >= 0:
        raise ValueError(f"threshold must be a non-negative number, got {threshold!r}.")
    frame = ratings.loc[ratings["value"].notna(), list(REQUIRED_COLUMNS)].copy()
    frame["value"] = frame["value"].astype(np.float64)
    per_unit = frame.groupby("unit", sort=False)["value"]
    others = per_unit.transform("count") - 1
    frame["deviation"] = np.where(
        others > 0,
        frame["value"] - (per_unit.transform("sum") - frame["value"]) / others.clip(lower=1),
        np.nan,
    )
    compared = frame[others > 0].sort_values(["rater", "order"], kind="stable")
    compared["block"] = compared.groupby("rater", sort=False).cumcount() // block_size + 1
    blocks = (
        compared.groupby(["rater", "block"], sort=True)["deviation"]
        .agg(n="count", mean_deviation="mean")
        .reset_index()
    )
    rows = []
    for rater, rater_blocks in blocks.groupby("rater", sort=True):
        complete = rater_blocks[rater_blocks["n"] == block_size]
        first = complete["mean_deviation"].iloc[0] if len(complete) else np.nan
        latest = complete["mean_deviation"].iloc[-1] if len(complete) else np.nan
        rows.append(
            {
                "rater": rater,
                "n_compared": int(rater_blocks["n"].sum()),
                "blocks": len(complete),
                "first_block_deviation": first,
                "latest_block_deviation": latest,
                "growth": abs(latest) - abs(first) if len(complete) else np.nan,
                "flagged": bool(len(complete)) and bool(abs(latest) > threshold),
            }
        )
    return DriftResult(
        blocks=blocks[BLOCK_COLUMNS],
        raters=pd.DataFrame(rows, columns=RATER_COLUMNS),
        block_size=block_size,
        threshold=threshold,
    )
