"""The API's HTML documentation pages (Swagger UI and ReDoc, from drf-spectacular's sidecar).

Their views render an HTML template, which DRF's metadata answer to OPTIONS has none of; here
OPTIONS answers with the allowed methods instead of an error. They are for researchers and
study admins, as the schema is (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]): a visitor who is not
signed in is sent to the login page, as the dashboards do, rather than given the API's 401.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.exceptions import NotAuthenticated


class _Page:
    def options(self, request, *args, **kwargs) -> HttpResponse:
        response = HttpResponse(status=200)
        response["Allow"] = ", ".join(self.allowed_methods)
        return response

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class SwaggerView(_Page, SpectacularSwaggerView):
    pass


class RedocView(_Page, SpectacularRedocView):
    pass
