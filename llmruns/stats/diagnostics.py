"""Psychometric diagnostics of a run's interest answers: is a profile the model's or the prompt's?

Pure pandas/numpy/scipy, no Django. The input is one row per interest answer (`ANSWER_COLUMNS`:
endpoint, language, method, item, area, replication, template variant, scale direction and the
value on the canonical scale, NaN for an invalid or refused answer). A respondent is one
replication of the 60 items by one endpoint in one language with one elicitation method; every
statistic is computed per cell of `by` (any subset of endpoint, language and method; a factor left
out is pooled, its respondents kept apart), so each can be split by method.

- Internal consistency (`internal_consistency`): Cronbach's alpha and McDonald's omega total of
  each RIASEC area's items, replications as respondents (complete respondents only), with
  bootstrap intervals (`llmruns.stats.reliability` states the estimation).
- Stability (`stability`): the six Shrout-Fleiss ICCs with items as targets and, as judges,
  the replications (facet `replication`) or the paraphrase templates (facet `template`, an item's
  mean over the replications that used the template). Items without an answer from every judge
  are left out and counted.
- Response styles (`response_styles`): acquiescence (the mean agreement over every item of every
  area; the instrument has no reverse-keyed items and a reversed presentation is already mapped
  back, so a higher value always means more agreement; the index is its distance from the scale
  midpoint, flagged beyond `threshold`), extreme responding (share of the scale's lowest and
  highest values), midpoint responding (share of the midpoint) and straight-lining (respondents
  giving one value to every item they answered, at least two).
- Presentation effects (`presentation_effects`): per item, the mean answer under the reversed
  minus under the normal scale direction (within the same template where the design allows),
  and under each paraphrase template minus the first (within the same direction); the mean of
  those item differences with a t interval and the paired t test over items, flagged when the
  interval excludes 0.
- Method effects (`method_comparison`): for the same cell without method, each pair of methods:
  the correlation of item means, their mean difference (interval and paired test as above) and
  the agreement of the Holland codes. A tie between area means that reaches into the top three
  is not broken: each agreement is true when both codes allow the same readings, false when
  they share none, and None (with the tie in the note) when the data do not decide it.
- Answer rates (`answer_rates`): invalid, refused and failed trials by endpoint, language, kind
  and method.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from careers.scoring import AREAS, TIE_TOLERANCE, HollandCode, holland_code
from llmruns.stats.inference import riasec_sort_key
from llmruns.stats.reliability import consistency_many, icc_table
from llmruns.stats_columns import (
    ANSWER_COLUMNS,
    CONSISTENCY_COLUMNS,
    EFFECT_COLUMNS,
    METHOD_COLUMNS,
    POOLED,
    RATE_RESULT_COLUMNS,
    STABILITY_COLUMNS,
    STYLE_COLUMNS,
)

RATE_COLUMNS: tuple[str, ...] = ("endpoint", "language", "kind", "method", "status")
FACTORS: tuple[str, ...] = ("endpoint", "language", "method")
METHOD_ORDER: tuple[str, ...] = ("verbal", "structured", "token_probability")
FACETS: tuple[str, ...] = ("replication", "template")


def _validate_by(by: Sequence[str]) -> list[str]:
    by = list(by)
    unknown = [factor for factor in by if factor not in FACTORS]
    if unknown:
        raise ValueError(
            f"cannot split by {', '.join(map(repr, unknown))}; valid values: {', '.join(FACTORS)}"
        )
    return by


def _require(answers: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in answers.columns]
    if missing:
        raise ValueError(f"answers lack the column(s) {', '.join(missing)}")


def pool(answers: pd.DataFrame, *, by: Sequence[str]) -> pd.DataFrame:
    """Answers with a `respondent` id (endpoint, language, method, replication) and the factors
    not in `by` set to 'all'."""
    _require(answers, ANSWER_COLUMNS)
    by = _validate_by(by)
    frame = answers.copy()
    if frame.empty:
        frame["respondent"] = pd.Series(dtype=np.int64)
    else:
        frame["respondent"] = frame.groupby([*FACTORS, "replication"], sort=True).ngroup()
    for factor in FACTORS:
        if factor not in by:
            frame[factor] = POOLED
    frame["value"] = frame["value"].astype(float)
    return frame


def _cells(frame: pd.DataFrame, by: Sequence[str]):
    if not by:
        yield {}, frame
        return
    for key, cell in frame.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        yield dict(zip(by, key, strict=True)), cell


def _result(rows: list[dict], columns: list[str], by: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*by, *columns])
    return frame.astype(object).where(frame.notna(), None)


def _float(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


# --- internal consistency ----------------------------------------------------------------------


def internal_consistency(
    answers: pd.DataFrame,
    *,
    by: Sequence[str] = FACTORS,
    bootstrap: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Alpha and omega of each area's items per cell, replications as respondents."""
    frame = pool(answers, by=by)
    # Gather every area's matrix first, so the omega fits of all cells run together.
    blocks: list[tuple[dict, str, pd.DataFrame, pd.DataFrame, int]] = []
    for key, cell in _cells(frame, by):
        for area in [area for area in AREAS if area in set(cell["area"])]:
            in_area = cell.loc[cell["area"] == area]
            wide = in_area.pivot_table(
                index="respondent", columns="item", values="value", aggfunc="mean", dropna=False
            ).dropna(axis=1, how="all")
            complete = wide.dropna(axis=0, how="any")
            blocks.append((key, area, wide, complete, int(in_area["respondent"].nunique())))
    computable = [i for i, block in enumerate(blocks) if block[3].shape[1] >= 1 and len(block[3])]
    coefficients = dict(
        zip(
            computable,
            consistency_many(
                [blocks[i][3].to_numpy() for i in computable],
                replicates=bootstrap,
                confidence=confidence,
                seed=seed,
            ),
            strict=True,
        )
    )
    rows: list[dict] = []
    for i, (key, area, wide, complete, n_respondents) in enumerate(blocks):
        notes = []
        alpha, omega = coefficients.get(i, (None, None))
        if i not in coefficients:
            notes.append("no complete respondent")
        for coefficient in (alpha, omega):
            if coefficient is not None and coefficient.note:
                notes.append(coefficient.note)
            if coefficient is not None and coefficient.undefined_replicates:
                notes.append(
                    f"{coefficient.undefined_replicates} bootstrap replicate(s) undefined "
                    "and left out of an interval"
                )
        rows.append(
            {
                **key,
                "area": area,
                "n_items": int(wide.shape[1]),
                "n_respondents": n_respondents,
                "n_complete": len(complete),
                "alpha": alpha.value if alpha else None,
                "alpha_ci_low": alpha.ci_low if alpha else None,
                "alpha_ci_high": alpha.ci_high if alpha else None,
                "omega": omega.value if omega else None,
                "omega_ci_low": omega.ci_low if omega else None,
                "omega_ci_high": omega.ci_high if omega else None,
                "note": "; ".join(notes) or None,
            }
        )
    return _result(rows, CONSISTENCY_COLUMNS, by)


# --- stability (ICC) -----------------------------------------------------------------------------


def _judges(cell: pd.DataFrame, facet: str) -> pd.DataFrame:
    """Items x judges: respondents (facet replication) or template variants (facet template)."""
    column = "respondent" if facet == "replication" else "template_variant"
    wide = cell.pivot_table(
        index="item", columns=column, values="value", aggfunc="mean", dropna=False
    )
    return wide.dropna(axis=1, how="all")


def stability(
    answers: pd.DataFrame,
    *,
    by: Sequence[str] = FACTORS,
    facet: str = "replication",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The six Shrout-Fleiss ICCs per cell, items as targets and the facet's levels as judges."""
    if facet not in FACETS:
        raise ValueError(f"facet must be one of {', '.join(FACETS)}, got {facet!r}")
    frame = pool(answers, by=by)
    rows: list[dict] = []
    for key, cell in _cells(frame, by):
        wide = _judges(cell, facet)
        complete = wide.dropna(axis=0, how="any")
        excluded = int(len(wide) - len(complete))
        base = {**key, "facet": facet, "n_targets_excluded": excluded}
        if complete.shape[0] < 2 or complete.shape[1] < 2:
            rows.append(
                {
                    **base,
                    "k": int(complete.shape[1]),
                    "n_targets": int(complete.shape[0]),
                    "note": f"ICC undefined: needs at least 2 items answered by at least 2 "
                    f"{'replications' if facet == 'replication' else 'templates'}, found "
                    f"{complete.shape[0]} x {complete.shape[1]}",
                }
            )
            continue
        note = (
            f"{excluded} item(s) without an answer from every judge left out" if excluded else None
        )
        for row in icc_table(complete.to_numpy(), confidence=confidence):
            rows.append({**base, **row, "note": note})
    return _result(rows, STABILITY_COLUMNS, by)


# --- response styles -----------------------------------------------------------------------------


def _t_summary(values: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return None, None
    sd = values.std(ddof=1)
    half = stats.t.ppf((1.0 + confidence) / 2.0, values.size - 1) * sd / math.sqrt(values.size)
    return float(values.mean() - half), float(values.mean() + half)


def response_styles(
    answers: pd.DataFrame,
    *,
    by: Sequence[str] = FACTORS,
    scale_min: int = 1,
    scale_max: int = 5,
    threshold: float = 0.5,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Acquiescence, extreme and midpoint responding and straight-lining per cell.

    The respondent is the unit, as for the profiles: the mean agreement is the mean over
    respondents of each one's mean answer (so a respondent with fewer valid answers weighs as
    much as the others, and the index lies inside its own interval), and the interval of the
    acquiescence index is a t interval over those respondents' means. A cell is flagged
    acquiescent when the index exceeds `threshold` scale points, disacquiescent when it is
    below minus `threshold`. The extreme and midpoint shares count answers.
    """
    frame = pool(answers, by=by)
    midpoint = (scale_min + scale_max) / 2.0
    rows: list[dict] = []
    for key, cell in _cells(frame, by):
        valid = cell.dropna(subset=["value"])
        notes: list[str] = []
        if valid.empty:
            rows.append({**key, "n_respondents": 0, "n_answers": 0, "flagged": False})
            continue
        per_respondent = valid.groupby("respondent")["value"]
        means = per_respondent.mean().to_numpy()
        straight = (per_respondent.count() >= 2) & (per_respondent.max() == per_respondent.min())
        mean = float(means.mean())
        index = mean - midpoint
        low, high = _t_summary(means, confidence)
        if low is None:
            notes.append("interval undefined: needs at least 2 respondents")
        style = None
        if index > threshold:
            style = "acquiescent"
        elif index < -threshold:
            style = "disacquiescent"
        values = valid["value"].to_numpy()
        midpoint_share = (
            float(np.mean(np.abs(values - midpoint) <= TIE_TOLERANCE))
            if float(midpoint).is_integer()
            else None
        )
        if midpoint_share is None:
            notes.append("the scale has no midpoint value")
        rows.append(
            {
                **key,
                "n_respondents": int(len(means)),
                "n_answers": int(len(values)),
                "mean_agreement": mean,
                "acquiescence_index": index,
                "ci_low": None if low is None else low - midpoint,
                "ci_high": None if high is None else high - midpoint,
                "extreme_share": float(np.mean((values == scale_min) | (values == scale_max))),
                "midpoint_share": midpoint_share,
                "n_straight_lining": int(straight.sum()),
                "straight_lining_share": float(straight.mean()),
                "style": style,
                "flagged": style is not None,
                "note": "; ".join(notes) or None,
            }
        )
    return _result(rows, STYLE_COLUMNS, by)


# --- presentation and method effects -------------------------------------------------------------


def paired_difference(
    first: np.ndarray, second: np.ndarray, *, confidence: float
) -> dict[str, object]:
    """Mean of second - first over pairs, its t interval, the paired t test and Pearson's r of
    the pairs; flagged when the interval excludes 0."""
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    differences = second - first
    n = differences.size
    notes: list[str] = []
    result: dict[str, object] = {"n_items": int(n)}
    if n == 0:
        return {**result, "flagged": False, "note": "no item answered under both conditions"}
    mean = float(differences.mean())
    result["mean_difference"] = mean
    if n < 2:
        return {**result, "flagged": False, "note": "interval undefined: needs at least 2 items"}
    sd = float(differences.std(ddof=1))
    result["sd"] = sd
    if sd <= TIE_TOLERANCE:
        # Every item moved by the same amount: the interval is that amount, and no t statistic.
        low = high = mean
        notes.append("paired t test undefined: every item differs by the same amount")
    else:
        se = sd / math.sqrt(n)
        half = stats.t.ppf((1.0 + confidence) / 2.0, n - 1) * se
        low, high = mean - half, mean + half
        result["t"] = mean / se
        result["p"] = float(2 * stats.t.sf(abs(mean / se), n - 1))
    result["ci_low"], result["ci_high"] = low, high
    if np.ptp(first) > TIE_TOLERANCE and np.ptp(second) > TIE_TOLERANCE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result["item_correlation"] = _float(np.corrcoef(first, second)[0, 1])
    else:
        notes.append("item correlation undefined: one condition has the same mean on every item")
    result["flagged"] = bool(low > TIE_TOLERANCE or high < -TIE_TOLERANCE)
    result["note"] = "; ".join(notes) or None
    return result


def _item_means(cell: pd.DataFrame, column: str, level: object) -> pd.Series:
    return cell.loc[cell[column] == level].groupby("item")["value"].mean().dropna()


def _paired_items(
    cell: pd.DataFrame, column: str, reference: object, level: object, stratum: str
) -> tuple[pd.DataFrame, bool]:
    """Per item, its mean under `reference` and under `level` of `column`, compared within the
    levels of `stratum` where both occur (the mean over those strata); and whether it could be.

    Templates rotate and the scale direction alternates with the replication, so a template
    may meet only one direction; comparing within a stratum keeps the other factor out of the
    difference. Without a shared stratum the plain item means are compared.
    """
    means = cell.dropna(subset=["value"]).groupby([column, stratum, "item"])["value"].mean()
    levels = set(means.index.get_level_values(column))
    if reference in levels and level in levels:
        within = pd.concat(
            [means.xs(reference, level=column), means.xs(level, level=column)],
            axis=1,
            keys=["reference", "level"],
            join="inner",
        )
        if not within.empty:
            return within.groupby(level="item").mean(), True
    plain = pd.concat(
        [_item_means(cell, column, reference), _item_means(cell, column, level)],
        axis=1,
        keys=["reference", "level"],
        join="inner",
    )
    return plain, False


def presentation_effects(
    answers: pd.DataFrame, *, by: Sequence[str] = FACTORS, confidence: float = 0.95
) -> pd.DataFrame:
    """Reversed - normal scale direction, and each template - the first, per cell.

    Each comparison is made within the levels of the other factor where possible (direction
    within template, template within direction); where the design never crosses them, the plain
    item means are compared and the note says the two are confounded.
    """
    frame = pool(answers, by=by)
    rows: list[dict] = []
    for key, cell in _cells(frame, by):
        comparisons: list[tuple[str, str, str, object, object, str]] = []
        if cell["scale_reversed"].nunique() == 2:
            comparisons.append(
                (
                    "scale direction",
                    "reversed - normal",
                    "scale_reversed",
                    False,
                    True,
                    "template_variant",
                )
            )
        variants = sorted(cell["template_variant"].unique())
        for variant in variants[1:]:
            comparisons.append(
                (
                    "template",
                    f"template {variant} - template {variants[0]}",
                    "template_variant",
                    variants[0],
                    variant,
                    "scale_reversed",
                )
            )
        for effect, contrast, column, reference, level, stratum in comparisons:
            paired, stratified = _paired_items(cell, column, reference, level, stratum)
            summary = paired_difference(
                paired["reference"].to_numpy(), paired["level"].to_numpy(), confidence=confidence
            )
            other = "template" if stratum == "template_variant" else "scale direction"
            note = (
                f"compared within the same {other}"
                if stratified
                else f"{effect} and {other} are confounded in this design"
            )
            summary["note"] = "; ".join(filter(None, [summary.get("note"), note]))
            rows.append({**key, "effect": effect, "contrast": contrast, **summary})
    return _result(rows, EFFECT_COLUMNS, by)


def _ordered_methods(methods: Sequence[str]) -> list[str]:
    known = [method for method in METHOD_ORDER if method in methods]
    return known + sorted(set(methods) - set(METHOD_ORDER))


CODE_LENGTH = 3


def _possible_codes(result: HollandCode) -> set[str]:
    """Every code the area means allow: each run of equal means that reaches into the top
    three may be read in any order."""
    groups: list[list[str]] = []
    for area, mean in result.ranking:
        if groups and abs(groups[-1][0][1] - mean) <= TIE_TOLERANCE:
            groups[-1].append((area, mean))
        else:
            groups.append([(area, mean)])
    codes = {""}
    placed = 0
    for group in groups:
        if placed >= CODE_LENGTH:
            break
        letters = [area for area, _mean in group]
        codes = {
            code + "".join(order) for code in codes for order in itertools.permutations(letters)
        }
        placed += len(letters)
    return {code[:CODE_LENGTH] for code in codes}


def _agreement(first: set, second: set) -> bool | None:
    """True when both sides allow the same readings, False when they share none, else None."""
    if first == second:
        return True
    if first.isdisjoint(second):
        return False
    return None


def _code_comparison(
    result_a: HollandCode, result_b: HollandCode, names: tuple[str, str]
) -> dict[str, object]:
    codes_a, codes_b = _possible_codes(result_a), _possible_codes(result_b)
    if not result_a.code or not result_b.code:
        return {
            "holland_agreement": False,
            "first_letter_agreement": False,
            "shared_letters": len(set(result_a.code) & set(result_b.code)),
            "tie_note": None,
        }
    shared = {len(set(a) & set(b)) for a in codes_a for b in codes_b}
    ties = [
        f"{name} ties {' = '.join(group)}"
        for name, result in zip(names, (result_a, result_b), strict=True)
        for group in result.ties
    ]
    return {
        "holland_agreement": _agreement(codes_a, codes_b),
        "first_letter_agreement": _agreement(
            {code[:1] for code in codes_a}, {code[:1] for code in codes_b}
        ),
        "shared_letters": shared.pop() if len(shared) == 1 else None,
        "tie_note": "; ".join(ties) or None,
    }


def method_comparison(
    answers: pd.DataFrame, *, by: Sequence[str] = ("endpoint", "language"), confidence: float = 0.95
) -> pd.DataFrame:
    """Each pair of methods per cell of `by` (endpoint and/or language): agreement of item means
    and of Holland codes.

    Where endpoints are pooled, a pair compares only the endpoints that answered with both of
    its methods, so a difference between methods is not one between sets of models."""
    by = [factor for factor in _validate_by(by) if factor != "method"]
    frame = pool(answers, by=[*by, "method"])
    frame["source_endpoint"] = answers["endpoint"]
    rows: list[dict] = []
    for key, cell in _cells(frame, by):
        answered = cell.dropna(subset=["value"])
        methods = _ordered_methods(list(answered["method"].unique()))
        for method_a, method_b in itertools.combinations(methods, 2):
            sources = set(answered.loc[answered["method"] == method_a, "source_endpoint"])
            sources &= set(answered.loc[answered["method"] == method_b, "source_endpoint"])
            pair = answered.loc[
                answered["method"].isin([method_a, method_b])
                & answered["source_endpoint"].isin(sources)
            ]
            item_means = pair.groupby(["method", "item", "area"])["value"].mean().dropna()
            if item_means.empty:
                continue
            codes = {
                method: holland_code(item_means.loc[method].groupby(level="area").mean().to_dict())
                for method in (method_a, method_b)
            }
            paired = pd.concat(
                [
                    item_means.loc[method_a].droplevel("area"),
                    item_means.loc[method_b].droplevel("area"),
                ],
                axis=1,
                keys=["a", "b"],
                join="inner",
            )
            summary = paired_difference(
                paired["a"].to_numpy(), paired["b"].to_numpy(), confidence=confidence
            )
            comparison = _code_comparison(codes[method_a], codes[method_b], (method_a, method_b))
            rows.append(
                {
                    **key,
                    "method_a": method_a,
                    "method_b": method_b,
                    "n_items": summary["n_items"],
                    "correlation": summary.get("item_correlation"),
                    "mean_difference": summary.get("mean_difference"),
                    "ci_low": summary.get("ci_low"),
                    "ci_high": summary.get("ci_high"),
                    "p": summary.get("p"),
                    "holland_a": codes[method_a].code,
                    "holland_b": codes[method_b].code,
                    "holland_agreement": comparison["holland_agreement"],
                    "first_letter_agreement": comparison["first_letter_agreement"],
                    "shared_letters": comparison["shared_letters"],
                    "note": "; ".join(filter(None, [summary.get("note"), comparison["tie_note"]]))
                    or None,
                }
            )
    return _result(rows, METHOD_COLUMNS, by)


# --- answer rates ----------------------------------------------------------------------------


def answer_rates(trials: pd.DataFrame) -> pd.DataFrame:
    """Per endpoint, language, kind and method: trials by outcome and the invalid, refusal and
    failure rates over finished trials (ok, invalid, refused, failed)."""
    _require(trials, RATE_COLUMNS)
    rows: list[dict] = []
    keys = ["endpoint", "language", "kind", "method"]
    for key, group in trials.groupby(keys, sort=True):
        counts = group["status"].value_counts()
        outcome = {
            status: int(counts.get(status, 0)) for status in ("ok", "invalid", "refused", "failed")
        }
        finished = sum(outcome.values())
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "n_trials": len(group),
                "n_finished": finished,
                **outcome,
                "unfinished": len(group) - finished,
                "invalid_rate": outcome["invalid"] / finished if finished else None,
                "refusal_rate": outcome["refused"] / finished if finished else None,
                "failure_rate": outcome["failed"] / finished if finished else None,
            }
        )
    frame = _result(rows, RATE_RESULT_COLUMNS[4:], keys)
    return frame.sort_values(keys, key=riasec_sort_key, kind="stable").reset_index(drop=True)
