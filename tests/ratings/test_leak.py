"""Blindness: nothing an expert can reach names the model, endpoint, run, trial or replication,
or shows another expert's rating.

Every page, JSON answer, redirect and error an expert can get for a campaign built from
endpoints with distinctive names is collected and searched.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import get_resolver
from rest_framework.test import APIClient

from llmruns.models import ModelEndpoint, Trial
from ratings.models import Assignment, Panel, Rating, Unit
from ratings.services import (
    assignment_skip,
    campaign_create,
    draft_save,
    rating_revise,
    rating_submit,
)
from tests.ratings.conftest import LEAKY_NAMES, RUN_NAME, queue_codes

pytestmark = pytest.mark.django_db

OTHER_COMMENTS = ("ETHAN-PRIVATE-NOTE-93", "ESME-PRIVATE-NOTE-71", "ETHAN-OLD-REVISION-55")
# Identifiers an expert must never see next to a number.
ID_CONTEXT = r"(?:trial|run|unit|assignment|endpoint|campaign|replication|item|rating|pk|id)"


@pytest.fixture
def rated_by_others(campaign, expert2, expert3):
    """The other two experts have rated every unit, with comments only they should see."""
    for assignment in Assignment.objects.filter(campaign=campaign, expert__user=expert2):
        rating_submit(assignment=assignment, value=2, comment=OTHER_COMMENTS[2], flags=["unsafe"])
        rating_revise(assignment=assignment, value=5, comment=OTHER_COMMENTS[0])
    for assignment in Assignment.objects.filter(campaign=campaign, expert__user=expert3):
        rating_submit(assignment=assignment, value=1, comment=OTHER_COMMENTS[1])
    return campaign


@pytest.fixture
def foreign_codes(finished_run, expert2) -> list[str]:
    """Units of a campaign in which expert1 has no assignment at all."""
    solo = Panel.objects.create(name="Ethan alone")
    solo.experts.set([expert2.expert])
    foreign = campaign_create(
        skip_review=True,
        name="Foreign",
        run=finished_run,
        panel=solo,
        raters_per_unit=1,
        languages=["en"],
    )
    return list(foreign.units.values_list("blind_code", flat=True))


def _expert_responses(
    client: Client, *, user, campaign_id: int, codes: list[str], foreign: list[str]
) -> Iterator[tuple]:
    """(what, response) for everything expert1 can reach, touching every kind of request."""
    yield "home", client.get("/")
    yield "queue", client.get("/rate/")
    for code in codes:
        yield f"unit {code}", client.get(f"/rate/{code}/")
    first, second, third, fourth = codes[:4]
    yield "draft", client.post(f"/rate/{first}/draft/", {"value": "3", "comment": "mine"})
    submission = {"value": "4", "comment": "my own", "submission_id": str(uuid.uuid4())}
    yield "submit", client.post(f"/rate/{first}/submit/", submission)
    yield "resubmit", client.post(f"/rate/{first}/submit/", submission)
    yield "revise page", client.get(f"/rate/{first}/")
    yield "bad submit", client.post(f"/rate/{second}/submit/", {"value": "8"})
    yield "skip", client.post(f"/rate/{second}/skip/", {"skip_reason": "other"})
    yield "bad skip", client.post(f"/rate/{third}/skip/", {})
    yield "plain post", client.post(f"/rate/{third}/", {**submission, "action": "submit"})
    yield "plain error", client.post(f"/rate/{fourth}/", {"action": "submit", "value": "x"})
    yield "queue after", client.get("/rate/")
    for code in foreign[:3]:
        yield f"foreign {code}", client.get(f"/rate/{code}/")
        yield f"foreign submit {code}", client.post(f"/rate/{code}/submit/", submission)
        yield f"foreign draft {code}", client.post(f"/rate/{code}/draft/", {"value": "3"})
    yield "chinese queue", client.get("/rate/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/rate/"})
    for code in codes[:6]:
        yield f"chinese unit {code}", client.get(f"/rate/{code}/")
    # The review gate's pages and endpoints: study admins only.
    yield "review page", client.get(f"/ratings/campaigns/{campaign_id}/review/")
    yield (
        "review post",
        client.post(f"/ratings/campaigns/{campaign_id}/review/", {"action": "open"}),
    )
    api = APIClient()
    api.force_login(user)
    for url in (
        "/api/v1/campaigns/",
        f"/api/v1/campaigns/{campaign_id}/",
        f"/api/v1/campaigns/{campaign_id}/review/",
        f"/api/v1/campaigns/{campaign_id}/review/?all=1",
    ):
        yield f"api {url}", api.get(url)
    yield "api review unit", api.post(f"/api/v1/campaigns/{campaign_id}/review/{first}/", {})
    yield "api open", api.post(f"/api/v1/campaigns/{campaign_id}/open/", {"skip_review": True})
    # Every other route of the site, with the ids of this study filled in: the API (session
    # authentication), the dashboards, the study pages and the admin are refused.
    for url in _routes_outside_the_experts_pages(campaign_id, first):
        yield f"refused GET {url}", (api if url.startswith("/api/") else client).get(url)
        if url.startswith("/api/"):
            yield f"refused POST {url}", api.post(url, {})
            yield f"refused PATCH {url}", api.patch(url, {"name": "mine"}, format="json")
            yield f"refused DELETE {url}", api.delete(url)
            yield f"refused csv {url}", api.get(url, {"format": "csv"})
            yield f"refused OPTIONS {url}", api.options(url)
            yield f"refused browsable {url}", client.get(url, HTTP_ACCEPT="text/html")
    password = "a long enough password 93"
    user.set_password(password)
    user.save()
    login = Client()
    yield (
        "admin login",
        login.post("/admin/login/?next=/admin/", {"username": user.username, "password": password}),
    )
    yield "refused GET admin after login", login.get("/admin/")


# Pages of the site an expert may use, or that hold no study data (sign-in, the language
# switch, the API's own description); everything else an expert is refused.
EXPERT_OR_PUBLIC_ROUTES = re.compile(
    r"^/(?:|rate/.*|accounts/.*|i18n/.*|account/tokens/|api/v1/|api/v1/(?:schema|docs|redoc)/)$"
)


def _routes_outside_the_experts_pages(campaign_id: int, blind_code: str) -> list[str]:
    """Each route of the URL configuration, its parameters filled with this study's ids."""

    def walk(patterns, prefix: str) -> Iterator[str]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, route)
            else:
                yield "/" + route

    endpoint = ModelEndpoint.objects.order_by("pk").first().pk
    run = Trial.objects.order_by("pk").first().run_id
    item = Trial.objects.order_by("pk").first().item_id
    instrument = Trial.objects.order_by("pk").first().item.instrument_id
    values = {"endpoints": endpoint, "runs": run, "items": item, "instruments": instrument}
    urls = []
    for route in walk(get_resolver().url_patterns, ""):
        collection = route.split("/")[3] if route.startswith("/api/v1/") else ""
        route = re.sub(r"\(\?P<blind_code>[^)]*\)|<str:blind_code>", blind_code, route)
        route = re.sub(r"<int:run_id>", str(run), route)
        route = re.sub(
            r"\(\?P<pk>[^)]*\)|<int:pk>|<int:campaign_id>",
            str(values.get(collection, campaign_id)),
            route,
        )
        # The admin: its index and the change list of each model are enough.
        if route.startswith("/admin/") and route.count("/") not in (2, 4):
            continue
        if "<" in route or "(?P" in route or EXPERT_OR_PUBLIC_ROUTES.match(route):
            continue
        urls.append(route)
    return sorted(set(urls)) + [f"/api/v1/runs/{run}/?format=json"]


def _text(response) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return headers + "\n" + response.content.decode()


@pytest.mark.slow
def test_nothing_an_expert_can_reach_reveals_models_runs_ids_or_other_ratings(
    rated_by_others, foreign_codes, expert1, expert2, expert3, finished_run
):
    client = Client()
    client.force_login(expert1)
    codes = queue_codes(expert1)
    # Units everyone was given in one queue: expert1 alone must not see the others' ratings.
    draft_save(
        assignment=Assignment.objects.get(expert__user=expert1, unit__blind_code=codes[5]), value=2
    )
    assignment_skip(
        assignment=Assignment.objects.get(expert__user=expert1, unit__blind_code=codes[6]),
        reason="language",
    )
    # Another expert flags the last unit of expert1's queue: withheld from expert1, a 404.
    flagged = codes[-1]
    rating_revise(
        assignment=Assignment.objects.get(expert__user=expert3, unit__blind_code=flagged),
        value=1,
        flags=["identifies_model"],
    )
    assert flagged not in client.get("/rate/").content.decode()
    assert client.get(f"/rate/{flagged}/").status_code == 404

    forbidden = [
        *LEAKY_NAMES,
        RUN_NAME,
        "Pilot campaign",
        "Foreign",
        *OTHER_COMMENTS,
        expert2.username,
        expert3.username,
        expert2.expert.pseudonym,
        expert3.expert.pseudonym,
        "replication",
    ]
    sensitive_ids = {
        *Trial.objects.values_list("pk", flat=True),
        *Unit.objects.values_list("pk", flat=True),
        *Assignment.objects.values_list("pk", flat=True),
        *Rating.objects.values_list("pk", flat=True),
        *ModelEndpoint.objects.values_list("pk", flat=True),
        finished_run.pk,
        rated_by_others.pk,
    }
    own_codes = set(codes)
    allowed_url = re.compile(
        r"^(?:/|/rate/|/rate/(?P<code>[A-Z0-9]{10})/(?:draft/|submit/|skip/)?|"
        r"/static/[\w./-]+|/accounts/logout/|/(?:admin|accounts)/login/\?next=[\w%/.-]*|"
        r"/admin/|/admin/login/|#[\w-]*|/i18n/setlang/|"
        # The empty icon of every page (base.html), which names nothing.
        r"data:,|"
        # The browsable API's breadcrumbs and format links on the pages it refuses.
        r"/api/v1/[\w/-]*(?:\?format=\w+)?)$"
    )
    allowed_data_attributes = {
        "data-blind-code",
        "data-value",
        "data-draft-url",
        "data-submit-url",
        "data-skip-url",
        "data-queue-url",
        "data-login-url",
        "data-done",
        "data-skipped",
        "data-left",
        # The admin's sign-in page, which an expert may open but not pass, and the browsable
        # API's page that refuses them.
        "data-admin-utc-offset",
        "data-toggle",
    }

    seen = 0
    responses = _expert_responses(
        client, user=expert1, campaign_id=rated_by_others.pk, codes=codes, foreign=foreign_codes
    )
    for what, response in responses:
        seen += 1
        if what.startswith("refused csv") and response.status_code == 400:
            # A format the resource does not offer is refused before the permissions are
            # checked (DRF negotiates first); the answer names the formats, and nothing else.
            assert set(response.json()) == {"format"}, what
        elif what.startswith("refused"):
            # Refused, or sent to sign in as someone else: never served.
            assert response.status_code in (302, 403, 404, 405, 406), (
                f"{what}: {response.status_code}"
            )
            if response.status_code == 302:
                assert "/login/" in response["Location"], f"{what}: {response['Location']}"
        if what == "admin login":
            # The sign-in form comes back: an expert is no staff member.
            assert response.status_code == 200, what
        text = _text(response)
        folded = text.casefold()
        for needle in forbidden:
            assert needle.casefold() not in folded, f"{what} shows {needle!r}"
        for number in sensitive_ids:
            pattern = rf"(?i)\b{ID_CONTEXT}(?:_?id)?[\"']?\s*[=:/#]?\s*[\"']?{number}\b"
            assert not re.search(pattern, text), f"{what} shows an id next to {number}"
        if response.status_code == 404:
            # The page links the queue, but never repeats the unit address that was asked for.
            assert not re.search(r"/rate/\w", response.content.decode()), what
        for url in re.findall(r'(?:href|action|src|data-[a-z-]+-url)="([^"]*)"', text):
            match = allowed_url.match(url)
            assert match, f"{what} links to {url!r}"
            assert match.group("code") in (None, *own_codes), f"{what} links to {url!r}"
        for url in re.findall(r'"next_url":\s*"([^"]*)"', text) + re.findall(
            r"^Location: (.*)$", text, flags=re.MULTILINE
        ):
            match = allowed_url.match(url)
            assert match and match.group("code") in (None, *own_codes), f"{what}: {url!r}"
        attributes = set(re.findall(r"\s(data-[a-z-]+)=", text))
        assert attributes <= allowed_data_attributes, f"{what} has {attributes}"
        if response.get("Content-Type", "").startswith("application/json"):
            body = response.json()
            keys = {"status", "revision", "next_url", "saved_at", "errors", "detail"}
            if what.startswith("refused csv"):
                keys.add("format")
            assert set(body) <= keys, what
    assert seen > 200


def test_unit_pages_show_only_the_experts_own_rating(rated_by_others, expert1):
    client = Client()
    client.force_login(expert1)
    code = queue_codes(expert1)[0]
    html = client.get(f"/rate/{code}/").content.decode()
    # expert2 rated this very unit 5 (revision 2); expert1 has not rated it.
    assert "You rated this unit" not in html and " checked" not in html
    rating_submit(
        assignment=Assignment.objects.get(expert__user=expert1, unit__blind_code=code), value=3
    )
    html = client.get(f"/rate/{code}/").content.decode()
    assert "You rated this unit <strong>3</strong> (revision 1)" in html


def test_queue_order_is_the_stored_shuffle_not_the_order_of_trials_or_models(campaign, expert1):
    by_position = list(
        Assignment.objects.filter(expert__user=expert1)
        .order_by("position")
        .values_list("unit__trial_id", "unit__trial__endpoint_id")
    )
    client = Client()
    client.force_login(expert1)
    html = client.get("/rate/").content.decode()
    listed = re.findall(r'<td><a href="/rate/([A-Z0-9]+)/">', html)
    assert listed == queue_codes(expert1)
    trial_order = [trial for trial, _endpoint in by_position]
    assert trial_order != sorted(trial_order)
    endpoint_order = [endpoint for _trial, endpoint in by_position]
    assert endpoint_order != sorted(endpoint_order)
    assert listed != sorted(listed)


def test_queue_blocks_do_not_pair_the_models(campaign, expert1, expert2, expert3):
    """Were positions 1-2, 3-4, ... always one unit of each of the two endpoints, an expert
    would know both units of a block come from different models and, with each task answered
    by both models, could split the whole queue into the two models' units."""
    blocks = 0
    mixed = 0
    for user in (expert1, expert2, expert3):
        endpoints = list(
            Assignment.objects.filter(campaign=campaign, expert__user=user)
            .order_by("position")
            .values_list("unit__trial__endpoint_id", flat=True)
        )
        for start in range(0, len(endpoints), 2):
            blocks += 1
            mixed += endpoints[start] != endpoints[start + 1]
    # In an unbalanced random order about half would be mixed; a leak is all of them.
    assert mixed / blocks < 0.9


REASONING = "The user wants a plan. My house style is to number every step and sign off."


def reasoning_text(endpoint, *, language: str, item_number: int) -> str:
    """A reasoning model that returns its reasoning inline, before the answer."""
    return f"<think>\n{REASONING}\n</think>\n\nPlan for task {item_number}: measure twice."


def test_an_inline_reasoning_block_never_reaches_the_expert(
    instrument, model_endpoints, panel, expert1
):
    """`<think>` blocks mark a reasoning model and are not part of the answer being rated."""
    from tests.ratings.conftest import build_run

    run = build_run(instrument, model_endpoints, languages=["en"], text=reasoning_text)
    campaign = campaign_create(
        skip_review=True, name="Reasoning", run=run, panel=panel, raters_per_unit=1
    )
    texts = dict(campaign.units.values_list("trial__item__number", "text_redacted"))
    assert texts[1] == "Plan for task 1: measure twice."
    client = Client()
    client.force_login(expert1)
    for code in queue_codes(expert1):
        html = client.get(f"/rate/{code}/").content.decode()
        assert "think&gt;" not in html and "house style" not in html
    # The original, reasoning and all, stays with the trial for admins and researchers.
    assert Trial.objects.filter(run=run, text__startswith="<think>").count() == 24


def test_a_namespaced_model_id_is_redacted_as_the_model_writes_it(instrument, panel, expert1):
    """Served model ids carry a namespace or a tag ("org/model", "model:free"); a model names
    itself without them, and the name must go all the same, listed or not."""
    endpoint = ModelEndpoint.objects.create(
        name="Local chat",
        model="acme-labs/quokka-13b-chat:free",
        provider="vLLM",
        base_url="http://127.0.0.1:9/v1",
    )

    def text(endpoint, *, language: str, item_number: int) -> str:
        return f"Quokka-13B-Chat recommends, for task {item_number}: measure twice."

    from tests.ratings.conftest import build_run

    run = build_run(instrument, [endpoint], languages=["en"], text=text)
    campaign = campaign_create(skip_review=True, name="Local", run=run, panel=panel)
    for text_shown in campaign.units.values_list("text_redacted", flat=True):
        assert "quokka" not in text_shown.casefold()
