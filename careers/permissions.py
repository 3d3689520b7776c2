"""Roles (Django groups plus staff status) and the API permission classes built on them."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

STUDY_ADMIN = "study_admin"
RESEARCHER = "researcher"
EXPERT = "expert"
ROLE_GROUPS = (STUDY_ADMIN, RESEARCHER, EXPERT)


def _group_names(user: Any) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_groups = cached
    return cached


def is_study_admin(user: Any) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or STUDY_ADMIN in _group_names(user))
    )


def is_researcher(user: Any) -> bool:
    return is_study_admin(user) or RESEARCHER in _group_names(user)


class ResearchReadAdminWrite(BasePermission):
    """Researchers and study admins read; only study admins write. Experts get 403."""

    message = "This resource is for researchers and study admins."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return is_researcher(request.user)
        return is_study_admin(request.user)


class ResearchReadOnly(BasePermission):
    """Researchers and study admins read; nobody writes through this resource."""

    message = "This resource is read-only, for researchers and study admins."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS and is_researcher(request.user)
