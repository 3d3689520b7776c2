"""Routes of a run's statistics and its trials export, under /api/v1/ (before the router)."""

from __future__ import annotations

from django.urls import path

from llmruns.api import stats_views

urlpatterns = [
    path(
        "runs/<int:pk>/profiles/",
        stats_views.RunProfilesView.as_view(),
        name="stats-run-profiles",
    ),
    path(
        "runs/<int:pk>/mixed-model/",
        stats_views.RunMixedModelView.as_view(),
        name="stats-run-mixed-model",
    ),
    path(
        "runs/<int:pk>/diagnostics/",
        stats_views.RunDiagnosticsView.as_view(),
        name="stats-run-diagnostics",
    ),
    path(
        "runs/<int:pk>/trials/",
        stats_views.RunTrialsExportView.as_view(),
        name="stats-run-trials-export",
    ),
]
