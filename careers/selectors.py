"""Reads for the inventory: items with texts in one language, current template versions."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from careers.models import Instrument, Item, ItemText, PromptTemplate

SUPPORTED_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def items_with_text(*, language: str) -> QuerySet[Item]:
    return Item.objects.select_related("instrument").prefetch_related(
        Prefetch(
            "texts",
            queryset=ItemText.objects.filter(language=language),
            to_attr="texts_in_language",
        )
    )


def current_templates(*, instrument: Instrument) -> list[PromptTemplate]:
    """The newest version of every (kind, language, variant) template of an instrument."""
    newest: dict[tuple[str, str, int], PromptTemplate] = {}
    for template in PromptTemplate.objects.filter(instrument=instrument).order_by(
        "kind", "language", "variant", "-version"
    ):
        newest.setdefault((template.kind, template.language, template.variant), template)
    return list(newest.values())


def instrument_language_gaps(*, instrument: Instrument, languages: list[str]) -> list[str]:
    """What an instrument lacks for the given languages (empty when complete)."""
    gaps: list[str] = []
    item_count = instrument.items.count()
    for language in languages:
        if language not in instrument.languages:
            gaps.append(f"instrument {instrument.slug} has no {language} texts")
            continue
        with_text = ItemText.objects.filter(item__instrument=instrument, language=language).count()
        if with_text < item_count:
            gaps.append(f"{item_count - with_text} items have no {language} text")
    return gaps
