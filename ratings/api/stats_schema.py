"""OpenAPI documentation of the statistics and export endpoints: parameters, response shapes
and examples (drf-spectacular). The serializers here only describe responses; results are
plain dicts built by `ratings.analysis`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from ratings.analysis import EXPORT_FORMATS, RESULT_TABLES, Parameter

STATISTIC_FORMATS = ("json", "csv")


# --- OpenAPI ---------------------------------------------------------------------------------


def _parameter_schema(parameter: Parameter) -> dict:
    """The JSON schema of a query parameter, with the ranges the API enforces."""
    if parameter.kind == "choice":
        return {"type": "string"}
    if parameter.kind == "choices":
        one = "|".join(re.escape(choice) for choice in parameter.choices)
        return {"type": "string", "pattern": f"^(none|({one})(,({one}))*)?$"}
    schema: dict = {"type": "integer" if parameter.kind == "integer" else "number"}
    if parameter.minimum is not None:
        schema["minimum"] = parameter.minimum
        if parameter.exclusive_minimum:
            schema["exclusiveMinimum"] = True
    if parameter.maximum is not None:
        schema["maximum"] = parameter.maximum
        if parameter.exclusive_maximum:
            schema["exclusiveMaximum"] = True
    return schema


def openapi_parameters(declared: Mapping[str, Parameter]) -> list[OpenApiParameter]:
    """OpenAPI query parameters from the statistics' own declarations (ranges included)."""
    return [
        OpenApiParameter(
            name,
            _parameter_schema(parameter),
            description=f"{parameter.description} Valid: {parameter.valid_values()}.",
            enum=list(parameter.choices) if parameter.kind == "choice" else None,
            default=(
                ",".join(parameter.default) or "none"
                if parameter.kind == "choices"
                else parameter.default
            ),
        )
        for name, parameter in declared.items()
    ]


def path_parameter(what: str) -> OpenApiParameter:
    # drf-spectacular names a path's pk "id"; this gives it a type and a description.
    return OpenApiParameter("id", int, OpenApiParameter.PATH, description=f"Id of the {what}.")


def statistic_format_parameters(statistic: str) -> list[OpenApiParameter]:
    tables = RESULT_TABLES[statistic]
    return [
        OpenApiParameter(
            "format",
            str,
            enum=list(STATISTIC_FORMATS),
            default="json",
            description="json (the full result) or csv (one table of it).",
        ),
        OpenApiParameter(
            "table",
            str,
            enum=list(tables),
            default=tables[0],
            description="With format=csv: which table of the result.",
        ),
    ]


class ExclusionSerializer(serializers.Serializer):
    reason = serializers.CharField()
    count = serializers.IntegerField()
    of = serializers.CharField(
        help_text="What is counted: units, assignments, ratings, items, answers."
    )


class CampaignScopeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    run = serializers.IntegerField()


class StatisticSerializer(serializers.Serializer):
    statistic = serializers.CharField()
    parameters = serializers.DictField(help_text="Every parameter used, defaults included.")
    n = serializers.IntegerField(help_text="Observations that entered the statistic.")
    exclusions = ExclusionSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())
    data_version = serializers.CharField(
        help_text="Version of the data the result comes from: for a campaign, its data revision "
        "(moved by every rating, revision, skip or assignment change) and creation time; for a "
        "run, its trial counts and last finish. Equal versions mean the same data."
    )
    computed_at = serializers.DateTimeField()


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
        "exclusions": [{"reason": "self-competence: refused answer", "count": 2, "of": "answers"}],
        "notes": [],
        "data_version": "61-2025-01-01T09:00:00+00:00-120-120-118-116-2025-01-01T11:00:00+00:00",
        "computed_at": "2025-01-01T12:00:00+00:00",
    },
)
ERROR_RESPONSES = {
    400: OpenApiResponse(
        description="A parameter is unknown or has a bad value; the body names the valid ones."
    ),
    403: OpenApiResponse(description="Not a researcher or study admin."),
    404: OpenApiResponse(description="No such campaign or run."),
    422: OpenApiResponse(description="The data cannot be analysed; the body says why."),
}
CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="One table of the result as CSV.")


def statistic_schema(
    *,
    statistic: str,
    declared: Mapping[str, Parameter],
    response: type[serializers.Serializer],
    example: OpenApiExample,
    summary: str,
    description: str,
    scope: str = "campaign",
):
    return extend_schema(
        operation_id=f"{scope}_{statistic.replace('-', '_')}",
        summary=summary,
        description=description,
        tags=["statistics"],
        parameters=[
            path_parameter(scope),
            *openapi_parameters(declared),
            *statistic_format_parameters(statistic),
        ],
        responses={
            (200, "application/json"): response,
            (200, "text/csv"): CSV_RESPONSE,
            **ERROR_RESPONSES,
        },
        examples=[example],
    )


def export_format_parameter() -> OpenApiParameter:
    return OpenApiParameter(
        "format",
        str,
        enum=list(EXPORT_FORMATS),
        default="csv",
        description="csv, parquet or jsonl (JSON lines). Streamed, one row per record.",
    )


EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV with a header row."),
    (200, "application/vnd.apache.parquet"): OpenApiResponse(
        OpenApiTypes.BINARY, description="Parquet."
    ),
    (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.BINARY, description="JSON lines."),
    400: ERROR_RESPONSES[400],
    403: ERROR_RESPONSES[403],
    404: ERROR_RESPONSES[404],
}
