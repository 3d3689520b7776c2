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
    # interest and self_competence by two methods (verbal, token_probability), work samples once.
    assert run.methods == ["verbal", "token_probability"] and run.min_valid_mass == 0.5
    assert ModelEndpoint.objects.get(name="Mock beta").supports_logprobs
    assert Trial.objects.filter(run=run).count() == 2 * 2 * (2 + 2 + 1) * 60 * 5
    assert (
        Trial.objects.filter(run=run, method="token_probability", kind="work_sample").count() == 0
    )
    # ... and a self-review per method of each work sample.
    assert f"run {run.pk} (draft): {2 * 2 * (2 + 2 + 1 + 2) * 60 * 5} calls" in out


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
    # 6000 trials exist; the 2400 self-reviews (one per work sample and method) are planned from
    # the start: 2 endpoints x 2 languages x 60 items x 5 replications x 7 (kind, method) cells.
    assert "0/8400" in out and f"run {run.pk} is cancelled" in out


@pytest.mark.django_db
def test_export_writes_one_row_per_trial(instrument, tmp_path, capsys):
    import pandas as pd

    call_command("study", "create", str(PILOT))
    run = Run.objects.get()
    output = tmp_path / "trials.parquet"
    call_command("study", "export", str(run.pk), "--format", "parquet", "--output", str(output))
    frame = pd.read_parquet(output)
    assert len(frame) == 6000
    assert set(frame["kind"]) == {"interest", "self_competence", "work_sample"}
    assert set(frame["method"]) == {"verbal", "token_probability"}
    assert f"wrote the 6000 trials of run {run.pk}" in capsys.readouterr().out


@pytest.mark.django_db
def test_batch_study_file_runs_through_the_batch_api_at_the_batch_price(
    instrument, capsys, tmp_path, settings
):
    from llmruns.mockserver import MockConfig, MockLLMServer
    from llmruns.services.batch import batches_advance

    settings.LLM_BATCH_POLL_INITIAL = 0.0
    with MockLLMServer(MockConfig(seed=2)) as server:
        study = tmp_path / "pilot-batch.toml"
        study.write_text(
            (PILOT.parent / "pilot-batch.toml")
            .read_text()
            .replace("http://127.0.0.1:8089/v1", server.base_url)
            .replace("replications = 5", "replications = 1")
        )
        call_command("study", "create", str(study), "--start")
        run = Run.objects.get()
        out = capsys.readouterr().out
        assert f"run {run.pk} (running): 480 calls" in out
        assert "batch execution; live price" in out and "batch price 0." in out
        for _tick in range(10):
            batches_advance()
            run.refresh_from_db()
            if run.status == "finished":
                break
        assert run.status == "finished"
        assert server.batch_api.batches_created == 2  # the work samples' self-reviews follow
        assert not Trial.objects.filter(run=run, status__in=["pending", "running"]).exists()
        call_command("study", "watch", str(run.pk), "--interval", "0")
        total = Trial.objects.filter(run=run).count()
        assert total > 400  # 360 and a self-review for each ok work sample
        assert (
            f"batch: submitted {total}, in open batches 0, done {total}; batches 2 completed"
            in (capsys.readouterr().out)
        )
