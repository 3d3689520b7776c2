"""Dashboards of the runs for researchers and study admins: interest profiles, diagnostics.

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

from careers.models import Area, Language, QuestionKind
from careers.permissions import is_researcher
from llmruns import plots
from llmruns.analysis import (
    DIAGNOSTIC_PARAMETERS,
    PROFILE_PARAMETERS,
    ParameterError,
    parse_parameters,
    run_diagnostics,
    run_profiles,
)
from llmruns.analysis.labels import note_label
from llmruns.models import ElicitationMethod, Run
from llmruns.stats_columns import POOLED

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


def cell_text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(cell_text(item) for item in value) or "–"
    return str(value)


# Columns that hold a statistic's note, or why it is undefined, and the diagnostics' names,
# findings, response styles, contrasts and facets: English in the API, shown in the page's
# language.
LABELLED_COLUMNS = frozenset(
    {"note", "reason", "diagnostic", "detail", "style", "contrast", "facet"}
)


# Columns that hold a factor of the design: codes in the API ("zh-hans", "token_probability",
# and "all" where a factor is pooled), their labels on the pages. An endpoint is named by its
# own name, so only its pooled level is labelled.
FACTOR_CHOICES: dict[str, type] = {
    "language": Language,
    "method": ElicitationMethod,
    "method_a": ElicitationMethod,
    "method_b": ElicitationMethod,
    "kind": QuestionKind,
}
FACTOR_COLUMNS = frozenset({"endpoint", *FACTOR_CHOICES})


def factor_label(key: str, value: str) -> str:
    """A factor's level in the page's language: the pooled level "all", a language, an
    elicitation method or a question kind by its label (each of two levels a finding compares);
    an endpoint by its name."""
    if value == POOLED:
        return _("all")
    choices = FACTOR_CHOICES.get(key)
    if choices is None:
        return value
    # A finding about two levels names both: "verbal / structured".
    return " / ".join(
        str(choices(level).label) if level in choices.values else level
        for level in value.split(" / ")
    )


def _cell(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if key in LABELLED_COLUMNS and isinstance(value, str):
        return note_label(value)
    if key in FACTOR_COLUMNS and isinstance(value, str):
        return factor_label(key, value)
    return cell_text(value)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> dict:
    """Rows for the table template: (key, translated heading) pairs pick and name the columns."""
    return {
        "headings": [heading for _key, heading in columns],
        "rows": [[_cell(row, key) for key, _heading in columns] for row in rows],
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
                [
                    {
                        **row,
                        **{key: factor_label(key, row[key]) for key in ("endpoint", "language")},
                    }
                    for row in result["areas"]
                ],
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


def _cell_label(row: Mapping[str, Any]) -> str:
    return " · ".join(
        factor_label(key, str(row[key])) for key in ("endpoint", "language", "method") if key in row
    )


def _limits(rows: Sequence[tuple[str, Any, Any, Any]], floor: float) -> tuple[float, float]:
    """Symmetric limits around 0 that show every estimate and interval, at least +-floor."""
    values = [abs(value) for row in rows for value in row[1:] if value is not None]
    bound = max([floor, *values]) * 1.1
    return -bound, bound


@researcher_required
def run_diagnostics_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(Run, pk=run_id)
    try:
        parameters = page_parameters(DIAGNOSTIC_PARAMETERS, request.GET, ["by", "basis"])
    except ParameterError as error:
        return bad_request(error)
    result = run_diagnostics(run=run, parameters=parameters)
    query = {
        "by": ",".join(parameters["by"]) or "none",
        "basis": parameters["basis"],
    }
    by = [(factor, label) for factor, label in _factor_headings() if factor in parameters["by"]]
    styles = [
        (_cell_label(row), row["acquiescence_index"], row["ci_low"], row["ci_high"])
        for row in result["response_styles"]
    ]
    effects = [
        (
            f"{_cell_label(row)}: {note_label(row['contrast'])}",
            row["mean_difference"],
            row["ci_low"],
            row["ci_high"],
        )
        for row in result["presentation_effects"]
    ]
    consistency = [
        (
            f"{_cell_label(row)} · {row['area']}",
            row["alpha"],
            row["alpha_ci_low"],
            row["alpha_ci_high"],
        )
        for row in result["consistency"]
    ]

    def svg(drawing: str) -> str:
        return mark_safe(drawing)  # noqa: S308 - SVG drawn by matplotlib from numbers and escaped text

    def csv(table_name: str) -> str:
        return api_csv("stats-run-diagnostics", run.pk, table=table_name, **query)

    context = {
        "run": run,
        "result": result,
        "styles_plot": svg(
            plots.interval_plot(
                styles,
                x_label=_("Acquiescence index (mean agreement - scale midpoint) with 95% CI"),
                empty_message=_("No interest answers yet."),
                x_limits=_limits(styles, 1.0),
                reference=0.0,
            )
        ),
        "effects_plot": svg(
            plots.interval_plot(
                effects,
                x_label=_("Mean item difference with 95% CI"),
                empty_message=_("No presentation varied in this run."),
                x_limits=_limits(effects, 1.0),
                reference=0.0,
            )
        ),
        "consistency_plot": svg(
            plots.interval_plot(
                consistency,
                x_label=_("Cronbach's alpha with 95% bootstrap CI"),
                empty_message=_("Not enough complete respondents for internal consistency."),
            )
        ),
        "flags_table": table(
            result["flags"],
            [
                ("diagnostic", _("Diagnostic")),
                ("endpoint", _("Endpoint")),
                ("language", _("Language")),
                ("method", _("Method")),
                ("detail", _("Finding")),
            ],
        ),
        "styles_table": table(
            result["response_styles"],
            [
                *by,
                ("n_respondents", _("Respondents")),
                ("mean_agreement", _("Mean agreement")),
                ("acquiescence_index", _("Acquiescence index")),
                ("ci_low", _("CI low")),
                ("ci_high", _("CI high")),
                ("extreme_share", _("Extreme answers")),
                ("midpoint_share", _("Midpoint answers")),
                ("n_straight_lining", _("Straight-lining respondents")),
                ("style", _("Style")),
                ("note", _("Note")),
            ],
        ),
        "effects_table": table(
            result["presentation_effects"],
            [
                *by,
                ("contrast", _("Contrast")),
                ("n_items", _("Items")),
                ("mean_difference", _("Mean difference")),
                ("ci_low", _("CI low")),
                ("ci_high", _("CI high")),
                ("p", _("p (paired t)")),
                ("item_correlation", _("Item correlation")),
                ("flagged", _("Flagged")),
                ("note", _("Note")),
            ],
        ),
        "consistency_table": table(
            result["consistency"],
            [
                *by,
                ("area", _("Area")),
                ("n_items", _("Items")),
                ("n_complete", _("Complete respondents")),
                ("alpha", _("Alpha")),
                ("alpha_ci_low", _("CI low")),
                ("alpha_ci_high", _("CI high")),
                ("omega", _("Omega total")),
                ("omega_ci_low", _("CI low")),
                ("omega_ci_high", _("CI high")),
                ("note", _("Note")),
            ],
        ),
        "stability_table": table(
            result["stability"],
            [
                *by,
                ("facet", _("Judges")),
                ("form", _("Form")),
                ("k", _("k")),
                ("n_targets", _("Items")),
                ("icc", _("ICC")),
                ("ci_low", _("CI low")),
                ("ci_high", _("CI high")),
                ("note", _("Note")),
            ],
        ),
        "methods_table": table(
            result["method_comparison"],
            [
                *[column for column in by if column[0] != "method"],
                ("method_a", _("Method A")),
                ("method_b", _("Method B")),
                ("n_items", _("Items")),
                ("correlation", _("Correlation of item means")),
                ("mean_difference", _("Mean difference (B - A)")),
                ("ci_low", _("CI low")),
                ("ci_high", _("CI high")),
                ("holland_a", _("Holland code A")),
                ("holland_b", _("Holland code B")),
                ("holland_agreement", _("Same code")),
                ("note", _("Note")),
            ],
        ),
        "rates_table": table(
            result["answer_rates"],
            [
                ("endpoint", _("Endpoint")),
                ("language", _("Language")),
                ("kind", _("Kind")),
                ("method", _("Method")),
                ("n_trials", _("Trials")),
                ("invalid_rate", _("Invalid")),
                ("refusal_rate", _("Refused")),
                ("failure_rate", _("Failed")),
            ],
        ),
        "csv": {
            name: csv(name)
            for name in (
                "flags",
                "response_styles",
                "presentation_effects",
                "consistency",
                "stability",
                "method_comparison",
                "answer_rates",
            )
        },
    }
    return render(request, "dashboards/run_diagnostics.html", context)


def _factor_headings() -> list[tuple[str, str]]:
    return [("endpoint", _("Endpoint")), ("language", _("Language")), ("method", _("Method"))]
