"""The start page: the login form for visitors, a role-aware overview for signed-in users."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careers.models import Instrument
from careers.permissions import is_researcher, is_study_admin


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return auth_views.LoginView.as_view()(request)
    context = {
        "is_researcher": is_researcher(request.user),
        "is_study_admin": is_study_admin(request.user),
        "is_expert": hasattr(request.user, "expert"),
        "instruments": Instrument.objects.all() if is_researcher(request.user) else [],
    }
    return render(request, "home.html", context)
