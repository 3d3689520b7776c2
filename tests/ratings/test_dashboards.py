"""Researchers' dashboards: plots with their tables and CSV links, roles, constant queries."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tests.ratings.stats_builders import (
    add_units,
    build_rated_campaign,
    make_endpoint,
    make_run,
    make_trials,
)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _cell(item: int, replication: int = 1):
    return ("Model-A", "en", item, replication)


@pytest.fixture
def study(instrument):
    """A campaign of 6 units rated by 3 experts (one lenient), self-assessments and interest."""
    truth = {_cell(item): 1 + item % 4 for item in range(1, 7)}
    built = build_rated_campaign(
        instrument,
        ratings={
            "E-FAIRAA": dict(truth),
            "E-FAIRBB": dict(truth),
            "E-LENIEN": {cell: value + 1 for cell, value in truth.items()},
        },
    )
    make_trials(
        built.run,
        kind="self_competence",
        values=dict.fromkeys(truth, 3),
        endpoints=built.endpoints,
    )
    make_trials(
        built.run,
        kind="interest",
        values={_cell(item): 1 + item % 5 for item in range(1, 61)},
        endpoints=built.endpoints,
    )
    return built


@pytest.fixture
def researcher_client(researcher) -> Client:
    client = Client()
    client.force_login(researcher)
    return client


def _csv_links(html: str) -> list[str]:
    return [
        link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+format=csv[^"]*)"', html)
    ]


@pytest.mark.django_db
def test_index_lists_runs_and_campaigns_in_a_constant_number_of_queries(
    researcher_client, study, instrument, django_assert_num_queries
):
    # Queries: the user, the user's role groups, whether the user is an expert (navigation),
    # the runs, the campaigns with their run and simulated-rating count, the instruments (for
    # their attribution). The session comes from the cache.
    with django_assert_num_queries(6):
        response = researcher_client.get("/dashboards/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Statistics run" in html and "Statistics campaign" in html
    assert f"/dashboards/runs/{study.run.pk}/profile/" in html
    assert f"/dashboards/campaigns/{study.campaign.pk}/agreement/" in html
    assert f"/api/v1/campaigns/{study.campaign.pk}/package/" in html

    endpoint = make_endpoint("Model-Z")
    for index in range(5):
        make_run(instrument, [endpoint], name=f"Extra run {index}")
    with django_assert_num_queries(6):
        response = researcher_client.get("/dashboards/")
    assert response.content.decode().count("/profile/") == 6


@pytest.mark.django_db
def test_run_profile_page_draws_the_profile_with_its_table_and_csv(
    researcher_client, study, django_assert_num_queries
):
    url = f"/dashboards/runs/{study.run.pk}/profile/"
    # Queries: user, role groups, the run, its data version, its interest trials, whether the
    # user is an expert (navigation). The session comes from the cache.
    with django_assert_num_queries(6):
        response = researcher_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 1 and 'role="img"' in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "Social" in svg and "Model-A · English" in svg  # area and series labels as SVG text
    assert "Holland code" in html and "Mean area score (0-40)" in html
    links = _csv_links(html)
    assert len(links) == 2
    csv = researcher_client.get(links[0])
    assert csv.status_code == 200
    assert csv.content.decode().splitlines()[0].startswith("endpoint,language,area")

    make_trials(
        study.run,
        kind="interest",
        values={_cell(item, replication=2): 3 for item in range(1, 61)},
        endpoints=study.endpoints,
    )
    cache.clear()
    # The cache was cleared: the session is read from the database again.
    with django_assert_num_queries(7):
        assert researcher_client.get(url).status_code == 200


@pytest.mark.django_db
def test_agreement_page_shows_alpha_with_ci_and_the_flagged_expert(
    researcher_client, study, django_assert_num_queries
):
    url = f"/dashboards/campaigns/{study.campaign.pk}/agreement/"
    # Queries: user, role groups, the campaign with its run; for agreement the data version,
    # ratings, assignment counts, unit count and scale values; the same five for the raters;
    # whether the user is an expert (navigation). The session comes from the cache.
    with django_assert_num_queries(14):
        response = researcher_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 2
    assert "All units" in html and "E-LENIEN" in html
    rows = re.findall(r"<tr><td>(E-[A-Z]+)</td>(.*?)</tr>", html, flags=re.S)
    flagged = {name for name, cells in rows if cells.rstrip().endswith("<td>yes</td>")}
    assert flagged == {"E-LENIEN"}
    for link in _csv_links(html):
        assert researcher_client.get(link).status_code == 200, link

    add_units(
        study,
        {
            pseudonym: {_cell(item): 3 for item in range(7, 30)}
            for pseudonym in ("E-FAIRAA", "E-FAIRBB", "E-LENIEN")
        },
    )
    cache.clear()
    # The cache was cleared: the session is read from the database again.
    with django_assert_num_queries(15):
        assert researcher_client.get(url).status_code == 200
    nominal = researcher_client.get(url + "?level=nominal").content.decode()
    assert "nominal" in nominal and 'aria-current="true">nominal' in nominal


@pytest.mark.django_db
def test_discrepancy_page_plots_self_against_expert_per_item(
    researcher_client, study, django_assert_num_queries
):
    url = f"/dashboards/campaigns/{study.campaign.pk}/discrepancy/"
    # Queries: user, role groups, the campaign with its run, the campaign's and the run's data
    # versions, the ratings, assignment counts, unit count, the campaign's endpoints, the
    # self-assessments, the interest answers (alignment), whether the user is an expert
    # (navigation). The session comes from the cache.
    with django_assert_num_queries(12):
        response = researcher_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 1
    assert "Expert competence" in html and "Self-assessed competence" in html
    item_rows = re.findall(
        r"<tr><td>Model-A</td><td>English</td><td>(\d+)</td><td>[RIASEC]</td>", html
    )
    assert sorted(map(int, item_rows)) == [1, 2, 3, 4, 5, 6]
    assert len(_csv_links(html)) == 3
    assert "table=alignment" in html
    alignment = re.findall(
        r"<tr><td>Model-A</td><td>English</td><td>(Experts|Self-assessed competence)</td><td>(\d+)</td>",
        html,
    )
    assert sorted(alignment) == [("Experts", "6"), ("Self-assessed competence", "6")]
    review = researcher_client.get(url + "?source=self_review").content.decode()
    assert "No item has both a self-assessment and an expert rating yet." in review


@pytest.mark.django_db
def test_dashboards_refuse_experts_and_send_visitors_to_the_login(expert1, study):
    pages = [
        "/dashboards/",
        f"/dashboards/runs/{study.run.pk}/profile/",
        f"/dashboards/campaigns/{study.campaign.pk}/agreement/",
        f"/dashboards/campaigns/{study.campaign.pk}/discrepancy/",
    ]
    expert = Client()
    expert.force_login(expert1)
    for page in pages:
        assert expert.get(page).status_code == 403, page
        visitor = Client().get(page)
        assert visitor.status_code == 302 and "/accounts/login/" in visitor["Location"]


@pytest.mark.django_db
def test_bad_parameters_and_unknown_ids_on_dashboards(researcher_client, study):
    agreement = researcher_client.get(
        f"/dashboards/campaigns/{study.campaign.pk}/agreement/?level=fuzzy"
    )
    assert agreement.status_code == 400
    assert "nominal, ordinal, interval, ratio" in agreement.content.decode()
    assert researcher_client.get("/dashboards/campaigns/987654/agreement/").status_code == 404
    assert researcher_client.get("/dashboards/runs/987654/profile/").status_code == 404


@pytest.mark.django_db
def test_dashboards_render_in_chinese(researcher_client, study):
    researcher_client.cookies["django_language"] = "zh-hans"
    response = researcher_client.get(f"/dashboards/campaigns/{study.campaign.pk}/agreement/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    # The levels of measurement are named in Chinese; the links keep the API's codes.
    assert 'href="?level=nominal">定类</a>' in html and 'aria-current="true">定序</a>' in html
    assert ">nominal</a>" not in html and ">ordinal</a>" not in html


@pytest.mark.django_db
def test_exclusions_are_shown_in_the_page_language_and_served_as_english_codes(
    researcher_client, study
):
    from llmruns.models import Trial
    from ratings.models import Assignment

    Trial.objects.filter(run=study.run, kind="interest", item__number=7).update(
        status="failed", value=None
    )
    Assignment.objects.filter(pk=next(iter(study.assignments.values())).pk).update(
        status="skipped", skip_reason="outside_expertise"
    )
    profile = f"/dashboards/runs/{study.run.pk}/profile/"
    agreement = f"/dashboards/campaigns/{study.campaign.pk}/agreement/"

    english = researcher_client.get(profile).content.decode()
    assert "interest: trial failed: 1 answers" in english
    assert "assignment skipped (Outside my expertise): 1 assignments" in (
        researcher_client.get(agreement).content.decode()
    )

    researcher_client.cookies["django_language"] = "zh-hans"
    chinese = researcher_client.get(profile).content.decode()
    assert "兴趣：试次失败：1 个回答" in chinese
    assert "trial failed" not in chinese and "1 answers" not in chinese
    chinese = researcher_client.get(agreement).content.decode()
    assert "已跳过的分配（超出我的专业领域）：1 个分配" in chinese
    assert "assignment skipped" not in chinese

    # The API keeps the codes, whatever the language.
    body = researcher_client.get(f"/api/v1/runs/{study.run.pk}/profiles/").json()
    failed = {"reason": "interest: trial failed", "count": 1, "of": "answers", "status": "failed"}
    assert failed in body["exclusions"]


@pytest.mark.django_db
def test_home_sends_researchers_to_the_dashboards(researcher_client, expert1):
    assert researcher_client.get("/")["Location"] == "/dashboards/"
    expert = Client()
    expert.force_login(expert1)
    assert 'href="/dashboards/"' not in expert.get("/", follow=True).content.decode()


@pytest.mark.django_db
def test_campaign_notes_are_shown_in_the_page_language_and_served_in_english(
    researcher_client, study, instrument
):
    # Every expert gives every unit the same rating: alpha is undefined for lack of variation.
    same = {_cell(item): 3 for item in range(1, 4)}
    constant = build_rated_campaign(
        instrument,
        ratings={"E-SAMEAA": dict(same), "E-SAMEBB": dict(same)},
        name="Constant campaign",
    )
    agreement = f"/dashboards/campaigns/{constant.campaign.pk}/agreement/"
    discrepancy = f"/dashboards/campaigns/{study.campaign.pk}/discrepancy/"
    no_review = f"{discrepancy}?source=self_review"
    # The self-assessments are all 3: Spearman's rho is undefined in the tables' note columns.
    constant_note = "Spearman&#x27;s rho undefined: one of the variables is constant"

    english = researcher_client.get(agreement).content.decode()
    assert "<li>alpha undefined: no variation</li>" in english
    assert "<td>no variation</td>" in english
    assert constant_note in researcher_client.get(discrepancy).content.decode()
    english = researcher_client.get(no_review).content.decode()
    assert "<li>no item has both a self-assessment and an expert rating</li>" in english
    assert "<li>6 item(s) excluded: no self-assessment</li>" in english

    researcher_client.cookies["django_language"] = "zh-hans"
    chinese = researcher_client.get(agreement).content.decode()
    assert "<li>alpha 无定义：没有变异</li>" in chinese
    assert "<td>没有变异</td>" in chinese
    assert "no variation" not in chinese
    chinese = researcher_client.get(discrepancy).content.decode()
    assert "Spearman&#x27;s rho 无定义：其中一个变量为常数" in chinese
    assert constant_note not in chinese
    chinese = researcher_client.get(no_review).content.decode()
    assert "<li>没有题目同时具有自评和专家评分</li>" in chinese
    assert "<li>排除了 6 个题目：没有自评</li>" in chinese
    assert "no item has both" not in chinese and "item(s) excluded" not in chinese

    # The API keeps the English notes, whatever the language.
    body = researcher_client.get(f"/api/v1/campaigns/{constant.campaign.pk}/agreement/").json()
    assert body["notes"] == ["alpha undefined: no variation"]
    assert body["result"]["reason"] == "no variation"
    body = researcher_client.get(
        f"/api/v1/campaigns/{study.campaign.pk}/discrepancy/?source=self_review"
    ).json()
    assert "no item has both a self-assessment and an expert rating" in body["notes"]
    assert "6 item(s) excluded: no self-assessment" in body["notes"]
    body = researcher_client.get(f"/api/v1/campaigns/{study.campaign.pk}/discrepancy/").json()
    assert any(
        "Spearman's rho undefined: one of the variables is constant" in (row["note"] or "")
        for row in body["groups"]
    )
