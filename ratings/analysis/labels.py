"""The reasons the campaign statistics leave data out, their notes, and what the pages call them.

The codes and notes stay English in every result (the API and scripts read them); the labels
are registered with the run statistics' (`llmruns.analysis.labels`) when the app is ready, so
that the pages show every reason and note in the page's language.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from llmruns.analysis.labels import exclusion_labels_register, note_labels_register
from ratings.models import SkipReason
from ratings.stats_columns import (
    NO_EXPERT_RATING,
    NO_SELF_ASSESSMENT,
    REASON_NO_EXPECTED_DISAGREEMENT,
    REASON_NO_VARIATION,
    REASON_NOTHING_PAIRABLE,
)

CALIBRATION_UNIT = "calibration unit (trains the experts; not the campaign's data)"
NOT_RATED_YET = "assignment not rated yet (pending or draft)"
UNIT_NOT_RATED = "unit has no submitted rating"
UNIT_NOT_PAIRABLE = "unit has a single rating (not pairable)"
RATING_ALONE = "rating has no other rating on its unit (no deviation)"
# What `ratings.stats_selectors` counts a skip without a reason under.
UNSPECIFIED_SKIP = "unspecified"


def skipped(reason: str) -> str:
    return f"assignment skipped ({reason})"


def item_without(reason: str) -> str:
    """An item the discrepancy leaves out: it has no self-assessment, or no expert rating."""
    return f"item has {reason}"


def _labels() -> dict[str, Promise]:
    skip_reasons: dict[str, Promise] = {
        **{reason.value: reason.label for reason in SkipReason},
        UNSPECIFIED_SKIP: _("no reason given"),
    }
    return {
        CALIBRATION_UNIT: _("calibration unit (trains the experts; not the campaign's data)"),
        NOT_RATED_YET: _("assignment not rated yet (pending or draft)"),
        UNIT_NOT_RATED: _("unit has no submitted rating"),
        UNIT_NOT_PAIRABLE: _("unit has a single rating (not pairable)"),
        RATING_ALONE: _("rating has no other rating on its unit (no deviation)"),
        item_without(NO_SELF_ASSESSMENT): _("item has no self-assessment"),
        item_without(NO_EXPERT_RATING): _("item has no expert rating"),
        **{
            skipped(code): format_lazy(_("assignment skipped ({reason})"), reason=label)
            for code, label in skip_reasons.items()
        },
        "assignments": _("assignments"),
        "units": _("units"),
        "ratings": _("ratings"),
        "items": _("items"),
    }


def _notes() -> dict[str, Promise]:
    """The campaign statistics' notes without figures, and the reasons alpha is undefined (the
    agreement's note and its table's "why undefined" column)."""
    return {
        REASON_NOTHING_PAIRABLE: _("nothing pairable"),
        REASON_NO_VARIATION: _("no variation"),
        REASON_NO_EXPECTED_DISAGREEMENT: _("no expected disagreement"),
        NO_SELF_ASSESSMENT: _("no self-assessment"),
        NO_EXPERT_RATING: _("no expert rating"),
        "no item has both a self-assessment and an expert rating": _(
            "no item has both a self-assessment and an expert rating"
        ),
    }


def _note_patterns() -> list[tuple[re.Pattern, Promise]]:
    """The notes with figures in them (`ratings.analysis.results`, `ratings.stats`): the pattern
    of the English note and its label with the same fields."""
    return [
        (re.compile(r"alpha undefined: (?P<reason>[^;]+)"), _("alpha undefined: {reason}")),
        (
            re.compile(
                r"(?P<count>\d+) bootstrap replicate\(s\) had an undefined alpha and were left "
                r"out of the interval"
            ),
            _(
                "{count} bootstrap replicate(s) had an undefined alpha and were left out of the "
                "interval"
            ),
        ),
        (
            re.compile(r"bootstrap CI undefined: needs at least 2 items, found (?P<count>\d+)"),
            _("bootstrap CI undefined: needs at least 2 items, found {count}"),
        ),
        (
            re.compile(r"(?P<count>\d+) item\(s\) excluded: (?P<reason>[^;]+)"),
            _("{count} item(s) excluded: {reason}"),
        ),
    ]


def labels_ready() -> None:
    exclusion_labels_register(_labels())
    note_labels_register(_notes(), _note_patterns())
