"""Admin for panels, experts (invited with a one-time link), campaigns, units and ratings.

Adding an expert or a campaign goes through the services (the add pages are forms of their own);
units, assignments and ratings are read-only here, because they are written by the expert's
work, and a change after submission must be a new revision.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ratings.forms import CampaignCreateForm, ExpertInviteForm
from ratings.models import Assignment, Campaign, ExpertProfile, Panel, Rating, Unit
from ratings.selectors import campaigns_with_counts
from ratings.services import (
    campaign_close,
    campaign_create,
    campaign_reopen,
    expert_invite,
    expert_set_password_path,
)


def _form_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, *, form, title: str
) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
    }
    return TemplateResponse(request, "ratings/admin/service_form.html", context)


def _add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    list_display = ["name", "expert_count", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["experts"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(expert_count=Count("experts"))

    @admin.display(description=_("experts"), ordering="expert_count")
    def expert_count(self, panel: Panel) -> int:
        return panel.expert_count


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    """Adding an expert is an invitation: an account without a password and a one-time link."""

    list_display = ["pseudonym", "user", "languages", "areas", "has_password"]
    search_fields = ["pseudonym", "user__username", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["pseudonym", "user", "set_password_link", "created_at"]
    fields = ["pseudonym", "user", "languages", "areas", "set_password_link", "created_at"]
    actions = ["show_set_password_links"]

    @admin.display(boolean=True, description=_("password set"))
    def has_password(self, profile: ExpertProfile) -> bool:
        return profile.user.has_usable_password()

    @admin.display(description=_("one-time set-password link"))
    def set_password_link(self, profile: ExpertProfile) -> str:
        if profile.user.has_usable_password():
            return _("The expert has set a password; the link is used up.")
        path = expert_set_password_path(user=profile.user)
        return format_html('<a href="{0}">{0}</a>', path)

    @admin.action(description=_("Show one-time set-password links"))
    def show_set_password_links(self, request, queryset) -> None:
        for profile in queryset.select_related("user"):
            if profile.user.has_usable_password():
                continue
            link = request.build_absolute_uri(expert_set_password_path(user=profile.user))
            self.message_user(request, f"{profile.user.username}: {link}")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ExpertInviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                invitation = expert_invite(**form.cleaned_data)
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                link = request.build_absolute_uri(invitation.set_password_path)
                self.message_user(
                    request,
                    _("Invitation created. Send the expert this one-time link: %(link)s")
                    % {"link": link},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:ratings_expertprofile_change", args=[invitation.profile.pk])
                )
        return _form_page(self, request, form=form, title=_("Invite an expert"))


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "run",
        "panel",
        "status",
        "raters_per_unit",
        "unit_count",
        "submitted_count",
        "progress_link",
        "created_at",
    ]
    list_filter = ["status", "panel"]
    search_fields = ["name", "run__name"]
    actions = ["close_campaigns", "reopen_campaigns"]
    readonly_fields = [
        "run",
        "panel",
        "scale",
        "endpoint_names",
        "languages",
        "areas",
        "samples_per_cell",
        "raters_per_unit",
        "match_expertise",
        "seed",
        "status",
        "created_by",
        "created_at",
        "closed_at",
        "progress_link",
    ]
    fields = ["name", "instructions", *readonly_fields]

    def get_queryset(self, request):
        return campaigns_with_counts()

    @admin.display(description=_("units"), ordering="unit_count")
    def unit_count(self, campaign: Campaign) -> int:
        return campaign.unit_count

    @admin.display(description=_("ratings"), ordering="submitted_count")
    def submitted_count(self, campaign: Campaign) -> str:
        return f"{campaign.submitted_count} / {campaign.assignment_count}"

    @admin.display(description=_("endpoints"))
    def endpoint_names(self, campaign: Campaign) -> str:
        return ", ".join(endpoint.name for endpoint in campaign.endpoints.all())

    @admin.display(description=_("progress"))
    def progress_link(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("campaign-progress", args=[campaign.pk]), _("progress")
        )

    @admin.action(description=_("Close the selected campaigns"))
    def close_campaigns(self, request, queryset) -> None:
        for campaign in queryset:
            campaign_close(campaign=campaign)
        self.message_user(request, _("Closed %(n)s campaigns.") % {"n": len(queryset)})

    @admin.action(description=_("Reopen the selected campaigns"))
    def reopen_campaigns(self, request, queryset) -> None:
        for campaign in queryset:
            campaign_reopen(campaign=campaign)
        self.message_user(request, _("Reopened %(n)s campaigns.") % {"n": len(queryset)})

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CampaignCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                campaign = campaign_create(**form.service_arguments(), by=request.user)
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                self.message_user(
                    request,
                    _("Campaign created with its blind units and assignments."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("campaign-progress", args=[campaign.pk]))
        return _form_page(self, request, form=form, title=_("Create a campaign"))


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    """Admins see what the experts cannot: the trial, its endpoint and the original text."""

    list_display = [
        "blind_code",
        "campaign",
        "endpoint",
        "language",
        "item",
        "replication",
        "redactions",
        "is_gold",
    ]
    list_filter = ["campaign", "language", "is_gold"]
    search_fields = ["blind_code", "text_redacted"]
    list_select_related = ["campaign", "item", "trial__endpoint"]
    fields = [
        "blind_code",
        "campaign",
        "trial",
        "endpoint",
        "item",
        "language",
        "replication",
        "is_gold",
        "expected_min",
        "expected_max",
        "redactions",
        "text_redacted",
        "original_text",
    ]

    @admin.display(description=_("endpoint"), ordering="trial__endpoint__name")
    def endpoint(self, unit: Unit) -> str:
        return unit.trial.endpoint.name

    @admin.display(description=_("replication"))
    def replication(self, unit: Unit) -> int:
        return unit.trial.replication

    @admin.display(description=_("original text"))
    def original_text(self, unit: Unit) -> str:
        return unit.trial.text


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = [
        "unit",
        "expert",
        "campaign",
        "position",
        "status",
        "submitted_at",
        "server_seconds",
        "active_seconds",
    ]
    list_filter = ["campaign", "status"]
    search_fields = ["unit__blind_code", "expert__pseudonym"]
    list_select_related = ["unit", "expert", "campaign"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "revision", "value", "flag_list", "simulated", "created_at"]
    list_filter = ["assignment__campaign", "value", "simulated"]
    search_fields = ["assignment__unit__blind_code", "comment"]
    list_select_related = ["assignment__unit", "assignment__expert"]

    @admin.display(description=_("flags"))
    def flag_list(self, rating: Rating) -> str:
        return ", ".join(rating.flags)
