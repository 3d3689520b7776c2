"""`exclusion_label`: a statistic's exclusion reason, or what it counts, in the page's language."""

from __future__ import annotations

from django import template

from llmruns.analysis.labels import exclusion_label as label_of

register = template.Library()


@register.filter
def exclusion_label(code: str) -> str:
    return label_of(str(code))
