"""The API router: each app registers its resources. The shared exception handler, pagination
and schema class live in `config.rest`."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from careers.api.urls import register as register_careers
from config.rest import exception_handler
from llmruns.api.urls import register as register_llmruns
from ratings.api.urls import register as register_ratings

__all__ = ["build_router", "exception_handler"]


def build_router() -> DefaultRouter:
    """The API's resources. No format-suffix routes (`runs.json`): a format is chosen with
    `?format=` or the Accept header, as the statistics and exports do."""
    router = DefaultRouter()
    router.include_format_suffixes = False
    register_careers(router)
    register_llmruns(router)
    register_ratings(router)
    return router
