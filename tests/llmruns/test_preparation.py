"""Large runs: accepted at once, `preparing` while a task creates their trials in batches, with
the progress visible through the API; small runs are still prepared in the request."""

from __future__ import annotations

import time
from itertools import islice

import pytest

from llmruns.models import Run, RunStatus, Trial, TrialStatus
from llmruns.services import RunSpec, run_cancel, run_create, run_prepare, run_resume
from llmruns.services.definition import _trial_grid
from tests.services import wait_for

ALL_KINDS = ["interest", "self_competence", "work_sample", "self_review"]


def _body(**overrides) -> dict:
    body = {
        "name": "large",
        "instrument": "oip-sf",
        "endpoints": ["Mock mock-alpha", "Mock mock-beta"],
        "languages": ["en", "zh-hans"],
        "kinds": ALL_KINDS,
        "replications": 10_000,
        "start": False,
    }
    body.update(overrides)
    return body


def _spec(instrument, endpoints, replications: int) -> RunSpec:
    return RunSpec(
        name="medium",
        instrument=instrument,
        endpoints=endpoints,
        languages=["en"],
        kinds=["interest", "work_sample"],
        replications=replications,
    )


@pytest.mark.django_db
def test_the_largest_run_is_accepted_within_a_second_and_prepares_in_the_background(
    admin_api, instrument, mock_endpoints
):
    # A served process has its URLs and views imported; the test client imports them on the
    # first request, which is not what is measured.
    admin_api.post("/api/v1/runs/", _body(replications=1), format="json")
    started = time.perf_counter()
    response = admin_api.post("/api/v1/runs/", _body(), format="json")
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.json()
    # Not a benchmark: a request that created 9.6 million trials would take many minutes.
    assert elapsed < 1.0, f"the request took {elapsed:.2f} s"
    body = response.json()
    assert body["status"] == "preparing"
    # 2 endpoints x 2 languages x 3 kinds created up front x 60 items x 10,000 replications.
    assert body["progress"]["preparation"] == {
        "planned": 2 * 2 * 3 * 60 * 10_000,
        "created": 0,
        "fraction": 0.0,
    }
    assert not Trial.objects.filter(run=body["id"]).exists()


@pytest.mark.django_db
def test_replications_above_the_ceiling_are_a_400_naming_it(admin_api, instrument, mock_endpoints):
    response = admin_api.post("/api/v1/runs/", _body(replications=10_001), format="json")
    assert response.status_code == 400
    assert "10000" in response.json()["replications"][0]
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_a_small_run_is_still_prepared_in_the_request(admin_api, instrument, mock_endpoints):
    response = admin_api.post("/api/v1/runs/", _body(replications=2), format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    assert response.json()["progress"]["preparation"] is None
    assert Trial.objects.count() == 2 * 2 * 3 * 60 * 2


@pytest.mark.django_db
def test_preparation_creates_the_grid_in_batches_and_progress_shows_it(
    settings, admin_api, instrument, mock_endpoints
):
    settings.LLM_PREPARE_INLINE_TRIALS = 100
    run = run_create(spec=_spec(instrument, mock_endpoints, replications=5))
    assert run.status == RunStatus.PREPARING
    planned = 2 * 1 * 2 * 60 * 5

    # An interrupted task: the first 250 trials of the grid were committed.
    Trial.objects.bulk_create(islice(_trial_grid(run, run.config), 250))
    progress = admin_api.get(f"/api/v1/runs/{run.pk}/").json()["progress"]
    assert progress["preparation"] == {"planned": planned, "created": 250, "fraction": 0.2083}

    created = run_prepare(run_id=run.pk, batch_size=300)
    assert created == planned - 250
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT
    assert Trial.objects.filter(run=run).count() == planned
    # Every cell once: the continuation neither skipped nor repeated a trial.
    cells = set(
        Trial.objects.filter(run=run).values_list(
            "endpoint", "language", "kind", "item", "replication"
        )
    )
    assert len(cells) == planned
    assert admin_api.get(f"/api/v1/runs/{run.pk}/").json()["progress"]["preparation"] is None


@pytest.mark.django_db
def test_a_cancelled_preparation_stops_and_resume_finishes_it(settings, instrument, mock_endpoints):
    settings.LLM_PREPARE_INLINE_TRIALS = 100
    run = run_create(spec=_spec(instrument, mock_endpoints, replications=3))
    Trial.objects.bulk_create(islice(_trial_grid(run, run.config), 100))
    run_cancel(run=run)
    assert run_prepare(run_id=run.pk) == 0
    assert Trial.objects.filter(run=run).count() == 100
    assert not Trial.objects.filter(run=run, status=TrialStatus.PENDING).exists()

    run_resume(run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.PREPARING
    run_prepare(run_id=run.pk, start=False)
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT
    assert Trial.objects.filter(run=run, status=TrialStatus.PENDING).count() == 2 * 2 * 60 * 3


@pytest.mark.django_db
def test_a_preparing_run_cannot_be_started_yet(settings, admin_api, instrument, mock_endpoints):
    settings.LLM_PREPARE_INLINE_TRIALS = 100
    run = run_create(spec=_spec(instrument, mock_endpoints, replications=3))
    response = admin_api.post(f"/api/v1/runs/{run.pk}/start/")
    assert response.status_code == 409
    assert "preparing" in response.json()["detail"]


@pytest.fixture
def worker_batches_of_500(monkeypatch):
    """The worker's batches; set before the worker process starts, which reads it once."""
    monkeypatch.setenv("LLM_PREPARE_BATCH", "500")


@pytest.mark.integration
def test_a_worker_prepares_a_large_run_and_starts_it_with_progress_on_the_way(
    worker_batches_of_500, settings, admin_api, instrument, mock_endpoints, celery_worker_process
):
    settings.LLM_PREPARE_INLINE_TRIALS = 1000
    body = _body(languages=["en"], kinds=["interest"], replications=50, start=True)
    response = admin_api.post("/api/v1/runs/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "preparing"
    run_id = response.json()["id"]
    planned = 2 * 60 * 50
    seen: set[int] = set()

    def prepared() -> bool:
        detail = admin_api.get(f"/api/v1/runs/{run_id}/").json()
        if detail["status"] == "preparing":
            seen.add(detail["progress"]["preparation"]["created"])
            return False
        return True

    try:
        wait_for(prepared, timeout=120, interval=0.05, message="the run to be prepared")
    except AssertionError:
        print(celery_worker_process.log()[-5000:])
        raise
    run = Run.objects.get(pk=run_id)
    assert run.status in (RunStatus.RUNNING, RunStatus.FINISHED)
    assert Trial.objects.filter(run=run).exclude(kind="self_review").count() == planned
    # Progress was visible between nothing and everything.
    assert any(0 < created < planned for created in seen), sorted(seen)
    run_cancel(run=run)


@pytest.mark.django_db
def test_an_item_added_to_the_instrument_while_a_run_prepares_gets_no_trials(
    settings, instrument, mock_endpoints
):
    """The grid follows the frozen items: an item added later (an instrument file loaded again
    with one more item) would get trials no prompt can be rendered for, and would shift the grid
    so that an interrupted preparation repeats trials it already created."""
    from careers.models import Item, ItemText

    settings.LLM_PREPARE_INLINE_TRIALS = 100
    run = run_create(spec=_spec(instrument, mock_endpoints, replications=5))
    planned = 2 * 1 * 2 * 60 * 5
    Trial.objects.bulk_create(islice(_trial_grid(run, run.config), 250))  # interrupted
    added = Item.objects.create(instrument=instrument, number=61, area="R")
    ItemText.objects.create(item=added, language="en", activity="Repair clocks", task="Explain.")

    assert run_prepare(run_id=run.pk, batch_size=300) == planned - 250
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT
    assert Trial.objects.filter(run=run).count() == planned
    assert not Trial.objects.filter(run=run, item=added).exists()
