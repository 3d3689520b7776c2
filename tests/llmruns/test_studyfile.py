"""Scripted studies from TOML/YAML files through the `study` management command."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from llmruns.models import ModelEndpoint, Run, Trial

PILOT = Path(__file__).resolve().parents[2] / "fixtures" / "studies" / "pilot.toml"


@pytest.mark.django_db
def test_study_file_defines_endpoints_and_a_draft_run(instrument, capsys):
    call_command("study", "create", str(PILOT))
    out = capsys.readouterr().out
    run = Run.objects.get()
    assert run.status == "draft" and run.replications == 5
    assert set(run.endpoints.values_list("name", flat=True)) == {"Mock alpha", "Mock beta"}
    assert ModelEndpoint.objects.get(name="Mock alpha").max_requests_per_minute == 600
    assert Trial.objects.filter(run=run).count() == 2 * 2 * 3 * 60 * 5
    assert f"run {run.pk} (draft): 4800 calls" in out


@pytest.mark.django_db
def test_bad_study_file_names_the_problem_and_creates_nothing(instrument, tmp_path):
    study = tmp_path / "bad.yaml"
    study.write_text(
        "name: bad\ninstrument: oip-sf\nendpoints: []\nlanguages: [klingon]\nkinds: [interest]\nreplications: 0\n"
    )
    with pytest.raises(CommandError) as raised:
        call_command("study", "create", str(study))
    message = str(raised.value)
    assert "languages" in message and "klingon" in message
    assert "replications" in message
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_watch_prints_progress_until_the_run_ends(instrument, capsys):
    call_command("study", "create", str(PILOT))
    run = Run.objects.get()
    Run.objects.filter(pk=run.pk).update(status="cancelled")
    call_command("study", "watch", str(run.pk), "--interval", "0")
    out = capsys.readouterr().out
    # 3600 trials exist; the 1200 self-reviews are planned from the start (2x2x4x60x5 = 4800).
    assert "0/4800" in out and f"run {run.pk} is cancelled" in out


@pytest.mark.django_db
def test_export_writes_one_row_per_trial(instrument, tmp_path, capsys):
    import pandas as pd

    call_command("study", "create", str(PILOT))
    run = Run.objects.get()
    output = tmp_path / "trials.parquet"
    call_command("study", "export", str(run.pk), "--format", "parquet", "--output", str(output))
    frame = pd.read_parquet(output)
    assert len(frame) == 3600
    assert set(frame["kind"]) == {"interest", "self_competence", "work_sample"}
    assert f"wrote the 3600 trials of run {run.pk}" in capsys.readouterr().out
