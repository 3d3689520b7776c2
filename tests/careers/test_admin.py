"""The inventory's admin: items with texts inline, searchable and filterable by area and language."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_item_changelist_filters_by_area_and_searches_texts(client, admin_user, instrument):
    client.force_login(admin_user)
    page = client.get("/admin/careers/item/?area__exact=S")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Teach an individual an exercise routine" in html
    assert "Build kitchen cabinets" not in html
    found = client.get("/admin/careers/item/?q=cabinets").content.decode()
    assert "Build kitchen cabinets" in found and "Lay brick or tile" not in found


@pytest.mark.django_db
def test_item_change_page_shows_both_languages_inline(client, admin_user, instrument):
    from careers.models import Item

    client.force_login(admin_user)
    item = Item.objects.get(number=1)
    html = client.get(f"/admin/careers/item/{item.pk}/change/").content.decode()
    assert "Build kitchen cabinets" in html
    assert item.texts.get(language="zh-hans").activity in html


@pytest.mark.django_db
def test_item_texts_filter_by_language(client, admin_user, instrument):
    client.force_login(admin_user)
    html = client.get("/admin/careers/itemtext/?language__exact=zh-hans").content.decode()
    assert "60 item texts" in html or "60 条" in html


@pytest.mark.django_db
def test_template_changelist_filters_by_kind_and_language(client, admin_user, instrument):
    client.force_login(admin_user)
    html = client.get(
        "/admin/careers/prompttemplate/?kind__exact=self_review&language__exact=zh-hans"
    ).content.decode()
    assert "self_review" in html or "Self-review" in html
    assert "2 prompt templates" in html
