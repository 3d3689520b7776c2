"""Routes of the researchers' dashboards."""

from __future__ import annotations

from django.urls import path

from ratings import dashboard_views

urlpatterns = [
    path("dashboards/", dashboard_views.dashboard_index, name="dashboard-index"),
    path(
        "dashboards/runs/<int:run_id>/profile/",
        dashboard_views.run_profile_page,
        name="dashboard-run-profile",
    ),
    path(
        "dashboards/campaigns/<int:campaign_id>/agreement/",
        dashboard_views.campaign_agreement_page,
        name="dashboard-campaign-agreement",
    ),
    path(
        "dashboards/campaigns/<int:campaign_id>/discrepancy/",
        dashboard_views.campaign_discrepancy_page,
        name="dashboard-campaign-discrepancy",
    ),
    path(
        "dashboards/campaigns/<int:campaign_id>/drift/",
        dashboard_views.campaign_drift_page,
        name="dashboard-campaign-drift",
    ),
]
