"""Query parameters of the campaign statistics (agreement, raters, units, discrepancy).

The machinery (`Parameter`, `parse_parameters`, `ParameterError`) and the parameters shared
with the run statistics (bootstrap, seed, confidence) are in `llmruns.analysis.parameters`.
"""

from __future__ import annotations

from llmruns.analysis.parameters import BASIS, BOOTSTRAP, CONFIDENCE, METHOD, SEED, Parameter

LEVEL_CHOICES = ("nominal", "ordinal", "interval", "ratio")
SOURCE_CHOICES = ("self_competence", "self_review")
UNIT_ORDERINGS = tuple(
    f"{sign}{field}"
    for field in ("unit", "n", "mean", "sd", "range", "disagreement", "item")
    for sign in ("", "-")
)

LEVEL = Parameter(
    "choice", "ordinal", "Level of measurement of Krippendorff's alpha.", choices=LEVEL_CHOICES
)
AGREEMENT_PARAMETERS: dict[str, Parameter] = {
    "level": LEVEL,
    "by": Parameter(
        "choices",
        (),
        "Subgroups for alpha besides the overall value (comma-separated).",
        choices=("area", "endpoint", "language"),
    ),
    "bootstrap": BOOTSTRAP,
    "seed": SEED,
    "confidence": CONFIDENCE,
}
RATER_PARAMETERS: dict[str, Parameter] = {
    "level": LEVEL,
    "threshold": Parameter(
        "number",
        0.75,
        "A rater is flagged when the absolute mean deviation from the other raters of the same "
        "units reaches this many scale points.",
        minimum=0,
        exclusive_minimum=True,
    ),
}
UNIT_PARAMETERS: dict[str, Parameter] = {
    "threshold": Parameter(
        "number",
        2.0,
        "A unit is flagged for high disagreement when the range of its ratings reaches this many "
        "scale points.",
        minimum=0,
        exclusive_minimum=True,
    ),
    "ordering": Parameter(
        "choice",
        "unit",
        "Order of the units; '-' for descending. disagreement sorts by range, then SD.",
        choices=UNIT_ORDERINGS,
    ),
    "limit": Parameter("integer", None, "At most this many units (default all).", minimum=1),
    "offset": Parameter("integer", 0, "Skip this many units first.", minimum=0),
}
DISCREPANCY_PARAMETERS: dict[str, Parameter] = {
    "source": Parameter(
        "choice",
        "self_competence",
        "What the experts' ratings are compared with: the model's self-assessed competence or "
        "its review of its own work sample.",
        choices=SOURCE_CHOICES,
    ),
    "by": Parameter(
        "choices",
        ("endpoint", "language"),
        "Groups of the aggregated discrepancy (comma-separated; 'none' for one overall group).",
        choices=("endpoint", "language", "area"),
    ),
    "method": METHOD,
    "basis": BASIS,
    "bootstrap": BOOTSTRAP,
    "seed": SEED,
    "confidence": CONFIDENCE,
}
