"""Read-only statistics and exports of a campaign: agreement, raters, units, discrepancy, the
ratings export and the replication package.

Researchers and study admins read; experts get 403 and nobody writes. Every statistic answers
with `n`, the `exclusions` with their reasons, and the `parameters` used; `?format=csv` gives one
of its tables as CSV instead (`?table=` picks which). A bad parameter value is a 400 naming the
valid values; data the statistics cannot analyse is a 422 with the reason. The OpenAPI
descriptions live in `stats_schema`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from llmruns.api.stats_views import (
    ResearchAPIView,
    StatisticView,
    parameter_errors,
    streamed_export,
)
from llmruns.models import Run
from ratings.analysis import (
    AGREEMENT,
    AGREEMENT_PARAMETERS,
    DISCREPANCY,
    DISCREPANCY_PARAMETERS,
    RATER_PARAMETERS,
    RATERS,
    UNIT_PARAMETERS,
    UNITS,
    ParameterError,
    campaign_agreement,
    campaign_discrepancy,
    campaign_raters,
    campaign_units,
    package_filename,
    parse_parameters,
    rating_export,
    replication_package_write,
)
from ratings.analysis.parameters import BOOTSTRAP, SEED
from ratings.api.stats_schema import (
    AGREEMENT_EXAMPLE,
    DISCREPANCY_EXAMPLE,
    ERROR_RESPONSES,
    EXPORT_RESPONSES,
    RATERS_EXAMPLE,
    UNITS_EXAMPLE,
    AgreementSerializer,
    DiscrepancySerializer,
    RatersSerializer,
    UnitsSerializer,
    export_format_parameter,
    openapi_parameters,
    path_parameter,
    statistic_schema,
)
from ratings.models import Campaign

# The package is built before it is streamed; this much of it stays in memory, the rest spills
# to a temporary file.
PACKAGE_MEMORY_BYTES = 32 * 1024 * 1024


class CampaignStatisticView(StatisticView):
    model = Campaign
    scope_name = "campaign"

    def get_queryset(self) -> QuerySet:
        return Campaign.objects.select_related("run")

    def run_of(self, scope: Campaign) -> Run:
        return scope.run


# --- campaign statistics ---------------------------------------------------------------------


class CampaignAgreementView(CampaignStatisticView):
    statistic = AGREEMENT
    declared = AGREEMENT_PARAMETERS

    @statistic_schema(
        statistic=AGREEMENT,
        declared=AGREEMENT_PARAMETERS,
        response=AgreementSerializer,
        example=AGREEMENT_EXAMPLE,
        summary="Krippendorff's alpha of the campaign's ratings",
        description="Alpha of the latest submitted rating of every assignment, with a seeded "
        "percentile bootstrap CI over units, overall and per subgroup (`by`). Units with one "
        "rating are counted as not pairable; alpha is null with the reason when undefined.",
    )
    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        return super().get(request, pk)

    def compute(self, scope: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return campaign_agreement(campaign=scope, parameters=parameters)


class CampaignRatersView(CampaignStatisticView):
    statistic = RATERS
    declared = RATER_PARAMETERS

    @statistic_schema(
        statistic=RATERS,
        declared=RATER_PARAMETERS,
        response=RatersSerializer,
        example=RATERS_EXAMPLE,
        summary="Per-rater statistics",
        description="Per expert (by pseudonym): ratings, mean, mean deviation from the other "
        "raters of the same units, alpha without the rater, and a flag when the deviation "
        "reaches `threshold`.",
    )
    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        return super().get(request, pk)

    def compute(self, scope: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return campaign_raters(campaign=scope, parameters=parameters)


class CampaignUnitsView(CampaignStatisticView):
    statistic = UNITS
    declared = UNIT_PARAMETERS

    @statistic_schema(
        statistic=UNITS,
        declared=UNIT_PARAMETERS,
        response=UnitsSerializer,
        example=UNITS_EXAMPLE,
        summary="Per-unit statistics",
        description="Per rated unit (by blind code, with its trial, endpoint, language and "
        "item): ratings, mean, SD, range and the high-disagreement flag.",
    )
    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        return super().get(request, pk)

    def compute(self, scope: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return campaign_units(campaign=scope, parameters=parameters)


class CampaignDiscrepancyView(CampaignStatisticView):
    statistic = DISCREPANCY
    declared = DISCREPANCY_PARAMETERS

    @statistic_schema(
        statistic=DISCREPANCY,
        declared=DISCREPANCY_PARAMETERS,
        response=DiscrepancySerializer,
        example=DISCREPANCY_EXAMPLE,
        summary="Self-assessed versus expert competence",
        description="Self - expert per item x endpoint x language (`items`), aggregated per "
        "`by` group with a bootstrap CI, the share of underestimated items, Spearman's rho and "
        "the Wilcoxon signed-rank p (`groups`); items lacking a side are listed with the reason. "
        "`alignment`: per endpoint x language, Spearman's rho across items between mean interest "
        "and the experts' competence, and between mean interest and the self-assessment.",
    )
    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        return super().get(request, pk)

    def compute(self, scope: Campaign, parameters: Mapping[str, Any]) -> dict[str, Any]:
        return campaign_discrepancy(campaign=scope, parameters=parameters)


# --- exports ---------------------------------------------------------------------------------


class CampaignRatingsExportView(ResearchAPIView):
    @extend_schema(
        operation_id="campaign_ratings_export",
        summary="Every rating revision of the campaign (long format, streamed)",
        description="One row per rating revision: blind code, the unit's trial, endpoint, "
        "language, item, area, is_gold, is_calibration (a unit that trains the experts, left "
        "out of the statistics), expert pseudonym, value, revision, is_latest (the revision the "
        "statistics use), flags, comment, server and active seconds, timestamps.",
        tags=["exports"],
        parameters=[path_parameter("campaign"), export_format_parameter()],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        return streamed_export(request, rating_export(campaign=campaign))


PACKAGE_PARAMETERS = {"bootstrap": BOOTSTRAP, "seed": SEED}


class CampaignPackageView(ResearchAPIView):
    @extend_schema(
        operation_id="campaign_replication_package",
        summary="Replication package of the campaign (zip)",
        description="One zip: trials.csv (the run), ratings.csv (every revision), "
        "run_config.json (the frozen configuration, without secrets), every statistic as CSV "
        "under statistics/ with the full JSON results, and manifest.json with each file's row "
        "count, size and SHA-256.",
        tags=["exports"],
        parameters=[path_parameter("campaign"), *openapi_parameters(PACKAGE_PARAMETERS)],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip."),
            400: ERROR_RESPONSES[400],
            403: ERROR_RESPONSES[403],
            404: ERROR_RESPONSES[404],
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        campaign = get_object_or_404(Campaign.objects.select_related("run"), pk=pk)
        try:
            parameters = parse_parameters(PACKAGE_PARAMETERS, request.query_params)
        except ParameterError as error:
            raise parameter_errors(error) from error
        spooled = tempfile.SpooledTemporaryFile(max_size=PACKAGE_MEMORY_BYTES)  # noqa: SIM115
        try:
            replication_package_write(campaign=campaign, target=spooled, **parameters)
        except BaseException:
            spooled.close()
            raise
        spooled.seek(0)
        # FileResponse streams the file in blocks and closes it when the response is done.
        return FileResponse(
            spooled,
            as_attachment=True,
            filename=package_filename(campaign),
            content_type="application/zip",
        )
