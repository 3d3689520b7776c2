"""Dashboards of the campaigns for researchers and study admins: agreement, discrepancy; and
the index of every run and campaign.

Each page reads the same cached results as the API (`ratings.analysis`), draws its plots as
inline SVG (`llmruns.plots`), shows the data of every plot in a table below it and links to
the same table as CSV from the API. The helpers and the run pages are in
`llmruns.dashboard_views`. Experts get 403; anonymous visitors go to the login page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from careers.models import Instrument
from llmruns import plots
from llmruns.dashboard_views import (
    api_csv,
    area_labels,
    bad_request,
    cell_text,
    page_parameters,
    researcher_required,
    table,
)
from llmruns.models import Run
from ratings.analysis import (
    AGREEMENT_PARAMETERS,
    DISCREPANCY_PARAMETERS,
    RATER_PARAMETERS,
    ParameterError,
    campaign_agreement,
    campaign_discrepancy,
    campaign_raters,
)
from ratings.api.views import DriftParameters, drift_payload
from ratings.calibration import campaign_drift
from ratings.models import Campaign
from ratings.selectors import simulated_ratings_count


def _campaigns():
    """Campaigns with their run and how many of their ratings are simulated, in one query."""
    return Campaign.objects.select_related("run").annotate(
        simulated_ratings=simulated_ratings_count()
    )


def _level_labels() -> dict[str, str]:
    """The levels of measurement of Krippendorff's alpha in the page's language (the API and
    the links keep the English codes)."""
    return {
        "nominal": _("nominal"),
        "ordinal": _("ordinal"),
        "interval": _("interval"),
        "ratio": _("ratio"),
    }


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
def campaign_agreement_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(), pk=campaign_id)
    try:
        parameters = page_parameters(AGREEMENT_PARAMETERS, request.GET, ["level"])
        rater_parameters = page_parameters(RATER_PARAMETERS, request.GET, ["level"])
    except ParameterError as error:
        return bad_request(error)
    parameters["by"] = ("area",)
    agreement = campaign_agreement(campaign=campaign, parameters=parameters)
    raters = campaign_raters(campaign=campaign, parameters=rater_parameters)
    overall = {"group": _("All units"), **agreement["result"]}
    by_area = [
        {"group": area_labels().get(row["area"], row["area"]), **row} for row in agreement["groups"]
    ]
    alpha_rows = [overall, *by_area]
    level = parameters["level"]
    level_labels = _level_labels()
    context = {
        "campaign": campaign,
        "agreement": agreement,
        "raters": raters,
        "level": level,
        "levels": [
            (choice, level_labels.get(choice, choice))
            for choice in AGREEMENT_PARAMETERS["level"].choices
        ],
        "alpha_plot": mark_safe(  # noqa: S308 - SVG drawn by matplotlib
            plots.interval_plot(
                [(row["group"], row["alpha"], row["ci_low"], row["ci_high"]) for row in alpha_rows],
                x_label=_("Krippendorff's alpha (%(level)s) with 95%% CI")
                % {"level": level_labels.get(level, level)},
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
        "alpha_csv": api_csv("stats-campaign-agreement", campaign.pk, level=level, by="area"),
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
        "raters_csv": api_csv("stats-campaign-raters", campaign.pk, level=level),
    }
    return render(request, "dashboards/campaign_agreement.html", context)


@researcher_required
def campaign_discrepancy_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(), pk=campaign_id)
    try:
        parameters = page_parameters(DISCREPANCY_PARAMETERS, request.GET, ["source"])
    except ParameterError as error:
        return bad_request(error)
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
                area_labels=area_labels(),
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
        "items_csv": api_csv(
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
        "groups_csv": api_csv("stats-campaign-discrepancy", campaign.pk, source=source),
        "alignment_table": table(
            [
                {
                    **row,
                    "competence": _("Experts") if row["competence"] == "expert" else source_label,
                }
                for row in result["alignment"]
            ],
            [
                ("endpoint", _("Endpoint")),
                ("language", _("Language")),
                ("competence", _("Competence")),
                ("n", _("Items")),
                ("spearman_rho", _("Spearman's rho")),
                ("spearman_p", _("Spearman p")),
                ("note", _("Note")),
            ],
        ),
        "alignment_csv": api_csv(
            "stats-campaign-discrepancy", campaign.pk, source=source, table="alignment"
        ),
    }
    return render(request, "dashboards/campaign_discrepancy.html", context)


@researcher_required
def campaign_drift_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Rater drift: each expert's mean deviation from the other raters by blocks of their
    ratings, with the experts whose latest block passes the threshold flagged."""
    campaign = get_object_or_404(Campaign.objects.select_related("run"), pk=campaign_id)
    parameters = DriftParameters(data=request.GET)
    if not parameters.is_valid():
        return HttpResponseBadRequest(
            str(dict(parameters.errors)), content_type="text/plain; charset=utf-8"
        )
    payload = drift_payload(campaign_drift(campaign=campaign, **parameters.validated_data))
    block_count = max((len(row["blocks"]) for row in payload["experts"]), default=0)
    rows = [
        {
            **row,
            "by_block": [cell_text(block["mean_deviation"]) for block in row["blocks"]]
            + ["–"] * (block_count - len(row["blocks"])),
        }
        for row in payload["experts"]
    ]
    context = {
        "campaign": campaign,
        "drift": payload,
        "rows": rows,
        "block_numbers": range(1, block_count + 1),
        "api_url": reverse("campaign-drift", args=[campaign.pk]),
    }
    return render(request, "dashboards/campaign_drift.html", context)
