"""Template context for every page's navigation: whether the signed-in user has an expert's rating
queue, and the languages the interface can be switched to."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info


@cache
def _language_options(codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    # Each language under its own name ("English", "简体中文"), whatever the page language: the
    # same for every page and every user, so worked out once per process.
    return tuple((code, get_language_info(code)["name_local"]) for code in codes)


def expert_navigation(request: HttpRequest) -> dict[str, Any]:
    def user_is_expert() -> bool:
        # Called only when a template asks; hasattr swallows the missing profile (no crash) and
        # Django caches the answer on the user, so a view that loaded the profile costs nothing.
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and hasattr(user, "expert"))

    codes = tuple(code for code, _name in settings.LANGUAGES)
    return {"user_is_expert": user_is_expert, "language_options": _language_options(codes)}
