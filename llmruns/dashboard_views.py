"""Dashboards of the runs for researchers and study admins: interest profiles.

Each page reads the same cached results as the API (`llmruns.analysis`), draws its plots as
inline SVG (`llmruns.plots`), shows the data of every plot in a table below it and links to the
same table as CSV from the API. Experts get 403; anonymous visitors go to the login page. The
campaign dashboards (`ratings.dashboard_views`) use the helpers defined here.
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

from careers.models import Area
from careers.permissions import is_researcher
from llmruns import plots
from llmruns.analysis import PROFILE_PARAMETERS, ParameterError, parse_parameters, run_profiles
from llmruns.models import Run

View = Callable[..., HttpResponse]


def researcher_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_researcher(request.user):
            raise PermissionDenied(_("This page is for researchers and study admins."))
        return view(request, *args, **kwargs)

    return wrapper


def page_parameters(
    declared: Mapping[str, Any], query: Mapping[str, str], names: Sequence[str]
) -> dict[str, Any]:
    """The page's own subset of a statistic's parameters, the rest at their defaults."""
    subset = {name: declared[name] for name in names}
    values = parse_parameters(subset, query)
    defaults = parse_parameters(declared, {})
    return {**defaults, **values}


def bad_request(error: ParameterError) -> HttpResponse:
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


def api_csv(name: str, pk: int, **query: str) -> str:
    return f"{reverse(name, args=[pk])}?{urlencode({**query, 'format': 'csv'})}"


def area_labels() -> dict[str, str]:
    return {area.value: f"{area.value} {area.label}" for area in Area}


# --- pages -------------------------------------------------------------------------------------


@researcher_required
def run_profile_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(Run, pk=run_id)
    try:
        parameters = page_parameters(PROFILE_PARAMETERS, request.GET, ["by"])
    except ParameterError as error:
        return bad_request(error)
    result = run_profiles(run=run, parameters=parameters)
    query = {"by": ",".join(parameters["by"]) or "none"}
    context = {
        "run": run,
        "result": result,
        "plot": mark_safe(  # noqa: S308 - SVG drawn by matplotlib from numbers and escaped text
            plots.profile_bars(
                result["areas"],
                area_labels=area_labels(),
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
        "areas_csv": api_csv("stats-run-profiles", run.pk, **query),
        "holland_csv": api_csv("stats-run-profiles", run.pk, table="holland", **query),
    }
    return render(request, "dashboards/run_profile.html", context)
