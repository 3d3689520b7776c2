"""Rendering a trial's chat messages from a run's frozen configuration (pure, no Django).

The frozen configuration is what `run_create` stores on the run: templates, item texts, scales and
sampling parameters, so a later edit of a template never changes what a run meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCALE_FOR_KIND = {
    "interest": "interest",
    "self_competence": "competence",
    "self_review": "competence",
}


@dataclass(frozen=True)
class RenderedPrompt:
    messages: list[dict[str, str]]
    template_key: str  # "kind/language/variant" -> the frozen template used
    template_version: int


def template_variant(*, variants: int, replication: int, rotate: bool) -> int:
    """Rotate paraphrases by replication (1-based), so each variant is used equally often."""
    return ((replication - 1) % variants) + 1 if rotate and variants > 0 else 1


def scale_is_reversed(*, replication: int, reverse_half: bool) -> bool:
    """Every second replication presents the scale reversed (counterbalancing)."""
    return reverse_half and replication % 2 == 0


def presented_points(
    points: list[dict[str, Any]], *, reversed_scale: bool
) -> list[tuple[int, dict]]:
    """(number shown, point) in the order shown; reversed attaches 1 to the highest point."""
    ordered = sorted(points, key=lambda p: p["value"])
    if reversed_scale:
        return [
            (shown["value"], point) for shown, point in zip(ordered, reversed(ordered), strict=True)
        ]
    return [(point["value"], point) for point in ordered]


def render_scale(points: list[dict], *, language: str, reversed_scale: bool) -> str:
    return "\n".join(
        f"{number} = {point['label'][language]}"
        for number, point in presented_points(points, reversed_scale=reversed_scale)
    )


def render_anchors(points: list[dict], *, language: str, reversed_scale: bool) -> str:
    return "\n".join(
        f"{number} = {point['label'][language]}: {point['description'][language]}"
        for number, point in presented_points(points, reversed_scale=reversed_scale)
    )


def scale_labels(config: dict, *, kind: str, language: str) -> dict[int, str]:
    points = config["scales"][SCALE_FOR_KIND[kind]]
    return {point["value"]: point["label"][language] for point in points}


def render_prompt(
    config: dict,
    *,
    kind: str,
    language: str,
    item_number: int,
    variant: int,
    reversed_scale: bool,
    response: str = "",
) -> RenderedPrompt:
    key = f"{kind}/{language}/{variant}"
    template = config["templates"][key]
    texts = config["items"][str(item_number)][language]
    scale = ""
    anchors = ""
    if kind in SCALE_FOR_KIND:
        points = config["scales"][SCALE_FOR_KIND[kind]]
        scale = render_scale(points, language=language, reversed_scale=reversed_scale)
        anchors = render_anchors(points, language=language, reversed_scale=reversed_scale)
    values = {
        "activity": texts["activity"],
        "task": texts["task"],
        "scale": scale,
        "anchors": anchors,
        "response": response,
    }
    messages = []
    if template["system"]:
        messages.append({"role": "system", "content": template["system"].format(**values)})
    messages.append({"role": "user", "content": template["user"].format(**values)})
    return RenderedPrompt(messages=messages, template_key=key, template_version=template["version"])


def variants_for(config: dict, *, kind: str, language: str) -> int:
    return sum(1 for key in config["templates"] if key.startswith(f"{kind}/{language}/"))
