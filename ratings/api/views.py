"""The campaigns API: study admins create, open, close and reopen, and settle the review list;
researchers and admins read.

Experts get 403 here: this resource names runs and endpoints, which they must never see, and
the review list shows the original texts.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from careers.permissions import ResearchReadAdminWrite
from ratings.api.serializers import (
    CampaignCreateSerializer,
    CampaignOpenSerializer,
    CampaignSerializer,
    ReviewDecisionSerializer,
    ReviewEntrySerializer,
)
from ratings.models import Campaign, Unit
from ratings.review_selectors import review_list
from ratings.selectors import campaigns_with_counts
from ratings.services import (
    campaign_close,
    campaign_create,
    campaign_open,
    campaign_reopen,
    unit_review_save,
)


class CampaignViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CampaignSerializer
    permission_classes = [ResearchReadAdminWrite]
    filterset_fields = ["status", "run", "panel"]

    def get_queryset(self):
        return campaigns_with_counts().order_by("-created_at", "-pk")

    def _served(self, campaign: Campaign) -> dict:
        return CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Create a campaign from a finished run: blind units, redaction, assignments.

        A bad definition is a 400 naming every problem, and nothing is created.
        """
        definition = CampaignCreateSerializer(data=request.data)
        definition.is_valid(raise_exception=True)
        campaign = campaign_create(**definition.service_arguments(), by=request.user)
        return Response(self._served(campaign), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        campaign = campaign_close(campaign=self.get_object())
        return Response(self._served(campaign))

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        campaign = campaign_reopen(campaign=self.get_object())
        return Response(self._served(campaign))

    @extend_schema(request=CampaignOpenSerializer, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str | None = None) -> Response:
        """Open a campaign awaiting review. Refused (400, field "review") while units await
        review, unless skip_review is true, which the campaign records (who, when)."""
        choice = CampaignOpenSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        campaign = campaign_open(
            campaign=self.get_object(),
            by=request.user,
            skip_review=choice.validated_data["skip_review"],
        )
        return Response(self._served(campaign))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "all", bool, description="Every unit ever listed, not only those awaiting review."
            )
        ],
        responses=ReviewEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """The review list: each unit's original text beside its redacted text, why it is
        listed, identity patterns still in it, and its review history."""
        campaign = get_object_or_404(Campaign.objects.only("pk"), pk=pk)
        self.check_object_permissions(request, campaign)
        include_settled = request.query_params.get("all", "").lower() in ("1", "true", "yes")
        entries = review_list(campaign=campaign, include_settled=include_settled)
        return Response(ReviewEntrySerializer(entries, many=True).data)

    @extend_schema(request=ReviewDecisionSerializer, responses=ReviewEntrySerializer)
    @action(detail=True, methods=["post"], url_path=r"review/(?P<blind_code>[A-Za-z0-9]+)")
    def review_unit(
        self, request: Request, pk: str | None = None, blind_code: str = ""
    ) -> Response:
        """Approve a unit's redacted text (no "text"), or replace it with "text" (an edit)."""
        campaign = get_object_or_404(Campaign.objects.only("pk"), pk=pk)
        self.check_object_permissions(request, campaign)
        try:
            unit = Unit.objects.get(campaign=campaign, blind_code=blind_code)
        except Unit.DoesNotExist as exc:
            raise Http404 from exc
        decision = ReviewDecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        unit_review_save(
            unit=unit,
            by=request.user,
            text=decision.validated_data.get("text"),
            note=decision.validated_data["note"],
        )
        (entry,) = review_list(campaign=campaign, include_settled=True, blind_code=blind_code)
        return Response(ReviewEntrySerializer(entry).data)
