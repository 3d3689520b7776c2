"""The reasons the campaign statistics leave data out, and what the pages call them.

The codes stay English in every result (the API and scripts read them); the labels are
registered with the run statistics' (`llmruns.analysis.labels`) when the app is ready, so that
the pages show every reason in the page's language.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from llmruns.analysis.labels import exclusion_labels_register
from ratings.models import SkipReason
from ratings.stats import NO_EXPERT_RATING, NO_SELF_ASSESSMENT

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


def exclusion_labels_ready() -> None:
    exclusion_labels_register(_labels())
