"""Template context for every page: whether the signed-in user has an expert's rating queue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def expert_navigation(request: HttpRequest) -> dict[str, Any]:
    def user_is_expert() -> bool:
        # Called only when a template asks; hasattr swallows the missing profile (no crash) and
        # Django caches the answer on the user, so a view that loaded the profile costs nothing.
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and hasattr(user, "expert"))

    return {"user_is_expert": user_is_expert}
