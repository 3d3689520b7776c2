"""Reads that feed the statistics: each frame comes from one `.values_list()` query.

The frames follow the column contracts of `ratings.stats` (unit, rater, value for agreement;
endpoint, language, item, area, replication, value for answers; endpoint, language, item, area,
unit, rater, value for expert ratings). Items are named by their number, endpoints by their name,
units by their blind code and experts by their pseudonym. Alongside the frames: the counts that
say what a statistic left out, and cheap "versions" of a campaign's or a run's data that change
whenever a rating, a revision, a skip or a finished trial changes what a statistic would say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from careers.models import QuestionKind, ScalePoint
from llmruns.models import Trial, TrialStatus
from ratings.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignDataRevision,
    Rating,
    Unit,
)

# Trial statuses whose answer enters a statistic: ok with its value, invalid and refused as NaN
# (counted as excluded answers by the statistics). Other statuses have no answer yet or never
# will (failed, cancelled) and are reported separately.
ANSWERED_STATUSES: tuple[str, ...] = (TrialStatus.OK, TrialStatus.INVALID, TrialStatus.REFUSED)

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
ANSWER_COLUMNS: list[str] = [
    "trial_id",
    "endpoint",
    "language",
    "item",
    "area",
    "kind",
    "replication",
    "status",
    "value",
]


def latest_revision_filter() -> Exists:
    """True for a rating that no later revision of the same assignment replaces."""
    return ~Exists(
        Rating.objects.filter(
            assignment_id=OuterRef("assignment_id"), revision__gt=OuterRef("revision")
        )
    )


def _plain_rows(queryset: QuerySet) -> list[tuple]:
    """The rows of a `values_list` query as the database driver returns them.

    Django converts every value of a row with a converter column (SQLite booleans), which
    costs more than the query itself on a large campaign; the callers' columns are integers,
    text and booleans that pandas reads as they come (0/1 or True/False).
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _frame(rows: Iterable[tuple], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=list(columns))


def _latest_submitted_ratings(campaign_id: int) -> QuerySet:
    """The latest revision of every submitted assignment of the campaign, in assignment order."""
    return (
        Rating.objects.filter(
            assignment__campaign_id=campaign_id,
            assignment__status=AssignmentStatus.SUBMITTED,
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
    frame = _frame(_plain_rows(rows), RATING_COLUMNS)
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
    rows = _latest_submitted_ratings(campaign_id).values_list(
        "assignment__unit_id", "assignment__expert_id", "value"
    )
    table = np.array(_plain_rows(rows), dtype=np.int64).reshape(-1, 3)
    return pd.DataFrame(
        {"unit": table[:, 0], "rater": table[:, 1], "value": table[:, 2].astype(np.float64)}
    )


@dataclass(frozen=True)
class AssignmentCounts:
    """What a campaign's ratings frame leaves out: units and assignments without a rating."""

    n_units: int
    by_status: dict[str, int]
    skipped_by_reason: dict[str, int]

    @property
    def unrated_assignments(self) -> int:
        return self.by_status.get(AssignmentStatus.PENDING, 0) + self.by_status.get(
            AssignmentStatus.DRAFT, 0
        )


def campaign_assignment_counts(*, campaign_id: int) -> AssignmentCounts:
    by_status: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for status, reason, count in (
        Assignment.objects.filter(campaign_id=campaign_id)
        .values_list("status", "skip_reason")
        .annotate(n=Count("id"))
        .order_by("status", "skip_reason")
    ):
        by_status[status] = by_status.get(status, 0) + count
        if status == AssignmentStatus.SKIPPED:
            skipped[reason or "unspecified"] = skipped.get(reason or "unspecified", 0) + count
    n_units = Unit.objects.filter(campaign_id=campaign_id).count()
    return AssignmentCounts(n_units=n_units, by_status=by_status, skipped_by_reason=skipped)


def campaign_scale_values(*, campaign: Campaign) -> list[int]:
    """The values of the campaign's rating scale, lowest first (the value domain of alpha)."""
    return sorted(
        set(ScalePoint.objects.filter(scale_id=campaign.scale_id).values_list("value", flat=True))
    )


def run_answers_frame(
    *,
    run_id: int,
    kinds: Sequence[str],
    endpoint_names: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    areas: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per trial of the given kinds: value where ok, NaN otherwise, with its status.

    The statistics take only the answered statuses (ok, invalid, refused); the caller filters
    on `status` and reports the others. For `self_review` the replication is that of the work
    sample reviewed. The optional filters narrow the frame to a campaign's selection.
    """
    trials = Trial.objects.filter(run_id=run_id, kind__in=list(kinds))
    if endpoint_names is not None:
        trials = trials.filter(endpoint__name__in=list(endpoint_names))
    if languages is not None:
        trials = trials.filter(language__in=list(languages))
    if areas is not None:
        trials = trials.filter(item__area__in=list(areas))
    rows = trials.order_by("endpoint__name", "language", "item__number", "replication").values_list(
        "pk",
        "endpoint__name",
        "language",
        "item__number",
        "item__area",
        "kind",
        "replication",
        "status",
        "value",
    )
    frame = _frame(rows, ANSWER_COLUMNS)
    frame["value"] = frame["value"].astype(np.float64)
    return frame


def interest_frame(*, run_id: int) -> pd.DataFrame:
    return run_answers_frame(run_id=run_id, kinds=[QuestionKind.INTEREST])


def self_assessed_frame(
    *,
    run_id: int,
    source: str,
    endpoint_names: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    areas: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Self-assessed competence answers (`self_competence`) or self-reviews (`self_review`)."""
    if source not in (QuestionKind.SELF_COMPETENCE, QuestionKind.SELF_REVIEW):
        raise ValueError(f"source must be self_competence or self_review, got {source!r}")
    return run_answers_frame(
        run_id=run_id,
        kinds=[source],
        endpoint_names=endpoint_names,
        languages=languages,
        areas=areas,
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


def run_data_version(*, run_id: int) -> tuple[int | str, ...]:
    """Changes whenever a trial of the run is added, finishes, or is reset for a retry."""
    totals = Trial.objects.filter(run_id=run_id).aggregate(
        trials=Count("id"),
        last_trial=Max("id"),
        answered=Count("id", filter=Q(status__in=ANSWERED_STATUSES)),
        ok=Count("id", filter=Q(status=TrialStatus.OK)),
        last_finished=Max("finished_at"),
    )
    last_finished = totals["last_finished"]
    return (
        int(totals["trials"] or 0),
        int(totals["last_trial"] or 0),
        int(totals["answered"] or 0),
        int(totals["ok"] or 0),
        last_finished.isoformat() if last_finished else "",
    )


# --- exports ---------------------------------------------------------------------------------

TRIAL_EXPORT_FIELDS: dict[str, str] = {
    "trial_id": "pk",
    "endpoint": "endpoint__name",
    "model": "endpoint__model",
    "language": "language",
    "item": "item__number",
    "area": "item__area",
    "kind": "kind",
    "replication": "replication",
    "template_variant": "template_variant",
    "scale_reversed": "scale_reversed",
    "status": "status",
    "value": "value",
    "text": "text",
    "outcome_reason": "outcome_reason",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cost": "cost",
    "latency_ms": "latency_ms",
    "attempts": "attempt_count",
    "created_at": "created_at",
    "started_at": "started_at",
    "finished_at": "finished_at",
}

RATING_EXPORT_FIELDS: dict[str, str] = {
    "rating_id": "pk",
    "blind_code": "assignment__unit__blind_code",
    "trial_id": "assignment__unit__trial_id",
    "endpoint": "assignment__unit__trial__endpoint__name",
    "language": "assignment__unit__language",
    "item": "assignment__unit__item__number",
    "area": "assignment__unit__item__area",
    "is_gold": "assignment__unit__is_gold",
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


def trial_export_rows(*, run_id: int) -> QuerySet:
    """Every trial of the run as a tuple in `TRIAL_EXPORT_FIELDS` order, in id order."""
    return (
        Trial.objects.filter(run_id=run_id)
        .order_by("pk")
        .values_list(*TRIAL_EXPORT_FIELDS.values())
    )


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
