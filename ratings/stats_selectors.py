"""Reads that feed the campaign statistics: each frame comes from one `.values_list()` query.

The frames follow the column contracts of `ratings.stats` (unit, rater, value for agreement;
endpoint, language, item, area, unit, rater, value for expert ratings). Items are named by their
number, endpoints by their name, units by their blind code and experts by their pseudonym.
Alongside the frames: the counts that say what a statistic left out, and a cheap "version" of a
campaign's data that changes whenever a rating, a revision or a skip changes what a statistic
would say. The run's answer frames are in `llmruns.analysis.selectors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from careers.models import ScalePoint
from ratings.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignDataRevision,
    Rating,
    Unit,
)

if TYPE_CHECKING:
    import pandas as pd

RATING_COLUMNS: list[str] = [
    "unit",
    "trial_id",
    "rater",
    "value",
    "endpoint",
    "language",
    "item",
    "area",
    "is_gold",
    "flag_truncated",
    "flag_identifies_model",
    "flag_off_task",
    "flag_unsafe",
]
BOOLEAN_RATING_COLUMNS: tuple[str, ...] = (
    "is_gold",
    "flag_truncated",
    "flag_identifies_model",
    "flag_off_task",
    "flag_unsafe",
)


def latest_revision_filter() -> Exists:
    """True for a rating that no later revision of the same assignment replaces."""
    return ~Exists(
        Rating.objects.filter(
            assignment_id=OuterRef("assignment_id"), revision__gt=OuterRef("revision")
        )
    )


def _latest_submitted_ratings(campaign_id: int) -> QuerySet:
    """The latest revision of every submitted assignment of the campaign, in assignment order.

    Calibration units are left out: they train the experts and are not the campaign's data.
    """
    return (
        Rating.objects.filter(
            assignment__campaign_id=campaign_id,
            assignment__status=AssignmentStatus.SUBMITTED,
            assignment__unit__is_calibration=False,
        )
        .filter(latest_revision_filter())
        # The campaign index already yields assignments in id order: no sort step.
        .order_by("assignment_id")
    )


def campaign_ratings_frame(*, campaign_id: int) -> pd.DataFrame:
    """One row per submitted assignment of the campaign: the value of its latest revision.

    A rating revised after submission counts once, with its newest value; skipped, pending and
    draft assignments have no row (see `campaign_assignment_counts`). The frame serves both
    agreement (unit, rater, value) and, as the expert frame, discrepancy (endpoint, language,
    item, area, unit, rater, value).
    """
    # Imported on use: the statistics stack costs seconds at every process's start-up.
    import numpy as np

    from llmruns.analysis.selectors import plain_rows, rows_frame

    rows = _latest_submitted_ratings(campaign_id).values_list(
        "assignment__unit__blind_code",
        "assignment__unit__trial_id",
        "assignment__expert__pseudonym",
        "value",
        "assignment__unit__trial__endpoint__name",
        "assignment__unit__language",
        "assignment__unit__item__number",
        "assignment__unit__item__area",
        "assignment__unit__is_gold",
        *(f"flag_{flag}" for flag in ("truncated", "identifies_model", "off_task", "unsafe")),
    )
    frame = rows_frame(plain_rows(rows), RATING_COLUMNS)
    frame["value"] = frame["value"].astype(np.float64)
    for column in BOOLEAN_RATING_COLUMNS:
        frame[column] = frame[column].astype(bool)
    return frame


def campaign_agreement_frame(*, campaign_id: int) -> pd.DataFrame:
    """The same ratings as `campaign_ratings_frame`, with only the columns alpha needs.

    unit and rater are the unit's and the expert's ids (alpha only tells them apart), value is
    the latest submitted value. Three integer columns from two tables: several times quicker
    to read than the full frame, which joins four more tables for its labels.
    """
    # Imported on use: the statistics stack costs seconds at every process's start-up.
    import numpy as np
    import pandas as pd

    from llmruns.analysis.selectors import plain_rows

    rows = _latest_submitted_ratings(campaign_id).values_list(
        "assignment__unit_id", "assignment__expert_id", "value"
    )
    table = np.array(plain_rows(rows), dtype=np.int64).reshape(-1, 3)
    return pd.DataFrame(
        {"unit": table[:, 0], "rater": table[:, 1], "value": table[:, 2].astype(np.float64)}
    )


@dataclass(frozen=True)
class AssignmentCounts:
    """What a campaign's ratings frame leaves out: units and assignments without a rating
    (real units only), and the calibration units, which are never the campaign's data."""

    n_units: int
    by_status: dict[str, int]
    skipped_by_reason: dict[str, int]
    calibration_units: int = 0

    @property
    def unrated_assignments(self) -> int:
        return self.by_status.get(AssignmentStatus.PENDING, 0) + self.by_status.get(
            AssignmentStatus.DRAFT, 0
        )


def campaign_assignment_counts(*, campaign_id: int) -> AssignmentCounts:
    by_status: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for status, reason, count in (
        Assignment.objects.filter(campaign_id=campaign_id, unit__is_calibration=False)
        .values_list("status", "skip_reason")
        .annotate(n=Count("id"))
        .order_by("status", "skip_reason")
    ):
        by_status[status] = by_status.get(status, 0) + count
        if status == AssignmentStatus.SKIPPED:
            skipped[reason or "unspecified"] = skipped.get(reason or "unspecified", 0) + count
    units = Unit.objects.filter(campaign_id=campaign_id).aggregate(
        real=Count("id", filter=Q(is_calibration=False)),
        calibration=Count("id", filter=Q(is_calibration=True)),
    )
    return AssignmentCounts(
        n_units=units["real"],
        by_status=by_status,
        skipped_by_reason=skipped,
        calibration_units=units["calibration"],
    )


def campaign_scale_values(*, campaign: Campaign) -> list[int]:
    """The values of the campaign's rating scale, lowest first (the value domain of alpha)."""
    return sorted(
        set(ScalePoint.objects.filter(scale_id=campaign.scale_id).values_list("value", flat=True))
    )


def campaign_selection(*, campaign: Campaign) -> dict[str, list[str]]:
    """The campaign's selection of endpoints (by name), languages and areas."""
    return {
        "endpoint_names": sorted(campaign.endpoints.values_list("name", flat=True)),
        "languages": list(campaign.languages),
        "areas": list(campaign.areas),
    }


# --- versions for caching --------------------------------------------------------------------


def campaign_data_version(*, campaign_id: int) -> tuple[int, ...]:
    """Changes with any rating, revision, deletion, skip or status change of the campaign.

    The campaign's data revision (`CampaignDataRevision`), which database triggers move in the
    same transaction as every such change: one primary-key read, however many ratings there are.
    A campaign without units or assignments yet is at revision 0.
    """
    revision = (
        CampaignDataRevision.objects.filter(campaign_id=campaign_id)
        .values_list("revision", flat=True)
        .first()
    )
    return (int(revision or 0),)


# --- exports ---------------------------------------------------------------------------------

RATING_EXPORT_FIELDS: dict[str, str] = {
    "rating_id": "pk",
    "blind_code": "assignment__unit__blind_code",
    "trial_id": "assignment__unit__trial_id",
    "endpoint": "assignment__unit__trial__endpoint__name",
    "language": "assignment__unit__language",
    "item": "assignment__unit__item__number",
    "area": "assignment__unit__item__area",
    "is_gold": "assignment__unit__is_gold",
    # Calibration units train the experts: exported, but never in the statistics.
    "is_calibration": "assignment__unit__is_calibration",
    "expert": "assignment__expert__pseudonym",
    "value": "value",
    "revision": "revision",
    "is_latest": "is_latest",
    "flag_truncated": "flag_truncated",
    "flag_identifies_model": "flag_identifies_model",
    "flag_off_task": "flag_off_task",
    "flag_unsafe": "flag_unsafe",
    "simulated": "simulated",
    "comment": "comment",
    "server_seconds": "server_seconds",
    "active_seconds": "active_seconds",
    "opened_at": "assignment__opened_at",
    "created_at": "created_at",
}


def rating_export_rows(*, campaign_id: int) -> QuerySet:
    """Every rating revision of the campaign as a tuple in `RATING_EXPORT_FIELDS` order."""
    return (
        Rating.objects.filter(assignment__campaign_id=campaign_id)
        .annotate(is_latest=latest_revision_filter())
        .order_by("assignment__unit__blind_code", "assignment__expert__pseudonym", "revision")
        .values_list(*RATING_EXPORT_FIELDS.values())
    )


def rated_units_meta(*, ratings: pd.DataFrame) -> pd.DataFrame:
    """Unit, item, area, language and endpoint of each rated unit, from a ratings frame."""
    columns = ["unit", "trial_id", "endpoint", "language", "item", "area", "is_gold"]
    return ratings[columns].drop_duplicates("unit").reset_index(drop=True)
