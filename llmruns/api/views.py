"""API for model endpoints and runs: create-and-start, progress, cancel, resume, retry-failed."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from careers.permissions import ResearchReadAdminWrite
from config.schema import conflict_response
from llmruns.api.serializers import (
    EstimateSerializer,
    ModelEndpointSerializer,
    RunCreateSerializer,
    RunDetailSerializer,
    RunSerializer,
)
from llmruns.models import FINAL_TRIAL_STATUSES, ModelEndpoint, Run, RunStatus, Trial
from llmruns.services import (
    endpoint_archive,
    endpoint_delete,
    endpoint_unarchive,
    run_cancel,
    run_create,
    run_estimate,
    run_resume,
    run_retry_failed,
    run_start,
)
from llmruns.services.capabilities import endpoint_probe


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is a 400 rather than a filter silently dropped."""

    widget = forms.TextInput  # the raw value: the select widgets map unknown values to "no filter"

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(_("must be true or false"))

    def validate(self, value) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ModelEndpointFilter(django_filters.FilterSet):
    is_mock = StrictBooleanFilter()
    archived = StrictBooleanFilter(
        field_name="archived_at", lookup_expr="isnull", exclude=True, label="archived"
    )

    class Meta:
        model = ModelEndpoint
        fields = ["provider", "is_mock", "archived"]


class ModelEndpointViewSet(viewsets.ModelViewSet):
    """Model endpoints. One that a run used cannot be deleted (409 naming its runs and trials);
    archive it instead: new runs refuse it, its runs and trials stay."""

    serializer_class = ModelEndpointSerializer
    permission_classes = [ResearchReadAdminWrite]
    queryset = ModelEndpoint.objects.order_by("name")
    filterset_class = ModelEndpointFilter

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted."),
            **conflict_response("Runs used the endpoint; the body names them. Archive it instead."),
        }
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ModelEndpointSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk=None) -> Response:
        """New runs refuse an archived endpoint; its runs, trials and exports stay."""
        endpoint = endpoint_archive(endpoint=self.get_object())
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(request=None, responses=ModelEndpointSerializer)
    @action(detail=True, methods=["post"])
    def unarchive(self, request: Request, pk=None) -> Response:
        endpoint = endpoint_unarchive(endpoint=self.get_object())
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(request=None, responses=ModelEndpointSerializer)
    @action(detail=True, methods=["post"])
    def probe(self, request: Request, pk=None) -> Response:
        """Send a few cheap requests and store what the endpoint supports (study admins)."""
        endpoint = endpoint_probe(endpoint=self.get_object())
        return Response(self.get_serializer(endpoint).data)


RUN_EXAMPLE = OpenApiExample(
    "A two-model bilingual run",
    value={
        "name": "pilot",
        "instrument": "oip-sf",
        "endpoints": ["Mock alpha", "Mock beta"],
        "languages": ["en", "zh-hans"],
        "kinds": ["interest", "self_competence", "work_sample", "self_review"],
        "replications": 10,
        "temperature": 1.0,
        "methods": ["verbal", "token_probability"],
        "start": True,
    },
    request_only=True,
)


class RunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [ResearchReadAdminWrite]
    filterset_fields = ["status", "instrument__slug"]

    def get_queryset(self):
        runs = (
            Run.objects.select_related("instrument", "created_by")
            .prefetch_related("endpoints")
            .defer("config")
            .order_by("-created_at", "-pk")
        )
        if self.action == "list":
            return runs  # the page's trial counts come in one query (list)
        return runs.annotate(
            trial_count=Count("trials"),
            finished_count=Count("trials", filter=Q(trials__status__in=FINAL_TRIAL_STATUSES)),
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        """Runs, newest first, with their trial counts. The counts are taken for the page's runs
        only, in one grouped query on the (run, status) index, so the list does not count every
        trial of every run on each request."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        runs = list(queryset) if page is None else page
        counts = {
            row["run_id"]: row
            for row in Trial.objects.filter(run__in=[run.pk for run in runs])
            .order_by()
            .values("run_id")
            .annotate(
                total=Count("pk"),
                finished=Count("pk", filter=Q(status__in=FINAL_TRIAL_STATUSES)),
            )
        }
        for run in runs:
            row = counts.get(run.pk, {})
            run.trial_count = row.get("total", 0)
            run.finished_count = row.get("finished", 0)
        data = self.get_serializer(runs, many=True).data
        return Response(data) if page is None else self.get_paginated_response(data)

    def get_object(self):
        run = super().get_object()
        if self.action == "retrieve":
            run.config = Run.objects.values_list("config", flat=True).get(pk=run.pk)
        return run

    def get_serializer_class(self):
        if self.action == "create":
            return RunCreateSerializer
        if self.action == "retrieve":
            return RunDetailSerializer
        return RunSerializer

    @extend_schema(
        request=RunCreateSerializer,
        responses={
            201: OpenApiResponse(
                RunDetailSerializer,
                description="Created. A large run is `preparing` until a background task has "
                "created its trials (`progress.preparation` shows how far); then it is a draft, "
                "or running if `start` was true.",
            )
        },
        examples=[RUN_EXAMPLE],
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = RunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        start = serializer.validated_data["start"]
        with transaction.atomic():
            run = run_create(
                spec=serializer.to_spec(),
                by=request.user,
                check_reachable=start,
                start_when_prepared=start,
            )
            if start and run.status == RunStatus.DRAFT:
                run = run_start(run=run, by=request.user, check_reachable=False)
        return Response(self._detail(run), status=status.HTTP_201_CREATED)

    def _detail(self, run: Run) -> dict:
        run = self.get_queryset().get(pk=run.pk)
        run.config = Run.objects.values_list("config", flat=True).get(pk=run.pk)
        return RunDetailSerializer(run, context=self.get_serializer_context()).data

    @extend_schema(
        request=None,
        responses={
            200: RunDetailSerializer,
            **conflict_response(
                "The run is not a draft (preparing, running, finished, cancelled)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk=None) -> Response:
        run = run_start(run=self.get_object(), by=request.user)
        return Response(self._detail(run))

    @extend_schema(
        request=None,
        responses={
            200: RunDetailSerializer,
            **conflict_response("The run is finished or already cancelled."),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        run = run_cancel(run=self.get_object())
        return Response(self._detail(run))

    @extend_schema(
        request=None,
        responses={
            200: RunDetailSerializer,
            **conflict_response("Only a cancelled run can be resumed."),
        },
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk=None) -> Response:
        run = self.get_object()
        run_resume(run=run)
        return Response(self._detail(run))

    @extend_schema(
        request=None,
        responses={
            200: RunDetailSerializer,
            **conflict_response("Only a running or finished run's failed trials can be retried."),
        },
    )
    @action(detail=True, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request: Request, pk=None) -> Response:
        run = self.get_object()
        run_retry_failed(run=run)
        return Response(self._detail(run))

    @extend_schema(responses=EstimateSerializer)
    @action(detail=True, methods=["get"])
    def estimate(self, request: Request, pk=None) -> Response:
        run = self.get_object()
        run.config = Run.objects.values_list("config", flat=True).get(pk=run.pk)
        return Response(run_estimate(run=run))
