"""Long-format exports streamed in bounded memory: one row per trial, one row per rating revision.

The rating export (`ratings.analysis.exports`) uses the same sources and encoders.

Rows come from `.values_list(...).iterator(chunk_size=...)`, so the database hands them over a
chunk at a time, and each encoder yields bytes as it goes: CSV and JSON lines every few thousand
rows, Parquet one row group (at most `PARQUET_BATCH_ROWS` rows or `PARQUET_BATCH_BYTES` of Arrow
data, whichever comes first) at a time. Memory therefore depends on the batch size, never on the
number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llmruns.analysis.selectors import TRIAL_EXPORT_FIELDS, trial_export_rows
from llmruns.models import Run

EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet", "jsonl")
CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
DB_CHUNK_ROWS = 2000
TEXT_CHUNK_ROWS = 2000
PARQUET_BATCH_ROWS = 20_000
# A row group's Arrow data; pyarrow's allocator keeps freed memory, so this sets the RSS growth.
PARQUET_BATCH_BYTES = 16 * 1024 * 1024

Row = tuple[Any, ...]


@dataclass
class ExportSource:
    """A named long-format table: its columns, their Arrow types and a way to iterate its rows.

    `rows_written` counts the rows an encoder has consumed so far, for manifests.
    """

    name: str
    columns: list[str]
    arrow_types: list[pa.DataType]
    rows: Callable[[], Iterator[Row]]
    rows_written: int = field(default=0, init=False)

    def schema(self) -> pa.Schema:
        return pa.schema(list(zip(self.columns, self.arrow_types, strict=True)))

    def counted_rows(self) -> Iterator[Row]:
        self.rows_written = 0
        for row in self.rows():
            self.rows_written += 1
            yield row


UTC_MICROSECONDS = pa.timestamp("us", tz="UTC")
OPTION_VALUES = (1, 2, 3, 4, 5)  # token_probability: p_1 .. p_5 from option_probabilities

TRIAL_COLUMN_TYPES: dict[str, pa.DataType] = {
    "trial_id": pa.int64(),
    "endpoint": pa.string(),
    "model": pa.string(),
    "language": pa.string(),
    "item": pa.int32(),
    "area": pa.string(),
    "kind": pa.string(),
    "method": pa.string(),
    "method_fallback": pa.string(),
    "replication": pa.int32(),
    "template_variant": pa.int32(),
    "template_version": pa.int32(),
    "scale_reversed": pa.bool_(),
    "status": pa.string(),
    "value": pa.int16(),
    "expected_value": pa.float64(),
    "valid_mass": pa.float64(),
    "text": pa.string(),
    "reasoning_text": pa.string(),
    "outcome_reason": pa.string(),
    "input_tokens": pa.int64(),
    "cached_input_tokens": pa.int64(),
    "output_tokens": pa.int64(),
    "reasoning_tokens": pa.int64(),
    "cost": pa.float64(),
    "latency_ms": pa.float64(),
    "attempts": pa.int32(),
    "created_at": UTC_MICROSECONDS,
    "started_at": UTC_MICROSECONDS,
    "finished_at": UTC_MICROSECONDS,
    **{f"p_{value}": pa.float64() for value in OPTION_VALUES},
}


def trial_export(*, run: Run) -> ExportSource:
    """One row per trial of the run; `template_version` comes from the run's frozen templates;
    a token_probability trial's distribution as p_1 .. p_5 (empty for the other methods)."""
    fields = list(TRIAL_EXPORT_FIELDS)
    columns = [*fields[: fields.index("template_variant") + 1], "template_version"]
    columns += fields[fields.index("template_variant") + 1 : -1]
    columns += [f"p_{value}" for value in OPTION_VALUES]
    kind_at, language_at, variant_at = (
        fields.index("kind"),
        fields.index("language"),
        fields.index("template_variant"),
    )
    versions = {
        key: template.get("version") for key, template in run.config.get("templates", {}).items()
    }

    def rows() -> Iterator[Row]:
        for row in trial_export_rows(run_id=run.pk).iterator(chunk_size=DB_CHUNK_ROWS):
            key = f"{row[kind_at]}/{row[language_at]}/{row[variant_at]}"
            probabilities = row[-1] or {}
            yield (
                *row[: variant_at + 1],
                versions.get(key),
                *row[variant_at + 1 : -1],
                *(probabilities.get(str(value)) for value in OPTION_VALUES),
            )

    return ExportSource(
        name=f"run-{run.pk}-trials",
        columns=columns,
        arrow_types=[TRIAL_COLUMN_TYPES[column] for column in columns],
        rows=rows,
    )


# --- value conversions -------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _decimal_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# A spreadsheet opening a CSV runs a cell starting with one of these as a formula; a model's
# answer or an expert's comment can start with any of them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with a quote so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _converters(
    source: ExportSource, *, timestamp: Callable, decimal: Callable, text: Callable | None = None
) -> list[tuple[int, Callable]]:
    """(column index, converter) for the columns whose database values need one."""
    converters: list[tuple[int, Callable]] = []
    for index, arrow_type in enumerate(source.arrow_types):
        if pa.types.is_timestamp(arrow_type):
            converters.append((index, timestamp))
        elif source.columns[index] == "cost":
            converters.append((index, decimal))
        elif text is not None and pa.types.is_string(arrow_type):
            converters.append((index, text))
    return converters


def _converted(rows: Iterable[Row], converters: Sequence[tuple[int, Callable]]) -> Iterator[list]:
    for row in rows:
        values = list(row)
        for index, convert in converters:
            values[index] = convert(values[index])
        yield values


# --- encoders ----------------------------------------------------------------------------------


class _Drain(io.RawIOBase):
    """A write-only byte sink whose contents are taken out piece by piece."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def encode_csv(source: ExportSource, *, rows_per_chunk: int = TEXT_CHUNK_ROWS) -> Iterator[bytes]:
    """CSV with a header row; timestamps in ISO 8601 with offset, costs as exact decimals, and
    text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
    return) prefixed with a single quote. Parquet and JSON lines keep such text as it is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(source.columns)
    converters = _converters(source, timestamp=_iso, decimal=_decimal_text, text=spreadsheet_text)
    pending = 0
    for values in _converted(source.counted_rows(), converters):
        writer.writerow(values)
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def encode_jsonl(source: ExportSource, *, rows_per_chunk: int = TEXT_CHUNK_ROWS) -> Iterator[bytes]:
    """One JSON object per line; timestamps in ISO 8601, costs as numbers."""
    converters = _converters(source, timestamp=_iso, decimal=_decimal_float)
    lines: list[str] = []
    for values in _converted(source.counted_rows(), converters):
        lines.append(json.dumps(dict(zip(source.columns, values, strict=True)), ensure_ascii=False))
        if len(lines) >= rows_per_chunk:
            yield ("\n".join(lines) + "\n").encode()
            lines.clear()
    if lines:
        yield ("\n".join(lines) + "\n").encode()


def encode_parquet(
    source: ExportSource,
    *,
    batch_rows: int = PARQUET_BATCH_ROWS,
    batch_bytes: int = PARQUET_BATCH_BYTES,
    convert_rows: int = DB_CHUNK_ROWS,
) -> Iterator[bytes]:
    """Parquet (zstd): row groups of `batch_rows` rows (or `batch_bytes` of Arrow data), each
    yielded as soon as it is written.

    Rows become Arrow arrays `convert_rows` at a time, so a row group waits in compact Arrow
    memory rather than as Python objects.
    """
    schema = source.schema()
    converters = _converters(source, timestamp=lambda value: value, decimal=_decimal_float)
    sink = _Drain()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    pending: list[pa.RecordBatch] = []
    pending_rows = pending_bytes = 0

    def flush() -> None:
        nonlocal pending, pending_rows, pending_bytes
        if pending_rows:
            table = pa.Table.from_batches(pending, schema=schema)
            writer.write_table(table, row_group_size=pending_rows)
        pending, pending_rows, pending_bytes = [], 0, 0

    try:
        rows: list[list] = []
        for values in _converted(source.counted_rows(), converters):
            rows.append(values)
            if len(rows) < convert_rows:
                continue
            batch = _record_batch(rows, source, schema)
            rows = []
            pending.append(batch)
            pending_rows += batch.num_rows
            pending_bytes += batch.nbytes
            if pending_rows >= batch_rows or pending_bytes >= batch_bytes:
                flush()
                yield sink.take()
        if rows:
            batch = _record_batch(rows, source, schema)
            pending.append(batch)
            pending_rows += batch.num_rows
        flush()
    finally:
        writer.close()
    yield sink.take()


def _record_batch(rows: list[list], source: ExportSource, schema: pa.Schema) -> pa.RecordBatch:
    columns = zip(*rows, strict=True)
    arrays = [
        pa.array(column, type=arrow_type)
        for column, arrow_type in zip(columns, source.arrow_types, strict=True)
    ]
    return pa.record_batch(arrays, schema=schema)


ENCODERS: dict[str, Callable[[ExportSource], Iterator[bytes]]] = {
    "csv": encode_csv,
    "parquet": encode_parquet,
    "jsonl": encode_jsonl,
}


def encode(source: ExportSource, export_format: str) -> Iterator[bytes]:
    """The export in one of `EXPORT_FORMATS`, as an iterator of byte chunks."""
    if export_format not in ENCODERS:
        raise ValueError(
            f"unknown export format {export_format!r}; valid values: {', '.join(EXPORT_FORMATS)}"
        )
    return ENCODERS[export_format](source)


def filename(source: ExportSource, export_format: str) -> str:
    return f"{source.name}.{export_format}"
