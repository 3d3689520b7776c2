"""Routes of the researchers' dashboards of campaigns, and their index (the runs' are in
`llmruns.urls`)."""

from __future__ import annotations

from django.urls import path

from ratings import dashboard_views

urlpatterns = [
    path("dashboards/", dashboard_views.dashboard_index, name="dashboard-index"),
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
