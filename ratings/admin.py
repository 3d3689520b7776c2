"""Admin for panels, experts (invited with a one-time link), campaigns, units and ratings.

Adding an expert or a campaign goes through the services (the add pages are forms of their own);
units, assignments and ratings are read-only here, because they are written by the expert's
work, and a change after submission must be a new revision.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_deletion import ExplainsRefusedDeletion
from config.errors import sentences_joined
from ratings.adaptive import stopping_state
from ratings.calibration import campaign_calibration, withheld_calibration_units
from ratings.dropout import campaign_short_units
from ratings.forms import CampaignChangeForm, CampaignCreateForm, ExpertInviteForm
from ratings.models import (
    RATING_FLAG_LABELS,
    Assignment,
    Calibration,
    Campaign,
    CampaignStatus,
    ExpertProfile,
    ModelName,
    Panel,
    Rating,
    Reassignment,
    Unit,
    UnitReviewEvent,
)
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
class PanelAdmin(ExplainsRefusedDeletion):
    list_display = ["name", "expert_count", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["experts"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(expert_count=Count("experts"))

    @admin.display(description=_("experts"), ordering="expert_count")
    def expert_count(self, panel: Panel) -> int:
        return panel.expert_count

    def deletion_refusal(self, obj) -> str | None:
        campaigns = 0 if obj is None else obj.campaigns.count()
        if not campaigns:
            return None
        return ngettext(
            "This panel rates in %(count)s campaign, so it is never deleted. To change who "
            "rates, add or remove experts here: a removed expert's unfinished units go to the "
            "others.",
            "This panel rates in %(count)s campaigns, so it is never deleted. To change who "
            "rates, add or remove experts here: a removed expert's unfinished units go to the "
            "others.",
            campaigns,
        ) % {"count": campaigns}


def expert_deletion_refusal(profile: ExpertProfile) -> str | None:
    """Why an expert (their profile, or the user account it belongs to) is never deleted: their
    assignments (a unit handed on to or from them is one) and calibration answers are the
    study's record. None for an expert who has neither."""
    if not (profile.assignments.exists() or profile.calibrations.exists()):
        return None
    return _(
        "This expert has units or calibration units in a campaign; what they rated is the "
        "study's record, so the expert is never deleted. To stop them rating, deactivate "
        "their user account (Active): their unfinished units go to other experts and their "
        "ratings stay."
    )


@admin.register(ExpertProfile)
class ExpertProfileAdmin(ExplainsRefusedDeletion):
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

    def deletion_refusal(self, obj) -> str | None:
        return None if obj is None else expert_deletion_refusal(obj)

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


def _held_ratings(**condition) -> int:
    """How many submitted ratings (revisions included) hang on the campaign, unit or assignment
    named by `condition`: deleting it would take them with it."""
    return Rating.objects.filter(**condition).count()


@admin.register(Campaign)
class CampaignAdmin(ExplainsRefusedDeletion):
    list_display = [
        "name",
        "run",
        "panel",
        "status",
        "raters_per_unit",
        "unit_count",
        "submitted_count",
        "progress_link",
        "review_link",
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
        "adaptive",
        "max_raters_per_unit",
        "rating_budget",
        "target_ci_half_width",
        "adaptive_state",
        "qualification_threshold",
        "calibration_state",
        "short_units",
        "status",
        "created_by",
        "created_at",
        "closed_at",
        "review_skipped_by",
        "review_skipped_at",
        "progress_link",
        "review_link",
    ]
    fields = ["name", "instructions", *readonly_fields]
    # Refuses instructions that name a model, endpoint or provider (experts read them).
    form = CampaignChangeForm

    def get_queryset(self, request):
        return campaigns_with_counts()

    def deletion_refusal(self, obj) -> str | None:
        # A campaign experts have rated in is the study's data, as the API's refusal says; one
        # nobody has rated in yet may be deleted (to redefine it).
        if obj is None:
            return None
        ratings = _held_ratings(assignment__campaign=obj)
        if not ratings:
            return None
        held = ngettext(
            "This campaign holds %(count)s submitted rating; ratings are the study's results "
            "and are never deleted, and neither is the campaign that holds them.",
            "This campaign holds %(count)s submitted ratings; ratings are the study's results "
            "and are never deleted, and neither is the campaign that holds them.",
            ratings,
        ) % {"count": ratings}
        if obj.status == CampaignStatus.CLOSED:
            instead = _(
                "It is closed already: experts can rate no more of it, and its ratings and "
                "statistics stay."
            )
        else:
            instead = _(
                'Close it instead (the action "Close the selected campaigns"): experts can '
                "rate no more of it, and its ratings and statistics stay."
            )
        return sentences_joined(held, instead)

    @admin.display(description=_("units"), ordering="unit_count")
    def unit_count(self, campaign: Campaign) -> int:
        return campaign.unit_count

    @admin.display(description=_("ratings"), ordering="submitted_count")
    def submitted_count(self, campaign: Campaign) -> str:
        return f"{campaign.submitted_count} / {campaign.assignment_count}"

    @admin.display(description=_("endpoints"))
    def endpoint_names(self, campaign: Campaign) -> str:
        return ", ".join(endpoint.name for endpoint in campaign.endpoints.all())

    @admin.display(description=_("adaptive assignment progress"))
    def adaptive_state(self, campaign: Campaign) -> str:
        state = stopping_state(campaign=campaign) if campaign.pk else None
        if state is None:
            return "-"
        half_width = "-" if state.ci_half_width is None else f"{state.ci_half_width:.3f}"
        return _(
            "%(rule)s Current CI half-width: %(half_width)s. Ratings spent: %(spent)s, "
            "assigned and not yet rated: %(pending)s, left to assign: %(left)s. Units with "
            "extra raters: %(extended)s."
        ) % {
            "rule": state.rule,
            "half_width": half_width,
            "spent": state.ratings_spent,
            "pending": state.ratings_pending,
            "left": state.ratings_left,
            "extended": state.units_with_extra_raters,
        }

    @admin.display(description=_("calibration"))
    def calibration_state(self, campaign: Campaign) -> str:
        rows = campaign_calibration(campaign=campaign) if campaign.pk else []
        if not rows:
            return "-"
        experts = format_html_join(
            "", "<div>{}: {} ({})</div>", ((r.pseudonym, r.status_label, r.reason) for r in rows)
        )
        # The calibration units withheld for review, as the progress page and the API list them.
        withheld = format_html_join(
            "",
            "<div>{}</div>",
            (
                (
                    _(
                        "%(code)s is withheld for review; experts waiting: %(waiting)s, "
                        "experts still to rate it: %(to_rate)s."
                    )
                    % {
                        "code": unit.blind_code,
                        "waiting": unit.experts_waiting,
                        "to_rate": unit.experts_to_rate,
                    },
                )
                for unit in withheld_calibration_units(campaign=campaign)
            ),
        )
        return experts + withheld

    @admin.display(description=_("units short of raters"))
    def short_units(self, campaign: Campaign) -> str:
        rows = campaign_short_units(campaign=campaign) if campaign.pk else []
        if not rows:
            return "-"
        return format_html_join("", "<div>{}</div>", ((row.message,) for row in rows))

    @admin.display(description=_("progress"))
    def progress_link(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("campaign-progress", args=[campaign.pk]), _("progress")
        )

    @admin.display(description=_("review"))
    def review_link(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return "-"
        waiting = getattr(campaign, "units_awaiting_review", None)
        label = _("review") if not waiting else _("review (%(n)s waiting)") % {"n": waiting}
        return format_html(
            '<a href="{}">{}</a>', reverse("campaign-review", args=[campaign.pk]), label
        )

    @admin.action(description=_("Close the selected campaigns"))
    def close_campaigns(self, request, queryset) -> None:
        # Only an open campaign closes: count those whose status changed, not those selected.
        closed = sum(
            campaign.status == CampaignStatus.OPEN
            and campaign_close(campaign=campaign).status == CampaignStatus.CLOSED
            for campaign in queryset
        )
        self.message_user(
            request,
            ngettext("Closed %(count)d campaign.", "Closed %(count)d campaigns.", closed)
            % {"count": closed},
        )

    @admin.action(description=_("Reopen the selected campaigns"))
    def reopen_campaigns(self, request, queryset) -> None:
        # Only a closed campaign reopens (one awaiting review is opened from its review page).
        reopened = sum(
            campaign.status == CampaignStatus.CLOSED
            and campaign_reopen(campaign=campaign).status == CampaignStatus.OPEN
            for campaign in queryset
        )
        self.message_user(
            request,
            ngettext("Reopened %(count)d campaign.", "Reopened %(count)d campaigns.", reopened)
            % {"count": reopened},
        )

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
    def get_queryset(self, request):
        # The change page shows the relations the list shows: joined in its one query, not one
        # query for each.
        queryset = super().get_queryset(request)
        if isinstance(self.list_select_related, list | tuple):
            queryset = queryset.select_related(*self.list_select_related)
        return queryset

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(ExplainsRefusedDeletion, ReadOnlyAdmin):
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

    def deletion_refusal(self, obj) -> str | None:
        # A rated unit goes with its ratings or not at all; one nobody has rated may go.
        if obj is None:
            return None
        ratings = _held_ratings(assignment__unit=obj)
        if not ratings:
            return None
        return ngettext(
            "This unit holds %(count)s submitted rating; ratings are the study's results and "
            "are never deleted, and neither is the unit that holds them. It stays in its "
            "campaign; close the campaign if experts should rate no more of it.",
            "This unit holds %(count)s submitted ratings; ratings are the study's results and "
            "are never deleted, and neither is the unit that holds them. It stays in its "
            "campaign; close the campaign if experts should rate no more of it.",
            ratings,
        ) % {"count": ratings}

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
class AssignmentAdmin(ExplainsRefusedDeletion, ReadOnlyAdmin):
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

    def deletion_refusal(self, obj) -> str | None:
        # A rated assignment goes with its ratings or not at all; one not rated yet may go.
        if obj is None:
            return None
        ratings = _held_ratings(assignment=obj)
        if not ratings:
            return None
        return ngettext(
            "This assignment holds %(count)s submitted rating; ratings are the study's results "
            "and are never deleted, and neither is the assignment that holds them. A rating is "
            "corrected by a new revision; close the campaign if experts should rate no more of "
            "it.",
            "This assignment holds %(count)s submitted ratings; ratings are the study's results "
            "and are never deleted, and neither is the assignment that holds them. A rating is "
            "corrected by a new revision; close the campaign if experts should rate no more of "
            "it.",
            ratings,
        ) % {"count": ratings}


@admin.register(Rating)
class RatingAdmin(ExplainsRefusedDeletion, ReadOnlyAdmin):
    list_display = ["assignment", "revision", "value", "flag_list", "simulated", "created_at"]
    list_filter = ["assignment__campaign", "value", "simulated"]
    search_fields = ["assignment__unit__blind_code", "comment"]
    list_select_related = ["assignment__unit", "assignment__expert"]

    def deletion_refusal(self, obj) -> str | None:
        # Ratings are the study's data: neither they nor, through the cascade, the campaign,
        # unit or assignment they belong to are deleted here (the API refuses it too; those
        # admins say so of what holds ratings).
        return _(
            "Ratings are the study's results and are never deleted; a rating is corrected by "
            "a new revision."
        )

    @admin.display(description=_("flags"))
    def flag_list(self, rating: Rating) -> str:
        return ", ".join(str(RATING_FLAG_LABELS[flag]) for flag in rating.flags)


@admin.register(Calibration)
class CalibrationAdmin(ReadOnlyAdmin):
    """Each expert's calibration per campaign: written by their calibration ratings."""

    list_display = ["campaign", "expert", "status", "units", "rated", "within_range", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["campaign", "expert"]
    search_fields = ["expert__pseudonym", "campaign__name"]


@admin.register(Reassignment)
class ReassignmentAdmin(ReadOnlyAdmin):
    """Unfinished assignments handed on from experts who dropped out (ratings.dropout); no
    new expert: the unit was left short of raters."""

    list_display = ["campaign", "unit", "from_expert", "to_expert", "reason", "created_at"]
    list_filter = ["reason", ("to_expert", admin.EmptyFieldListFilter), "campaign"]
    list_select_related = ["campaign", "unit", "from_expert", "to_expert"]
    search_fields = ["unit__blind_code", "from_expert__pseudonym", "to_expert__pseudonym"]


@admin.register(ModelName)
class ModelNameAdmin(admin.ModelAdmin):
    """The list of model families, products and makers whose names redaction removes."""

    list_display = ["name", "maker", "kind", "rule", "form_list", "is_active", "updated_at"]
    list_filter = ["kind", "rule", "is_active", "maker"]
    search_fields = ["name", "maker", "forms"]
    list_editable = ["is_active"]

    @admin.display(description=_("spellings"))
    def form_list(self, entry: ModelName) -> str:
        return ", ".join(entry.forms)


@admin.register(UnitReviewEvent)
class UnitReviewEventAdmin(ReadOnlyAdmin):
    list_display = ["unit", "action", "by", "created_at", "note"]
    list_filter = ["action"]
    search_fields = ["unit__blind_code", "by__username"]
    list_select_related = ["unit", "by"]
    readonly_fields = ["unit", "action", "by", "created_at", "note", "text_before", "text_after"]


# Deleting a user deletes their expert profile with it: the account of an expert who rated is
# refused with the same reason, instead of Django's protected-objects page.
User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ExpertAwareUserAdmin(ExplainsRefusedDeletion, UserAdmin):
    def deletion_refusal(self, obj) -> str | None:
        profile = None if obj is None else ExpertProfile.objects.filter(user=obj).first()
        return None if profile is None else expert_deletion_refusal(profile)
