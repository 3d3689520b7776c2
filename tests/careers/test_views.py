"""The start page, login, and the language switcher."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_anonymous_home_is_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_language_switch_to_chinese_translates_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "登录" in html


@pytest.mark.django_db
def test_researcher_home_shows_attribution(client, researcher, instrument):
    client.force_login(researcher)
    html = client.get("/", follow=True).content.decode()  # the dashboards
    assert "USDOL/ETA" in html
