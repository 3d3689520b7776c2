"""Serializers for model endpoints and runs."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careers.models import Instrument, QuestionKind
from careers.permissions import is_study_admin
from config.rest import SlugLookupField
from llmruns.models import ElicitationMethod, Execution, ModelEndpoint, Run, TrialStatus
from llmruns.services import RunSpec
from llmruns.services.definition import SEED_RANGE, SUPPORTED_LANGUAGES

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


PRICE_PATTERN = r"^\d{1,8}(\.\d{1,4})?$"


@extend_schema_field({"type": "string", "pattern": PRICE_PATTERN, "example": "0.5000"})
class PriceField(serializers.DecimalField):
    """A price per million tokens: a non-negative decimal, sent and returned as a string."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=12, decimal_places=4, min_value=0, **kwargs)


class ModelEndpointSerializer(serializers.ModelSerializer):
    price_input_per_million = PriceField(required=False)
    price_output_per_million = PriceField(required=False)
    price_cached_input_per_million = PriceField(
        required=False,
        allow_null=True,
        help_text="Price of cached prompt tokens (usage.prompt_tokens_details.cached_tokens); "
        "null means the input price.",
    )
    price_reasoning_per_million = PriceField(
        required=False,
        allow_null=True,
        help_text="Price of reasoning tokens; null means the output price.",
    )
    batch_price_input_per_million = PriceField(
        required=False,
        allow_null=True,
        help_text="Batch input price; null: the live price less the batch discount.",
    )
    batch_price_output_per_million = PriceField(
        required=False,
        allow_null=True,
        help_text="Batch output price; null: the live price less the batch discount.",
    )
    extra_params = serializers.DictField(
        required=False,
        help_text="Extra request parameters sent with every call (not model, messages, api_key).",
    )

    class Meta:
        model = ModelEndpoint
        fields = [
            "id",
            "name",
            "provider",
            "base_url",
            "model",
            "api_key_env",
            "supports_json_schema",
            "supports_seed",
            "supports_logprobs",
            "supports_system_role",
            "accepts_temperature",
            "accepts_top_p",
            "token_limit_param",
            "capabilities",
            "probed_at",
            "max_requests_per_minute",
            "max_concurrency",
            "price_input_per_million",
            "price_cached_input_per_million",
            "price_output_per_million",
            "price_reasoning_per_million",
            "extra_params",
            "timeout_seconds",
            "is_mock",
            "archived_at",
            "supports_batch",
            "batch_price_input_per_million",
            "batch_price_output_per_million",
            "batch_discount",
            "batch_max_requests",
            "batch_max_bytes",
            "created_at",
        ]
        read_only_fields = ["archived_at", "created_at", "capabilities", "probed_at"]
        extra_kwargs = {
            "base_url": {"help_text": "http:// or https:// URL of the OpenAI-compatible API."},
            "api_key_env": {
                "help_text": "NAME of the environment variable holding the key (letters, "
                "digits, underscores); the key itself is never stored."
            },
            "timeout_seconds": {"min_value": 0.1, "max_value": 3600},
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not is_study_admin(request.user):
            data.pop(
                "api_key_env", None
            )  # researchers read endpoints without anything secret-adjacent
        return data

    def validate_api_key_env(self, value: str) -> str:
        if value and not ENV_NAME.match(value):
            raise serializers.ValidationError(
                "must be the NAME of an environment variable (letters, digits, underscores), never the key itself"
            )
        return value

    def validate_base_url(self, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise serializers.ValidationError("must be an http:// or https:// URL")
        return value.rstrip("/")

    def validate_extra_params(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a JSON object of extra request parameters")
        forbidden = {"model", "messages", "api_key"} & set(value)
        if forbidden:
            raise serializers.ValidationError(f"may not set {', '.join(sorted(forbidden))}")
        if _has_nul(value):
            # PostgreSQL's jsonb cannot store it; neither would a provider accept it.
            raise serializers.ValidationError(
                _("may not contain the NUL character (\\u0000) in a key or a text")
            )
        return value


class RunCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    instrument = SlugLookupField(slug_field="slug", queryset=Instrument.objects.all())
    endpoints = SlugLookupField(
        slug_field="name", queryset=ModelEndpoint.objects.all(), many=True, allow_empty=False
    )
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=SUPPORTED_LANGUAGES), allow_empty=False
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=QuestionKind.values), allow_empty=False
    )
    replications = serializers.IntegerField(min_value=1, max_value=10_000)
    temperature = serializers.FloatField(min_value=0, max_value=2, default=1.0)
    top_p = serializers.FloatField(
        min_value=0, max_value=1, required=False, allow_null=True, default=None
    )
    max_tokens = serializers.IntegerField(min_value=1, max_value=100_000, default=600)
    seed = serializers.IntegerField(
        default=0,
        min_value=SEED_RANGE[0],
        max_value=SEED_RANGE[1],
        help_text="Base seed; replication r sends seed + r.",
    )
    reverse_half = serializers.BooleanField(default=True)
    rotate_templates = serializers.BooleanField(default=True)
    max_attempts = serializers.IntegerField(min_value=1, max_value=20, default=5)
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=ElicitationMethod.values),
        allow_empty=False,
        default=lambda: [ElicitationMethod.VERBAL.value],
        help_text="Elicitation methods of the Likert questions: verbal, structured, "
        "token_probability; each trial carries one.",
    )
    method_fallback = serializers.ChoiceField(
        choices=["", ElicitationMethod.VERBAL.value],
        default="",
        allow_blank=True,
        help_text="Empty: refuse a method an endpoint cannot serve. verbal: fall back, per trial.",
    )
    min_valid_mass = serializers.FloatField(min_value=0, max_value=1, default=0.5)
    execution = serializers.ChoiceField(
        choices=Execution.values,
        default=Execution.LIVE,
        help_text="live: one call per trial now; batch: the providers' batch APIs (about half "
        "the price, answers within 24 hours). Batch needs endpoints with supports_batch.",
    )
    batch_retry_live = serializers.BooleanField(
        default=False,
        help_text="Batch runs: retry a request that errored or went unanswered with a live call "
        "instead of in the next batch.",
    )
    start = serializers.BooleanField(
        default=True, help_text="Start at once (the endpoints must answer). False leaves a draft."
    )

    def to_spec(self) -> RunSpec:
        data = dict(self.validated_data)
        data.pop("start")
        return RunSpec(**data)


class RunSerializer(serializers.ModelSerializer):
    instrument = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    endpoints = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    trial_count = serializers.IntegerField(read_only=True)
    finished_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "name",
            "status",
            "instrument",
            "endpoints",
            "languages",
            "kinds",
            "replications",
            "temperature",
            "top_p",
            "max_tokens",
            "seed",
            "reverse_half",
            "rotate_templates",
            "max_attempts",
            "methods",
            "method_fallback",
            "min_valid_mass",
            "execution",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "trial_count",
            "finished_count",
        ]


class CostRangeSerializer(serializers.Serializer):
    low = serializers.CharField(
        allow_null=True,
        help_text="Lower bound: the shared prompt prefix read from the provider's cache.",
    )
    high = serializers.CharField(
        allow_null=True,
        help_text="Upper bound: every prompt token at the input price. Null when a reasoning "
        "model's reasoning tokens cannot be estimated (see reasoning_note).",
    )


class ReasoningKindSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(
        choices=["observed", "assumed", "unknown"],
        help_text="observed: the median of the endpoint's latest answered trials of the kind; "
        "assumed: a figure per kind scaled by the reasoning effort; unknown: none can be given.",
    )
    tokens_per_trial = serializers.IntegerField(allow_null=True, min_value=0)
    observed_trials = serializers.IntegerField(
        min_value=0, help_text="Answered trials of the endpoint and kind found (any run)."
    )


class ReasoningPlanSerializer(serializers.Serializer):
    endpoint = serializers.CharField()
    signs = serializers.ListField(
        child=serializers.CharField(), help_text="Why the endpoint is taken to reason."
    )
    effort = serializers.CharField(
        allow_null=True, help_text="The configured reasoning effort; null: none (medium assumed)."
    )
    kinds = serializers.DictField(child=ReasoningKindSerializer(), help_text="Per kind.")


class EstimateSerializer(serializers.Serializer):
    calls = serializers.IntegerField(min_value=0, help_text="One per trial, before retries.")
    input_tokens = serializers.IntegerField(min_value=0)
    cached_input_tokens = serializers.IntegerField(
        min_value=0, help_text="Prompt tokens the lower bound assumes read from the cache."
    )
    output_tokens = serializers.IntegerField(
        min_value=0, help_text="Answer tokens and the reasoning_tokens counted."
    )
    cost = serializers.CharField(
        allow_null=True,
        help_text="Estimated cost (the upper bound: no prompt caching), a decimal as a string; "
        "null when a reasoning model's reasoning tokens cannot be estimated.",
    )
    cost_range = CostRangeSerializer(help_text="The cost with and without prompt caching.")
    cost_live = serializers.CharField(allow_null=True)
    cost_live_cached = serializers.CharField()
    cost_batch = serializers.CharField(
        allow_null=True, help_text="Null when an endpoint has no batch API."
    )
    cost_batch_cached = serializers.CharField(allow_null=True)
    cost_note = serializers.CharField(help_text="How the two bounds are computed.")
    reasoning_tokens = serializers.IntegerField(
        allow_null=True,
        min_value=0,
        help_text="Reasoning tokens counted (part of output_tokens); null when unknown.",
    )
    reasoning_basis = serializers.ChoiceField(
        choices=["none", "observed", "assumed", "unknown"],
        help_text="The least certain basis of the reasoning figures: none (no endpoint "
        "reasons), observed, assumed (uncertain) or unknown (the upper bound is null).",
    )
    reasoning = ReasoningPlanSerializer(
        many=True, help_text="Per endpoint taken to reason: why, and its figure per kind."
    )
    reasoning_note = serializers.CharField(
        allow_blank=True, help_text="How reasoning is estimated; empty when no endpoint reasons."
    )
    note = serializers.CharField()


class PreparationSerializer(serializers.Serializer):
    planned = serializers.IntegerField(min_value=0, help_text="Trials the run will have.")
    created = serializers.IntegerField(min_value=0, help_text="Trials created so far.")
    fraction = serializers.FloatField(min_value=0, max_value=1)


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(min_value=0)
    preparation = PreparationSerializer(
        allow_null=True, help_text="While the run is preparing: its trials created so far."
    )
    counts = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text=f"Trials per status: {', '.join(TrialStatus.values)}.",
    )
    calls_per_minute = serializers.FloatField(min_value=0)
    input_tokens = serializers.IntegerField(min_value=0)
    cached_input_tokens = serializers.IntegerField(
        min_value=0,
        help_text="Part of input_tokens: prompt tokens read from the provider's prompt cache "
        "(usage.prompt_tokens_details.cached_tokens).",
    )
    output_tokens = serializers.IntegerField(min_value=0)
    cost = serializers.CharField(help_text="Cost so far, a decimal number as a string.")
    seconds_left = serializers.IntegerField(allow_null=True, min_value=0)


class RunDetailSerializer(RunSerializer):
    estimate = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    config = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "estimate", "progress", "config"]

    @extend_schema_field(EstimateSerializer)
    def get_estimate(self, run: Run) -> dict:
        from llmruns.services import run_estimate

        return run_estimate(run=run)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, run: Run) -> dict:
        from llmruns.services import run_progress

        return run_progress(run=run)

    def get_config(self, run: Run) -> dict:
        """The frozen configuration without the bulky texts (those are in the trials export)."""
        return {key: value for key, value in run.config.items() if key not in ("items",)}
