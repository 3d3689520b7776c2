"""Token-probability answers: the scale's distribution read from the first token's logprobs.

The model is asked for a one-token answer with ``top_logprobs``; the probability of each scale
value is the summed probability of every token that spells its number: "3" and " 3" (tokenizers
keep a leading space in the token), full-width "３", and, where the prompt is Chinese, the
numeral "三". The probabilities are renormalised over the valid options; the mass that fell on
valid options is kept, and an answer whose valid mass is below the run's threshold is invalid
with that reason, never imputed. Presented numbers are mapped back to canonical values when the
scale was shown reversed. For an ok answer, ``value`` is the most likely value (ties go to the
lower value) and ``expected_value`` is the mean of the distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmruns.parsing.result import Outcome

CHINESE_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
FULL_WIDTH_DIGITS = {chr(0xFF10 + digit): digit for digit in range(10)}


@dataclass(frozen=True)
class TokenProbabilityResult:
    outcome: Outcome
    value: int | None
    reason: str
    probabilities: dict[str, float] | None  # canonical value (as text) -> renormalised p
    valid_mass: float | None
    expected_value: float | None


def token_number(token: str, *, language: str) -> int | None:
    """The number a single answer token spells, or None."""
    text = token.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if len(text) == 1 and text in FULL_WIDTH_DIGITS:
        return FULL_WIDTH_DIGITS[text]
    if language == "zh-hans" and len(text) == 1:
        return CHINESE_NUMERALS.get(text)
    return None


def parse_token_probabilities(
    top_logprobs: list[tuple[str, float]] | None,
    *,
    language: str,
    reversed_scale: bool = False,
    low: int = 1,
    high: int = 5,
    min_valid_mass: float = 0.5,
) -> TokenProbabilityResult:
    """The answer distribution from the first token's (token, logprob) alternatives."""
    if not top_logprobs:
        return TokenProbabilityResult(
            "invalid", None, "no logprobs in the response", None, None, None
        )
    mass = dict.fromkeys(range(low, high + 1), 0.0)
    for token, logprob in top_logprobs:
        number = token_number(token, language=language)
        if number is None or not low <= number <= high or not math.isfinite(logprob):
            continue
        value = low + high - number if reversed_scale else number
        mass[value] += math.exp(logprob)
    valid_mass = min(1.0, sum(mass.values()))
    if valid_mass <= 0:
        return TokenProbabilityResult(
            "invalid", None, "no probability on any scale value", None, 0.0, None
        )
    probabilities = {str(value): p / sum(mass.values()) for value, p in mass.items()}
    if valid_mass < min_valid_mass:
        reason = f"valid probability mass {valid_mass:.3f} below {min_valid_mass:g}"
        return TokenProbabilityResult("invalid", None, reason, probabilities, valid_mass, None)
    expected = sum(int(value) * p for value, p in probabilities.items())
    most_likely = max(range(low, high + 1), key=lambda v: (probabilities[str(v)], -v))
    return TokenProbabilityResult(
        "ok", most_likely, "token probabilities", probabilities, valid_mass, expected
    )
