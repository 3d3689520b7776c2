"""Read API for instruments and items."""

from __future__ import annotations

import django_filters
from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

from careers.api.serializers import InstrumentSerializer, ItemSerializer
from careers.models import Area, Instrument, Item
from careers.permissions import ResearchReadOnly
from careers.selectors import SUPPORTED_LANGUAGES, items_with_text


class InstrumentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = InstrumentSerializer
    permission_classes = [ResearchReadOnly]
    queryset = Instrument.objects.annotate(item_count=Count("items")).order_by("slug")


class ItemFilter(django_filters.FilterSet):
    instrument = django_filters.CharFilter(field_name="instrument__slug")
    area = django_filters.ChoiceFilter(choices=Area.choices)

    class Meta:
        model = Item
        fields = ["instrument", "area", "number"]


LANG_PARAMETER = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=list(SUPPORTED_LANGUAGES),
    description="Language of the activity and task texts (default en). Unknown values get a 400.",
)


@extend_schema_view(
    list=extend_schema(parameters=[LANG_PARAMETER]),
    retrieve=extend_schema(parameters=[LANG_PARAMETER]),
)
class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ItemSerializer
    permission_classes = [ResearchReadOnly]
    filterset_class = ItemFilter

    def language(self) -> str:
        language = self.request.query_params.get("lang", "en")
        if language not in SUPPORTED_LANGUAGES:
            raise ValidationError(
                {
                    "lang": [
                        f"unsupported language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}"
                    ]
                }
            )
        return language

    def get_queryset(self):
        return items_with_text(language=self.language()).order_by("instrument__slug", "number")

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            context["language"] = "en"
        else:
            context["language"] = self.language()
        return context
