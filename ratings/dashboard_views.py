"""Dashboards for researchers and study admins: run profiles, agreement, discrepancy.

Each page reads the same cached results as the API (`ratings.analysis`), draws its plots as
inline SVG (`ratings.plots`), shows the data of every plot in a table below it and links to
the same table as CSV from the API. Experts get 403; anonymous visitors go to the login page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from careers.models import Area, Instrument
from careers.permissions import is_researcher
from llmruns.models import Run
from ratings import plots
from ratings.analysis import (
    AGREEMENT_PARAMETERS,
    DISCREPANCY_PARAMETERS,
    PROFILE_PARAMETERS,
    RATER_PARAMETERS,
    ParameterError,
    campaign_agreement,
    campaign_discrepancy,
    campaign_raters,
    parse_parameters,
    run_profiles,
)
from ratings.models import Campaign
from ratings.selectors import simulated_ratings_count

View = Callable[..., HttpResponse]


def researcher_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_researcher(request.user):
            raise PermissionDenied(_("This page is for researchers and study admins."))
        return view(request, *args, **kwargs)

    return wrapper


def _parameters(
    declared: Mapping[str, Any], query: Mapping[str, str], names: Sequence[str]
) -> dict[str, Any]:
    """The page's own subset of a statistic's parameters, the rest at their defaults."""
    subset = {name: declared[name] for name in names}
    values = parse_parameters(subset, query)
    defaults = parse_parameters(declared, {})
    return {**defaults, **values}


def _bad_request(error: ParameterError) -> HttpResponse:
    return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value) or "–"
    return str(value)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> dict:
    """Rows for the table template: (key, translated heading) pairs pick and name the columns."""
    return {
        "headings": [heading for _key, heading in columns],
        "rows": [[_cell(row.get(key)) for key, _heading in columns] for row in rows],
    }


def _api_csv(name: str, pk: int, **query: str) -> str:
    return f"{reverse(name, args=[pk])}?{urlencode({**query, 'format': 'csv'})}"


def _campaigns():
    """Campaigns with their run and how many of their ratings are simulated, in one query."""
    return Campaign.objects.select_related("run").annotate(
        simulated_ratings=simulated_ratings_count()
    )


def _area_labels() -> dict[str, str]:
    return {area.value: f"{area.value} {area.label}" for area in Area}


# --- pages -------------------------------------------------------------------------------------


@researcher_required
def dashboard_index(request: HttpRequest) -> HttpResponse:
    runs = Run.objects.only("id", "name", "status", "created_at").order_by("-created_at")
    campaigns = (
        _campaigns()
        .only("id", "name", "status", "created_at", "run__id", "run__name")
        .order_by("-created_at")
    )
    instruments = Instrument.objects.only("name", "version", "attribution", "attribution_zh")
    return render(
        request,
        "dashboards/index.html",
        {"runs": runs, "campaigns": campaigns, "instruments": instruments},
    )


@researcher_required
def run_profile_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(Run, pk=run_id)
    try:
        parameters = _parameters(PROFILE_PARAMETERS, request.GET, ["by"])
    except ParameterError as error:
        return _bad_request(error)
    result = run_profiles(run=run, parameters=parameters)
    query = {"by": ",".join(parameters["by"]) or "none"}
    context = {
        "run": run,
        "result": result,
        "plot": mark_safe(  # noqa: S308 - SVG drawn by matplotlib from numbers and escaped text
            plots.profile_bars(
                result["areas"],
                area_labels=_area_labels(),
                y_label=_("Mean interest (1-5) with 95% CI"),
                empty_message=_("No interest answers yet."),
            )
        ),
        "areas_table": table(
            result["areas"],
            [
                ("endpoint", _("Endpoint")),
                ("language", _("Language")),
                ("area", _("Area")),
                ("n_respondents", _("Respondents")),
                ("mean", _("Mean")),
                ("sd", _("SD")),
                ("ci_low", _("CI low")),
                ("ci_high", _("CI high")),
                ("mean_score", _("Mean area score (0-40)")),
                ("n_complete", _("Complete respondents")),
            ],
        ),
        "holland_table": table(
            result["holland"],
            [
                ("endpoint", _("Endpoint")),
                ("language", _("Language")),
                ("code", _("Holland code")),
                ("ties", _("Ties")),
                ("ambiguous", _("Ambiguous")),
            ],
        ),
        "areas_csv": _api_csv("stats-run-profiles", run.pk, **query),
        "holland_csv": _api_csv("stats-run-profiles", run.pk, table="holland", **query),
    }
    return render(request, "dashboards/run_profile.html", context)


@researcher_required
def campaign_agreement_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(), pk=campaign_id)
    try:
        parameters = _parameters(AGREEMENT_PARAMETERS, request.GET, ["level"])
        rater_parameters = _parameters(RATER_PARAMETERS, request.GET, ["level"])
    except ParameterError as error:
        return _bad_request(error)
    parameters["by"] = ("area",)
    agreement = campaign_agreement(campaign=campaign, parameters=parameters)
    raters = campaign_raters(campaign=campaign, parameters=rater_parameters)
    overall = {"group": _("All units"), **agreement["result"]}
    by_area = [
        {"group": _area_labels().get(row["area"], row["area"]), **row}
        for row in agreement["groups"]
    ]
    alpha_rows = [overall, *by_area]
    level = parameters["level"]
    context = {
        "campaign": campaign,
        "agreement": agreement,
        "raters": raters,
        "level": level,
        "levels": AGREEMENT_PARAMETERS["level"].choices,
        "alpha_plot": mark_safe(  # noqa: S308 - SVG drawn by matplotlib
            plots.interval_plot(
                [(row["group"], row["alpha"], row["ci_low"], row["ci_high"]) for row in alpha_rows],
                x_label=_("Krippendorff's alpha (%(level)s) with 95%% CI") % {"level": level},
                empty_message=_("Alpha is not defined yet."),
            )
        ),
        "alpha_table": table(
            alpha_rows,
            [
                ("group", _("Units")),
                ("alpha", _("Alpha")),
                ("ci_low", _("CI low")),
                ("ci_high", _("CI high")),
                ("reason", _("Why undefined")),
                ("n_units", _("Units")),
                ("n_raters", _("Raters")),
                ("n_ratings", _("Ratings")),
                ("n_units_not_pairable", _("Units not pairable")),
            ],
        ),
        "alpha_csv": _api_csv("stats-campaign-agreement", campaign.pk, level=level, by="area"),
        "raters_plot": mark_safe(  # noqa: S308 - SVG drawn by matplotlib
            plots.rater_deviations(
                raters["results"],
                threshold=rater_parameters["threshold"],
                x_label=_("Mean deviation from the other raters (scale points)"),
                empty_message=_("No unit has two ratings yet."),
            )
        ),
        "raters_table": table(
            raters["results"],
            [
                ("rater", _("Expert")),
                ("n", _("Ratings")),
                ("mean", _("Mean")),
                ("mean_deviation", _("Mean deviation")),
                ("alpha_without", _("Alpha without this expert")),
                ("flagged", _("Flagged")),
            ],
        ),
        "raters_csv": _api_csv("stats-campaign-raters", campaign.pk, level=level),
    }
    return render(request, "dashboards/campaign_agreement.html", context)


@researcher_required
def campaign_discrepancy_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(), pk=campaign_id)
    try:
        parameters = _parameters(DISCREPANCY_PARAMETERS, request.GET, ["source"])
    except ParameterError as error:
        return _bad_request(error)
    result = campaign_discrepancy(campaign=campaign, parameters=parameters)
    source = parameters["source"]
    source_label = (
        _("Self-assessed competence") if source == "self_competence" else _("Self-review")
    )
    context = {
        "campaign": campaign,
        "result": result,
        "source": source,
        "sources": DISCREPANCY_PARAMETERS["source"].choices,
        "scatter": mark_safe(  # noqa: S308 - SVG drawn by matplotlib
            plots.self_expert_scatter(
                result["items"],
                area_labels=_area_labels(),
                x_label=source_label,
                y_label=_("Expert competence"),
                empty_message=_("No item has both a self-assessment and an expert rating yet."),
            )
        ),
        "items_table": table(
            result["items"],
            [
                ("endpoint", _("Endpoint")),
                ("language", _("Language")),
                ("item", _("Item")),
                ("area", _("Area")),
                ("self", source_label),
                ("expert", _("Expert")),
                ("difference", _("Self - expert")),
                ("n_self", _("Answers")),
                ("n_units", _("Units")),
                ("n_ratings", _("Ratings")),
            ],
        ),
        "items_csv": _api_csv(
            "stats-campaign-discrepancy", campaign.pk, source=source, table="items"
        ),
        "groups_table": table(
            result["groups"],
            [
                ("endpoint", _("Endpoint")),
                ("language", _("Language")),
                ("n", _("Items")),
                ("mean_difference", _("Mean self - expert")),
                ("ci_low", _("CI low")),
                ("ci_high", _("CI high")),
                ("share_underestimated", _("Share underestimated")),
                ("spearman_rho", _("Spearman's rho")),
                ("wilcoxon_p", _("Wilcoxon p")),
                ("note", _("Note")),
            ],
        ),
        "groups_csv": _api_csv("stats-campaign-discrepancy", campaign.pk, source=source),
    }
    return render(request, "dashboards/campaign_discrepancy.html", context)
