"""The inventory's admin: items with texts inline, searchable and filterable by area and language."""

from __future__ import annotations

import html

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


@pytest.mark.django_db
def test_an_items_number_and_area_cannot_be_changed_in_the_admin(client, admin_user, instrument):
    """Runs find an item's frozen text by its number and every statistic groups by its number and
    area: renumbering item 1 as 61 would ask its pending trials about nothing (or, with two
    items swapped, about the other one) and move its past answers to another area."""
    from careers.models import Item

    client.force_login(admin_user)
    item = Item.objects.get(number=1)
    texts = list(item.texts.order_by("pk"))
    form = {
        "instrument": item.instrument_id,
        "number": 61,
        "area": "S" if item.area != "S" else "R",
        "texts-TOTAL_FORMS": len(texts),
        "texts-INITIAL_FORMS": len(texts),
        "texts-MIN_NUM_FORMS": 0,
        "texts-MAX_NUM_FORMS": 1000,
    }
    for index, text in enumerate(texts):
        form |= {
            f"texts-{index}-id": text.pk,
            f"texts-{index}-item": item.pk,
            f"texts-{index}-language": text.language,
            f"texts-{index}-activity": f"{text.activity} (revised)",
            f"texts-{index}-task": text.task,
        }
    response = client.post(f"/admin/careers/item/{item.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    fresh = Item.objects.get(pk=item.pk)
    assert (fresh.number, fresh.area, fresh.instrument_id) == (
        item.number,
        item.area,
        item.instrument_id,
    )
    assert fresh.texts.get(language="en").activity.endswith("(revised)")  # texts stay editable


@pytest.mark.django_db
def test_the_admin_names_the_inventorys_models_in_the_page_language(client, admin_user, instrument):
    client.force_login(admin_user)
    client.cookies["django_language"] = "zh-hans"
    index = html.unescape(client.get("/admin/").content.decode())
    for plural in ("量表", "题目", "题目文本", "量尺", "提示模板"):
        assert f">{plural}</a>" in index, plural
    for english in ("Instruments", "Items", "Item texts", "Scales", "Prompt templates"):
        assert f">{english}</a>" not in index, english
    listed = html.unescape(client.get("/admin/careers/itemtext/").content.decode())
    assert "选择 题目文本 来修改" in listed
    assert "item text" not in listed.lower()
    templates = html.unescape(client.get("/admin/careers/prompttemplate/").content.decode())
    assert "选择 提示模板 来修改" in templates
    assert "prompt template" not in templates.lower()


@pytest.mark.django_db
def test_the_inventory_pages_name_their_fields_in_chinese(client, admin_user, instrument):
    """Column headers, filters and form labels come from the fields' verbose names."""
    client.force_login(admin_user)
    client.cookies["django_language"] = "zh-hans"

    def page(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, url
        return html.unescape(response.content.decode())

    instruments = page("/admin/careers/instrument/")
    assert "短标识" in instruments and "创建时间" in instruments
    assert "Slug" not in instruments and "Created at" not in instruments

    templates = page("/admin/careers/prompttemplate/")
    assert "题型" in templates and "改写版本" in templates
    assert "Kind" not in templates and "Variant" not in templates

    adding = page("/admin/careers/prompttemplate/add/")
    for chinese in ("系统消息", "用户消息", "备注", "创建者"):
        assert chinese in adding, chinese
    for english in ("System text", "User text", "Note:", "Created by"):
        assert english not in adding, english


@pytest.mark.django_db
def test_the_inventory_admin_pages_make_a_constant_number_of_queries(
    client, admin_user, instrument
):
    """The lists show all 60 items (and a page of their 120 texts) with no query per row, and a
    change page joins what it shows. Every page starts with the session's user."""
    from careers.models import Item, ItemText, PromptTemplate, Scale
    from tests.conftest import queries_per_page

    item = Item.objects.get(number=1)
    pages = {
        # the instrument filter, the two counts, the items with their instrument, their texts
        "/admin/careers/item/": 6,
        # the item with its instrument, its texts (prefetched for the list's column), the
        # texts' forms with their item, the trials that refuse its deletion
        f"/admin/careers/item/{item.pk}/change/": 5,
        # the instrument filter, the two counts, the texts with their item
        "/admin/careers/itemtext/": 5,
        # the text with its item, the items to choose from
        f"/admin/careers/itemtext/{item.texts.first().pk}/change/": 3,
        # the two counts, the instruments
        "/admin/careers/instrument/": 4,
        # the instrument, the runs that refuse its deletion
        f"/admin/careers/instrument/{instrument.pk}/change/": 3,
        # the two counts, the scales with their instrument
        "/admin/careers/scale/": 4,
        # the scale, its points, the campaigns that refuse its deletion, the instruments
        f"/admin/careers/scale/{Scale.objects.first().pk}/change/": 5,
        # the instrument filter, the two counts, the templates, the variant filter
        "/admin/careers/prompttemplate/": 6,
        # the template, its instrument, its versions
        f"/admin/careers/prompttemplate/{PromptTemplate.objects.first().pk}/change/": 4,
    }
    assert Item.objects.count() == 60 and ItemText.objects.count() == 120
    client.force_login(admin_user)
    assert queries_per_page(client, pages) == pages
