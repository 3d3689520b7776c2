"""Query parameters of the statistics: their types, defaults and valid values, in one place.

Each statistic declares its parameters as a mapping of name to `Parameter`; `parse_parameters`
turns a query string into typed values or raises `ParameterError` whose messages name every
unknown parameter and every bad value with the valid ones, so the API and the dashboards answer
bad input with the same 400.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmruns.selectors import ANSWER, ANSWER_BASES, FIRST_METHOD, METHOD_CHOICES

NONE_KEYWORD = "none"


class ParameterError(ValueError):
    """Bad query parameters; `errors` maps each parameter to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(
            "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        )
        self.errors = errors


@dataclass(frozen=True)
class Parameter:
    """One query parameter. `kind` is choice, choices (a comma-separated subset), integer or number."""

    kind: str
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False

    def valid_values(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "choices":
            return (
                f"a comma-separated subset of {', '.join(self.choices)}, or {NONE_KEYWORD!r} for "
                "none"
            )
        low = (
            ""
            if self.minimum is None
            else f"{'>' if self.exclusive_minimum else '>='} {self.minimum:g}"
        )
        high = (
            ""
            if self.maximum is None
            else f"{'<' if self.exclusive_maximum else '<='} {self.maximum:g}"
        )
        bounds = " and ".join(part for part in (low, high) if part)
        noun = "an integer" if self.kind == "integer" else "a number"
        return f"{noun} {bounds}".strip()

    def parse(self, raw: str) -> Any:
        raw = raw.strip()
        if self.kind == "choice":
            if raw not in self.choices:
                raise ValueError(f"{raw!r} is not valid; valid values: {self.valid_values()}.")
            return raw
        if self.kind == "choices":
            return self._parse_subset(raw)
        return self._parse_number(raw)

    def _parse_subset(self, raw: str) -> tuple[str, ...]:
        if raw in ("", NONE_KEYWORD):
            return ()
        parts = [part.strip() for part in raw.split(",")]
        unknown = [part for part in parts if part not in self.choices]
        if unknown:
            raise ValueError(
                f"{', '.join(map(repr, unknown))} not valid; valid values: {self.valid_values()}."
            )
        if len(set(parts)) != len(parts):
            raise ValueError(f"{raw!r} lists a value more than once.")
        return tuple(parts)

    def _parse_number(self, raw: str) -> int | float:
        try:
            value: int | float = int(raw) if self.kind == "integer" else float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not valid; expected {self.valid_values()}.") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{raw!r} is not valid; expected {self.valid_values()}.")
        too_low = self.minimum is not None and (
            value <= self.minimum if self.exclusive_minimum else value < self.minimum
        )
        too_high = self.maximum is not None and (
            value >= self.maximum if self.exclusive_maximum else value > self.maximum
        )
        if too_low or too_high:
            raise ValueError(f"{raw!r} is out of range; expected {self.valid_values()}.")
        return value


def parse_parameters(
    declared: Mapping[str, Parameter],
    query: Mapping[str, str],
    *,
    ignored: Sequence[str] = (),
) -> dict[str, Any]:
    """Typed values of every declared parameter (the default where absent).

    A parameter that is not declared (nor in `ignored`, e.g. the response format) is an error
    too: a misspelt name would otherwise silently give the default.
    """
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in query:
        if name not in declared and name not in ignored:
            valid = ", ".join([*declared, *ignored]) or "none"
            errors[name] = [f"unknown parameter; valid parameters: {valid}."]
    for name, parameter in declared.items():
        if name not in query:
            values[name] = parameter.default
            continue
        try:
            values[name] = parameter.parse(query[name])
        except ValueError as error:
            errors[name] = [str(error)]
    if errors:
        raise ParameterError(errors)
    return values


def check_run_method(values: Mapping[str, Any], *, run_methods: Sequence[str]) -> None:
    """A `method` the run never asked with is an error naming the run's methods: its answers
    would be an empty frame, served as a statistic of no answers."""
    method = values.get("method")
    if method in (None, FIRST_METHOD) or method in run_methods:
        return
    raise ParameterError(
        {
            "method": [
                f"{method!r} is not a method of this run; valid values: one of "
                f"{', '.join([FIRST_METHOD, *run_methods])}."
            ]
        }
    )


def plain_parameters(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON values (tuples become lists), for the `parameters` of a response."""
    return {
        name: list(value) if isinstance(value, tuple) else value for name, value in values.items()
    }


BOOTSTRAP = Parameter(
    "integer",
    1000,
    "Bootstrap replicates for the confidence interval (0 for none).",
    minimum=0,
    maximum=20000,
)
SEED = Parameter(
    "integer",
    0,
    "Seed of the bootstrap; the same seed gives the same interval.",
    minimum=0,
    maximum=2**32 - 1,
)
CONFIDENCE = Parameter(
    "number",
    0.95,
    "Confidence level of the intervals.",
    minimum=0,
    maximum=1,
    exclusive_minimum=True,
    exclusive_maximum=True,
)

# Every statistic of a run's answers reads one elicitation method at a time: a run with several
# methods has one answer per method for each item and replication.
METHOD = Parameter(
    "choice",
    FIRST_METHOD,
    "Elicitation method of the answers ('first': the run's first method).",
    choices=METHOD_CHOICES,
)
BASIS = Parameter(
    "choice",
    ANSWER,
    "answer: the answers (for token_probability the most likely value); expected_value: "
    "a token_probability trial's expected value (other methods' answers as they are).",
    choices=ANSWER_BASES,
)
PROFILE_PARAMETERS: dict[str, Parameter] = {
    "by": Parameter(
        "choices",
        ("endpoint", "language"),
        "Cells of the profile (comma-separated); a factor left out is pooled ('none' pools "
        "everything).",
        choices=("endpoint", "language"),
    ),
    "confidence": CONFIDENCE,
    "method": METHOD,
    "basis": BASIS,
}
MIXED_MODEL_PARAMETERS: dict[str, Parameter] = {
    "confidence": CONFIDENCE,
    "method": METHOD,
    "basis": BASIS,
}
DIAGNOSTIC_PARAMETERS: dict[str, Parameter] = {
    "by": Parameter(
        "choices",
        ("endpoint", "language", "method"),
        "Cells of the diagnostics (comma-separated); a factor left out is pooled ('none' pools "
        "everything). The method comparison is always between methods, per endpoint and language "
        "as far as they are in `by`.",
        choices=("endpoint", "language", "method"),
    ),
    "basis": Parameter(
        "choice",
        ANSWER,
        "Which value of a token-probability answer enters: the most likely scale value (answer) "
        "or the expected value over the scale (expected_value). Other methods always give their "
        "answer.",
        choices=ANSWER_BASES,
    ),
    "threshold": Parameter(
        "number",
        0.5,
        "Acquiescence is flagged when the mean agreement over all items is more than this many "
        "scale points above the scale midpoint (disacquiescence: below).",
        minimum=0,
        exclusive_minimum=True,
    ),
    "bootstrap": Parameter(
        "integer",
        200,
        "Bootstrap replicates of the alpha and omega intervals (0 for none).",
        minimum=0,
        maximum=5000,
    ),
    "seed": SEED,
    "confidence": CONFIDENCE,
}
