"""Read-only statistics and the trials export of a run: interest profiles, the mixed model.

Researchers and study admins read; experts get 403 and nobody writes. The statistics live in
`ratings.analysis` with the campaign ones; these views only name the run's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from llmruns.models import Run
from ratings.analysis import (
    MIXED_MODEL,
    MIXED_MODEL_PARAMETERS,
    PROFILE_PARAMETERS,
    PROFILES,
    run_mixed_model,
    run_profiles,
    trial_export,
)
from ratings.api.stats_schema import (
    EXPORT_RESPONSES,
    StatisticSerializer,
    export_format_parameter,
    path_parameter,
    statistic_schema,
)
from ratings.api.stats_views import ResearchAPIView, StatisticView, streamed_export


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


class RunTrialsExportView(ResearchAPIView):
    @extend_schema(
        operation_id="run_trials_export",
        summary="Every trial of the run (long format, streamed)",
        description="One row per trial: id, endpoint, model, language, item, area, kind, "
        "method and method_fallback, replication, template variant and version, scale_reversed, "
        "status, value, expected_value, valid_mass, text, reasoning_text, outcome_reason, tokens "
        "(with reasoning_tokens), cost, latency, attempts, timestamps, and p_1 .. p_5 (the "
        "token_probability distribution).",
        tags=["exports"],
        parameters=[path_parameter("run"), export_format_parameter()],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        run = get_object_or_404(Run, pk=pk)
        return streamed_export(request, trial_export(run=run))
