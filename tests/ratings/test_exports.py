"""Long-format exports: round trips through pandas, streaming in bounded memory, the package."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tracemalloc
import zipfile
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
from django.core.cache import cache
from django.core.management import call_command

from llmruns.analysis.exports import (
    TRIAL_COLUMN_TYPES,
    ExportSource,
    encode_csv,
    encode_jsonl,
    encode_parquet,
)
from llmruns.analysis.tables import table_csv
from tests.ratings.stats_builders import build_rated_campaign, make_trials

AWKWARD_TEXT = 'Line one, with a comma\nline two with "quotes" and 中文，还有逗号'


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _cell(item: int, replication: int = 1):
    return ("Model-A", "en", item, replication)


@pytest.fixture
def rated(instrument):
    """Three units rated by two experts, one rating revised; trials of every status."""
    from llmruns.models import Trial
    from ratings.models import Rating

    built = build_rated_campaign(
        instrument,
        ratings={
            "E-AAAAAA": {_cell(1): 2, _cell(2): 4, _cell(3): 5},
            "E-BBBBBB": {_cell(1): 3, _cell(2): 4, _cell(3): None},
        },
    )
    Rating.objects.create(
        assignment=built.assignments[("E-AAAAAA", _cell(2))],
        value=3,
        revision=2,
        comment=AWKWARD_TEXT,
        flag_off_task=True,
    )
    make_trials(
        built.run,
        kind="self_competence",
        values={_cell(1): 4, _cell(2): None, _cell(3): None, _cell(4): None},
        statuses={_cell(2): "refused", _cell(3): "pending", _cell(4): "failed"},
        endpoints=built.endpoints,
    )
    Trial.objects.filter(run=built.run, kind="self_competence", item__number=1).update(
        text=AWKWARD_TEXT
    )
    return built


def _normalised(frame: pd.DataFrame, types: dict[str, pa.DataType]) -> pd.DataFrame:
    """One dtype per column whatever the format: CSV has no types, Parquet keeps them."""
    frame = frame.copy()
    for column in frame.columns:
        arrow_type = types[column]
        if pa.types.is_string(arrow_type):
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), "").astype(str)
        elif pa.types.is_timestamp(arrow_type):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").astype(
                "datetime64[us, UTC]"
            )
        elif pa.types.is_boolean(arrow_type):
            frame[column] = frame[column].astype(bool)
        else:
            frame[column] = frame[column].astype("float64")
    return frame


def _content(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_trial_export_round_trips_to_the_same_frame_in_csv_parquet_and_jsonl(researcher_api, rated):
    url = f"/api/v1/runs/{rated.run.pk}/trials/"
    csv_response = researcher_api.get(url + "?format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert f"run-{rated.run.pk}-trials.csv" in csv_response["Content-Disposition"]
    from_csv = pd.read_csv(io.BytesIO(_content(csv_response)))
    parquet_response = researcher_api.get(url + "?format=parquet")
    assert parquet_response["Content-Type"] == "application/vnd.apache.parquet"
    from_parquet = pd.read_parquet(io.BytesIO(_content(parquet_response)))
    jsonl_response = researcher_api.get(url + "?format=jsonl")
    from_jsonl = pd.read_json(io.BytesIO(_content(jsonl_response)), lines=True, dtype=False)

    assert list(from_csv.columns) == list(TRIAL_COLUMN_TYPES)
    csv_frame = _normalised(from_csv, TRIAL_COLUMN_TYPES)
    pd.testing.assert_frame_equal(csv_frame, _normalised(from_parquet, TRIAL_COLUMN_TYPES))
    pd.testing.assert_frame_equal(csv_frame, _normalised(from_jsonl, TRIAL_COLUMN_TYPES))

    assert len(csv_frame) == 3 + 4  # the work samples and the self-assessments
    by_status = csv_frame.set_index("status")
    assert by_status.loc["refused", "value"] != by_status.loc["refused", "value"]  # NaN
    assert by_status.loc["pending", "started_at"] is pd.NaT
    answered = csv_frame.loc[csv_frame["kind"] == "self_competence"].iloc[0]
    assert answered["text"] == AWKWARD_TEXT and answered["value"] == 4.0
    assert answered["cost"] == 0.00012 and answered["template_version"] == 3.0
    assert from_parquet["cost"].dtype == "float64" and from_parquet["scale_reversed"].dtype == bool


@pytest.mark.django_db
def test_rating_export_has_one_row_per_revision_and_marks_the_latest(researcher_api, rated):
    url = f"/api/v1/campaigns/{rated.campaign.pk}/ratings/?format=parquet"
    frame = pd.read_parquet(io.BytesIO(_content(researcher_api.get(url))))
    assert len(frame) == 6  # five first ratings and one revision
    unit = rated.units[_cell(2)].blind_code
    revised = frame.loc[(frame["blind_code"] == unit) & (frame["expert"] == "E-AAAAAA")]
    assert list(revised["revision"]) == [1, 2]
    assert list(revised["is_latest"]) == [False, True]
    assert list(revised["value"]) == [4, 3]
    assert revised.iloc[1]["comment"] == AWKWARD_TEXT and revised.iloc[1]["flag_off_task"]
    assert frame["is_latest"].sum() == 5
    assert set(frame["trial_id"]) == {unit.trial_id for unit in rated.units.values()}
    assert not any("rater_" in str(value) for value in frame["expert"])  # pseudonyms only


@pytest.mark.django_db
def test_rating_export_marks_calibration_units_apart_from_the_campaigns_data(researcher_api, rated):
    """A calibration unit's ratings are exported, but marked: the latest revisions of the
    other units are exactly the ratings agreement counts."""
    from ratings.models import Unit

    calibration = rated.units[_cell(1)]
    Unit.objects.filter(pk=calibration.pk).update(
        is_gold=True, expected_min=2, expected_max=3, is_calibration=True
    )
    url = f"/api/v1/campaigns/{rated.campaign.pk}/ratings/?format=parquet"
    frame = pd.read_parquet(io.BytesIO(_content(researcher_api.get(url))))
    marked = frame.set_index("blind_code")["is_calibration"]
    assert marked[calibration.blind_code].all()
    assert not marked.drop(calibration.blind_code).any()
    agreement = researcher_api.get(f"/api/v1/campaigns/{rated.campaign.pk}/agreement/").json()
    counted = frame.loc[frame["is_latest"] & ~frame["is_calibration"]]
    assert len(counted) == agreement["n"] == 3


FORMULAS = ['=HYPERLINK("http://example.org/?"&A1,"open")', "+1+1", "-2+3", "@SUM(A1:A2)"]


@pytest.mark.django_db
def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted_and_parquet_keeps_them(
    researcher_api, rated
):
    from llmruns.models import Trial
    from ratings.models import Rating

    trials = Trial.objects.filter(run=rated.run, kind="work_sample").order_by("pk")
    for trial, formula in zip(trials, FORMULAS, strict=False):
        Trial.objects.filter(pk=trial.pk).update(text=formula)
    Rating.objects.filter(revision=2).update(comment=FORMULAS[0])
    trials_url = f"/api/v1/runs/{rated.run.pk}/trials/?format="
    from_csv = pd.read_csv(io.BytesIO(_content(researcher_api.get(trials_url + "csv"))))
    texts = from_csv.loc[from_csv["kind"] == "work_sample", "text"]
    assert list(texts) == [f"'{formula}" for formula in FORMULAS[:3]]
    from_parquet = pd.read_parquet(io.BytesIO(_content(researcher_api.get(trials_url + "parquet"))))
    assert list(from_parquet.loc[from_parquet["kind"] == "work_sample", "text"]) == FORMULAS[:3]
    ratings_url = f"/api/v1/campaigns/{rated.campaign.pk}/ratings/?format=csv"
    ratings = pd.read_csv(io.BytesIO(_content(researcher_api.get(ratings_url))))
    assert list(ratings.loc[ratings["revision"] == 2, "comment"]) == [f"'{FORMULAS[0]}"]


def test_statistic_table_cells_a_spreadsheet_would_run_as_formulas_are_quoted():
    rows = [{"endpoint": formula, "mean": -0.5} for formula in FORMULAS]
    lines = table_csv(rows).splitlines()
    assert [line.rsplit(",", 1)[1] for line in lines[1:]] == ["-0.5"] * 4
    assert pd.read_csv(io.StringIO(table_csv(rows)))["endpoint"].tolist() == [
        f"'{formula}" for formula in FORMULAS
    ]


SYNTHETIC_TEXT = "An answer of a typical length for an interest or self-assessment trial. " * 3


def _synthetic_source(rows: int) -> ExportSource:
    """A trials-like table of `rows` rows that never touches the database."""
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

    def generate():
        for index in range(rows):
            yield (
                index,
                "Model-A",
                "en",
                index % 60 + 1,
                "ok",
                index % 5 + 1,
                SYNTHETIC_TEXT,
                Decimal("0.00012000"),
                start + dt.timedelta(seconds=index),
            )

    columns = {
        "trial_id": pa.int64(),
        "endpoint": pa.string(),
        "language": pa.string(),
        "item": pa.int32(),
        "status": pa.string(),
        "value": pa.int16(),
        "text": pa.string(),
        "cost": pa.float64(),
        "created_at": pa.timestamp("us", tz="UTC"),
    }
    return ExportSource(
        name="synthetic",
        columns=list(columns),
        arrow_types=list(columns.values()),
        rows=generate,
    )


def _consume(encoder, rows: int) -> tuple[int, int, int, int]:
    """(python peak bytes, arrow peak bytes, largest chunk, total bytes) while streaming."""
    source = _synthetic_source(rows)
    arrow_peak = largest = total = 0
    tracemalloc.start()
    try:
        for chunk in encoder(source):
            largest = max(largest, len(chunk))
            total += len(chunk)
            arrow_peak = max(arrow_peak, pa.total_allocated_bytes())
        _current, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source.rows_written == rows
    return python_peak, arrow_peak, largest, total


@pytest.mark.parametrize(
    "encoder",
    [encode_csv, lambda source: encode_parquet(source, batch_rows=5_000)],
    ids=["csv", "parquet"],
)
def test_a_200000_row_export_streams_in_memory_bounded_by_the_chunk_not_the_rows(encoder):
    small = _consume(encoder, 20_000)
    large = _consume(encoder, 200_000)
    python_peak, arrow_peak, largest_chunk, _total = large
    # Ten times the rows, not ten times the memory: the peak is set by one chunk or batch.
    assert python_peak < 2 * small[0] + 1_000_000
    assert arrow_peak < 2 * small[1] + 1_000_000
    assert largest_chunk < 2 * small[2] + 100_000
    # And far below the data streamed (the text column alone is ~44 MB).
    text_volume = 200_000 * len(SYNTHETIC_TEXT)
    assert python_peak < text_volume / 10
    assert largest_chunk < text_volume / 20


def test_json_lines_stream_one_object_per_row_in_chunks():
    chunks = list(encode_jsonl(_synthetic_source(5_000)))
    assert len(chunks) == 3  # 2,000 rows per chunk
    lines = b"".join(chunks).decode().splitlines()
    assert len(lines) == 5_000
    first = json.loads(lines[0])
    assert first["cost"] == 0.00012 and first["created_at"] == "2025-01-01T00:00:00+00:00"


def test_parquet_row_groups_are_cut_by_size_as_well_as_rows():
    source = _synthetic_source(3_000)
    chunks = list(
        encode_parquet(source, batch_rows=1_000_000, batch_bytes=100_000, convert_rows=200)
    )
    # About 250 bytes of Arrow data per row: a row group every 400 rows, plus the footer.
    assert len(chunks) >= 7
    table = pd.read_parquet(io.BytesIO(b"".join(chunks)))
    assert len(table) == 3_000 and table["trial_id"].is_monotonic_increasing


@pytest.mark.django_db
def test_database_exports_are_yielded_in_several_chunks(researcher_api, instrument):
    from llmruns.analysis import exports

    built = build_rated_campaign(instrument, ratings={"E-AAAAAA": {_cell(1): 3}})
    values = {("Model-A", "en", item, rep): 3 for item in range(1, 61) for rep in range(1, 41)}
    make_trials(built.run, kind="interest", values=values, endpoints=built.endpoints)
    response = researcher_api.get(f"/api/v1/runs/{built.run.pk}/trials/?format=csv")
    chunks = list(response.streaming_content)
    rows_per_chunk = exports.TEXT_CHUNK_ROWS
    assert len(chunks) == 2401 // rows_per_chunk + 1
    assert b"".join(chunks).count(b",interest,") == 2400


def _verify_package(content: bytes) -> dict:
    """Recompute every file's row count and checksum and compare them with the manifest."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["name"] for entry in manifest["files"]}
    assert listed | {"manifest.json"} == set(archive.namelist())
    for entry in manifest["files"]:
        data = archive.read(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
        assert len(data) == entry["bytes"]
        if entry["name"].endswith(".csv"):
            assert len(pd.read_csv(io.BytesIO(data))) == entry["rows"], entry["name"]
    return manifest


@pytest.mark.django_db
def test_replication_package_manifest_matches_its_files_and_holds_no_secret(researcher_api, rated):
    response = researcher_api.get(f"/api/v1/campaigns/{rated.campaign.pk}/package/?bootstrap=50")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    content = b"".join(response.streaming_content)
    manifest = _verify_package(content)
    names = {entry["name"]: entry for entry in manifest["files"]}
    assert names["trials.csv"]["rows"] == 7 and names["ratings.csv"]["rows"] == 6
    assert {
        "run_config.json",
        "statistics/agreement.csv",
        "statistics/agreement_by_area.csv",
        "statistics/raters.csv",
        "statistics/units.csv",
        "statistics/discrepancy_self_competence.csv",
        "statistics/discrepancy_self_competence_items.csv",
        "statistics/discrepancy_self_competence_alignment.csv",
        "statistics/discrepancy_self_review.csv",
        "statistics/profiles.csv",
        "statistics/mixed_model.csv",
        "statistics/diagnostics.csv",
        "statistics/diagnostics_consistency.csv",
        "statistics/diagnostics_stability.csv",
        "statistics/diagnostics_response_styles.csv",
        "statistics/diagnostics_presentation_effects.csv",
        "statistics/diagnostics_method_comparison.csv",
        "statistics/diagnostics_answer_rates.csv",
        "statistics/results.json",
    } <= set(names)
    assert manifest["parameters"] == {"bootstrap": 50, "seed": 0}
    archive = zipfile.ZipFile(io.BytesIO(content))
    config = archive.read("run_config.json").decode()
    assert "api_key_env" not in config and "VOCATIONLAB_TEST_KEY_VARIABLE" not in config
    assert "hunter2" not in config and "http://127.0.0.1:9/v1" in config
    results = json.loads(archive.read("statistics/results.json"))
    assert results["agreement"]["parameters"]["bootstrap"] == 50
    assert results["diagnostics"]["statistic"] == "diagnostics"
    flags = archive.read("statistics/diagnostics.csv").decode().splitlines()
    assert flags[0] == "diagnostic,endpoint,language,method,detail"
    stability = archive.read("statistics/diagnostics_stability.csv").decode().splitlines()
    assert stability[0].startswith("endpoint,language,method,facet,form,description,k,")


@pytest.mark.django_db
def test_export_campaign_command_writes_the_package(rated, tmp_path):
    target = tmp_path / "package.zip"
    output = io.StringIO()
    call_command(
        "export_campaign", str(rated.campaign.pk), str(target), "--bootstrap", "20", stdout=output
    )
    manifest = _verify_package(target.read_bytes())
    assert manifest["campaign"]["id"] == rated.campaign.pk
    assert str(target) in output.getvalue()


@pytest.mark.django_db
def test_export_campaign_command_refuses_an_unknown_campaign(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no campaign 424242"):
        call_command("export_campaign", "424242", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()
