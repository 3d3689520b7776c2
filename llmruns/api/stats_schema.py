"""OpenAPI documentation shared by the statistics and export endpoints (drf-spectacular).

Query parameters from the statistics' own declarations, the `format`/`table` parameters, the
error responses, the base serializer of every statistic and the `statistic_schema` decorator;
the run statistics' and the campaign statistics' response shapes build on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from llmruns.analysis import EXPORT_FORMATS, RESULT_TABLES, Parameter

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
