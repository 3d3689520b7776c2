"""API resources of the inventory, registered on the project router."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from careers.api.views import InstrumentViewSet, ItemViewSet


def register(router: DefaultRouter) -> None:
    router.register("instruments", InstrumentViewSet, basename="instrument")
    router.register("items", ItemViewSet, basename="item")
