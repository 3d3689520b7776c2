"""The start page and personal API tokens.

`/` is the login form for visitors; a signed-in user is sent to where their work is: a study
admin to the study overview, a researcher to the dashboards, an expert to the rating queue.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from careers.models import Instrument
from careers.permissions import is_researcher, is_study_admin
from careers.tokens import api_token_create, api_token_revoke, api_tokens
from config.errors import sentences_joined


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return auth_views.LoginView.as_view()(request)
    if is_study_admin(request.user):
        return redirect("study-overview")
    if is_researcher(request.user):
        return redirect("dashboard-index")
    if hasattr(request.user, "expert"):
        return redirect("rate-queue")
    # Signed in without a role: say so rather than show an empty page.
    return render(request, "home.html", {"instruments": Instrument.objects.none()})


@never_cache
@login_required
def api_tokens_page(request: HttpRequest) -> HttpResponse:
    """Create (shown once), list and revoke the user's personal API tokens."""
    if not is_researcher(request.user):
        raise PermissionDenied(_("API tokens are for researchers and study admins."))
    new_token = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            try:
                _record, new_token = api_token_create(user=request.user)
            except ValidationError as exc:
                messages.error(request, sentences_joined(*exc.messages))
                return redirect("api-tokens")
        elif action == "revoke":
            key = request.POST.get("key", "")
            if api_token_revoke(user=request.user, token_key=key):
                messages.success(request, _("The token was revoked; it no longer works."))
            return redirect("api-tokens")
        else:
            return redirect("api-tokens")
    context = {
        "new_token": new_token,
        "tokens": api_tokens(user=request.user).order_by("-created"),
        "api_base": request.build_absolute_uri("/api/v1/"),
    }
    # The page with a new token is the response to the POST itself and is never cached or
    # redirected to: the token text is not kept anywhere to show it again.
    return render(request, "api_tokens.html", context)
