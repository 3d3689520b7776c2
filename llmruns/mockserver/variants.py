"""Mock model variants: what a model accepts, how it reasons, and its answer distribution.

Real endpoints differ in what they accept and return, and the platform has to find out (the
probe) and adapt (the request builder). A mock model name selects a variant: a base respondent
profile plus traits, written ``base+trait+trait`` (``mock-alpha+nojson``) or as one of the named
shorthands in `NAMED_VARIANTS` (``mock-reasoner``). A variant answers exactly like its base
profile (same draws for the same request) until a trait changes it, so a trait's effect can be
measured against the base. The traits:

- ``nojson``: rejects ``response_format`` with a 400 as OpenAI does for models without
  structured outputs;
- ``nologprobs``: accepts ``logprobs`` but returns ``"logprobs": null`` (servers that ignore it);
- ``reasoner``: a reasoning model: rejects ``temperature``, ``top_p``, ``logprobs`` and
  ``max_tokens`` (it needs ``max_completion_tokens``), and returns its reasoning in
  ``message.reasoning_content`` with ``usage.completion_tokens_details.reasoning_tokens``;
- ``reasoning``: returns reasoning in ``message.reasoning`` (as some gateways do), accepts all;
- ``nosystem``: rejects the system role; ``noseed``: rejects ``seed``;
- ``acquiescent``: answers one point higher than its base profile (capped at 5), a response style;
- ``flip``: writes its intended value as the number it would have on the normal scale even when
  the scale is presented reversed, so after mapping back its answers flip with the direction.

The reasoning text always argues for a number other than the answer (5, or 1 when the answer
is 5), so a parser that read the reasoning as the answer would be caught.

Answer distributions: `MockConfig.answer_distributions` maps a model name (full or base) to
``{item number or "*": [p1, ..., p5]}`` over the canonical scale values. A configured item's
verbal and JSON answers are drawn from it, and its logprobs are exactly its logarithms; without
one the distribution is the profile's (the discretised normal the verbal sampling draws from).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TRAITS = frozenset(
    {"nojson", "nologprobs", "reasoner", "reasoning", "nosystem", "noseed", "acquiescent", "flip"}
)
NAMED_VARIANTS: dict[str, tuple[str, frozenset[str]]] = {
    "mock-nojson": ("mock-alpha", frozenset({"nojson"})),
    "mock-nologprobs": ("mock-alpha", frozenset({"nologprobs"})),
    "mock-reasoner": ("mock-alpha", frozenset({"reasoner"})),
    "mock-reasoning-field": ("mock-alpha", frozenset({"reasoning"})),
    "mock-acquiescent": ("mock-alpha", frozenset({"acquiescent"})),
    "mock-flip": ("mock-alpha", frozenset({"flip"})),
}
SCALE_VALUES = (1, 2, 3, 4, 5)
CHINESE_NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五"}
# Tokens that are no scale value: where the rest of the probability mass goes.
INVALID_TOKENS = ("I", "As", "The")


@dataclass(frozen=True)
class Variant:
    name: str  # as requested
    base: str  # the respondent profile it answers with
    traits: frozenset[str]

    @property
    def reasoning_field(self) -> str | None:
        if "reasoner" in self.traits:
            return "reasoning_content"
        if "reasoning" in self.traits:
            return "reasoning"
        return None


def variant_for(model: str) -> Variant:
    """The variant a model name selects; unknown traits are part of the base name."""
    if model in NAMED_VARIANTS:
        base, traits = NAMED_VARIANTS[model]
        return Variant(model, base, traits)
    base, *rest = model.split("+")
    traits = frozenset(part for part in rest if part in TRAITS)
    if len(traits) != len(rest):
        return Variant(model, model, frozenset())
    return Variant(model, base, traits)


def _unsupported(param: str, extra: str = "") -> tuple[str, str, str]:
    message = f"Unsupported parameter: '{param}' is not supported with this model.{extra}"
    return param, message, "unsupported_parameter"


def rejection(payload: Mapping[str, Any], variant: Variant) -> tuple[str, str, str | None] | None:
    """(param, message, code) of the 400 this variant gives the request, or None."""
    traits = variant.traits
    response_format = payload.get("response_format")
    if "nojson" in traits and isinstance(response_format, dict):
        kind = response_format.get("type", "json_schema")
        if kind in ("json_schema", "json_object"):
            message = (
                f"Invalid parameter: 'response_format' of type '{kind}' is not supported with "
                "this model."
            )
            return "response_format", message, None
    if "reasoner" in traits:
        if "max_tokens" in payload:
            return _unsupported("max_tokens", " Use 'max_completion_tokens' instead.")
        for param in ("temperature", "top_p"):
            if payload.get(param) is not None:
                return _unsupported(param)
        if payload.get("logprobs") or payload.get("top_logprobs") is not None:
            return _unsupported("logprobs")
    if "noseed" in traits and payload.get("seed") is not None:
        return _unsupported("seed")
    if "nosystem" in traits:
        for index, message in enumerate(payload.get("messages") or []):
            if isinstance(message, dict) and message.get("role") in ("system", "developer"):
                text = (
                    f"Unsupported value: 'messages[{index}].role' does not support "
                    f"'{message['role']}' with this model."
                )
                return f"messages[{index}].role", text, "unsupported_value"
    return None


def distribution_problem(distributions: Mapping[str, Any] | None) -> str | None:
    """Why a configured answer-distribution table is unusable, or None."""
    if distributions is None:
        return None
    if not isinstance(distributions, Mapping):
        return "answer_distributions must map model names to {item: [p1..p5]}"
    for model, by_item in distributions.items():
        if not isinstance(by_item, Mapping):
            return f"answer_distributions[{model!r}] must map items to probabilities"
        for item, probabilities in by_item.items():
            if (
                not isinstance(probabilities, Sequence)
                or len(probabilities) != len(SCALE_VALUES)
                or any(not isinstance(p, int | float) or p < 0 for p in probabilities)
                or abs(sum(probabilities) - 1.0) > 1e-6
            ):
                return (
                    f"answer_distributions[{model!r}][{item!r}] must be five non-negative "
                    "probabilities adding up to 1"
                )
    return None


def configured_distribution(
    distributions: Mapping[str, Any] | None, variant: Variant, item_key: str
) -> tuple[float, ...] | None:
    """The configured distribution over values 1..5 of an item, if any (full name first)."""
    if not distributions:
        return None
    number = item_key.removeprefix("item:")
    for model in (variant.name, variant.base):
        by_item = distributions.get(model)
        if by_item:
            found = by_item.get(number, by_item.get("*"))
            if found is not None:
                return tuple(float(p) for p in found)
    return None


def normal_distribution(mean: float, sd: float) -> tuple[float, ...]:
    """P(round(mean + N(0, sd)) clamped to 1..5 = v), as the verbal answers are drawn."""

    def below(x: float) -> float:
        return 0.5 * (1.0 + math.erf((x - mean) / (sd * math.sqrt(2.0))))

    cuts = [0.0, below(1.5), below(2.5), below(3.5), below(4.5), 1.0]
    return tuple(max(0.0, cuts[i + 1] - cuts[i]) for i in range(len(SCALE_VALUES)))


def acquiesce(probabilities: Sequence[float]) -> tuple[float, ...]:
    """The distribution of min(value + 1, 5)."""
    shifted = [0.0, *probabilities[:-1]]
    shifted[-1] += probabilities[-1]
    return tuple(shifted)


def shown_number(
    value: int, presented: Mapping[int, tuple[int, str]], *, flip: bool
) -> tuple[int, str | None]:
    """(number written, its label) for canonical `value`; `flip` ignores a reversed scale."""
    if flip or value not in presented:
        label = next((lab for number, lab in presented.values() if number == value), None)
        return value, label
    return presented[value]


def answer_tokens(
    probabilities: Sequence[float],
    presented: Mapping[int, tuple[int, str]],
    *,
    language: str,
    flip: bool,
    invalid_mass: float,
) -> list[tuple[str, float]]:
    """(token, probability) for a one-token answer, most likely first.

    Each value's mass is split over the number's token variants ("3", " 3", and "三" in a Chinese
    prompt); `invalid_mass` goes to tokens that are no scale value.
    """
    if language == "zh-hans":
        shares: list[tuple[str, float]] = [("{n}", 0.7), (" {n}", 0.2), ("{zh}", 0.1)]
    else:
        shares = [("{n}", 0.8), (" {n}", 0.2)]
    tokens: list[tuple[str, float]] = []
    for value, probability in zip(SCALE_VALUES, probabilities, strict=True):
        if probability <= 0:
            continue
        number, _label = shown_number(value, presented, flip=flip)
        for pattern, share in shares:
            token = pattern.format(n=number, zh=CHINESE_NUMERALS.get(number, str(number)))
            tokens.append((token, (1.0 - invalid_mass) * probability * share))
    if invalid_mass > 0:
        for token in INVALID_TOKENS:
            tokens.append((token, invalid_mass / len(INVALID_TOKENS)))
    return sorted(tokens, key=lambda entry: -entry[1])


def logprobs_block(
    tokens: list[tuple[str, float]], chosen: str, *, top_logprobs: int
) -> dict[str, Any]:
    """The ``choices[i].logprobs`` object of a one-token answer, in OpenAI's shape."""

    def entry(token: str, probability: float) -> dict[str, Any]:
        return {
            "token": token,
            "logprob": math.log(probability) if probability > 0 else -9999.0,
            "bytes": list(token.encode("utf-8")),
        }

    probability_of = dict(tokens)
    first = entry(chosen, probability_of.get(chosen, 0.0))
    first["top_logprobs"] = [entry(token, p) for token, p in tokens[:top_logprobs]]
    return {"content": [first], "refusal": None}


def reasoning_text(answer_number: int | None, *, language: str) -> str:
    """Reasoning that argues for another number than the answer, so that parsing it is caught."""
    other = 1 if answer_number == 5 else 5
    if language == "zh-hans":
        return f"我先考虑回答 {other}，因为 {other} 看起来也说得通。再想一想，我会给出另一个答案。"
    return (
        f"Let me think. I could answer {other}, since {other} also seems plausible. "
        "On reflection, I will give a different answer."
    )
