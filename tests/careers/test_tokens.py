"""Personal API tokens: hashed at rest, shown once, revocable, dead with a deactivated user."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from careers.tokens import api_token_create


def _api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.django_db
def test_a_token_is_stored_as_a_digest_only(researcher):
    record, token = api_token_create(user=researcher)
    assert token.startswith("vl_") and len(token) > 40
    stored = AuthToken.objects.get(pk=record.pk)
    assert token not in (stored.digest, stored.token_key)
    assert stored.token_key == token[:15]
    assert _api(token).get("/api/v1/runs/").status_code == 200


@pytest.mark.django_db
def test_tokens_of_a_deactivated_user_stop_working(researcher):
    _record, token = api_token_create(user=researcher)
    assert _api(token).get("/api/v1/runs/").status_code == 200
    researcher.is_active = False
    researcher.save()
    response = _api(token).get("/api/v1/runs/")
    assert response.status_code == 401
    assert _api("vl_not-a-real-token-at-all").get("/api/v1/runs/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    [
        "\x00",  # PostgreSQL failed the lookup (a 500)
        "vl_abc\x00def",
        "vl_\xff\xfe",  # a header's bytes that are not UTF-8: knox failed to decode them (a 500)
    ],
)
def test_a_token_that_no_token_could_be_is_a_401(researcher, token):
    api_token_create(user=researcher)
    response = _api(token).get("/api/v1/runs/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.django_db
def test_experts_get_no_token(expert1):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_create(user=expert1)
    client = Client()
    client.force_login(expert1)
    assert client.get("/account/tokens/").status_code == 403
    assert client.post("/account/tokens/", {"action": "create"}).status_code == 403
    assert not AuthToken.objects.exists()


@pytest.mark.django_db
def test_the_page_shows_a_new_token_once_and_revokes_it(researcher, django_assert_num_queries):
    client = Client()
    client.force_login(researcher)
    created = client.post("/account/tokens/", {"action": "create"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    token = re.search(r'<code id="new-token">([^<]+)</code>', created.content.decode()).group(1)
    assert _api(token).get("/api/v1/runs/").status_code == 200
    listing = client.get("/account/tokens/").content.decode()
    assert token not in listing and token[:15] in listing  # shown once, then only its start
    for _ in range(3):
        api_token_create(user=researcher)
    # Queries: the session user, the role groups, the tokens, whether the user is an expert
    # (navigation). Constant in the number of tokens.
    with django_assert_num_queries(4):
        assert client.get("/account/tokens/").status_code == 200
    revoked = client.post("/account/tokens/", {"action": "revoke", "key": token[:15]})
    assert revoked.status_code == 302
    assert _api(token).get("/api/v1/runs/").status_code == 401
    assert AuthToken.objects.filter(user=researcher).count() == 3
    # The limit is said in the page's language.
    for _ in range(7):
        api_token_create(user=researcher)
    client.cookies["django_language"] = "zh-hans"
    refused = client.post("/account/tokens/", {"action": "create"}, follow=True)
    assert "每位用户最多 10 个令牌；请先撤销一个" in refused.content.decode()
    assert AuthToken.objects.filter(user=researcher).count() == 10


@pytest.mark.django_db
def test_the_command_creates_lists_and_revokes(researcher, expert1):
    out = io.StringIO()
    call_command("api_token", "create", researcher.username, stdout=out)
    token = out.getvalue().strip()
    assert _api(token).get("/api/v1/runs/").status_code == 200
    listing = io.StringIO()
    call_command("api_token", "list", researcher.username, stdout=listing)
    assert token[:15] in listing.getvalue() and token not in listing.getvalue()
    call_command("api_token", "revoke", researcher.username, token[:15], stdout=io.StringIO())
    assert _api(token).get("/api/v1/runs/").status_code == 401
    with pytest.raises(CommandError, match="researchers and study admins"):
        call_command("api_token", "create", expert1.username, stdout=io.StringIO())
    with pytest.raises(CommandError, match="no user"):
        call_command("api_token", "create", "nobody", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_api_docs_say_how_to_get_and_send_a_token(researcher_api):
    schema = researcher_api.get("/api/v1/schema/?format=json").json()
    description = schema["info"]["description"]
    assert "/account/tokens/" in description and "Authorization: Token" in description
    assert "api_token create" in description
    token_scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert token_scheme["in"] == "header" and token_scheme["name"] == "Authorization"
