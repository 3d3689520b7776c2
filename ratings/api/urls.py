"""API resources of the rating app, registered on the project router."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from ratings.api.views import CampaignViewSet, PanelViewSet


def register(router: DefaultRouter) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("panels", PanelViewSet, basename="panel")
