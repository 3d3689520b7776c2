"""The expert's pages (queue, one unit), the small JSON endpoints the unit page's script calls,
and the study admin's progress page for a campaign.

An expert reaches only their own assignments: any other blind code is a 404, exactly like a code
that does not exist, so a code cannot even be confirmed to exist. Nothing here renders a trial,
run, endpoint or database id; the blind code is the unit's only name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from careers.permissions import is_study_admin
from config.errors import sentences_joined
from ratings.adaptive import stopping_state
from ratings.calibration import (
    campaign_calibration,
    campaign_drift,
    withheld_calibration_units,
)
from ratings.forms import FLAG_CHOICES, DraftForm, RatingForm, SkipForm
from ratings.models import (
    RATING_FLAG_LABELS,
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    ExpertProfile,
    Rating,
    Unit,
)
from ratings.review_selectors import redaction_figures, review_list
from ratings.selectors import (
    ExpertQueue,
    UnitPage,
    campaign_progress,
    expert_assignment,
    expert_queue,
    next_blind_code,
    unit_page,
)
from ratings.services import (
    RatingConflict,
    assignment_open,
    assignment_skip,
    campaign_close,
    campaign_open,
    campaign_reopen,
    draft_save,
    rating_revise,
    rating_submit,
    unit_review_save,
)

View = Callable[..., HttpResponse]


def expert_required(view: View) -> View:
    """Signed-in experts only; the view receives the expert's profile as `expert`."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            expert = request.user.expert
        except ExpertProfile.DoesNotExist as exc:
            raise PermissionDenied(_("This page is for experts.")) from exc
        return view(request, *args, expert=expert, **kwargs)

    return wrapper


def study_admin_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_study_admin(request.user):
            raise PermissionDenied(_("This page is for study admins."))
        return view(request, *args, **kwargs)

    return wrapper


def _own_assignment(expert: ExpertProfile, blind_code: str) -> Assignment:
    try:
        return expert_assignment(expert=expert, blind_code=blind_code)
    except Assignment.DoesNotExist as exc:
        raise Http404 from exc


def _next_url(expert: ExpertProfile, *, after: str) -> str:
    code = next_blind_code(expert=expert, after=after)
    return reverse("rate-unit", args=[code]) if code else reverse("rate-queue")


def _url_after_rating(assignment: Assignment, expert: ExpertProfile, *, blind_code: str) -> str:
    """A calibration unit comes back to its own page, which now shows the feedback."""
    if assignment.unit.is_calibration:
        return reverse("rate-unit", args=[blind_code])
    return _next_url(expert, after=blind_code)


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _rating_arguments(form: RatingForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "value": data["value"],
        "comment": data["comment"],
        "flags": data["flags"],
        "active_seconds": data["active_seconds"],
        "submission_id": data["submission_id"],
    }


def _rate(assignment: Assignment, form: RatingForm) -> Rating:
    """A first rating, or a revision when the unit was already rated."""
    if assignment.status == AssignmentStatus.SUBMITTED:
        return rating_revise(assignment=assignment, **_rating_arguments(form))
    return rating_submit(assignment=assignment, **_rating_arguments(form))


def _skip(assignment: Assignment, form: SkipForm) -> Assignment:
    return assignment_skip(
        assignment=assignment,
        reason=form.cleaned_data["skip_reason"],
        note=form.cleaned_data["skip_note"],
    )


# --------------------------------------------------------------------------------------------
# Pages


# The queue's status column.
QUEUE_STATUS_LABELS = {
    AssignmentStatus.PENDING: gettext_lazy("To do"),
    AssignmentStatus.DRAFT: gettext_lazy("Draft"),
    AssignmentStatus.SUBMITTED: gettext_lazy("Rated"),
    AssignmentStatus.SKIPPED: gettext_lazy("Skipped"),
}
BLIND_CODE_PLACEHOLDER = "BLINDCODE"


def _queue_rows(queue: ExpertQueue) -> list[dict[str, str]]:
    """One row per unit, its link and label worked out here: a queue can be long, and a reverse()
    and a translation per row are most of what rendering it would cost."""
    before, after = reverse("rate-unit", args=[BLIND_CODE_PLACEHOLDER]).split(
        BLIND_CODE_PLACEHOLDER
    )
    labels = {status: str(label) for status, label in QUEUE_STATUS_LABELS.items()}
    return [
        {
            "url": f"{before}{quote(entry.blind_code, safe='')}{after}",
            "blind_code": entry.blind_code,
            "status": entry.status,
            "label": labels[entry.status],
        }
        for entry in queue.entries
    ]


@expert_required
def rate_queue(request: HttpRequest, *, expert: ExpertProfile) -> HttpResponse:
    queue = expert_queue(expert=expert)
    return render(request, "ratings/queue.html", {"queue": queue, "rows": _queue_rows(queue)})


# Errors shown next to their field on the unit page; any other error is shown above the form.
SHOWN_BY_FIELD = ("value", "comment", "skip_reason")


def _unit_context(
    page: UnitPage, *, posted: dict[str, Any] | None = None, errors: dict | None = None
) -> dict[str, Any]:
    errors = errors or {}
    initial = page.initial
    if posted is not None:
        value = posted.get("value")
        # isdecimal, not isdigit: "²" is a digit that int() cannot read.
        selected_value = int(value) if value and str(value).isdecimal() else None
        comment = posted.get("comment", "")
        flags = set(posted.get("flags", []))
        skip_reason = posted.get("skip_reason", "")
    else:
        selected_value, comment, flags = initial.value, initial.comment, set(initial.flags)
        skip_reason = page.assignment.skip_reason
    return {
        "page": page,
        "unit": page.assignment.unit,
        "assignment": page.assignment,
        "selected_value": selected_value,
        "comment": comment,
        "flags": [(code, label, code in flags) for code, label in FLAG_CHOICES],
        "skip_reasons": SkipForm.base_fields["skip_reason"].choices,
        "skip_reason": skip_reason,
        # A fresh token per page view: a double submission of this view is recognised.
        "submission_id": uuid.uuid4(),
        "errors": {field: errors[field] for field in SHOWN_BY_FIELD if field in errors},
        "other_errors": [
            message
            for field, field_errors in errors.items()
            if field not in SHOWN_BY_FIELD
            for message in field_errors
        ],
        "script_messages": {
            "saved": _("Draft saved"),
            "notSaved": _("Draft not saved"),
            "sending": _("Sending…"),
            "failed": _("Could not send; check the connection and try again."),
            # The server answered with a page instead of JSON: say what happened.
            "sessionExpired": _("Your session has expired, so this was not saved."),
            "logIn": _("Log in again to go on with this unit"),
            "unitGone": _("This unit is no longer available to you, so this was not saved."),
            "backToQueue": _("Back to your queue"),
            "forbidden": _("This page is out of date, so this was not saved."),
            "reload": _("Reload the page"),
            "serverError": _("The server could not save this (error {status}); try again shortly."),
            "chooseValue": _("Choose a value on the scale."),
            "chooseReason": _("Choose a reason for skipping, then press S again."),
        },
    }


@require_http_methods(["GET", "POST"])
@expert_required
def rate_unit(request: HttpRequest, blind_code: str, *, expert: ExpertProfile) -> HttpResponse:
    """One unit. POST is the fallback without JavaScript: submit, revise or skip, then go on."""
    language = translation.get_language() or "en"
    try:
        page = unit_page(expert=expert, blind_code=blind_code, language=language)
    except Assignment.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        skipping = request.POST.get("action") == "skip"
        form = SkipForm(request.POST) if skipping else RatingForm(request.POST)
        errors: dict[str, list[str]] = {}
        if form.is_valid():
            try:
                if skipping:
                    _skip(page.assignment, form)
                else:
                    _rate(page.assignment, form)
            except RatingConflict as exc:
                messages.error(request, sentences_joined(*exc.messages))
                return redirect("rate-unit", blind_code)
            except ValidationError as exc:
                errors = _error_dict(exc)
            else:
                if skipping:
                    return redirect(_next_url(expert, after=blind_code))
                return redirect(_url_after_rating(page.assignment, expert, blind_code=blind_code))
        else:
            errors = {field: list(field_errors) for field, field_errors in form.errors.items()}
        posted = {
            "value": request.POST.get("value"),
            "comment": request.POST.get("comment", ""),
            "flags": request.POST.getlist("flags"),
            "skip_reason": request.POST.get("skip_reason", ""),
        }
        context = _unit_context(page, posted=posted, errors=errors)
        return render(request, "ratings/unit.html", context, status=400)
    assignment_open(assignment=page.assignment)
    context = _unit_context(page)
    if page.assignment.unit.is_calibration and page.latest_rating is not None:
        # The feedback page of a calibration unit: where to go on from it.
        context["continue_url"] = _next_url(expert, after=blind_code)
    return render(request, "ratings/unit.html", context)


# --------------------------------------------------------------------------------------------
# JSON endpoints for the unit page's script (form-encoded POST in, JSON out)


def _json_errors(errors: dict, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def _json_form_errors(form: DraftForm | SkipForm) -> JsonResponse:
    return _json_errors({field: list(errors) for field, errors in form.errors.items()})


@require_POST
@expert_required
def rate_draft(request: HttpRequest, blind_code: str, *, expert: ExpertProfile) -> JsonResponse:
    assignment = _own_assignment(expert, blind_code)
    form = DraftForm(request.POST)
    if not form.is_valid():
        return _json_form_errors(form)
    try:
        assignment = draft_save(
            assignment=assignment,
            value=form.cleaned_data["value"],
            comment=form.cleaned_data["comment"],
            flags=form.cleaned_data["flags"],
        )
    except RatingConflict as exc:
        return _json_errors({"__all__": exc.messages}, status=409)
    except ValidationError as exc:
        return _json_errors(_error_dict(exc))
    return JsonResponse({"status": assignment.status, "saved_at": assignment.draft_saved_at})


@require_POST
@expert_required
def rate_submit(request: HttpRequest, blind_code: str, *, expert: ExpertProfile) -> JsonResponse:
    assignment = _own_assignment(expert, blind_code)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _json_form_errors(form)
    try:
        rating = _rate(assignment, form)
    except RatingConflict as exc:
        return _json_errors({"__all__": exc.messages}, status=409)
    except ValidationError as exc:
        return _json_errors(_error_dict(exc))
    return JsonResponse(
        {
            "status": AssignmentStatus.SUBMITTED,
            "revision": rating.revision,
            "next_url": _url_after_rating(assignment, expert, blind_code=blind_code),
        }
    )


@require_POST
@expert_required
def rate_skip(request: HttpRequest, blind_code: str, *, expert: ExpertProfile) -> JsonResponse:
    assignment = _own_assignment(expert, blind_code)
    form = SkipForm(request.POST)
    if not form.is_valid():
        return _json_form_errors(form)
    try:
        _skip(assignment, form)
    except RatingConflict as exc:
        return _json_errors({"__all__": exc.messages}, status=409)
    except ValidationError as exc:
        return _json_errors(_error_dict(exc))
    return JsonResponse(
        {"status": AssignmentStatus.SKIPPED, "next_url": _next_url(expert, after=blind_code)}
    )


# --------------------------------------------------------------------------------------------
# Study admins


@require_http_methods(["GET", "POST"])
@study_admin_required
def campaign_progress_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Completion, times, flags and gold accuracy; POST action=close|reopen changes the status."""
    campaign = get_object_or_404(Campaign.objects.select_related("run", "panel"), pk=campaign_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "close":
            if campaign.status == CampaignStatus.OPEN and (
                campaign_close(campaign=campaign).status == CampaignStatus.CLOSED
            ):
                messages.success(request, _("The campaign is closed."))
            else:
                messages.info(request, _("Nothing changed: only an open campaign can be closed."))
        elif action == "reopen":
            if campaign.status == CampaignStatus.CLOSED and (
                campaign_reopen(campaign=campaign).status == CampaignStatus.OPEN
            ):
                messages.success(request, _("The campaign is open again."))
            else:
                messages.info(
                    request, _("Nothing changed: only a closed campaign can be reopened.")
                )
        else:
            return HttpResponse(_("Unknown action."), status=400)
        return redirect("campaign-progress", campaign.pk)
    progress = campaign_progress(campaign=campaign)
    context = {
        "progress": progress,
        "flag_counts": [
            (RATING_FLAG_LABELS[flag], count) for flag, count in progress.flag_counts.items()
        ],
        "campaign": campaign,
        "stopping": stopping_state(campaign=campaign),
        "calibration": campaign_calibration(campaign=campaign),
        "withheld_calibration": withheld_calibration_units(campaign=campaign),
        "drifting": [
            row.rater
            for row in campaign_drift(campaign=campaign).raters.itertuples(index=False)
            if row.flagged
        ],
    }
    return render(request, "ratings/progress.html", context)


def _review_post(request: HttpRequest, campaign: Campaign) -> HttpResponse | None:
    """Approve or edit one unit, or open the campaign (optionally skipping the review).

    None when done (the page redirects); a 400 page naming the problem otherwise.
    """
    action = request.POST.get("action")
    try:
        if action in ("approve", "edit"):
            try:
                unit = Unit.objects.get(campaign=campaign, blind_code=request.POST.get("unit", ""))
            except Unit.DoesNotExist as exc:
                raise Http404 from exc
            text = request.POST.get("text") if action == "edit" else None
            if text is not None:
                # A browser sends a textarea's line breaks as CR LF.
                text = text.replace("\r\n", "\n")
            unit_review_save(unit=unit, by=request.user, text=text)
            messages.success(request, _("Unit %(code)s is reviewed.") % {"code": unit.blind_code})
        elif action in ("open", "skip_and_open"):
            campaign_open(campaign=campaign, by=request.user, skip_review=action == "skip_and_open")
            messages.success(request, _("The campaign is open."))
        else:
            return HttpResponse(_("Unknown action."), status=400)
    except ValidationError as exc:
        return HttpResponse(sentences_joined(*exc.messages), status=400)
    return None


@require_http_methods(["GET", "POST"])
@study_admin_required
def campaign_review_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The review list: original and redacted text side by side; approve, edit, open."""
    campaign = get_object_or_404(
        Campaign.objects.select_related("review_skipped_by"), pk=campaign_id
    )
    if request.method == "POST":
        refused = _review_post(request, campaign)
        if refused is not None:
            return refused
        return redirect("campaign-review", campaign.pk)
    show_all = request.GET.get("all") == "1"
    context = {
        "campaign": campaign,
        "entries": review_list(campaign=campaign, include_settled=show_all),
        "figures": redaction_figures(campaign),
        "show_all": show_all,
    }
    return render(request, "ratings/review.html", context)


@study_admin_required
def study_overview_page(request: HttpRequest) -> HttpResponse:
    """Where a study admin lands: runs and campaigns with progress, and what needs attention."""
    from ratings.overview import study_overview

    return render(request, "ratings/overview.html", {"overview": study_overview()})
