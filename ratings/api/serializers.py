"""Serializers of the campaigns API: the definition a study admin posts, the campaign served."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careers.models import Area, Scale
from llmruns.models import ModelEndpoint, Run
from ratings.models import Campaign, Panel, ReviewAction, UnitReviewStatus
from ratings.review_selectors import redaction_figures
from ratings.services import GoldUnit, identity_mention_error

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

    def validate_rationale(self, value: str) -> str:
        # Experts read the rationale after rating: it must not name a model (ratings are blind).
        _refuse_identity_mention(value, what=_("The rationale"))
        return value


def _refuse_identity_mention(text: str, *, what: str) -> None:
    error = identity_mention_error(text, what=what)
    if error is not None:
        raise serializers.ValidationError(error.messages, code="identifies_model")


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
    rating_budget = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Ratings an adaptive campaign may assign to its real units, initial ones "
        "included: extra raters stop once this many are assigned, rated or not.",
    )
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
    skip_review = serializers.BooleanField(
        default=False,
        help_text="Open at once without reviewing the redactions (recorded on the campaign).",
    )

    def validate_instructions(self, value: dict[str, str]) -> dict[str, str]:
        # Every expert of the campaign reads the instructions: no model may be named in them.
        problems = {}
        for language, text in value.items():
            try:
                _refuse_identity_mention(text, what=_("The instructions"))
            except serializers.ValidationError as exc:
                problems[language] = exc.detail
        if problems:
            raise serializers.ValidationError(problems)
        return value

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


class RedactionFiguresSerializer(serializers.Serializer):
    """What redaction did to a campaign's units, and what study admins and experts did next."""

    units_redacted = serializers.IntegerField(help_text="Units with at least one redaction.")
    redactions_listed = serializers.IntegerField(
        help_text="Redactions of a listed name, endpoint name or model id."
    )
    redactions_pattern = serializers.IntegerField(
        help_text="Redactions of a name found by a self-introduction pattern."
    )
    units_awaiting_review = serializers.IntegerField()
    units_reviewed = serializers.IntegerField(help_text="Units approved or edited.")
    units_edited = serializers.IntegerField()
    units_flagged = serializers.IntegerField(
        help_text="Units an expert flagged as identifying the model."
    )


class ReviewEventSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ReviewAction.choices)
    by = serializers.CharField(
        source="by.username",
        default=None,
        allow_null=True,
        help_text="Who acted; null when no user is recorded (a service call without one, or a "
        "deleted user).",
    )
    at = serializers.DateTimeField(source="created_at")
    text_before = serializers.CharField()
    text_after = serializers.CharField()
    note = serializers.CharField()


class ReviewEntrySerializer(serializers.Serializer):
    """A unit on the review list: the original text beside the redacted one."""

    blind_code = serializers.CharField(source="unit.blind_code")
    language = serializers.CharField(source="unit.language")
    is_calibration = serializers.BooleanField(
        source="unit.is_calibration",
        help_text="A calibration unit (rated first by every eligible expert, with feedback), "
        "not one of the campaign's real units.",
    )
    review_status = serializers.ChoiceField(
        source="unit.review_status", choices=UnitReviewStatus.choices
    )
    reasons = serializers.ListField(source="unit.review_reasons", child=serializers.CharField())
    redactions_listed = serializers.IntegerField(source="unit.redactions_listed")
    redactions_pattern = serializers.IntegerField(source="unit.redactions_pattern")
    original = serializers.CharField()
    redacted = serializers.CharField(source="unit.text_redacted")
    hints = serializers.ListField(child=serializers.CharField())
    history = ReviewEventSerializer(source="events", many=True)


class ReviewDecisionSerializer(serializers.Serializer):
    """Approve the redacted text as it is (no text), or replace it (an edit)."""

    text = serializers.CharField(
        required=False, trim_whitespace=False, max_length=100_000, allow_blank=False
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class CampaignOpenSerializer(serializers.Serializer):
    skip_review = serializers.BooleanField(
        default=False,
        help_text="Open even though units await review; who and when are recorded.",
    )


class StoppingStateSerializer(serializers.Serializer):
    """An adaptive campaign's stopping rule; a fixed campaign answers only adaptive false.
    Ratings of the campaign's real units only: calibration ratings are not the budget's."""

    adaptive = serializers.BooleanField()
    rule = serializers.CharField(required=False)
    target_ci_half_width = serializers.FloatField(required=False)
    rating_budget = serializers.IntegerField(required=False)
    ratings_spent = serializers.IntegerField(required=False, help_text="Ratings submitted.")
    ratings_committed = serializers.IntegerField(
        required=False,
        help_text="Ratings assigned, rated or not: what the budget's stopping rule counts.",
    )
    ratings_pending = serializers.IntegerField(
        required=False,
        help_text="Ratings assigned and not submitted yet (pending, draft or skipped): "
        "ratings_committed - ratings_spent.",
    )
    ratings_left = serializers.IntegerField(
        required=False,
        help_text="Ratings the rule may still assign: rating_budget - ratings_committed, at "
        "least 0 (zero exactly when the budget stops extra raters). Before this field counted "
        "rating_budget - ratings_spent.",
    )
    alpha = serializers.FloatField(required=False, allow_null=True)
    ci_half_width = serializers.FloatField(required=False, allow_null=True)
    target_reached = serializers.BooleanField(required=False)
    budget_spent = serializers.BooleanField(
        required=False, help_text="ratings_committed has reached rating_budget."
    )
    stopped = serializers.BooleanField(required=False)
    units_with_extra_raters = serializers.IntegerField(required=False)
    extra_assignments = serializers.IntegerField(required=False)
    pairable_units = serializers.IntegerField(required=False)
    units = serializers.IntegerField(required=False, help_text="Real units (no calibration).")


class CampaignSerializer(serializers.ModelSerializer):
    run = serializers.PrimaryKeyRelatedField(read_only=True)
    panel = serializers.SlugRelatedField(slug_field="name", read_only=True)
    scale = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    endpoints = serializers.SerializerMethodField()
    unit_count = serializers.IntegerField(
        read_only=True, help_text="The campaign's real units (calibration units apart)."
    )
    assignment_count = serializers.IntegerField(
        read_only=True, help_text="Assignments of real units (calibration units apart)."
    )
    submitted_count = serializers.IntegerField(
        read_only=True, help_text="Submitted assignments of real units."
    )
    skipped_count = serializers.IntegerField(
        read_only=True, help_text="Skipped assignments of real units."
    )
    calibration_unit_count = serializers.IntegerField(
        read_only=True, help_text="Calibration units: they train the experts, not the data."
    )
    calibration_assignment_count = serializers.IntegerField(
        read_only=True, help_text="Assignments of calibration units."
    )
    calibration_submitted_count = serializers.IntegerField(
        read_only=True, help_text="Submitted assignments of calibration units."
    )
    review_skipped_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    redaction = serializers.SerializerMethodField()

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
            "calibration_unit_count",
            "calibration_assignment_count",
            "calibration_submitted_count",
            "review_skipped_by",
            "review_skipped_at",
            "redaction",
        ]

    @extend_schema_field(RedactionFiguresSerializer)
    def get_redaction(self, campaign: Campaign) -> dict[str, int]:
        return redaction_figures(campaign)

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
