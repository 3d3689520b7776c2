"""Plots of the dashboards as inline SVG, drawn with matplotlib's object API on the Agg backend.

No pyplot: each plot builds its own Figure, so concurrent requests share no global state. Text
stays text in the SVG (`svg.fonttype = none`), so the browser draws Chinese labels with its own
fonts, and element ids are salted with a constant so the same data give the same SVG. Every
function takes plain rows (the statistics' JSON) and labels already translated by the caller.
matplotlib is imported on the first plot, so a web process that never draws one (an export, an
API call) does not carry it.
"""

from __future__ import annotations

import functools
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

AREA_ORDER = ("R", "I", "A", "S", "E", "C")
# Colour-blind-safe palette (Okabe-Ito), one colour per RIASEC area.
AREA_COLOURS = {
    "R": "#E69F00",
    "I": "#56B4E9",
    "A": "#009E73",
    "S": "#CC79A7",
    "E": "#D55E00",
    "C": "#0072B2",
}
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
SVG_SETTINGS = {"svg.fonttype": "none", "svg.hashsalt": "vocationlab", "font.size": 10}


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


@functools.cache
def _matplotlib() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.backends.backend_svg
    import matplotlib.figure

    return matplotlib


def to_svg(figure: Figure) -> str:
    """The figure as an inline <svg> element (no XML prologue), sized to its container."""
    matplotlib = _matplotlib()
    buffer = io.StringIO()
    with matplotlib.rc_context(SVG_SETTINGS), warnings.catch_warnings():
        # Glyphs missing from the layout font only affect measuring; the browser draws the text.
        warnings.simplefilter("ignore", UserWarning)
        canvas = matplotlib.backends.backend_svg.FigureCanvasSVG(figure)
        canvas.print_svg(buffer, metadata={"Date": None})
    svg = buffer.getvalue()
    start = svg.find("<svg")
    svg = svg[start:]
    return svg.replace("<svg ", '<svg role="img" style="max-width:100%;height:auto" ', 1)


def _figure(width: float, height: float) -> Figure:
    matplotlib = _matplotlib()
    with matplotlib.rc_context(SVG_SETTINGS):
        return matplotlib.figure.Figure(figsize=(width, height), layout="constrained")


def empty_plot(message: str) -> str:
    figure = _figure(6, 1.2)
    axes = figure.add_subplot()
    axes.axis("off")
    axes.text(0.5, 0.5, message, ha="center", va="center")
    return to_svg(figure)


def profile_bars(
    areas: Sequence[Mapping[str, Any]],
    *,
    area_labels: Mapping[str, str],
    y_label: str,
    empty_message: str,
) -> str:
    """Mean interest per RIASEC area, one bar per endpoint x language, with the CI as error bars."""
    cells = list(dict.fromkeys((row["endpoint"], row["language"]) for row in areas))
    if not cells:
        return empty_plot(empty_message)
    figure = _figure(8, 3.8)
    axes = figure.add_subplot()
    width = 0.8 / len(cells)
    for index, cell in enumerate(cells):
        rows = {row["area"]: row for row in areas if (row["endpoint"], row["language"]) == cell}
        positions = [
            area_index - 0.4 + width * (index + 0.5) for area_index in range(len(AREA_ORDER))
        ]
        means = [_number(rows.get(area, {}).get("mean")) for area in AREA_ORDER]
        lows = [_number(rows.get(area, {}).get("ci_low")) for area in AREA_ORDER]
        highs = [_number(rows.get(area, {}).get("ci_high")) for area in AREA_ORDER]
        errors = [
            [0 if math.isnan(low) else mean - low for mean, low in zip(means, lows, strict=True)],
            [
                0 if math.isnan(high) else high - mean
                for mean, high in zip(means, highs, strict=True)
            ],
        ]
        axes.bar(
            positions,
            means,
            width=width,
            yerr=errors,
            capsize=2,
            label=f"{cell[0]} · {cell[1]}",
            color=SERIES_COLOURS[index % len(SERIES_COLOURS)],
        )
    # Two lines per tick: the letter, then the name, so long names in either language fit.
    ticks = [area_labels.get(area, area).replace(" ", "\n", 1) for area in AREA_ORDER]
    axes.set_xticks(range(len(AREA_ORDER)), ticks)
    axes.set_ylim(1, 5)
    axes.set_ylabel(y_label)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.grid(axis="y", alpha=0.3)
    return to_svg(figure)


def interval_plot(
    rows: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    x_label: str,
    empty_message: str,
    x_limits: tuple[float, float] = (-0.2, 1.0),
    reference: float | None = 0.8,
) -> str:
    """Point estimates with their intervals, one row per label (e.g. alpha overall and by area);
    a dashed line marks `reference` (0.8 for reliabilities, 0 for differences)."""
    shown = [row for row in rows if row[1] is not None]
    if not shown:
        return empty_plot(empty_message)
    figure = _figure(6.5, 0.45 * len(shown) + 1.0)
    axes = figure.add_subplot()
    positions = list(range(len(shown)))[::-1]
    for position, (_label, estimate, low, high) in zip(positions, shown, strict=True):
        if low is not None and high is not None:
            axes.plot([low, high], [position, position], color="#0072B2", linewidth=2)
        axes.plot([estimate], [position], "o", color="#0072B2")
    axes.set_yticks(positions, [row[0] for row in shown])
    if reference is not None:
        axes.axvline(reference, color="#999999", linestyle="--", linewidth=1)
    axes.set_xlim(*x_limits)
    axes.set_xlabel(x_label)
    axes.grid(axis="x", alpha=0.3)
    return to_svg(figure)


def rater_deviations(
    raters: Sequence[Mapping[str, Any]], *, threshold: float, x_label: str, empty_message: str
) -> str:
    """Mean deviation of each rater from the others on the same units; flagged raters stand out."""
    shown = [row for row in raters if row.get("mean_deviation") is not None]
    if not shown:
        return empty_plot(empty_message)
    figure = _figure(6.5, 0.4 * len(shown) + 1.0)
    axes = figure.add_subplot()
    positions = list(range(len(shown)))[::-1]
    colours = ["#D55E00" if row["flagged"] else "#0072B2" for row in shown]
    axes.barh(positions, [row["mean_deviation"] for row in shown], color=colours)
    axes.set_yticks(positions, [row["rater"] for row in shown])
    for limit in (-threshold, threshold):
        axes.axvline(limit, color="#999999", linestyle="--", linewidth=1)
    axes.axvline(0, color="#1d2330", linewidth=0.8)
    axes.set_xlabel(x_label)
    return to_svg(figure)


def self_expert_scatter(
    items: Sequence[Mapping[str, Any]],
    *,
    area_labels: Mapping[str, str],
    x_label: str,
    y_label: str,
    empty_message: str,
) -> str:
    """Self-assessed (x) against expert (y) competence per item, coloured by area, with y = x."""
    paired = [row for row in items if row["self"] is not None and row["expert"] is not None]
    if not paired:
        return empty_plot(empty_message)
    figure = _figure(6.5, 5.0)
    axes = figure.add_subplot()
    axes.plot([1, 5], [1, 5], color="#999999", linestyle="--", linewidth=1)
    for area in AREA_ORDER:
        rows = [row for row in paired if row["area"] == area]
        if rows:
            axes.scatter(
                [row["self"] for row in rows],
                [row["expert"] for row in rows],
                color=AREA_COLOURS[area],
                label=area_labels.get(area, area),
                s=24,
                alpha=0.85,
            )
    axes.set_xlim(0.8, 5.2)
    axes.set_ylim(0.8, 5.2)
    axes.set_aspect("equal")
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    axes.grid(alpha=0.3)
    return to_svg(figure)
