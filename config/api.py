"""The API router (each app registers its resources) and the shared exception handler."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from careers.api.urls import register as register_careers
from llmruns.api.urls import register as register_llmruns
from ratings.api.urls import register as register_ratings


def build_router() -> DefaultRouter:
    router = DefaultRouter()
    register_careers(router)
    register_llmruns(router)
    register_ratings(router)
    return router


def exception_handler(exc, context):
    """Turn model-level validation errors into 400s that name the field, like DRF's own."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)
