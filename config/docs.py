"""The API's HTML documentation pages (Swagger UI and ReDoc, from drf-spectacular's sidecar).

Their views render an HTML template, which DRF's metadata answer to OPTIONS has none of; here
OPTIONS answers with the allowed methods instead of an error.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView


class _PageOptions:
    def options(self, request, *args, **kwargs) -> HttpResponse:
        response = HttpResponse(status=200)
        response["Allow"] = ", ".join(self.allowed_methods)
        return response


class SwaggerView(_PageOptions, SpectacularSwaggerView):
    pass


class RedocView(_PageOptions, SpectacularRedocView):
    pass
