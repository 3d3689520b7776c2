"""The inventory's read API: authentication, roles, ?lang= and filters."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/items/", "/api/v1/instruments/"])
def test_anonymous_is_refused(url, instrument):
    response = APIClient().get(url)
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_expert_cannot_read_the_inventory_api(expert_api, instrument):
    assert expert_api.get("/api/v1/items/").status_code == 403


@pytest.mark.django_db
def test_items_in_chinese(researcher_api, instrument, django_assert_num_queries):
    # Queries: the user's role groups, count for pagination, the items page with instrument,
    # the prefetched texts in the asked language.
    with django_assert_num_queries(4):
        response = researcher_api.get("/api/v1/items/?lang=zh-hans&limit=100")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 60
    first = body["results"][0]
    assert first["number"] == 1 and first["area"] == "R" and first["language"] == "zh-hans"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in first["activity"])
    assert first["task"]


@pytest.mark.django_db
def test_items_default_to_english_and_filter_by_area_and_instrument(researcher_api, instrument):
    response = researcher_api.get("/api/v1/items/?area=S&instrument=oip-sf")
    body = response.json()
    assert body["count"] == 10
    assert {r["area"] for r in body["results"]} == {"S"}
    assert body["results"][0]["activity"] == "Teach an individual an exercise routine"


@pytest.mark.django_db
def test_unknown_language_is_a_400_naming_the_supported_ones(researcher_api, instrument):
    response = researcher_api.get("/api/v1/items/?lang=fr")
    assert response.status_code == 400
    message = response.json()["lang"][0]
    assert "'fr'" in message and "en" in message and "zh-hans" in message


@pytest.mark.django_db
def test_researcher_cannot_write_items(researcher_api, instrument):
    assert researcher_api.post("/api/v1/items/", {"number": 61}).status_code in (403, 405)


@pytest.mark.django_db
def test_instruments_list_counts_items(researcher_api, instrument, django_assert_num_queries):
    # Queries: the user's role groups, count, the page of instruments with their item count.
    with django_assert_num_queries(3):
        response = researcher_api.get("/api/v1/instruments/")
    result = response.json()["results"][0]
    assert result["slug"] == "oip-sf" and result["item_count"] == 60


@pytest.mark.django_db
def test_token_authentication_works(researcher, instrument):
    from careers.tokens import api_token_create

    _record, token = api_token_create(user=researcher)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/items/").status_code == 200


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_a_cdn(researcher_api, client, researcher):
    schema = researcher_api.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/items/" in schema.content
    client.force_login(researcher)
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_options_on_a_docs_page_lists_its_methods(client, researcher, path):
    client.force_login(researcher)
    response = client.options(path)
    assert response.status_code == 200
    assert {method.strip() for method in response["Allow"].split(",")} >= {"GET", "OPTIONS"}
