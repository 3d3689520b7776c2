"""The campaigns API: study admins create, open, close and reopen, and settle the review list;
researchers and admins read.

Experts get 403 here: this resource names runs and endpoints, which they must never see, and
the review list shows the original texts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from django.db.models import Count
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from careers.permissions import ResearchReadAdminWrite
from config.schema import conflict_response
from ratings.adaptive import stopping_state
from ratings.api.serializers import (
    CampaignCreateSerializer,
    CampaignOpenSerializer,
    CampaignSerializer,
    PanelSerializer,
    ReviewDecisionSerializer,
    ReviewEntrySerializer,
    StoppingStateSerializer,
)
from ratings.calibration import (
    campaign_calibration,
    campaign_drift,
    withheld_calibration_units,
)
from ratings.drift_defaults import DEFAULT_BLOCK_SIZE, DEFAULT_DRIFT_THRESHOLD
from ratings.models import Campaign, Panel, Unit
from ratings.review_selectors import review_list
from ratings.selectors import campaigns_with_counts
from ratings.services import (
    campaign_close,
    campaign_create,
    campaign_delete,
    campaign_open,
    campaign_reopen,
    panel_delete,
    unit_review_save,
)

if TYPE_CHECKING:
    from ratings.stats.drift import DriftResult


class DriftParameters(serializers.Serializer):
    block_size = serializers.IntegerField(
        min_value=1,
        max_value=10_000,
        default=DEFAULT_BLOCK_SIZE,
        help_text=f"Ratings per block (default {DEFAULT_BLOCK_SIZE}).",
    )
    threshold = serializers.FloatField(
        min_value=0,
        max_value=10,
        default=DEFAULT_DRIFT_THRESHOLD,
        help_text=f"Flag above this |mean deviation| (default {DEFAULT_DRIFT_THRESHOLD}).",
    )


def _number(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


def drift_payload(result: DriftResult) -> dict[str, object]:
    blocks: dict[str, list[dict[str, object]]] = {}
    for row in result.blocks.itertuples(index=False):
        blocks.setdefault(row.rater, []).append(
            {"block": int(row.block), "n": int(row.n), "mean_deviation": float(row.mean_deviation)}
        )
    return {
        "block_size": result.block_size,
        "threshold": result.threshold,
        "experts": [
            {
                "expert": row.rater,
                "n_compared": int(row.n_compared),
                "blocks": blocks.get(row.rater, []),
                "complete_blocks": int(row.blocks),
                "first_block_deviation": _number(row.first_block_deviation),
                "latest_block_deviation": _number(row.latest_block_deviation),
                "growth": _number(row.growth),
                "flagged": bool(row.flagged),
            }
            for row in result.raters.itertuples(index=False)
        ],
    }


class PanelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Panels of experts, by name and size (the experts themselves are not shown here).
    Study admins may delete one no campaign used (409 naming the campaigns otherwise)."""

    serializer_class = PanelSerializer
    permission_classes = [ResearchReadAdminWrite]

    def get_queryset(self):
        return Panel.objects.annotate(
            expert_count=Count("experts", distinct=True),
            campaign_count=Count("campaigns", distinct=True),
        ).order_by("name")

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted; its experts stay."),
            **conflict_response("Campaigns used the panel; the body names them."),
        }
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        panel_delete(panel=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CampaignViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
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

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted with its units and assignments."),
            **conflict_response("Experts have rated in the campaign; the body counts the ratings."),
        }
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        """Delete a campaign nobody has rated in yet (to redefine it); one with ratings is
        kept (409): close it instead."""
        campaign_delete(campaign=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

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

    @extend_schema(request=None, responses=StoppingStateSerializer)
    @action(detail=True, methods=["get"])
    def adaptive(self, request: Request, pk: str | None = None) -> Response:
        """The stopping rule of an adaptive campaign: rule, current alpha CI half-width,
        ratings spent (submitted), assigned and not yet rated, and left to assign (the budget
        less the assigned ratings, as the rule counts them), units with extra raters. A fixed
        campaign answers adaptive false."""
        campaign = self.get_object()
        state = stopping_state(campaign=campaign)
        if state is None:
            return Response({"adaptive": False})
        return Response({"adaptive": True, **state.to_dict()})

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["get"])
    def calibration(self, request: Request, pk: str | None = None) -> Response:
        """Each expert's calibration: ratings within the expected range, the decision, and why;
        and the calibration units withheld for review (`withheld_units`), each with the experts
        still calibrating who have to rate it (`experts_to_rate`) and those of them who have
        nothing else to rate meanwhile (`experts_waiting`)."""
        campaign = self.get_object()
        return Response(
            {
                "qualification_threshold": campaign.qualification_threshold,
                "experts": [row.to_dict() for row in campaign_calibration(campaign=campaign)],
                "withheld_units": [
                    row.to_dict() for row in withheld_calibration_units(campaign=campaign)
                ],
            }
        )

    @extend_schema(
        request=None,
        responses=dict,
        # The serializer that checks them, so the schema states their bounds.
        parameters=[DriftParameters],
    )
    @action(detail=True, methods=["get"])
    def drift(self, request: Request, pk: str | None = None) -> Response:
        """Rater drift: each expert's mean deviation from the other raters by blocks of their
        ratings in the order they rated; flagged when the latest block passes the threshold."""
        parameters = DriftParameters(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        result = campaign_drift(campaign=self.get_object(), **parameters.validated_data)
        return Response(drift_payload(result))

    @extend_schema(
        request=CampaignOpenSerializer,
        responses={
            200: CampaignSerializer,
            **conflict_response("The campaign is closed: reopen it instead."),
        },
    )
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str | None = None) -> Response:
        """Open a campaign awaiting review. Refused (400, field "review") while units await
        review, unless skip_review is true, which the campaign records (who, when); an open
        campaign stays open, and a closed one is refused (409: reopen it instead)."""
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
    # The whole list, unfiltered: the campaign list's filters (status, run, panel) are not this
    # list's, and the schema would otherwise offer them here.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
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
