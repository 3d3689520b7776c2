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
    assert "Model-B · English · Verbal answer" in svg  # the response-style plot labels its cells
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


@pytest.fixture
def flagged_run(instrument):
    """Model-A answers items 1-12 in four replications: higher under the reversed scale
    direction (replications 2 and 4) and under template 2 (replications 3 and 4), by one or two
    points. Model-B answers 5 to every item verbally in two replications (acquiescent and
    straight-lining) and 3 or 4 with the structured method."""
    model_a, model_b = make_endpoint("Model-A"), make_endpoint("Model-B")
    run = make_run(instrument, [model_a, model_b], kinds=("interest",), replications=4)
    for replication in (1, 2, 3, 4):
        reversed_scale, template = replication % 2 == 0, 1 if replication <= 2 else 2
        add_trials(
            run,
            model_a,
            [
                (
                    item,
                    replication,
                    1 + (1 + item % 2) * reversed_scale + (1 + item // 2 % 2) * (template == 2),
                    "ok",
                )
                for item in range(1, 13)
            ],
            scale_reversed=reversed_scale,
            template_variant=template,
        )
    for replication in (1, 2):
        add_trials(run, model_b, [(item, replication, 5, "ok") for item in range(1, 13)])
        add_trials(
            run,
            model_b,
            [(item, replication, 3 + item % 2, "ok") for item in range(1, 13)],
            method="structured",
        )
    return run


@pytest.mark.django_db
def test_the_diagnostics_names_findings_and_values_are_shown_in_the_page_language(
    researcher, flagged_run
):
    client = _client(researcher)
    url = f"/dashboards/runs/{flagged_run.pk}/diagnostics/"
    english_cells = [
        "<td>acquiescence</td>",
        "<td>acquiescent: mean agreement 5.00, +2.00 from the midpoint (threshold 0.5)</td>",
        "<td>straight-lining</td>",
        "<td>2 of 2 respondent(s) gave one value to every item</td>",
        "<td>scale direction</td>",
        "<td>reversed - normal: +1.50 [+1.17, +1.83] over 12 items</td>",
        "<td>template</td>",
        "<td>template 2 - template 1: +1.50 [+1.17, +1.83] over 12 items</td>",
        "<td>method</td>",
        "<td>structured - verbal: -1.50 [-1.83, -1.17]; Holland ",
        "<td>reversed - normal</td>",
        "<td>template 2 - template 1</td>",
        "<td>replication</td>",
    ]
    english = client.get(url).content.decode()
    for cell in english_cells:
        assert cell in english

    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url).content.decode()
    for cell in [
        "<td>默许倾向</td>",
        "<td>默许型：平均认同度 5.00，距中点 +2.00（阈值 0.5）</td>",
        "<td>默许型</td>",
        "<td>直线作答</td>",
        "<td>2 个答题者中有 2 个对每道题目都给出了同一个值</td>",
        "<td>量尺方向</td>",
        "<td>反向 - 正向：+1.50 [+1.17, +1.83]，共 12 个题目</td>",
        "<td>模板</td>",
        "<td>模板 2 - 模板 1：+1.50 [+1.17, +1.83]，共 12 个题目</td>",
        "<td>方法</td>",
        "<td>structured - verbal：-1.50 [-1.83, -1.17]；霍兰德代码 ",
        "<td>反向 - 正向</td>",
        "<td>模板 2 - 模板 1</td>",
        "<td>重复</td>",
        "Model-A · 英文 · 文字回答: 反向 - 正向",  # the presentation effects' plot
    ]:
        assert cell in chinese
    for fragment in [
        *english_cells,
        "mean agreement",
        "respondent(s)",
        "reversed - normal",
        "template 2 - template 1",
        ">acquiescent<",
        "over 12 items",
    ]:
        assert fragment not in chinese

    # The API and its CSV keep the English names and findings, whatever the language.
    body = client.get(f"/api/v1/runs/{flagged_run.pk}/diagnostics/").json()
    assert {flag["diagnostic"] for flag in body["flags"]} == {
        "acquiescence",
        "straight-lining",
        "scale direction",
        "template",
        "method",
    }
    assert "2 of 2 respondent(s) gave one value to every item" in {
        flag["detail"] for flag in body["flags"]
    }
    assert {row["contrast"] for row in body["presentation_effects"]} == {
        "reversed - normal",
        "template 2 - template 1",
    }
    assert {row["facet"] for row in body["stability"]} == {"replication", "template"}
    assert "acquiescent" in {row["style"] for row in body["response_styles"]}


@pytest.mark.django_db
def test_factor_levels_show_in_the_pages_language(researcher, flagged_run):
    """Languages, methods and question kinds show by their labels, and a pooled factor as "all"
    ("全部" in Chinese); the API keeps the codes."""
    client = _client(researcher)
    url = f"/dashboards/runs/{flagged_run.pk}/diagnostics/"
    english = client.get(url + "?by=endpoint").content.decode()
    for cell in ["<td>all</td>", "<td>English</td>", "<td>Verbal answer</td>", "<td>Interest</td>"]:
        assert cell in english
    assert "<td>Structured (JSON schema)</td>" in english  # a method of the comparison table

    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url + "?by=endpoint").content.decode()
    for cell in ["<td>全部</td>", "<td>英文</td>", "<td>文字回答</td>", "<td>兴趣</td>"]:
        assert cell in chinese
    assert "<td>文字回答 / 结构化（JSON 模式）</td>" in chinese  # the method finding's two methods
    assert "Model-B · 英文 · 文字回答" in client.get(url).content.decode()  # a plot's cell
    for code in ["<td>all</td>", "<td>en</td>", "<td>verbal", "<td>interest</td>"]:
        assert code not in chinese

    body = client.get(f"/api/v1/runs/{flagged_run.pk}/diagnostics/?by=endpoint").json()
    assert ("all", "verbal / structured") in {
        (flag["language"], flag["method"]) for flag in body["flags"]
    }
    assert {row["method"] for row in body["answer_rates"]} == {"verbal", "structured"}
