"""The API's schema and its documentation pages are for those who may use the researcher API:
researchers and study admins. Experts rate blind and have no use for them."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/schema/"
PAGES = ["/api/v1/docs/", "/api/v1/redoc/"]


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("visitor", ["researcher", "admin_user"])
def test_researchers_and_study_admins_read_the_schema_and_its_pages(visitor, request):
    client = _client(request.getfixturevalue(visitor))
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/runs/" in response.json()["paths"]
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert SCHEMA in response.content.decode(), url


def test_an_expert_is_refused_the_schema_and_its_pages(expert1):
    client = _client(expert1)
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This resource is read-only, for researchers and study admins."
    }
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert "No access" in page and SCHEMA not in page, url


def test_an_anonymous_visitor_gets_the_apis_401_or_the_login_page():
    response = Client().get(SCHEMA, {"format": "json"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    for url in PAGES:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/login/?next={url}", url
