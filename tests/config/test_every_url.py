"""Every route of the site, asked with GET, HEAD and OPTIONS by every kind of visitor, answers
without a server error: a path parameter names something that does not exist, so the answer is
a refusal (401, 403, 404, 405) or a page, never a 500."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# What a missing object is called in each kind of path parameter.
MISSING = {
    "int": "999999",
    "str": "missing-999999",
    "slug": "missing-999999",
    "path": "missing-999999",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "drf_format_suffix": ".json",
}
_CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?\w+>")
# Django's admin and DRF's router also route by regular expression.
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
# Routes that take only a POST, or that end the session of the client asking.
SKIPPED = {"accounts/logout/", "i18n/setlang/"}


def _paths(patterns, prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in patterns:
        text = str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_paths(entry.url_patterns, prefix + text))
        elif isinstance(entry, URLPattern):
            found.append(prefix + text)
    return found


def _concrete(route: str) -> str | None:
    route = _REGEX_GROUP.sub(lambda match: "json" if match["name"] == "format" else "999999", route)
    route = _CONVERTER.sub(lambda match: MISSING[match["converter"] or "str"], route)
    for regex, plain in (("^", ""), ("$", ""), ("\\Z", ""), ("/?", "/"), ("\\.", ".")):
        route = route.replace(regex, plain)
    if any(character in route for character in "()[]?*+\\"):
        return None  # a pattern this test cannot fill in (none today)
    return "/" + route


def every_path() -> list[str]:
    paths = {_concrete(route) for route in _paths(get_resolver().url_patterns)}
    return sorted(path for path in paths if path and path.lstrip("/") not in SKIPPED)


def test_the_route_list_reaches_every_part_of_the_site():
    paths = every_path()
    for expected in (
        "/api/v1/docs/",
        "/api/v1/campaigns/999999/discrepancy/",
        "/admin/",
        "/rate/",
        "/dashboards/campaigns/999999/discrepancy/",
    ):
        assert expected in paths, expected
    assert None not in {_concrete(route) for route in _paths(get_resolver().url_patterns)}
    # A format is chosen with ?format= or Accept; suffix routes reached actions that take none.
    assert not any(".json" in path for path in paths)


@pytest.mark.django_db
@pytest.mark.parametrize("visitor", ["anonymous", "expert", "researcher", "admin"])
def test_no_route_answers_with_a_server_error(visitor, request):
    client = Client(raise_request_exception=False)
    if visitor != "anonymous":
        fixture = {"expert": "expert1", "researcher": "researcher", "admin": "admin_user"}
        client.force_login(request.getfixturevalue(fixture[visitor]))
    failures = []
    for path in every_path():
        for method in ("get", "head", "options"):
            response = getattr(client, method)(path)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)
