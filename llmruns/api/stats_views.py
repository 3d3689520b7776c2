"""Read-only statistics and the trials export of a run: interest profiles, the mixed model;
and the base views every statistic and export of the API builds on.

Researchers and study admins read; experts get 403 and nobody writes. Every statistic answers
with `n`, the `exclusions` with their reasons, and the `parameters` used; `?format=csv` gives one
of its tables as CSV instead (`?table=` picks which). A bad parameter value is a 400 naming the
valid values; data the statistics cannot analyse is a 422 with the reason. The statistics live
in `llmruns.analysis`; these views only name the run's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careers.permissions import ResearchReadOnly
from llmruns.analysis import (
    CONTENT_TYPES,
    DIAGNOSTIC_PARAMETERS,
    DIAGNOSTICS,
    EXPORT_FORMATS,
    MIXED_MODEL,
    MIXED_MODEL_PARAMETERS,
    PROFILE_PARAMETERS,
    PROFILES,
    RESULT_TABLES,
    ExportSource,
    Parameter,
    ParameterError,
    check_run_method,
    encode,
    filename,
    parse_parameters,
    result_columns,
    result_table,
    run_diagnostics,
    run_mixed_model,
    run_profiles,
    table_csv,
    trial_export,
)
from llmruns.api.stats_schema import (
    EXPORT_RESPONSES,
    STATISTIC_FORMATS,
    StatisticSerializer,
    export_format_parameter,
    path_parameter,
    statistic_schema,
)
from llmruns.models import Run
from llmruns.selectors import resolved_methods


class UnprocessableData(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The data cannot be analysed with these parameters."
    default_code = "unprocessable"


def parameter_errors(error: ParameterError) -> ValidationError:
    return ValidationError(error.errors)


def _choice(query: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = query.get(name, default)
    if value not in choices:
        raise ValidationError(
            {name: [f"{value!r} is not valid; valid values: one of {', '.join(choices)}."]}
        )
    return value


# --- base classes ----------------------------------------------------------------------------


class ResearchAPIView(APIView):
    """Read-only for researchers and study admins; always JSON for errors and results.

    `?format=` names the representation of the body (csv, parquet, ...), which the views
    handle themselves, so DRF's own use of that parameter for renderer selection is bypassed.
    """

    permission_classes = [ResearchReadOnly]
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False):
        renderer = JSONRenderer()
        return renderer, renderer.media_type


class StatisticView(ResearchAPIView):
    """A statistic of one campaign or run, as JSON or as one CSV table."""

    model: ClassVar[type[Model]]
    statistic: ClassVar[str]
    declared: ClassVar[Mapping[str, Parameter]]

    scope_name: ClassVar[str]

    def get_queryset(self) -> QuerySet:
        return self.model.objects.all()

    def get_scope_object(self, pk: int) -> Any:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def compute(self, scope: Any, parameters: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def run_of(self, scope: Any) -> Run:
        """The run whose answers the statistic reads."""
        raise NotImplementedError

    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        scope = self.get_scope_object(pk)
        query = request.query_params
        response_format = _choice(query, "format", STATISTIC_FORMATS, "json")
        tables = RESULT_TABLES[self.statistic]
        table = _choice(query, "table", tables, tables[0])
        try:
            parameters = parse_parameters(self.declared, query, ignored=("format", "table"))
            check_run_method(parameters, run_methods=resolved_methods(self.run_of(scope)))
        except ParameterError as error:
            raise parameter_errors(error) from error
        try:
            result = self.compute(scope, parameters)
        except ValueError as error:
            raise UnprocessableData(str(error)) from error
        if response_format == "csv":
            response = HttpResponse(
                table_csv(
                    result_table(self.statistic, result, table),
                    columns=result_columns(self.statistic, result, table),
                ),
                content_type=CONTENT_TYPES["csv"],
            )
            response["Content-Disposition"] = (
                f'attachment; filename="{self.scope_name}-{scope.pk}-{self.statistic}-{table}.csv"'
            )
            return response
        return Response(result)


def streamed_export(request: Request, source: ExportSource) -> StreamingHttpResponse:
    """The export in the format the query asks for, streamed chunk by chunk."""
    export_format = _choice(request.query_params, "format", EXPORT_FORMATS, "csv")
    try:
        parse_parameters({}, request.query_params, ignored=("format",))
    except ParameterError as error:
        raise parameter_errors(error) from error
    response = StreamingHttpResponse(
        encode(source, export_format), content_type=CONTENT_TYPES[export_format]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(source, export_format)}"'
    return response


# --- run statistics ----------------------------------------------------------------------------


class RunScopeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()


class ProfilesSerializer(StatisticSerializer):
    run = RunScopeSerializer()
    by = serializers.ListField(child=serializers.CharField())
    areas = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per cell and area: respondents, mean item value, SD, CI, mean area score.",
    )
    holland = serializers.ListField(child=serializers.DictField())
    language_differences = serializers.ListField(child=serializers.DictField())
    exclusion_details = serializers.ListField(child=serializers.DictField())


class MixedModelSerializer(StatisticSerializer):
    run = RunScopeSerializer()
    result = serializers.DictField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    coefficients = serializers.ListField(child=serializers.DictField())
    variance_components = serializers.ListField(child=serializers.DictField())


PROFILES_EXAMPLE = OpenApiExample(
    "Profile of one model in English",
    response_only=True,
    value={
        "statistic": "profiles",
        "run": {"id": 7, "name": "Pilot", "status": "finished"},
        "parameters": {"by": ["endpoint", "language"], "confidence": 0.95},
        "n": 1198,
        "by": ["endpoint", "language"],
        "areas": [
            {
                "endpoint": "gpt-4o",
                "language": "en",
                "area": "S",
                "n_respondents": 10,
                "mean": 4.1,
                "sd": 0.3,
                "ci_low": 3.89,
                "ci_high": 4.31,
                "mean_score": 31.0,
                "n_complete": 9,
            }
        ],
        "holland": [
            {
                "endpoint": "gpt-4o",
                "language": "en",
                "code": "SAI",
                "ties": [],
                "ambiguous": False,
                "missing": [],
            }
        ],
        "language_differences": [],
        "exclusion_details": [],
        "exclusions": [
            {
                "reason": "interest: refused answer",
                "count": 2,
                "of": "answers",
                "status": "refused",
            }
        ],
        "notes": [],
        "data_version": "1200-1200-1200-1198-2025-01-01T11:00:00+00:00",
        "computed_at": "2025-01-01T12:00:00+00:00",
    },
)
MIXED_MODEL_EXAMPLE = OpenApiExample(
    "A fitted model",
    response_only=True,
    value={
        "statistic": "mixed-model",
        "run": {"id": 7, "name": "Pilot", "status": "finished"},
        "parameters": {"confidence": 0.95},
        "n": 1198,
        "result": {
            "formula": "value ~ C(area) * C(language) * C(endpoint)",
            "n_observations": 1198,
            "n_items": 60,
            "n_excluded": 2,
            "converged": True,
            "reference_levels": {"area": "R", "language": "en", "endpoint": "gpt-4o"},
            "log_likelihood": -1500.2,
            "warnings": [],
        },
        "reason": None,
        "coefficients": [
            {
                "term": "Intercept",
                "estimate": 2.1,
                "se": 0.2,
                "ci_low": 1.7,
                "ci_high": 2.5,
                "p": 0.0001,
            }
        ],
        "variance_components": [{"component": "item intercept", "variance": 0.3, "sd": 0.55}],
        "exclusions": [],
        "notes": ["2 invalid or refused answer(s) excluded"],
        "data_version": "1200-1200-1200-1198-2025-01-01T11:00:00+00:00",
        "computed_at": "2025-01-01T12:00:00+00:00",
    },
)


class RunStatisticView(StatisticView):
    model = Run
    scope_name = "run"

    def run_of(self, scope: Run) -> Run:
        return scope


class RunProfilesView(RunStatisticView):
    statistic = PROFILES
    declared = PROFILE_PARAMETERS

    @statistic_schema(
        statistic=PROFILES,
        declared=PROFILE_PARAMETERS,
        response=ProfilesSerializer,
        example=PROFILES_EXAMPLE,
        summary="Interest profiles of the run",
        description="Per endpoint x language (or pooled, with `by`): RIASEC area means over "
        "respondents (one replication of the 60 items) with SD and CI, mean area scores of "
        "complete respondents, Holland codes with ties, every excluded answer with its reason, "
        "and the English-Chinese differences.",
        scope="run",
    )
    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        return super().get(request, pk)

    def compute(self, scope: Run, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return run_profiles(run=scope, parameters=parameters)


class RunMixedModelView(RunStatisticView):
    statistic = MIXED_MODEL
    declared = MIXED_MODEL_PARAMETERS

    @statistic_schema(
        statistic=MIXED_MODEL,
        declared=MIXED_MODEL_PARAMETERS,
        response=MixedModelSerializer,
        example=MIXED_MODEL_EXAMPLE,
        summary="Mixed model of interest",
        description="value ~ area x language x model with a random intercept per item "
        "(statsmodels MixedLM, REML): coefficients with SE, CI and p, variance components, "
        "counts and every warning of the fit. `result` is null with the `reason` when the data "
        "cannot be fitted.",
        scope="run",
    )
    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        return super().get(request, pk)

    def compute(self, scope: Run, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return run_mixed_model(run=scope, parameters=parameters)


class DiagnosticsSerializer(StatisticSerializer):
    run = RunScopeSerializer()
    by = serializers.ListField(child=serializers.CharField())
    flags = serializers.ListField(
        child=serializers.DictField(),
        help_text="Every cell where a diagnostic fired: diagnostic, endpoint, language, method "
        "and what it found.",
    )
    consistency = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per cell and area: Cronbach's alpha and McDonald's omega total with "
        "bootstrap CIs, items, respondents and complete respondents.",
    )
    stability = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per cell and facet (replication, template): the six Shrout-Fleiss ICCs, each "
        "named by its form, with CI and F test.",
    )
    response_styles = serializers.ListField(child=serializers.DictField())
    presentation_effects = serializers.ListField(child=serializers.DictField())
    method_comparison = serializers.ListField(child=serializers.DictField())
    answer_rates = serializers.ListField(child=serializers.DictField())


DIAGNOSTICS_EXAMPLE = OpenApiExample(
    "An acquiescent model",
    response_only=True,
    value={
        "statistic": "diagnostics",
        "run": {"id": 7, "name": "Pilot", "status": "finished"},
        "parameters": {
            "by": ["endpoint", "language", "method"],
            "basis": "answer",
            "threshold": 0.5,
            "bootstrap": 200,
            "seed": 0,
            "confidence": 0.95,
            "scale": [1, 5],
        },
        "n": 1198,
        "by": ["endpoint", "language", "method"],
        "flags": [
            {
                "diagnostic": "acquiescence",
                "endpoint": "gpt-4o",
                "language": "en",
                "method": "verbal",
                "detail": "acquiescent: mean agreement 4.02, +1.02 from the midpoint "
                "(threshold 0.5)",
            }
        ],
        "consistency": [
            {
                "endpoint": "gpt-4o",
                "language": "en",
                "method": "verbal",
                "area": "S",
                "n_items": 10,
                "n_respondents": 10,
                "n_complete": 10,
                "alpha": 0.81,
                "alpha_ci_low": 0.62,
                "alpha_ci_high": 0.9,
                "omega": 0.83,
                "omega_ci_low": 0.65,
                "omega_ci_high": 0.92,
                "note": None,
            }
        ],
        "stability": [
            {
                "endpoint": "gpt-4o",
                "language": "en",
                "method": "verbal",
                "facet": "replication",
                "form": "ICC(3,1)",
                "description": "two-way mixed effects, consistency, single judge",
                "k": 10,
                "n_targets": 60,
                "n_targets_excluded": 0,
                "icc": 0.71,
                "ci_low": 0.62,
                "ci_high": 0.79,
                "f": 25.4,
                "df1": 59.0,
                "df2": 531.0,
                "p": 0.0,
                "note": None,
            }
        ],
        "response_styles": [],
        "presentation_effects": [],
        "method_comparison": [],
        "answer_rates": [],
        "exclusions": [
            {"reason": "interest: refused answer", "count": 2, "of": "answers", "status": "refused"}
        ],
        "notes": [],
        "data_version": "1200-1200-1200-1198-2025-01-01T11:00:00+00:00",
        "computed_at": "2025-01-01T12:00:00+00:00",
    },
)


class RunDiagnosticsView(RunStatisticView):
    statistic = DIAGNOSTICS
    declared = DIAGNOSTIC_PARAMETERS

    @statistic_schema(
        statistic=DIAGNOSTICS,
        declared=DIAGNOSTIC_PARAMETERS,
        response=DiagnosticsSerializer,
        example=DIAGNOSTICS_EXAMPLE,
        summary="Psychometric diagnostics of the run",
        description="Per endpoint x language x elicitation method (or pooled, with `by`): "
        "internal consistency of each RIASEC area (Cronbach's alpha, McDonald's omega total, "
        "replications as respondents); stability across replications and across paraphrase "
        "templates (the six Shrout-Fleiss ICCs, form named); response styles (acquiescence, "
        "extreme and midpoint responding, straight-lining); presentation effects (reversed "
        "versus normal scale direction, each template versus the first: mean item difference "
        "with CI and paired t test, flagged when the CI excludes 0); the agreement between "
        "methods (correlation of item means, mean difference, Holland codes); and invalid, "
        "refused and failed trials by endpoint, language, kind and method. `flags` lists every "
        "cell where a diagnostic fired.",
        scope="run",
    )
    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        return super().get(request, pk)

    def compute(self, scope: Run, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return run_diagnostics(run=scope, parameters=parameters)


class RunTrialsExportView(ResearchAPIView):
    @extend_schema(
        operation_id="run_trials_export",
        summary="Every trial of the run (long format, streamed)",
        description="One row per trial: id, endpoint, model, language, item, area, kind, "
        "method and method_fallback, replication, template variant and version, scale_reversed, "
        "status, value, expected_value, valid_mass, text, reasoning_text, outcome_reason, tokens "
        "(with cached_input_tokens and reasoning_tokens), cost, latency, attempts, timestamps, and p_1 .. p_5 (the "
        "token_probability distribution).",
        tags=["exports"],
        parameters=[path_parameter("run"), export_format_parameter()],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        run = get_object_or_404(Run, pk=pk)
        return streamed_export(request, trial_export(run=run))
