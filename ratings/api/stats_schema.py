"""OpenAPI documentation of the campaign statistics: response shapes and examples
(drf-spectacular). The serializers here only describe responses; results are plain dicts built
by `ratings.analysis`. The shared parameters, error responses and base serializer are in
`llmruns.api.stats_schema`.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from llmruns.api.stats_schema import (
    CSV_RESPONSE,
    ERROR_RESPONSES,
    EXPORT_RESPONSES,
    STATISTIC_FORMATS,
    ExclusionSerializer,
    StatisticSerializer,
    export_format_parameter,
    openapi_parameters,
    path_parameter,
    statistic_format_parameters,
    statistic_schema,
)
from ratings.analysis import RESULT_TABLES

__all__ = [
    "CSV_RESPONSE",
    "ERROR_RESPONSES",
    "EXPORT_RESPONSES",
    "RESULT_TABLES",
    "STATISTIC_FORMATS",
    "ExclusionSerializer",
    "StatisticSerializer",
    "export_format_parameter",
    "openapi_parameters",
    "path_parameter",
    "statistic_format_parameters",
    "statistic_schema",
]


class CampaignScopeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    run = serializers.IntegerField()


class AlphaSerializer(serializers.Serializer):
    alpha = serializers.FloatField(allow_null=True)
    level = serializers.CharField()
    reason = serializers.CharField(allow_null=True, help_text="Why alpha is null, if it is.")
    n_units = serializers.IntegerField()
    n_raters = serializers.IntegerField()
    n_ratings = serializers.IntegerField()
    n_pairable_values = serializers.IntegerField()
    n_units_not_pairable = serializers.IntegerField()
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    bootstrap_replicates = serializers.IntegerField()
    seed = serializers.IntegerField(allow_null=True)
    bootstrap_undefined = serializers.IntegerField()
    confidence = serializers.FloatField()


class AgreementSerializer(StatisticSerializer):
    campaign = CampaignScopeSerializer()
    result = AlphaSerializer()
    by = serializers.ListField(child=serializers.CharField())
    groups = serializers.ListField(
        child=serializers.DictField(), help_text="The subgroup columns, then the alpha fields."
    )


class RaterRowSerializer(serializers.Serializer):
    rater = serializers.CharField(help_text="The expert's pseudonym.")
    n = serializers.IntegerField()
    mean = serializers.FloatField()
    mean_deviation = serializers.FloatField(allow_null=True)
    alpha_without = serializers.FloatField(allow_null=True)
    flagged = serializers.BooleanField()
    direction = serializers.CharField(allow_null=True, help_text="lenient, severe or null.")


class RatersSerializer(StatisticSerializer):
    campaign = CampaignScopeSerializer()
    count = serializers.IntegerField()
    results = RaterRowSerializer(many=True)


class UnitRowSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="Blind code.")
    trial_id = serializers.IntegerField()
    endpoint = serializers.CharField()
    language = serializers.CharField()
    item = serializers.IntegerField()
    area = serializers.CharField()
    is_gold = serializers.BooleanField()
    n = serializers.IntegerField()
    mean = serializers.FloatField()
    sd = serializers.FloatField(allow_null=True)
    min = serializers.FloatField()
    max = serializers.FloatField()
    range = serializers.FloatField()
    high_disagreement = serializers.BooleanField()


class UnitsSerializer(StatisticSerializer):
    campaign = CampaignScopeSerializer()
    count = serializers.IntegerField(help_text="Rated units in all (before limit and offset).")
    results = UnitRowSerializer(many=True)


class DiscrepancySerializer(StatisticSerializer):
    campaign = CampaignScopeSerializer()
    by = serializers.ListField(child=serializers.CharField())
    groups = serializers.ListField(child=serializers.DictField())
    items = serializers.ListField(child=serializers.DictField())
    excluded_items = serializers.ListField(child=serializers.DictField())
    alignment = serializers.ListField(
        child=serializers.DictField(),
        help_text="Interest-competence alignment per endpoint x language: Spearman's rho across "
        "items between mean interest and competence, once for the experts' competence "
        "(`competence: expert`) and once for the self-assessment (`competence` = the source).",
    )


EXAMPLE_EXCLUSIONS = [
    {"reason": "assignment skipped (outside_expertise)", "count": 3, "of": "assignments"},
    {"reason": "unit has a single rating (not pairable)", "count": 1, "of": "units"},
]
AGREEMENT_EXAMPLE = OpenApiExample(
    "Ordinal alpha with a bootstrap CI",
    response_only=True,
    value={
        "statistic": "agreement",
        "campaign": {"id": 3, "name": "Pilot ratings", "run": 7},
        "parameters": {
            "level": "ordinal",
            "by": [],
            "bootstrap": 1000,
            "seed": 0,
            "confidence": 0.95,
            "value_domain": [1, 2, 3, 4, 5],
        },
        "n": 41,
        "result": {
            "alpha": 0.815,
            "level": "ordinal",
            "reason": None,
            "n_units": 12,
            "n_raters": 4,
            "n_ratings": 41,
            "n_pairable_values": 40,
            "n_units_not_pairable": 1,
            "ci_low": 0.62,
            "ci_high": 0.93,
            "bootstrap_replicates": 1000,
            "seed": 0,
            "bootstrap_undefined": 0,
            "confidence": 0.95,
        },
        "by": [],
        "groups": [],
        "exclusions": EXAMPLE_EXCLUSIONS,
        "notes": [],
        "data_version": "57-2025-01-01T09:00:00+00:00",
        "computed_at": "2025-01-01T12:00:00+00:00",
    },
)
RATERS_EXAMPLE = OpenApiExample(
    "A lenient rater flagged",
    response_only=True,
    value={
        "statistic": "raters",
        "campaign": {"id": 3, "name": "Pilot ratings", "run": 7},
        "parameters": {"level": "ordinal", "threshold": 0.75, "value_domain": [1, 2, 3, 4, 5]},
        "n": 360,
        "count": 3,
        "results": [
            {
                "rater": "E-4KQ7ZP",
                "n": 120,
                "mean": 3.9,
                "mean_deviation": 1.02,
                "alpha_without": 0.81,
                "flagged": True,
                "direction": "lenient",
            }
        ],
        "exclusions": [],
        "notes": [],
        "data_version": "721-2025-01-01T09:00:00+00:00",
        "computed_at": "2025-01-01T12:00:00+00:00",
    },
)
UNITS_EXAMPLE = OpenApiExample(
    "The most disputed unit first",
    response_only=True,
    value={
        "statistic": "units",
        "campaign": {"id": 3, "name": "Pilot ratings", "run": 7},
        "parameters": {"threshold": 2.0, "ordering": "-disagreement", "limit": 1, "offset": 0},
        "n": 360,
        "count": 120,
        "results": [
            {
                "unit": "K7PX2MWQ9A",
                "trial_id": 5012,
                "endpoint": "gpt-4o",
                "language": "en",
                "item": 17,
                "area": "I",
                "is_gold": False,
                "n": 3,
                "mean": 3.0,
                "sd": 2.0,
                "min": 1.0,
                "max": 5.0,
                "range": 4.0,
                "high_disagreement": True,
            }
        ],
        "exclusions": [],
        "notes": [],
        "data_version": "721-2025-01-01T09:00:00+00:00",
        "computed_at": "2025-01-01T12:00:00+00:00",
    },
)
DISCREPANCY_EXAMPLE = OpenApiExample(
    "Self-assessment below the experts",
    response_only=True,
    value={
        "statistic": "discrepancy",
        "campaign": {"id": 3, "name": "Pilot ratings", "run": 7},
        "parameters": {
            "source": "self_competence",
            "by": ["endpoint", "language"],
            "bootstrap": 1000,
            "seed": 0,
            "confidence": 0.95,
            "selection": {"endpoint_names": ["gpt-4o"], "languages": ["en"], "areas": ["S"]},
        },
        "n": 10,
        "by": ["endpoint", "language"],
        "groups": [
            {
                "endpoint": "gpt-4o",
                "language": "en",
                "n": 10,
                "mean_difference": -0.4,
                "ci_low": -0.7,
                "ci_high": -0.1,
                "share_underestimated": 0.7,
                "spearman_rho": 0.42,
                "spearman_p": 0.23,
                "wilcoxon_p": 0.04,
                "note": None,
            }
        ],
        "items": [],
        "excluded_items": [],
        "alignment": [
            {
                "endpoint": "gpt-4o",
                "language": "en",
                "competence": "expert",
                "spearman_rho": 0.31,
                "spearman_p": 0.38,
                "n": 10,
                "n_unpaired_items": 0,
                "note": None,
            },
            {
                "endpoint": "gpt-4o",
                "language": "en",
                "competence": "self_competence",
                "spearman_rho": 0.66,
                "spearman_p": 0.04,
                "n": 10,
                "n_unpaired_items": 0,
                "note": None,
            },
        ],
        "exclusions": [{"reason": "self-competence: refused answer", "count": 2, "of": "answers"}],
        "notes": [],
        "data_version": "61-2025-01-01T09:00:00+00:00-120-120-118-116-2025-01-01T11:00:00+00:00",
        "computed_at": "2025-01-01T12:00:00+00:00",
    },
)
