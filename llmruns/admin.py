"""Admin for endpoints, runs (with estimate, progress and actions), trials and attempts."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_deletion import ExplainsRefusedDeletion
from config.errors import sentences_joined
from llmruns.models import (
    Attempt,
    ModelEndpoint,
    ProviderBatch,
    Run,
    RunStatus,
    Trial,
    TrialStatus,
)
from llmruns.services import (
    endpoint_runs,
    run_cancel,
    run_estimate,
    run_progress,
    run_resume,
    run_retry_failed,
    run_start,
)
from llmruns.services.capabilities import endpoint_probe


@admin.register(ModelEndpoint)
class ModelEndpointAdmin(ExplainsRefusedDeletion):
    list_display = [
        "name",
        "model",
        "provider",
        "base_url",
        "max_requests_per_minute",
        "max_concurrency",
        "is_mock",
        "probed_at",
    ]
    list_filter = [
        "provider",
        "is_mock",
        "supports_json_schema",
        "supports_logprobs",
        "supports_batch",
    ]
    search_fields = ["name", "model", "provider"]
    readonly_fields = ["probed_at", "capability_report"]
    exclude = ["capabilities"]
    actions = ["probe_endpoints"]
    # An address typed without a scheme is https: the provider's key goes out with every call.
    # Saying so is also what Django 6 requires (its default becomes https, with a warning until).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def deletion_refusal(self, obj) -> str | None:
        # An endpoint a run used (a draft too) is part of that run's record: archive it instead,
        # as the API says when it refuses the same deletion.
        if obj is None:
            return None
        runs = endpoint_runs(endpoint=obj).count()
        if not runs:
            return None
        return ngettext(
            "This endpoint was used by %(count)s run; it is part of that run's record and is "
            "never deleted. Archive it instead (through the API): new runs cannot use it, and "
            "its history stays.",
            "This endpoint was used by %(count)s runs; it is part of their record and is never "
            "deleted. Archive it instead (through the API): new runs cannot use it, and its "
            "history stays.",
            runs,
        ) % {"count": runs}

    @admin.display(description=_("capabilities (last probe)"))
    def capability_report(self, endpoint: ModelEndpoint) -> str:
        results = (endpoint.capabilities or {}).get("results") or {}
        if not results:
            return _("not probed yet")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (
                    name,
                    _supported_label(result.get("supported")),
                    result.get("status") or "",
                    result.get("error", ""),
                )
                for name, result in results.items()
            ),
        )
        return format_html("<table>{}</table>", rows)

    @admin.action(description=_("Probe the selected endpoints' capabilities"))
    def probe_endpoints(self, request, queryset):
        for endpoint in queryset:
            endpoint = endpoint_probe(endpoint=endpoint)
            results = endpoint.capabilities.get("results") or {}
            missing = [name for name, result in results.items() if result.get("supported") is False]
            undecided = endpoint.capabilities.get("undecided") or []
            self.message_user(
                request,
                _(
                    "%(endpoint)s: probed; not supported: %(missing)s; undecided (rate limited "
                    "or no answer; the flags are kept, probe again later): %(undecided)s"
                )
                % {
                    "endpoint": endpoint,
                    "missing": ", ".join(missing) or "-",
                    "undecided": ", ".join(undecided) or "-",
                },
                level=messages.WARNING if undecided else messages.INFO,
            )


def _supported_label(supported: bool | None) -> str:
    """A probe result as the admin shows it: undecided (None) is neither yes nor no."""
    if supported is None:
        return _("undecided")
    return _("yes") if supported else _("no")


def _run_deletion_refusal(run: Run) -> str | None:
    """Why a run is never deleted: it may call its endpoints at any moment (preparing or
    running), or it has called them (answers, attempts, costs, provider batches); None for a
    draft, or a run cancelled before any call."""
    if run.status in (RunStatus.PREPARING, RunStatus.RUNNING):
        return _(
            "This run is in progress and its trials may hold answers at any moment; results are "
            "never deleted. Cancel the run instead: it stays on record."
        )
    if run.status not in (RunStatus.DRAFT, RunStatus.CANCELLED) or (
        Trial.objects.filter(run=run)
        .exclude(status__in=[TrialStatus.PENDING, TrialStatus.CANCELLED])
        .exists()
        or Attempt.objects.filter(trial__run=run).exists()
        or ProviderBatch.objects.filter(run=run).exists()
    ):
        return _(
            "This run has trials that called their endpoints (answers, attempts, costs); "
            "results are never deleted, so the run stays on record. Cancel it if it should not "
            "go on."
        )
    return None


def _apply(modeladmin, request, queryset, service, done: str) -> None:
    for run in queryset:
        try:
            service(run=run)
        except ValidationError as exc:
            modeladmin.message_user(
                request, f"{run}: {sentences_joined(*exc.messages)}", level=messages.ERROR
            )
        else:
            modeladmin.message_user(request, _("%(run)s: %(done)s") % {"run": run, "done": done})


@admin.action(description=_("Start the selected draft runs"))
def start_runs(modeladmin, request, queryset):
    _apply(modeladmin, request, queryset, run_start, _("started"))


@admin.action(description=_("Cancel the selected runs"))
def cancel_runs(modeladmin, request, queryset):
    _apply(modeladmin, request, queryset, run_cancel, _("cancelled"))


@admin.action(description=_("Resume the selected cancelled runs"))
def resume_runs(modeladmin, request, queryset):
    _apply(modeladmin, request, queryset, run_resume, _("resumed"))


@admin.action(description=_("Retry the failed trials of the selected runs"))
def retry_failed_runs(modeladmin, request, queryset):
    _apply(modeladmin, request, queryset, run_retry_failed, _("failed trials queued again"))


# The JSON of a run's change page wraps its long lines (a progress note, an item's text) inside
# the admin's column, which would otherwise cut them off at its edge.
WRAPPED_PRE = "white-space:pre-wrap;overflow-wrap:anywhere;"

# How many of the objects that protect a run from deletion the confirmation names per model.
PROTECTED_SHOWN = 20


def _reverse_relations(model: type[models.Model]) -> list:
    """The foreign keys (and one-to-one keys) of other models pointing at `model`, the hidden
    ones of many-to-many tables included."""
    return [
        field
        for field in model._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)
    ]


def _deletion_filters(root: type[models.Model], ids: list[int]) -> tuple[dict, dict]:
    """What deleting the `root` rows `ids` would cascade to and what protects them, each as a
    filter per model, found from the models' relations (never by loading the rows)."""
    cascades: dict[type[models.Model], Q] = {}
    protects: dict[type[models.Model], Q] = {}
    pending = [(root, "pk__in")]
    while pending:
        model, path = pending.pop()
        for relation in _reverse_relations(model):
            related, on_delete = relation.related_model, relation.on_delete
            condition = Q(**{f"{relation.field.name}__{path}": ids})
            if on_delete in (models.PROTECT, models.RESTRICT):
                protects[related] = protects.get(related, Q()) | condition
            elif on_delete is models.CASCADE:
                if related is model:
                    continue  # rows of the same model, already counted (a trial's reviews)
                seen = related in cascades
                cascades[related] = cascades.get(related, Q()) | condition
                if not seen:
                    pending.append((related, f"{relation.field.name}__{path}"))
    return cascades, protects


def _admin_link(admin_site, obj: models.Model) -> str:
    opts = obj._meta
    try:
        url = reverse(
            f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]
        )
    except NoReverseMatch:
        return f"{capfirst(opts.verbose_name)}: {obj}"
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)


def _load_config(run: Run) -> dict:
    """The run's frozen configuration, which the admin's queryset defers (it holds every item's
    text): read once for the change page's estimate and configuration, not once for each."""
    if "config" in run.get_deferred_fields():
        run.config = Run.objects.values_list("config", flat=True).get(pk=run.pk)
    return run.config


@admin.register(Run)
class RunAdmin(ExplainsRefusedDeletion):
    list_display = [
        "name",
        "status",
        "execution",
        "instrument",
        "replications",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "execution", "instrument"]
    search_fields = ["name"]
    actions = [start_runs, cancel_runs, resume_runs, retry_failed_runs]
    readonly_fields = [
        "status",
        "estimate",
        "progress",
        "frozen_configuration",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    exclude = ["config"]
    filter_horizontal = ["endpoints"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("instrument", "created_by").defer("config")
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            # A created run is frozen: only its status changes, through the actions. Each field
            # once: the model's fields and readonly_fields share status and the times, and the
            # page would show them twice.
            model_fields = [f.name for f in Run._meta.fields if f.name != "config"]
            return list(dict.fromkeys([*model_fields, "endpoints", *self.readonly_fields]))
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # A run is created through the API or `manage.py study create` (validated and frozen);
        # has_add_permission is False, and a created run changes only through the actions.
        return

    def has_add_permission(self, request) -> bool:
        return False

    def deletion_refusal(self, obj) -> str | None:
        # A run's answers and what they cost are the study's data (and what expert ratings rest
        # on): only a run that never called its endpoints, a draft or one cancelled before any
        # call, may be deleted. Ratings and campaigns protect their run anyway.
        return None if obj is None else _run_deletion_refusal(obj)

    def get_deleted_objects(self, objs, request):
        """What deleting the runs takes with it, as counts: each run with its trials per model,
        and the number of objects of each kind, instead of Django's line per object (a run may
        have hundreds of thousands of trials). The queries do not grow with the trials.

        A run's trials go with it or not at all: the trial admin never deletes one on its own
        (it would leave a hole in the run's grid), and whether the run may go, with its trials,
        is has_delete_permission's question, asked of each run; another registered model that
        would go with the runs (provider batches) is asked its admin's question too."""
        runs = list(objs)
        if not runs:
            return [], {}, set(), []
        ids = [run.pk for run in runs]
        cascades, protects = _deletion_filters(Run, ids)
        perms_needed = set()
        if any(not self.has_delete_permission(request, run) for run in runs):
            perms_needed.add(Run._meta.verbose_name)
        counts = {Run._meta.verbose_name_plural: len(runs)}
        for model, condition in cascades.items():
            count = model._default_manager.filter(condition).count()
            if not count:
                continue
            counts[model._meta.verbose_name_plural] = count
            model_admin = self.admin_site._registry.get(model)
            if (
                model is not Trial
                and model_admin
                and not model_admin.has_delete_permission(request)
            ):
                perms_needed.add(model._meta.verbose_name)
        per_run: dict[int, list[str]] = {pk: [] for pk in ids}
        trials = (
            Trial.objects.filter(run_id__in=ids)
            .values("run_id", "endpoint__name", "endpoint__model")
            .annotate(count=Count("pk"))
            .order_by("run_id", "endpoint__name")
        )
        for row in trials:
            per_run[row["run_id"]].append(
                _("Trials of %(endpoint)s (model %(model)s): %(count)s")
                % {
                    "endpoint": row["endpoint__name"],
                    "model": row["endpoint__model"],
                    "count": row["count"],
                }
            )
        deleted = []
        for run in runs:
            deleted += [_admin_link(self.admin_site, run), per_run[run.pk]]
        protected = []
        for model, condition in protects.items():
            found = list(
                model._default_manager.filter(condition).order_by("pk")[: PROTECTED_SHOWN + 1]
            )
            protected += [_admin_link(self.admin_site, obj) for obj in found[:PROTECTED_SHOWN]]
            if len(found) > PROTECTED_SHOWN:
                more = model._default_manager.filter(condition).count() - PROTECTED_SHOWN
                protected.append(
                    _("%(count)s more: %(objects)s")
                    % {"count": more, "objects": model._meta.verbose_name_plural}
                )
        return deleted, counts, perms_needed, protected

    @admin.display(description=_("calls and cost estimate"))
    def estimate(self, run: Run) -> str:
        if run.pk is None:
            return "-"
        _load_config(run)
        estimate = run_estimate(run=run)
        low = estimate["cost_range"]["low"]
        if estimate["cost"] is None:
            calls = _(
                "%(calls)s calls; cost unknown: the reasoning tokens of a reasoning model cannot "
                "be estimated for this run (at least %(low)s without them, in the endpoints' "
                "price units)"
            ) % {"calls": estimate["calls"], "low": low}
        else:
            calls = _("%(calls)s calls, about %(cost)s (in the endpoints' price units)") % {
                "calls": estimate["calls"],
                "cost": estimate["cost"],
            }
            if low is not None and low != estimate["cost"]:
                calls = _(
                    "%(calls)s; about %(low)s if the provider caches the prompt prefix the "
                    "calls share (not known in advance)"
                ) % {"calls": calls, "low": low}
        basis = {
            "observed": _("the median of the endpoints' answered trials"),
            "assumed": _("an assumed figure per kind, uncertain"),
        }.get(estimate["reasoning_basis"])
        if basis is not None:
            calls = _("%(calls)s. It includes %(tokens)s reasoning tokens (%(basis)s)") % {
                "calls": calls,
                "tokens": estimate["reasoning_tokens"],
                "basis": basis,
            }
        planned = _(
            "Progress counts against %(planned)s planned trials: self-reviews count before "
            "they are created."
        ) % {"planned": estimate["planned_trials"]}
        return f"{calls}. {planned}"

    @admin.display(description=_("progress"))
    def progress(self, run: Run) -> str:
        if run.pk is None:
            return "-"
        return format_html(
            "<pre style='{}'>{}</pre>", WRAPPED_PRE, json.dumps(run_progress(run=run), indent=2)
        )

    @admin.display(description=_("frozen configuration"))
    def frozen_configuration(self, run: Run) -> str:
        if run.pk is None:
            return "-"
        shown = {k: v for k, v in _load_config(run).items() if k != "items"}
        return format_html(
            "<pre style='{}max-height:30em;overflow:auto'>{}</pre>",
            WRAPPED_PRE,
            json.dumps(shown, indent=2, ensure_ascii=False),
        )


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["number", "status_code", "error", "duration_ms", "started_at", "worker"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Trial)
class TrialAdmin(ExplainsRefusedDeletion):
    list_display = [
        "pk",
        "run",
        "endpoint",
        "language",
        "kind",
        "method",
        "item",
        "replication",
        "status",
        "value",
        "expected_value",
        "attempt_count",
    ]
    list_filter = ["status", "kind", "method", "language", "endpoint", "run"]
    list_select_related = ["run", "endpoint", "item"]
    search_fields = ["text", "outcome_reason"]
    inlines = [AttemptInline]

    def get_queryset(self, request):
        # The change page shows the list's relations too: joined, not one query each.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .defer("run__config")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def deletion_refusal(self, obj) -> str | None:
        # A trial is a cell of its run's grid and may hold an answer: it goes only with its run.
        return _(
            "A trial is a cell of its run's grid and may hold an answer; results are never "
            "deleted on their own. A trial goes only with its run, while the run has never "
            "called its endpoints."
        )


@admin.register(ProviderBatch)
class ProviderBatchAdmin(ExplainsRefusedDeletion):
    """Batches at the providers' batch APIs, with their provider status; read only (the beat
    tick changes them)."""

    list_display = [
        "key",
        "run",
        "endpoint",
        "phase",
        "provider_status",
        "request_count",
        "completed_count",
        "failed_count",
        "collected_count",
        "created_at",
        "submitted_at",
        "collected_at",
    ]
    list_filter = ["phase", "provider_status", "endpoint", "run"]
    list_select_related = ["run", "endpoint"]
    search_fields = ["key", "provider_batch_id", "input_file_id", "output_file_id"]

    def get_queryset(self, request):
        # The change page shows the list's relations too: joined, not one query each.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .defer("run__config")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def deletion_refusal(self, obj) -> str | None:
        # The platform's record of what a provider holds (and bills): never deleted by hand.
        return _(
            "A provider batch is the record of what a provider holds and bills for a run; it is "
            "never deleted by hand."
        )
