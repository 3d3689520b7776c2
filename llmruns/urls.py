"""Pages of this app: the run dashboards."""

from __future__ import annotations

from django.urls import path

from llmruns import dashboard_views

urlpatterns = [
    path(
        "dashboards/runs/<int:run_id>/profile/",
        dashboard_views.run_profile_page,
        name="dashboard-run-profile",
    ),
    path(
        "dashboards/runs/<int:run_id>/diagnostics/",
        dashboard_views.run_diagnostics_page,
        name="dashboard-run-diagnostics",
    ),
]
