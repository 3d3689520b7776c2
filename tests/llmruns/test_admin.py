"""The runs admin: estimate and progress on the run page, actions, constant-query lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from llmruns.models import ProviderBatch, Run, Trial
from llmruns.services import RunSpec, run_create


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
