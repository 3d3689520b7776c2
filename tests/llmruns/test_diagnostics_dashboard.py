"""The run diagnostics dashboard: plots with their tables, CSV links, 403 for experts, 400 for
bad parameters, and a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tests.llmruns.test_diagnostics_api import add_trials
from tests.ratings.stats_builders import make_endpoint, make_run


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv_links(html: str) -> list[str]:
    return [
        link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+format=csv[^"]*)"', html)
    ]


@pytest.fixture
def acquiescent_run(instrument):
    """Model-A answers 2, 3, 4 in turn; Model-B the same plus one, with the scale reversed in
    replication 2 and 4 and an answer that ignores the reversal there."""
    endpoints = [make_endpoint("Model-A"), make_endpoint("Model-B")]
    run = make_run(instrument, endpoints, kinds=("interest",), replications=4)
    for endpoint, shift in zip(endpoints, (0, 1), strict=True):
        for replication in (1, 2, 3, 4):
            add_trials(
                run,
                endpoint,
                [(item, replication, 2 + item % 3 + shift, "ok") for item in range(1, 13)],
                scale_reversed=replication % 2 == 0,
            )
    return run


@pytest.mark.django_db
def test_diagnostics_page_draws_its_plots_with_tables_and_csv(
    researcher, acquiescent_run, django_assert_num_queries
):
    client = _client(researcher)
    url = f"/dashboards/runs/{acquiescent_run.pk}/diagnostics/"
    # Queries: user, role groups, the run, its data version, its trials, whether the user is an
    # expert (navigation). The session comes from the cache.
    with django_assert_num_queries(6):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 3
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "Model-B · en · verbal" in svg  # the response-style plot labels its cells
    assert "acquiescent: mean agreement 4.00" in html  # Model-B is flagged in the flags table
    assert "ICC(3,1)" in html and "Cronbach" in html
    links = _csv_links(html)
    assert len(links) == 7
    flags = client.get(links[0])
    assert flags.status_code == 200
    assert flags.content.decode().splitlines()[0] == "diagnostic,endpoint,language,method,detail"

    add_trials(
        acquiescent_run,
        make_endpoint("Model-C"),
        [(item, 1, 3, "ok") for item in range(1, 61)],
    )
    cache.clear()
    # The cache was cleared: the session is read from the database again.
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_index_links_to_the_diagnostics(researcher, acquiescent_run):
    html = _client(researcher).get("/dashboards/").content.decode()
    assert f"/dashboards/runs/{acquiescent_run.pk}/diagnostics/" in html


@pytest.mark.django_db
def test_bad_parameters_and_experts(researcher, expert1, acquiescent_run):
    url = f"/dashboards/runs/{acquiescent_run.pk}/diagnostics/"
    response = _client(researcher).get(url + "?by=area")
    assert response.status_code == 400 and "endpoint, language, method" in response.content.decode()
    assert _client(expert1).get(url).status_code == 403
