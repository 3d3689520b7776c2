"""The long-format export of a campaign's ratings: one row per rating revision.

Streamed in bounded memory by the encoders of `llmruns.analysis.exports`, like the trials.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from llmruns.analysis.exports import DB_CHUNK_ROWS, UTC_MICROSECONDS, ExportSource, Row
from ratings.models import Campaign
from ratings.stats_selectors import RATING_EXPORT_FIELDS, rating_export_rows

RATING_COLUMN_TYPES: dict[str, pa.DataType] = {
    "rating_id": pa.int64(),
    "blind_code": pa.string(),
    "trial_id": pa.int64(),
    "endpoint": pa.string(),
    "language": pa.string(),
    "item": pa.int32(),
    "area": pa.string(),
    "is_gold": pa.bool_(),
    "is_calibration": pa.bool_(),
    "expert": pa.string(),
    "value": pa.int16(),
    "revision": pa.int32(),
    "is_latest": pa.bool_(),
    "flag_truncated": pa.bool_(),
    "flag_identifies_model": pa.bool_(),
    "flag_off_task": pa.bool_(),
    "flag_unsafe": pa.bool_(),
    "simulated": pa.bool_(),
    "comment": pa.string(),
    "server_seconds": pa.float64(),
    "active_seconds": pa.float64(),
    "opened_at": UTC_MICROSECONDS,
    "created_at": UTC_MICROSECONDS,
}


def rating_export(*, campaign: Campaign) -> ExportSource:
    """One row per rating revision of the campaign, `is_latest` marking the one that counts;
    the statistics take the latest revisions of the units that are not `is_calibration`."""
    columns = list(RATING_EXPORT_FIELDS)

    def rows() -> Iterator[Row]:
        yield from rating_export_rows(campaign_id=campaign.pk).iterator(chunk_size=DB_CHUNK_ROWS)

    return ExportSource(
        name=f"campaign-{campaign.pk}-ratings",
        columns=columns,
        arrow_types=[RATING_COLUMN_TYPES[column] for column in columns],
        rows=rows,
    )
