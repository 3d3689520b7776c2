"""Serializers for the inventory's read API."""

from __future__ import annotations

from rest_framework import serializers

from careers.models import Instrument, Item


class InstrumentSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Instrument
        fields = [
            "id",
            "slug",
            "version",
            "name",
            "name_zh",
            "attribution",
            "attribution_zh",
            "languages",
            "item_count",
        ]


class ItemSerializer(serializers.ModelSerializer):
    instrument = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    language = serializers.SerializerMethodField()
    activity = serializers.SerializerMethodField()
    task = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = ["id", "instrument", "number", "area", "language", "activity", "task"]

    def _text(self, item: Item):
        texts = getattr(item, "texts_in_language", [])
        return texts[0] if texts else None

    def get_language(self, item: Item) -> str:
        return self.context["language"]

    def get_activity(self, item: Item) -> str | None:
        text = self._text(item)
        return text.activity if text else None

    def get_task(self, item: Item) -> str | None:
        text = self._text(item)
        return text.task if text else None
