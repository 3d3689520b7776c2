"""Read API for instruments and items."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from careers.api.serializers import InstrumentSerializer, ItemSerializer
from careers.models import Area, Instrument, Item
from careers.permissions import ResearchReadAdminWrite, ResearchReadOnly
from careers.selectors import SUPPORTED_LANGUAGES, items_with_text
from careers.services import instrument_delete
from config.schema import conflict_response


class InstrumentViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Instruments are loaded from their data file (`load_instrument`); study admins may delete
    one no run used (409 naming the runs otherwise)."""

    serializer_class = InstrumentSerializer
    permission_classes = [ResearchReadAdminWrite]
    queryset = Instrument.objects.annotate(item_count=Count("items")).order_by("slug")

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted with its items, texts, scales, templates."),
            **conflict_response("Runs used the instrument; the body names them."),
        }
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        instrument_delete(instrument=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class IntegerFilter(django_filters.NumberFilter):
    """A number filter that accepts integers only (a fraction is a 400, not an empty page)."""

    field_class = forms.IntegerField


class ItemFilter(django_filters.FilterSet):
    instrument = django_filters.CharFilter(field_name="instrument__slug")
    area = django_filters.ChoiceFilter(choices=Area.choices)
    number = IntegerFilter(field_name="number", min_value=1, max_value=10_000)

    class Meta:
        model = Item
        fields = ["instrument", "area", "number"]


LANG_PARAMETER = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=list(SUPPORTED_LANGUAGES),
    description="Language of the activity and task texts (default en). Unknown values get a 400.",
)


NUMBER_PARAMETER = OpenApiParameter(
    "number",
    {"type": "integer", "minimum": 1, "maximum": 10_000},
    description="Only the item with this number.",
)


@extend_schema_view(
    list=extend_schema(parameters=[LANG_PARAMETER, NUMBER_PARAMETER]),
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
