"""The instrument data file and its loader."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import pytest

from careers.models import Instrument, Item, ItemText, PromptTemplate, ScalePoint
from careers.services import InstrumentDataError, instrument_data_problems, instrument_load

SHARED = Path(__file__).resolve().parents[2] / "fixtures" / "reference" / "oip_short_form_60_en.tsv"


def _published_items() -> list[dict]:
    with SHARED.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_data_file_holds_the_published_60_items_in_order(instrument_data):
    published = _published_items()
    items = instrument_data["items"]
    assert len(items) == 60
    for entry, row in zip(items, published, strict=True):
        assert entry["number"] == int(row["number"])
        assert entry["area"] == row["area"]
        assert entry["activity"]["en"] == row["activity"]


@pytest.mark.django_db
def test_loaded_instrument_has_10_items_per_area_with_both_languages_complete(instrument):
    assert instrument.items.count() == 60
    for area in "RIASEC":
        assert instrument.items.filter(area=area).count() == 10
    for language in ("en", "zh-hans"):
        texts = ItemText.objects.filter(item__instrument=instrument, language=language)
        assert texts.count() == 60
        assert not texts.filter(activity="").exists()
        assert not texts.filter(task="").exists()
        assert (
            ScalePoint.objects.filter(scale__instrument=instrument, language=language).count() == 10
        )
        kinds = set(
            PromptTemplate.objects.filter(instrument=instrument, language=language).values_list(
                "kind", flat=True
            )
        )
        assert kinds == {"interest", "self_competence", "work_sample", "self_review"}
    chinese = ItemText.objects.get(item__instrument=instrument, item__number=1, language="zh-hans")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese.activity)
    assert "USDOL/ETA" in instrument.attribution
    assert "O*NET" in instrument.attribution_zh


@pytest.mark.django_db
def test_loading_twice_changes_nothing(instrument_data):
    instrument_load(data=instrument_data)
    counts = (Item.objects.count(), ItemText.objects.count(), PromptTemplate.objects.count())
    instrument_load(data=instrument_data)
    assert (
        Item.objects.count(),
        ItemText.objects.count(),
        PromptTemplate.objects.count(),
    ) == counts


@pytest.mark.django_db
def test_loader_refuses_an_area_without_ten_items_and_writes_nothing(instrument_data):
    data = copy.deepcopy(instrument_data)
    dropped = next(i for i in data["items"] if i["area"] == "S")
    data["items"].remove(dropped)
    with pytest.raises(InstrumentDataError, match="area S has 9 items; exactly 10 are required"):
        instrument_load(data=data)
    assert not Instrument.objects.exists()


@pytest.mark.django_db
def test_loader_refuses_a_language_missing_any_text_and_names_it(instrument_data):
    data = copy.deepcopy(instrument_data)
    del data["items"][6]["task"]["zh-hans"]
    data["scales"][0]["points"][2]["label"]["zh-hans"] = ""
    with pytest.raises(InstrumentDataError) as raised:
        instrument_load(data=data)
    message = str(raised.value)
    assert f"item {data['items'][6]['number']} has no zh-hans task" in message
    assert "point 3 has no zh-hans label" in message
    assert not Item.objects.exists()


def test_problems_list_names_a_missing_template_kind(instrument_data):
    data = copy.deepcopy(instrument_data)
    data["templates"] = [t for t in data["templates"] if t["kind"] != "self_review"]
    assert "no prompt template for kind 'self_review'" in instrument_data_problems(data)


def test_every_template_renders_with_the_documented_placeholders(instrument_data):
    for template in instrument_data["templates"]:
        for language in ("en", "zh-hans"):
            rendered = template["user"][language].format(
                activity="A", task="T", scale="S", anchors="N", response="R"
            )
            assert rendered.strip()
