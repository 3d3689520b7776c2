"""Serializers of the campaigns API: the definition a study admin posts, the campaign served."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from careers.models import Area, Scale
from llmruns.models import ModelEndpoint, Run
from ratings.models import Campaign, Panel
from ratings.services import GoldUnit

LANGUAGE_CHOICES = [code for code, _name in settings.LANGUAGES]


class GoldUnitSerializer(serializers.Serializer):
    trial = serializers.IntegerField(min_value=1, help_text="Id of an ok work-sample trial.")
    expected_min = serializers.IntegerField()
    expected_max = serializers.IntegerField()
    calibration = serializers.BooleanField(
        default=False, help_text="Rated first by every eligible expert, with feedback."
    )
    rationale = serializers.CharField(
        allow_blank=True, default="", help_text="Why the expected range: shown after rating."
    )


class CampaignCreateSerializer(serializers.Serializer):
    """A campaign definition. Omitted endpoints, languages and areas mean all of the run's."""

    name = serializers.CharField(max_length=200)
    run = serializers.PrimaryKeyRelatedField(queryset=Run.objects.all())
    panel = serializers.PrimaryKeyRelatedField(queryset=Panel.objects.all())
    scale = serializers.SlugField(
        required=False, help_text="Slug of a scale of the run's instrument (default: competence)."
    )
    endpoints = serializers.PrimaryKeyRelatedField(
        queryset=ModelEndpoint.objects.all(), many=True, required=False, allow_empty=True
    )
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGE_CHOICES), required=False
    )
    areas = serializers.ListField(
        child=serializers.ChoiceField(choices=Area.values), required=False
    )
    samples_per_cell = serializers.IntegerField(min_value=1, default=1)
    raters_per_unit = serializers.IntegerField(min_value=1, default=3)
    match_expertise = serializers.BooleanField(default=True)
    instructions = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False
    )
    gold = GoldUnitSerializer(many=True, required=False)
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**62)
    adaptive = serializers.BooleanField(
        default=False, help_text="raters_per_unit is then k0, the initial raters of every unit."
    )
    max_raters_per_unit = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="k_max of an adaptive campaign."
    )
    rating_budget = serializers.IntegerField(required=False, allow_null=True, default=None)
    target_ci_half_width = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Stop adding raters once the alpha CI half-width is at most this (0 to 1).",
    )
    qualification_threshold = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Share of calibration ratings within the expected range an expert needs.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A scale slug is unique within an instrument: the run's instrument decides.
        scale_slug = attrs.pop("scale", None)
        if scale_slug is not None:
            scale = Scale.objects.filter(instrument=attrs["run"].instrument_id, slug=scale_slug)
            attrs["scale"] = scale.first()
            if attrs["scale"] is None:
                raise serializers.ValidationError(
                    {"scale": [f"the run's instrument has no scale {scale_slug!r}"]}
                )
        return attrs

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data["gold"] = [
            GoldUnit(
                trial_id=entry["trial"],
                expected_min=entry["expected_min"],
                expected_max=entry["expected_max"],
                calibration=entry["calibration"],
                rationale=entry["rationale"],
            )
            for entry in data.pop("gold", [])
        ]
        return data


class CampaignSerializer(serializers.ModelSerializer):
    run = serializers.PrimaryKeyRelatedField(read_only=True)
    panel = serializers.SlugRelatedField(slug_field="name", read_only=True)
    scale = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    endpoints = serializers.SerializerMethodField()
    unit_count = serializers.IntegerField(read_only=True)
    assignment_count = serializers.IntegerField(read_only=True)
    submitted_count = serializers.IntegerField(read_only=True)
    skipped_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "run",
            "panel",
            "scale",
            "endpoints",
            "languages",
            "areas",
            "samples_per_cell",
            "raters_per_unit",
            "match_expertise",
            "instructions",
            "seed",
            "adaptive",
            "max_raters_per_unit",
            "rating_budget",
            "target_ci_half_width",
            "qualification_threshold",
            "status",
            "created_at",
            "closed_at",
            "unit_count",
            "assignment_count",
            "submitted_count",
            "skipped_count",
        ]

    def get_endpoints(self, campaign: Campaign) -> list[dict[str, Any]]:
        return [
            {"id": endpoint.pk, "name": endpoint.name, "model": endpoint.model}
            for endpoint in campaign.endpoints.all()
        ]


class PanelSerializer(serializers.ModelSerializer):
    """A panel without its experts' identities (researchers read it too)."""

    expert_count = serializers.IntegerField(read_only=True)
    campaign_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Panel
        fields = ["id", "name", "created_at", "expert_count", "campaign_count"]
