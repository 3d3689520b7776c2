"""Reading a rendered prompt: question kind, language, RIASEC area, item and presented scale.

The mock recognises the item by finding its activity or task text (either language) from the
instrument file in the prompt, and the scale by the lines the platform renders exactly as
`"{n} = {label}"`, so it answers in the numbering the prompt used, reversed or not.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

RIASEC_AREAS = ("R", "I", "A", "S", "E", "C")
DEFAULT_INSTRUMENT_PATH = (
    Path(__file__).resolve().parents[2] / "fixtures" / "instrument" / "oip_short_form.yaml"
)

# The labels of the platform's scales; the instrument file may add to them.
DEFAULT_SCALE_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "interest": {
        "en": ("Strongly dislike", "Dislike", "Unsure", "Like", "Strongly like"),
        "zh-hans": ("非常不喜欢", "不喜欢", "不确定", "喜欢", "非常喜欢"),
    },
    "competence": {
        "en": (
            "Not at all competent",
            "Slightly competent",
            "Moderately competent",
            "Very competent",
            "Highly competent",
        ),
        "zh-hans": ("完全不胜任", "略微胜任", "比较胜任", "很胜任", "非常胜任"),
    },
}

_SCALE_LINE = re.compile(r"^\s*(\d+)\s*=\s*(.+?)\s*$")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_SEPARATOR = "-----"


@dataclass(frozen=True)
class _ItemText:
    folded: str  # casefolded, for matching
    original: str
    item_number: int
    area: str


@dataclass(frozen=True)
class InstrumentIndex:
    """What the mock needs from the instrument file: item texts and scale labels."""

    texts: tuple[_ItemText, ...]  # longest first, so a longer text wins over its prefix
    activities: Mapping[tuple[int, str], str]  # (item number, language) -> activity
    labels: Mapping[str, tuple[str, int]]  # casefolded label -> (scale slug, canonical value)


def build_instrument_index(document: Mapping[str, Any] | None) -> InstrumentIndex:
    """Index a parsed instrument document; `None` gives the built-in labels and no items."""
    labels: dict[str, tuple[str, int]] = {}
    for scale, by_language in DEFAULT_SCALE_LABELS.items():
        for names in by_language.values():
            for value, name in enumerate(names, start=1):
                labels[name.casefold()] = (scale, value)
    document = document or {}
    for scale in document.get("scales") or []:
        if not isinstance(scale, dict) or scale.get("slug") not in DEFAULT_SCALE_LABELS:
            continue
        for point in scale.get("points") or []:
            for name in (point.get("label") or {}).values():
                if isinstance(name, str) and name.strip():
                    labels[name.strip().casefold()] = (scale["slug"], int(point["value"]))
    texts: list[_ItemText] = []
    activities: dict[tuple[int, str], str] = {}
    for item in document.get("items") or []:
        if not isinstance(item, dict) or item.get("area") not in RIASEC_AREAS:
            continue
        number = int(item.get("number", 0))
        for key in ("activity", "task"):
            for language, text in (item.get(key) or {}).items():
                if not isinstance(text, str) or not text.strip():
                    continue
                texts.append(_ItemText(text.strip().casefold(), text.strip(), number, item["area"]))
                if key == "activity":
                    activities[(number, language)] = text.strip()
    texts.sort(key=lambda entry: len(entry.folded), reverse=True)
    return InstrumentIndex(tuple(texts), activities, labels)


class InstrumentCache:
    """Reloads the instrument file when it changes; a missing or broken file means no items."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._index = build_instrument_index(None)

    def get(self) -> InstrumentIndex:
        try:
            stat = self._path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                self._index = build_instrument_index(self._load() if stamp else None)
            return self._index

    def _load(self) -> Mapping[str, Any] | None:
        try:
            document = yaml.safe_load(self._path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            logger.warning("mock LLM server: cannot read %s (%s)", self._path, error)
            return None
        return document if isinstance(document, dict) else None


@dataclass(frozen=True)
class PromptAnalysis:
    """What the mock read from a rendered prompt."""

    kind: str  # interest | self_competence | work_sample | self_review
    language: str  # en | zh-hans
    area: str
    item_key: str  # the same item across templates, languages and scale directions
    activity: str | None  # the item's activity in the prompt's language, when the item is known
    presented: Mapping[int, tuple[int, str]]  # canonical value -> (presented number, label)


def analyse_prompt(prompt: str, *, index: InstrumentIndex) -> PromptAnalysis:
    """Work out question kind, language, RIASEC area, item and presented scale of a prompt."""
    lines = prompt.splitlines()
    separators = [number for number, line in enumerate(lines) if line.strip() == _SEPARATOR]
    has_review_block = len(separators) >= 2
    if has_review_block:
        # The model's own earlier answer sits between the separators: it says nothing about
        # the question and may contain anything, so it is left out of the reading.
        lines = lines[: separators[0]] + lines[separators[-1] + 1 :]
    exact: dict[str, dict[int, tuple[int, str]]] = {"interest": {}, "competence": {}}
    anchors: dict[str, dict[int, tuple[int, str]]] = {"interest": {}, "competence": {}}
    other_lines: list[str] = []
    for line in lines:
        match = _SCALE_LINE.match(line)
        if match is None:
            other_lines.append(line)
            continue
        number, rest = int(match.group(1)), match.group(2)
        head = re.split(r"[:：]", rest, maxsplit=1)[0].strip()  # anchors: "n = label: text"
        if rest.casefold() in index.labels:
            scale, value = index.labels[rest.casefold()]
            exact[scale][value] = (number, rest)
        elif head.casefold() in index.labels:
            scale, value = index.labels[head.casefold()]
            anchors[scale][value] = (number, head)
        else:
            other_lines.append(line)
    if exact["interest"] or anchors["interest"]:
        kind, presented = "interest", exact["interest"] or anchors["interest"]
    elif exact["competence"] or anchors["competence"]:
        kind = "self_review" if has_review_block else "self_competence"
        presented = exact["competence"] or anchors["competence"]
    else:
        kind, presented = "work_sample", {}

    visible = "\n".join(lines)
    language = "zh-hans" if _HAN.search(visible) else "en"
    folded = visible.casefold()
    matched = next((entry for entry in index.texts if entry.folded in folded), None)
    if matched is not None:
        area, item_key = matched.area, f"item:{matched.item_number}"
        activity = index.activities.get((matched.item_number, language))
    else:
        # Without the instrument, the wording around the scale still identifies the item.
        normalized = " ".join(" ".join(other_lines).split())
        digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
        area, item_key, activity = RIASEC_AREAS[int(digest, 16) % 6], f"text:{digest[:16]}", None
    return PromptAnalysis(kind, language, area, item_key, activity, presented)
