"""Root URLs: pages, the admin, the API under /api/v1/ with its schema and docs."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from careers import views as careers_views
from config.api import build_router
from config.docs import RedocView, SwaggerView

router = build_router()
handler404 = "config.rest.not_found"

urlpatterns = [
    path("", careers_views.home, name="home"),
    path("account/tokens/", careers_views.api_tokens_page, name="api-tokens"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/redoc/", RedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/v1/", include("ratings.api.stats_urls")),
    path("api/v1/", include("llmruns.api.stats_urls")),
    path("api/v1/", include(router.urls)),
    path("", include("ratings.dashboard_urls")),
    path("", include("ratings.urls")),
    path("", include("llmruns.urls")),
]
