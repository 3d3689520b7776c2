"""`exclusion_label`: a statistic's exclusion reason, or what it counts, in the page's language;
`note_label`: a statistic's note in the page's language."""

from __future__ import annotations

from django import template

from llmruns.analysis.labels import exclusion_label as label_of
from llmruns.analysis.labels import note_label as note_label_of

register = template.Library()


@register.filter
def exclusion_label(code: str) -> str:
    return label_of(str(code))


@register.filter
def note_label(note: str) -> str:
    return note_label_of(str(note))
