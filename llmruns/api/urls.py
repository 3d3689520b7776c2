"""API resources of LLM runs, registered on the project router."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from llmruns.api.views import ModelEndpointViewSet, RunViewSet


def register(router: DefaultRouter) -> None:
    router.register("endpoints", ModelEndpointViewSet, basename="endpoint")
    router.register("runs", RunViewSet, basename="run")
