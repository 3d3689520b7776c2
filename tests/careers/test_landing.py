"""Each role lands where its work is; the study overview shows progress and what needs attention."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ratings.models import Assignment, AssignmentStatus, Rating


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_each_role_is_sent_to_its_page(admin_user, researcher, expert1):
    assert _client(admin_user).get("/")["Location"] == "/overview/"
    assert _client(researcher).get("/")["Location"] == "/dashboards/"
    assert _client(expert1).get("/")["Location"] == "/rate/"
    nobody = get_user_model().objects.create_user("nora", password="nora-pw-12345")
    page = _client(nobody).get("/")
    assert page.status_code == 200 and 'id="no-role"' in page.content.decode()
    assert Client().get("/").status_code == 200  # the login form


@pytest.mark.django_db
def test_an_expert_with_nothing_to_rate_is_told_what_happens_next(expert1):
    page = _client(expert1).get("/rate/").content.decode()
    assert 'id="what-next"' in page and "When a study admin starts a rating campaign" in page


@pytest.mark.django_db
def test_researchers_dashboards_link_the_api_docs_and_tokens(researcher):
    page = _client(researcher).get("/dashboards/").content.decode()
    assert 'href="/api/v1/docs/"' in page and 'href="/account/tokens/"' in page


def rated_study_for_overview(suffix: str = "") -> dict:
    """A finished run with one failed trial; a campaign where one expert flagged a unit and the
    other has not started."""
    from careers.models import Instrument
    from careers.services import instrument_load_file
    from llmruns.models import ModelEndpoint, Run, Trial
    from ratings.models import Panel
    from ratings.services import campaign_create, rating_submit
    from tests.conftest import _expert
    from tests.ratings.conftest import build_run

    instrument = Instrument.objects.first() or instrument_load_file()
    endpoint = ModelEndpoint.objects.create(
        name=f"Model-O{suffix}",
        provider="acme",
        model=f"o{suffix}",
        base_url="http://127.0.0.1:9/v1",
    )
    run = build_run(instrument, [endpoint], languages=("en",), item_numbers=range(1, 5))
    Run.objects.filter(pk=run.pk).update(name=f"Overview run{suffix}")
    run.refresh_from_db()
    Trial.objects.filter(pk=Trial.objects.filter(run=run).first().pk).update(status="failed")
    busy = _expert(f"busy{suffix}").expert
    idle = _expert(f"idle{suffix}").expert
    panel = Panel.objects.create(name=f"Overview panel{suffix}")
    panel.experts.set([busy, idle])
    campaign = campaign_create(
        name=f"Overview campaign{suffix}",
        run=run,
        panel=panel,
        raters_per_unit=2,
        seed=1,
        skip_review=True,
    )
    assignment = campaign.assignments.filter(expert=busy).order_by("position").first()
    rating_submit(assignment=assignment, value=3, flags=["identifies_model"])
    return {"run": run, "campaign": campaign, "busy": busy, "idle": idle}


@pytest.mark.django_db
def test_the_overview_shows_progress_and_attention_in_constant_queries(
    admin_user, instrument, django_assert_num_queries
):
    study = rated_study_for_overview()
    client = _client(admin_user)
    # Queries: the session user (a superuser: no role-group query), the runs with their trial
    # counts, the campaigns with their counts, the units awaiting review, the flagged units, the
    # experts who have not started, whether the user is an expert (navigation).
    with django_assert_num_queries(7):
        page = client.get("/overview/").content.decode()
    assert study["run"].name in page and study["campaign"].name in page
    assert "attention-failed_trials" in page and "1 failed trial" in page
    assert "attention-flagged_units" in page and "1 unit flagged by experts" in page
    # The expert's flag put the unit back on the review list.
    assert "attention-units_awaiting_review" in page and "1 unit awaits review" in page
    assert "attention-experts_not_started" in page
    attention = page[page.index('id="attention"') : page.index('id="runs"')]
    assert study["idle"].pseudonym in attention and study["busy"].pseudonym not in attention

    # More runs, campaigns, flags and idle experts: the same number of queries.
    rated_study_for_overview(suffix="2")
    with django_assert_num_queries(7):
        page = client.get("/overview/").content.decode()
    assert page.count("attention-failed_trials") == 2
    assert Rating.objects.count() == 2
    assert Assignment.objects.filter(status=AssignmentStatus.PENDING).exists()


@pytest.mark.django_db
def test_the_overview_is_for_study_admins_only(researcher, expert1):
    assert _client(researcher).get("/overview/").status_code == 403
    assert _client(expert1).get("/overview/").status_code == 403
