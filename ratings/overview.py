"""The study admin's overview: runs and campaigns with their progress, and what needs attention.

A fixed number of queries whatever the number of runs, campaigns or experts: one for the runs
with their trial counts, one for the campaigns with theirs, and one per attention check.

What needs attention is a list of checks (`ATTENTION_CHECKS`): each is a function that makes
one query and returns `AttentionItem`s with a link to where the admin acts. A new check is a new
function appended to the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import ngettext

from careers.models import Item
from llmruns.models import Run, Trial, TrialStatus
from ratings.models import (
    RATING_FLAGS,
    Assignment,
    AssignmentStatus,
    CampaignStatus,
    Rating,
    Unit,
    UnitReviewStatus,
)
from ratings.selectors import campaigns_with_counts
from ratings.stats_selectors import latest_revision_filter

RUNS_SHOWN = 20
CAMPAIGNS_SHOWN = 20
UNANSWERED = [TrialStatus.INVALID, TrialStatus.REFUSED, TrialStatus.FAILED]


@dataclass(frozen=True)
class RunRow:
    run: Run
    total: int  # planned from the start (self-reviews counted before they exist)
    done: int
    failed: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class AttentionItem:
    kind: str  # a stable name for tests and styling, e.g. "failed_trials"
    text: str
    url: str


@dataclass
class StudyOverview:
    runs: list[RunRow]
    campaigns: list
    attention: list[AttentionItem] = field(default_factory=list)


def _count(queryset: QuerySet, outer: str = "pk", by: str = "run") -> Coalesce:
    counted = (
        queryset.filter(**{by: OuterRef(outer)})
        .order_by()
        .values(by)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def runs_with_progress(*, limit: int = RUNS_SHOWN) -> list[RunRow]:
    """The newest runs with the same fixed planned total and done count as `run_progress`."""
    runs = (
        Run.objects.defer("config")
        .annotate(
            n_endpoints=_count(Run.endpoints.through.objects.all()),
            n_items=_count(Item.objects.all(), outer="instrument_id", by="instrument"),
            created_trials=_count(Trial.objects.all()),
            open_trials=_count(
                Trial.objects.filter(status__in=[TrialStatus.PENDING, TrialStatus.RUNNING])
            ),
            failed_trials=_count(Trial.objects.filter(status=TrialStatus.FAILED)),
            unanswered_work_samples=_count(
                Trial.objects.filter(kind="work_sample", status__in=UNANSWERED)
            ),
        )
        .order_by("-created_at")[:limit]
    )
    rows = []
    for run in runs:
        planned = (
            run.n_endpoints * len(run.languages) * len(run.kinds) * run.n_items * run.replications
        )
        not_needed = run.unanswered_work_samples if "self_review" in run.kinds else 0
        total = max(planned, run.created_trials + not_needed)
        waiting = total - run.created_trials - not_needed
        rows.append(
            RunRow(
                run=run,
                total=total,
                done=total - run.open_trials - waiting,
                failed=run.failed_trials,
            )
        )
    return rows


# --- what needs attention ---------------------------------------------------------------------


def failed_trials_check(overview: StudyOverview) -> list[AttentionItem]:
    """Runs with failed trials (from the rows already loaded: no query)."""
    return [
        AttentionItem(
            kind="failed_trials",
            text=ngettext(
                "Run “%(name)s” has %(count)d failed trial: retry it from the run's page.",
                "Run “%(name)s” has %(count)d failed trials: retry them from the run's page.",
                row.failed,
            )
            % {"name": row.run.name, "count": row.failed},
            url=reverse("admin:llmruns_run_change", args=[row.run.pk]),
        )
        for row in overview.runs
        if row.failed
    ]


def flagged_units_check(overview: StudyOverview) -> list[AttentionItem]:
    """Units of open campaigns that an expert flagged (latest ratings): to review and redact."""
    any_flag = Q()
    for rating_field in RATING_FLAGS.values():
        any_flag |= Q(**{rating_field: True})
    counts = (
        Rating.objects.filter(any_flag, assignment__campaign__status=CampaignStatus.OPEN)
        .filter(latest_revision_filter())
        .order_by()
        .values("assignment__campaign_id", "assignment__campaign__name")
        .annotate(
            units=Count("assignment__unit", distinct=True),
            identifying=Count(
                "assignment__unit", distinct=True, filter=Q(flag_identifies_model=True)
            ),
        )
        .order_by("assignment__campaign__name")
    )
    return [
        AttentionItem(
            kind="flagged_units",
            text=ngettext(
                "Campaign “%(name)s”: %(count)d unit flagged by experts awaits review "
                "(%(identifying)d may identify the model).",
                "Campaign “%(name)s”: %(count)d units flagged by experts await review "
                "(%(identifying)d may identify the model).",
                row["units"],
            )
            % {
                "name": row["assignment__campaign__name"],
                "count": row["units"],
                "identifying": row["identifying"],
            },
            url=reverse("campaign-progress", args=[row["assignment__campaign_id"]]),
        )
        for row in counts
    ]


def units_awaiting_review_check(overview: StudyOverview) -> list[AttentionItem]:
    """Units on a campaign's review list: redactions to approve or edit before experts see them
    (a campaign awaiting review cannot open; a flagged unit is withheld until it is settled)."""
    rows = (
        Unit.objects.filter(review_status=UnitReviewStatus.PENDING)
        .order_by()
        .values("campaign_id", "campaign__name")
        .annotate(units=Count("pk"))
        .order_by("campaign__name")
    )
    return [
        AttentionItem(
            kind="units_awaiting_review",
            text=ngettext(
                "Campaign “%(name)s”: %(count)d unit awaits review of its redacted text.",
                "Campaign “%(name)s”: %(count)d units await review of their redacted text.",
                row["units"],
            )
            % {"name": row["campaign__name"], "count": row["units"]},
            url=reverse("campaign-review", args=[row["campaign_id"]]),
        )
        for row in rows
    ]


def experts_not_started_check(overview: StudyOverview) -> list[AttentionItem]:
    """Experts with units in an open campaign who have not opened a single one."""
    started = Assignment.objects.filter(
        campaign=OuterRef("campaign"), expert=OuterRef("expert")
    ).filter(Q(opened_at__isnull=False) | ~Q(status=AssignmentStatus.PENDING))
    rows = (
        Assignment.objects.filter(campaign__status=CampaignStatus.OPEN)
        .filter(~Exists(started))
        .order_by()
        .values("campaign_id", "campaign__name", "expert__pseudonym", "expert__user__username")
        .annotate(units=Count("pk"))
        .order_by("campaign__name", "expert__pseudonym")
    )
    return [
        AttentionItem(
            kind="experts_not_started",
            text=ngettext(
                "%(expert)s (%(username)s) has not started: %(count)d unit in “%(name)s”.",
                "%(expert)s (%(username)s) has not started: %(count)d units in “%(name)s”.",
                row["units"],
            )
            % {
                "expert": row["expert__pseudonym"],
                "username": row["expert__user__username"],
                "count": row["units"],
                "name": row["campaign__name"],
            },
            url=reverse("campaign-progress", args=[row["campaign_id"]]),
        )
        for row in rows
    ]


ATTENTION_CHECKS: list[Callable[[StudyOverview], list[AttentionItem]]] = [
    failed_trials_check,
    units_awaiting_review_check,
    flagged_units_check,
    experts_not_started_check,
]


def study_overview() -> StudyOverview:
    overview = StudyOverview(
        runs=runs_with_progress(),
        campaigns=list(
            campaigns_with_counts()
            .prefetch_related(None)
            .select_related(None)
            .select_related("run")
            .only("id", "name", "status", "created_at", "raters_per_unit", "run__id", "run__name")
            .order_by("-created_at")[:CAMPAIGNS_SHOWN]
        ),
    )
    for check in ATTENTION_CHECKS:
        overview.attention.extend(check(overview))
    return overview
