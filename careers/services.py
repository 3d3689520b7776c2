"""Writes for the inventory: loading an instrument from its data file, with validation."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from careers.models import (
    Area,
    Instrument,
    Item,
    ItemText,
    PromptTemplate,
    QuestionKind,
    Scale,
    ScalePoint,
)
from config.errors import DependantsExist, protected_dependants

DEFAULT_INSTRUMENT_FILE = settings.BASE_DIR / "fixtures" / "instrument" / "oip_short_form.yaml"
ITEMS_PER_AREA = 10
REQUIRED_SCALES = ("interest", "competence")


class InstrumentDataError(ValueError):
    """The data file is incomplete or inconsistent; the message names everything missing."""


def _text(mapping: Any, language: str) -> str:
    if not isinstance(mapping, dict):
        return ""
    value = mapping.get(language)
    return value.strip() if isinstance(value, str) else ""


def instrument_data_problems(data: dict[str, Any]) -> list[str]:
    """Every problem with an instrument data file, as human-readable sentences (empty = valid)."""
    problems: list[str] = []
    instrument = data.get("instrument") or {}
    languages = instrument.get("languages") or []
    if not instrument.get("slug"):
        problems.append("instrument.slug is missing")
    if not languages:
        problems.append("instrument.languages is empty")
    supported = {code for code, _name in settings.LANGUAGES}
    for language in languages:
        if language not in supported:
            problems.append(
                f"language {language!r} is not supported (supported: {sorted(supported)})"
            )
    for language in languages:
        for field in ("name", "attribution"):
            if not _text(instrument.get(field), language):
                problems.append(f"instrument.{field} has no {language} text")

    items = data.get("items") or []
    numbers = [item.get("number") for item in items]
    duplicates = sorted(n for n, count in Counter(numbers).items() if count > 1)
    if duplicates:
        problems.append(f"duplicate item numbers: {duplicates}")
    per_area = Counter(item.get("area") for item in items)
    for area in Area.values:
        if per_area.get(area, 0) != ITEMS_PER_AREA:
            problems.append(
                f"area {area} has {per_area.get(area, 0)} items; exactly {ITEMS_PER_AREA} are required"
            )
    unknown = sorted(str(a) for a in per_area if a not in Area.values)
    if unknown:
        problems.append(f"unknown areas: {unknown} (valid: {list(Area.values)})")
    for item in items:
        for language in languages:
            for field in ("activity", "task"):
                if not _text(item.get(field), language):
                    problems.append(f"item {item.get('number')} has no {language} {field}")

    scales = {scale.get("slug"): scale for scale in data.get("scales") or []}
    for slug in REQUIRED_SCALES:
        scale = scales.get(slug)
        if scale is None:
            problems.append(f"scale {slug!r} is missing")
            continue
        if not scale.get("points"):
            problems.append(f"scale {slug!r} has no points")
        for point in scale.get("points") or []:
            for language in languages:
                if not _text(point.get("label"), language):
                    problems.append(
                        f"scale {slug} point {point.get('value')} has no {language} label"
                    )

    templates = data.get("templates") or []
    for kind in QuestionKind.values:
        of_kind = [t for t in templates if t.get("kind") == kind]
        if not of_kind:
            problems.append(f"no prompt template for kind {kind!r}")
        for template in of_kind:
            for language in languages:
                if not _text(template.get("user"), language):
                    problems.append(
                        f"template {kind} variant {template.get('variant')} has no {language} user text"
                    )
    return problems


def read_instrument_file(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InstrumentDataError(f"instrument file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise InstrumentDataError(f"instrument file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InstrumentDataError(f"instrument file {path} does not hold a mapping")
    return data


@transaction.atomic
def instrument_load(*, data: dict[str, Any]) -> Instrument:
    """Create or update an instrument from validated data. Template edits become new versions."""
    problems = instrument_data_problems(data)
    if problems:
        raise InstrumentDataError("instrument data refused: " + "; ".join(problems))
    meta = data["instrument"]
    languages = list(meta["languages"])
    instrument, _created = Instrument.objects.update_or_create(
        slug=meta["slug"],
        defaults={
            "version": str(meta.get("version", "1")),
            "name": _text(meta["name"], "en") or _text(meta["name"], languages[0]),
            "name_zh": _text(meta["name"], "zh-hans"),
            "attribution": _text(meta["attribution"], "en"),
            "attribution_zh": _text(meta["attribution"], "zh-hans"),
            "languages": languages,
        },
    )
    for entry in data["items"]:
        item, _ = Item.objects.update_or_create(
            instrument=instrument, number=int(entry["number"]), defaults={"area": entry["area"]}
        )
        for language in languages:
            ItemText.objects.update_or_create(
                item=item,
                language=language,
                defaults={
                    "activity": _text(entry["activity"], language),
                    "task": _text(entry["task"], language),
                },
            )
    for entry in data["scales"]:
        scale, _ = Scale.objects.update_or_create(
            instrument=instrument,
            slug=entry["slug"],
            defaults={
                "name": _text(entry.get("name"), "en"),
                "name_zh": _text(entry.get("name"), "zh-hans"),
            },
        )
        for point in entry["points"]:
            for language in languages:
                ScalePoint.objects.update_or_create(
                    scale=scale,
                    value=int(point["value"]),
                    language=language,
                    defaults={
                        "label": _text(point["label"], language),
                        "description": _text(point.get("description"), language),
                    },
                )
    for entry in data["templates"]:
        for language in languages:
            _template_upsert(
                instrument=instrument,
                kind=entry["kind"],
                language=language,
                variant=int(entry.get("variant", 1)),
                system_text=_text(entry.get("system"), language),
                user_text=_text(entry["user"], language),
            )
    return instrument


def _template_upsert(
    *,
    instrument: Instrument,
    kind: str,
    language: str,
    variant: int,
    system_text: str,
    user_text: str,
) -> PromptTemplate:
    current = (
        PromptTemplate.objects.filter(
            instrument=instrument, kind=kind, language=language, variant=variant
        )
        .order_by("-version")
        .first()
    )
    if current is None:
        return PromptTemplate.objects.create(
            instrument=instrument,
            kind=kind,
            language=language,
            variant=variant,
            system_text=system_text,
            user_text=user_text,
            note="loaded from the instrument file",
        )
    if current.system_text == system_text and current.user_text == user_text:
        return current
    return current.revise(
        system_text=system_text, user_text=user_text, note="instrument file changed"
    )


def instrument_load_file(*, path: Path | str = DEFAULT_INSTRUMENT_FILE) -> Instrument:
    return instrument_load(data=read_instrument_file(path))


@transaction.atomic
def instrument_delete(*, instrument: Instrument) -> None:
    """Delete an instrument with its items, texts, scales and templates, unless runs used it."""
    dependants = protected_dependants(instrument)
    if dependants:
        raise DependantsExist(
            resource=gettext("instrument %(slug)s") % {"slug": instrument.slug},
            dependants=dependants,
        )
    instrument.delete()
