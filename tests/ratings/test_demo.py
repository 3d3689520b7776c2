"""The demo set-up shows every result with data on first start, and its progress total holds.

One test runs what `make setup` runs (the demo accounts, the demo run against the real mock
server over HTTP, the demo campaign with its simulated ratings) and then reads every dashboard
and statistics endpoint of the demo campaign and run as a researcher.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from llmruns.demo import demo_run_ensure
from llmruns.models import RunStatus, Trial
from llmruns.services import run_progress
from ratings.demo import SIMULATED_RATERS, demo_accounts_ensure, demo_campaign_ensure
from ratings.models import Assignment, AssignmentStatus, Rating
from tests.services import free_port


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_setup_gives_every_dashboard_and_statistic_data(settings, instrument):
    settings.MOCK_LLM_URL = f"http://127.0.0.1:{free_port()}/v1"
    demo_accounts_ensure()
    totals: list[int] = []
    done: list[int] = []

    def progress(finished: int, total: int) -> None:
        totals.append(total)
        done.append(finished)

    # One thread: the in-memory SQLite test database takes no concurrent writers.
    run = demo_run_ensure(progress=progress, workers=1)
    assert run.status == RunStatus.FINISHED

    # The planned total: 2 models x 2 languages x 60 items x 3 replications x 7 cells (interest
    # and self-competence by two methods, the work sample, a self-review per method), fixed from
    # the first report to the last although self-reviews were created along the way.
    planned = 2 * 2 * 60 * 3 * 7
    assert len(totals) > 10
    assert set(totals) == {planned}
    assert done == sorted(done)
    final = run_progress(run=run)
    assert final["total"] == planned == final["done"]
    assert final["waiting"] == 0
    created = Trial.objects.filter(run=run).count()
    assert created < planned  # some work samples were refused: their self-reviews not needed
    assert final["not_needed"] == planned - created

    campaign = demo_campaign_ensure(run=run)
    assert demo_campaign_ensure(run=run).pk == campaign.pk  # idempotent, no second rating
    simulated = Rating.objects.filter(assignment__campaign=campaign, simulated=True)
    simulated_assignments = Assignment.objects.filter(
        campaign=campaign, expert__user__username__in=SIMULATED_RATERS
    )
    assert simulated.count() == simulated_assignments.count() > 100
    assert not simulated_assignments.exclude(status=AssignmentStatus.SUBMITTED).exists()
    # The two demo experts still have every one of their units to rate by hand.
    for username in ("expert1", "expert2"):
        left = Assignment.objects.filter(
            campaign=campaign, expert__user__username=username, status=AssignmentStatus.PENDING
        ).count()
        assert left > 10, username

    api = APIClient()
    api.login(username="researcher", password=_demo_password("researcher"))
    base = f"/api/v1/campaigns/{campaign.pk}"
    agreement = api.get(f"{base}/agreement/?bootstrap=200").json()
    assert agreement["result"]["alpha"] is not None
    assert 0.2 < agreement["result"]["alpha"] < 1
    raters = api.get(f"{base}/raters/").json()["results"]
    assert len(raters) == len(SIMULATED_RATERS)
    assert all(row["mean_deviation"] is not None for row in raters)
    units = api.get(f"{base}/units/?ordering=-disagreement").json()
    assert units["count"] > 50
    discrepancy = api.get(f"{base}/discrepancy/?by=endpoint").json()
    assert {row["endpoint"] for row in discrepancy["groups"]} == {"Mock alpha", "Mock beta"}
    assert all(row["mean_difference"] is not None for row in discrepancy["groups"])
    review = api.get(f"{base}/discrepancy/?source=self_review").json()
    assert review["items"] and review["n"] > 0
    profiles = api.get(f"/api/v1/runs/{run.pk}/profiles/").json()
    assert len(profiles["holland"]) == 4 and all(row["code"] for row in profiles["holland"])
    assert all(row["mean"] is not None for row in profiles["areas"])
    mixed = api.get(f"/api/v1/runs/{run.pk}/mixed-model/").json()
    assert mixed["result"] is not None and mixed["coefficients"]

    # Every simulated rating is marked in the export, and no other.
    export = api.get(f"{base}/ratings/?format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    by_simulated = {row["rating_id"]: row["simulated"] for row in rows}
    assert len(rows) == simulated.count()
    assert {by_simulated[str(pk)] for pk in simulated.values_list("pk", flat=True)} == {"True"}

    # The pages that show ratings say that some are simulated.
    browser = Client()
    browser.login(username="researcher", password=_demo_password("researcher"))
    for page in (
        "/dashboards/",
        f"/dashboards/campaigns/{campaign.pk}/agreement/",
        f"/dashboards/campaigns/{campaign.pk}/discrepancy/",
        f"/dashboards/runs/{run.pk}/profile/",
    ):
        response = browser.get(page)
        assert response.status_code == 200, page
        if "campaigns" in page or page == "/dashboards/":
            assert "simulated" in response.content.decode(), page
    admin = Client()
    admin.login(username="admin", password=_demo_password("admin"))
    progress_page = admin.get(f"/ratings/campaigns/{campaign.pk}/progress/").content.decode()
    assert 'id="simulated-ratings"' in progress_page
    assert progress_page.count("simulated ratings</span>") == len(SIMULATED_RATERS)


def _demo_password(username: str) -> str:
    """Demo passwords are printed once; the test sets a known one instead."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    user.set_password(f"{username}-known-pw-1")
    user.save()
    return f"{username}-known-pw-1"
