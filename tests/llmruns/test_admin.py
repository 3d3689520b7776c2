"""The runs admin: estimate and progress on the run page, actions, constant-query lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from llmruns.models import Attempt, ModelEndpoint, ProviderBatch, Run, RunStatus, Trial
from llmruns.services import RunSpec, run_cancel, run_create, trial_execute


def _run(instrument, endpoints, name: str) -> Run:
    return run_create(
        spec=RunSpec(
            name=name,
            instrument=instrument,
            endpoints=endpoints,
            languages=["en"],
            kinds=["interest", "work_sample"],
            replications=1,
        )
    )


@pytest.mark.django_db
def test_run_page_shows_calls_cost_and_progress(client, admin_user, instrument, mock_endpoints):
    run = _run(instrument, mock_endpoints, "admin run")
    client.force_login(admin_user)
    html = client.get(f"/admin/llmruns/run/{run.pk}/change/").content.decode()
    assert "240 calls" in html and "against 240 planned trials" in html
    assert "&quot;pending&quot;: 240" in html or '"pending": 240' in html
    assert "interest/en/1" in html  # the frozen configuration is shown


@pytest.mark.django_db
def test_cancel_action_cancels_pending_trials(client, admin_user, instrument, mock_endpoints):
    run = _run(instrument, mock_endpoints, "to cancel")
    client.force_login(admin_user)
    response = client.post(
        "/admin/llmruns/run/", {"action": "cancel_runs", "_selected_action": [run.pk]}, follow=True
    )
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert Trial.objects.filter(run=run, status="cancelled").count() == 240


@pytest.mark.django_db
def test_run_and_trial_lists_take_a_constant_number_of_queries(
    client, admin_user, instrument, mock_endpoints
):
    client.force_login(admin_user)
    counts = []
    for index in range(3):
        run = _run(instrument, mock_endpoints, f"run {index}")
        ProviderBatch.objects.create(key=f"key{index}", run=run, endpoint=mock_endpoints[0])
        for url in (
            "/admin/llmruns/run/",
            "/admin/llmruns/trial/",
            "/admin/llmruns/modelendpoint/",
            "/admin/llmruns/providerbatch/",
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append((url, len(queries)))
    by_url: dict[str, set[int]] = {}
    for url, count in counts[3:]:  # after the first run, lists grow but queries must not
        by_url.setdefault(url, set()).add(count)
    assert all(len(values) == 1 for values in by_url.values()), by_url


@pytest.mark.django_db
def test_provider_batches_are_listed_with_their_provider_status(
    client, admin_user, instrument, mock_endpoints
):
    run = _run(instrument, mock_endpoints, "batch run")
    ProviderBatch.objects.create(
        key="k1", run=run, endpoint=mock_endpoints[0], provider_status="in_progress"
    )
    client.force_login(admin_user)
    html = client.get("/admin/llmruns/providerbatch/").content.decode()
    assert "k1" in html and "in_progress" in html and "batch run" in html


def _delete_requests(model: str, pk: int) -> list[tuple[str, dict]]:
    """The admin's two ways to delete: the object's delete page, and the list's "delete
    selected" action, both confirmed."""
    return [
        (f"/admin/llmruns/{model}/{pk}/delete/", {"post": "yes"}),
        (
            f"/admin/llmruns/{model}/",
            {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
        ),
    ]


@pytest.mark.django_db
def test_an_endpoint_a_run_used_cannot_be_deleted_in_the_admin(
    settings, client, admin_user, instrument, mock_endpoints
):
    # A large run is created "preparing", before any of its trials: only the run names the
    # endpoint, as the API's refusal counts it.
    settings.LLM_PREPARE_INLINE_TRIALS = 10
    run = _run(instrument, mock_endpoints[:1], "preparing run")
    assert run.status == RunStatus.PREPARING and not run.trials.exists()
    endpoint = mock_endpoints[0]
    client.force_login(admin_user)
    for url, data in _delete_requests("modelendpoint", endpoint.pk):
        client.post(url, data)
        assert ModelEndpoint.objects.filter(pk=endpoint.pk).exists(), url
    assert list(run.endpoints.all()) == [endpoint]

    unused = mock_endpoints[1]
    for url, data in _delete_requests("modelendpoint", unused.pk)[:1]:
        assert client.post(url, data).status_code == 302
    assert not ModelEndpoint.objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db
def test_a_run_that_called_its_endpoints_and_its_trials_cannot_be_deleted_in_the_admin(
    client, admin_user, instrument, mock_endpoints
):
    run = _run(instrument, mock_endpoints, "answered run")
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    answered = run.trials.filter(kind="interest").first()
    assert trial_execute(trial_id=answered.pk) == "ok"
    run_cancel(run=run)
    pending = run.trials.exclude(pk=answered.pk).first()
    running = _run(instrument, mock_endpoints, "running run")
    Run.objects.filter(pk=running.pk).update(status=RunStatus.RUNNING)
    batched = _run(instrument, mock_endpoints, "batched run")
    ProviderBatch.objects.create(key="kb", run=batched, endpoint=mock_endpoints[0])
    trials = Trial.objects.count()
    client.force_login(admin_user)

    deletions = [
        *_delete_requests("run", run.pk),
        *_delete_requests("run", running.pk),  # it may call its endpoints at any moment
        *_delete_requests("trial", answered.pk),
        *_delete_requests("trial", pending.pk),  # a cell of the run's grid goes with the run
        *_delete_requests("providerbatch", ProviderBatch.objects.get().pk),
    ]
    for url, data in deletions:
        client.post(url, data)
        assert Trial.objects.count() == trials, url
    assert Run.objects.count() == 3
    assert ProviderBatch.objects.count() == 1
    assert Attempt.objects.filter(trial=answered).exists()


@pytest.mark.django_db
def test_a_run_that_never_called_its_endpoints_can_still_be_deleted_in_the_admin(
    client, admin_user, instrument, mock_endpoints
):
    draft = _run(instrument, mock_endpoints, "draft")
    cancelled = run_cancel(run=_run(instrument, mock_endpoints, "cancelled before any call"))
    client.force_login(admin_user)

    page, action = _delete_requests("run", draft.pk)
    assert client.post(*page).status_code == 302
    _, action = _delete_requests("run", cancelled.pk)
    assert client.post(*action).status_code == 302
    assert not Run.objects.exists() and not Trial.objects.exists()
