"""Routes of a campaign's statistics and exports, under /api/v1/ (included before the router)."""

from __future__ import annotations

from django.urls import path

from ratings.api import stats_views

urlpatterns = [
    path(
        "campaigns/<int:pk>/agreement/",
        stats_views.CampaignAgreementView.as_view(),
        name="stats-campaign-agreement",
    ),
    path(
        "campaigns/<int:pk>/raters/",
        stats_views.CampaignRatersView.as_view(),
        name="stats-campaign-raters",
    ),
    path(
        "campaigns/<int:pk>/units/",
        stats_views.CampaignUnitsView.as_view(),
        name="stats-campaign-units",
    ),
    path(
        "campaigns/<int:pk>/discrepancy/",
        stats_views.CampaignDiscrepancyView.as_view(),
        name="stats-campaign-discrepancy",
    ),
    path(
        "campaigns/<int:pk>/ratings/",
        stats_views.CampaignRatingsExportView.as_view(),
        name="stats-campaign-ratings-export",
    ),
    path(
        "campaigns/<int:pk>/package/",
        stats_views.CampaignPackageView.as_view(),
        name="stats-campaign-package",
    ),
]
