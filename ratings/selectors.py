"""Reads of the rating app: an expert's queue, one unit's page, a campaign's progress.

The expert-facing reads never touch the trial, the endpoint or the run: a unit carries its own
item and language, so nothing that could break the blind is even loaded. A unit on the review
list (ratings.services.review) is withheld from every expert who has not rated it, and nothing
of a campaign awaiting review is shown at all.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from careers.models import ItemText, ScalePoint
from ratings.calibration import CalibrationNotice, calibration_gate, expert_calibration_notices
from ratings.models import (
    RATING_FLAGS,
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    ExpertProfile,
    Rating,
    Unit,
    UnitReviewStatus,
)

FALLBACK_LANGUAGE = "en"
UNFINISHED = (AssignmentStatus.PENDING, AssignmentStatus.DRAFT)


@dataclass(frozen=True)
class QueueProgress:
    done: int
    skipped: int
    left: int

    @property
    def total(self) -> int:
        return self.done + self.skipped + self.left


@dataclass(frozen=True)
class QueueEntry:
    blind_code: str
    status: str
    position: int


@dataclass(frozen=True)
class ExpertQueue:
    entries: list[QueueEntry]
    progress: QueueProgress
    next_blind_code: str | None
    calibration: list[CalibrationNotice] = field(default_factory=list)

    @property
    def withheld(self) -> bool:
        """Whether a failed calibration keeps some campaign's units from the expert."""
        return any(notice.withheld for notice in self.calibration)

    @property
    def waiting(self) -> bool:
        """Whether some campaign's calibration waits on units withheld for review."""
        return any(notice.is_waiting for notice in self.calibration)


# What an expert may see of their assignments: a unit on the review list only once rated.
SHOWN_TO_EXPERT = Q(status=AssignmentStatus.SUBMITTED) | ~Q(
    unit__review_status=UnitReviewStatus.PENDING
)


def _open_assignments(expert: ExpertProfile) -> QuerySet[Assignment]:
    # Real units of a calibrated campaign stay out until the expert has qualified.
    return Assignment.objects.filter(
        SHOWN_TO_EXPERT, expert=expert, campaign__status=CampaignStatus.OPEN
    ).filter(calibration_gate(expert))


def _reachable_assignments(expert: ExpertProfile) -> QuerySet[Assignment]:
    """Open or closed campaigns (a closed one is read-only), never one awaiting review."""
    return Assignment.objects.filter(SHOWN_TO_EXPERT, expert=expert).exclude(
        campaign__status=CampaignStatus.REVIEW
    )


def _queue_order(queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
    # Campaigns in the order they were created, then the stored, shuffled queue position.
    return queryset.order_by("campaign__created_at", "campaign_id", "position")


def expert_queue(*, expert: ExpertProfile) -> ExpertQueue:
    """The expert's assignments in open campaigns, in queue order, with progress counts.

    The one query also reads the calibration assignments withheld for review (never shown, not
    counted), so that the queue can say when the expert's calibration waits on them.
    """
    rows = list(
        _queue_order(
            Assignment.objects.filter(expert=expert, campaign__status=CampaignStatus.OPEN)
            .filter(SHOWN_TO_EXPERT | Q(unit__is_calibration=True))
            .filter(calibration_gate(expert))
            .annotate(shown=ExpressionWrapper(SHOWN_TO_EXPERT, output_field=BooleanField()))
        ).values_list(
            "unit__blind_code",
            "status",
            "position",
            "campaign_id",
            "unit__is_calibration",
            "shown",
        )
    )
    entries = [
        QueueEntry(blind_code=code, status=status, position=position)
        for code, status, position, _campaign, _is_cal, shown in rows
        if shown
    ]
    # Campaign -> withheld calibration units, where nothing else of the calibration is left.
    withheld: dict[int, int] = defaultdict(int)
    ratable = set()
    for _code, status, _position, campaign, is_cal, shown in rows:
        if is_cal and status != AssignmentStatus.SUBMITTED:
            if shown:
                ratable.add(campaign)
            else:
                withheld[campaign] += 1
    waiting = {campaign: n for campaign, n in withheld.items() if campaign not in ratable}
    # One more query, only when the queue holds calibration units.
    calibrated = list(dict.fromkeys(campaign for *_rest, campaign, is_cal, _s in rows if is_cal))
    notices = (
        expert_calibration_notices(expert=expert, campaign_ids=calibrated, waiting=waiting)
        if calibrated
        else []
    )
    progress = QueueProgress(
        done=sum(entry.status == AssignmentStatus.SUBMITTED for entry in entries),
        skipped=sum(entry.status == AssignmentStatus.SKIPPED for entry in entries),
        left=sum(entry.status in UNFINISHED for entry in entries),
    )
    next_code = next((entry.blind_code for entry in entries if entry.status in UNFINISHED), None)
    return ExpertQueue(
        entries=entries, progress=progress, next_blind_code=next_code, calibration=notices
    )


def queue_progress(*, expert: ExpertProfile) -> QueueProgress:
    # One row per status: cheaper to build and to run than three filtered counts.
    counts = dict(
        _open_assignments(expert).order_by().values_list("status").annotate(count=Count("pk"))
    )
    return QueueProgress(
        done=counts.get(AssignmentStatus.SUBMITTED, 0),
        skipped=counts.get(AssignmentStatus.SKIPPED, 0),
        left=sum(counts.get(status, 0) for status in UNFINISHED),
    )


def next_blind_code(*, expert: ExpertProfile, after: str | None = None) -> str | None:
    """The first unfinished unit of the queue other than `after`, or None when all are done."""
    unfinished = _open_assignments(expert).filter(status__in=UNFINISHED)
    if after:
        unfinished = unfinished.exclude(unit__blind_code=after)
    return _queue_order(unfinished).values_list("unit__blind_code", flat=True).first()


def expert_assignment(*, expert: ExpertProfile, blind_code: str) -> Assignment:
    """The expert's own assignment for a blind code; anyone else's raises DoesNotExist (a 404).

    Only its id, status and whether its unit is a calibration unit: the services lock and
    reload the row before they change it.
    """
    return (
        _reachable_assignments(expert)
        .select_related("unit")
        .only("pk", "status", "unit__is_calibration")
        .filter(calibration_gate(expert))
        .get(unit__blind_code=blind_code)
    )


@dataclass(frozen=True)
class ScaleChoice:
    value: int
    label: str
    description: str


@dataclass(frozen=True)
class UnitForm:
    """What the rating form starts with: the draft if there is one, else the latest rating."""

    value: int | None = None
    comment: str = ""
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitPage:
    assignment: Assignment
    activity: str
    task: str
    instructions: str
    scale: list[ScaleChoice]
    latest_rating: Rating | None
    initial: UnitForm
    progress: QueueProgress
    is_open: bool = field(default=True)


def _in_language(by_language: dict[str, object], language: str) -> object | None:
    for wanted in (language, FALLBACK_LANGUAGE):
        if wanted in by_language:
            return by_language[wanted]
    return next(iter(by_language.values()), None)


# What the unit page shows of the assignment, its unit and its campaign. The unit's trial (and
# with it the endpoint and the run) is not even loaded.
UNIT_PAGE_FIELDS = (
    "status",
    "draft_value",
    "draft_comment",
    "draft_flags",
    "draft_saved_at",
    "skip_reason",
    "opened_at",
    "unit__blind_code",
    "unit__language",
    "unit__item_id",
    "unit__text_redacted",
    "unit__is_calibration",
    "unit__expected_min",
    "unit__expected_max",
    "unit__rationale",
    "campaign__scale_id",
    "campaign__instructions",
    "campaign__status",
)


def unit_page(*, expert: ExpertProfile, blind_code: str, language: str) -> UnitPage:
    """Everything the unit page shows. The task is in the unit's language (as the model saw it);
    instructions and scale anchors follow the page language, falling back to English."""
    assignment = (
        _reachable_assignments(expert)
        .select_related("unit", "campaign")
        .only(*UNIT_PAGE_FIELDS)
        .filter(calibration_gate(expert))
        .get(unit__blind_code=blind_code)
    )
    unit, campaign = assignment.unit, assignment.campaign
    # An explicit order: the model's default ordering would join the item and the instrument.
    text = (
        ItemText.objects.filter(item_id=unit.item_id, language=unit.language)
        .order_by("pk")
        .values("activity", "task")
        .first()
    ) or {"activity": "", "task": ""}
    points_by_language: dict[str, list[ScaleChoice]] = defaultdict(list)
    for point_language, value, label, description in (
        ScalePoint.objects.filter(scale_id=campaign.scale_id)
        .order_by("value")
        .values_list("language", "value", "label", "description")
    ):
        points_by_language[point_language].append(
            ScaleChoice(value=value, label=label, description=description)
        )
    latest = None
    if assignment.status == AssignmentStatus.SUBMITTED:
        latest = assignment.ratings.order_by("-revision").first()
    if assignment.draft_saved_at is not None:
        initial = UnitForm(
            value=assignment.draft_value,
            comment=assignment.draft_comment,
            flags=tuple(assignment.draft_flags),
        )
    elif latest is not None:
        initial = UnitForm(value=latest.value, comment=latest.comment, flags=tuple(latest.flags))
    else:
        initial = UnitForm()
    instructions = _in_language(
        {code: text for code, text in campaign.instructions.items() if text}, language
    )
    return UnitPage(
        assignment=assignment,
        activity=text["activity"],
        task=text["task"],
        instructions=str(instructions or ""),
        scale=list(_in_language(points_by_language, language) or []),
        latest_rating=latest,
        initial=initial,
        progress=queue_progress(expert=expert),
        is_open=campaign.status == CampaignStatus.OPEN,
    )


# --------------------------------------------------------------------------------------------
# Progress for study admins


@dataclass
class ExpertProgress:
    pseudonym: str
    username: str
    assigned: int = 0
    submitted: int = 0
    skipped: int = 0
    drafts: int = 0
    server_seconds: list[float] = field(default_factory=list)
    active_seconds: list[float] = field(default_factory=list)
    gold_rated: int = 0
    gold_within_range: int = 0
    simulated: int = 0  # ratings the demo set-up made up (latest revisions)

    @property
    def left(self) -> int:
        return self.assigned - self.submitted - self.skipped

    @property
    def completion(self) -> float | None:
        return self.submitted / self.assigned if self.assigned else None

    @property
    def median_server_seconds(self) -> float | None:
        return statistics.median(self.server_seconds) if self.server_seconds else None

    @property
    def median_active_seconds(self) -> float | None:
        return statistics.median(self.active_seconds) if self.active_seconds else None

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_within_range / self.gold_rated if self.gold_rated else None


@dataclass
class CampaignProgress:
    campaign: Campaign
    units: int
    units_complete: int
    assigned: int
    submitted: int
    skipped: int
    median_server_seconds: float | None
    median_active_seconds: float | None
    flagged_units: int
    flag_counts: dict[str, int]
    experts: list[ExpertProgress]
    simulated: int = 0
    # Calibration units, apart: they train the experts and are not the campaign's data.
    calibration_units: int = 0
    calibration_assigned: int = 0
    calibration_submitted: int = 0

    @property
    def completion(self) -> float | None:
        return self.submitted / self.assigned if self.assigned else None


def campaign_progress(*, campaign: Campaign) -> CampaignProgress:
    """Completion per expert and overall, time per unit, flags and gold accuracy.

    Every figure counts the campaign's real units; calibration units and their ratings are
    counted apart (`calibration_*`). Flags and gold accuracy use each assignment's latest
    revision; times are those of the first submission. Three queries: the assignments, the
    ratings, the unit counts; nothing per row.
    """
    assignments = list(
        Assignment.objects.filter(campaign=campaign).values(
            "pk",
            "unit_id",
            "status",
            "server_seconds",
            "active_seconds",
            "expert__pseudonym",
            "expert__user__username",
            "unit__is_gold",
            "unit__is_calibration",
            "unit__expected_min",
            "unit__expected_max",
        )
    )
    calibration = [row for row in assignments if row["unit__is_calibration"]]
    assignments = [row for row in assignments if not row["unit__is_calibration"]]
    latest: dict[int, dict] = {}
    rating_fields = ["assignment_id", "revision", "value", "simulated", *RATING_FLAGS.values()]
    for rating in (
        Rating.objects.filter(assignment__campaign=campaign)
        .order_by("assignment_id", "revision")
        .values(*rating_fields)
    ):
        latest[rating["assignment_id"]] = rating

    experts: dict[str, ExpertProgress] = {}
    submitted_per_unit: dict[int, int] = defaultdict(int)
    flagged_units: dict[str, set[int]] = {flag: set() for flag in RATING_FLAGS}
    for row in assignments:
        progress = experts.setdefault(
            row["expert__pseudonym"],
            ExpertProgress(
                pseudonym=row["expert__pseudonym"], username=row["expert__user__username"]
            ),
        )
        progress.assigned += 1
        status = row["status"]
        progress.skipped += status == AssignmentStatus.SKIPPED
        progress.drafts += status == AssignmentStatus.DRAFT
        if status != AssignmentStatus.SUBMITTED:
            continue
        progress.submitted += 1
        submitted_per_unit[row["unit_id"]] += 1
        if row["server_seconds"] is not None:
            progress.server_seconds.append(row["server_seconds"])
        if row["active_seconds"] is not None:
            progress.active_seconds.append(row["active_seconds"])
        rating = latest.get(row["pk"])
        if rating is None:
            continue
        progress.simulated += rating["simulated"]
        for flag, rating_field in RATING_FLAGS.items():
            if rating[rating_field]:
                flagged_units[flag].add(row["unit_id"])
        if row["unit__is_gold"]:
            progress.gold_rated += 1
            progress.gold_within_range += (
                row["unit__expected_min"] <= rating["value"] <= row["unit__expected_max"]
            )

    all_server = [s for p in experts.values() for s in p.server_seconds]
    all_active = [s for p in experts.values() for s in p.active_seconds]
    units = campaign.units.order_by().aggregate(
        real=Count("pk", filter=Q(is_calibration=False)),
        calibration=Count("pk", filter=Q(is_calibration=True)),
    )
    return CampaignProgress(
        campaign=campaign,
        units=units["real"],
        units_complete=sum(
            count >= campaign.raters_per_unit for count in submitted_per_unit.values()
        ),
        assigned=len(assignments),
        submitted=sum(p.submitted for p in experts.values()),
        skipped=sum(p.skipped for p in experts.values()),
        median_server_seconds=statistics.median(all_server) if all_server else None,
        median_active_seconds=statistics.median(all_active) if all_active else None,
        flagged_units=len(set().union(*flagged_units.values())),
        flag_counts={flag: len(units) for flag, units in flagged_units.items()},
        experts=sorted(experts.values(), key=lambda p: p.pseudonym),
        simulated=sum(p.simulated for p in experts.values()),
        calibration_units=units["calibration"],
        calibration_assigned=len(calibration),
        calibration_submitted=sum(
            row["status"] == AssignmentStatus.SUBMITTED for row in calibration
        ),
    )


def _count_per_campaign(queryset: QuerySet) -> Coalesce:
    # A correlated subquery per count: joining units and assignments in one GROUP BY would
    # multiply the rows (units x assignments) before counting.
    counted = (
        queryset.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def campaigns_with_counts() -> QuerySet[Campaign]:
    """Campaigns for the API and admin lists, with unit and assignment counts and the redaction
    figures (ratings.review_selectors) in one query.

    The counts are of the campaign's real units; those of its calibration units (which train
    the experts and are not its data) are apart, as `calibration_*_count`.
    """
    from ratings.review_selectors import with_redaction_figures

    real = Assignment.objects.filter(unit__is_calibration=False)
    calibration = Assignment.objects.filter(unit__is_calibration=True)
    return with_redaction_figures(
        Campaign.objects.select_related("run", "panel", "scale", "review_skipped_by")
        .prefetch_related("endpoints")
        .annotate(
            unit_count=_count_per_campaign(Unit.objects.filter(is_calibration=False)),
            assignment_count=_count_per_campaign(real),
            submitted_count=_count_per_campaign(real.filter(status=AssignmentStatus.SUBMITTED)),
            skipped_count=_count_per_campaign(real.filter(status=AssignmentStatus.SKIPPED)),
            calibration_unit_count=_count_per_campaign(Unit.objects.filter(is_calibration=True)),
            calibration_assignment_count=_count_per_campaign(calibration),
            calibration_submitted_count=_count_per_campaign(
                calibration.filter(status=AssignmentStatus.SUBMITTED)
            ),
        )
    )


def simulated_ratings_count() -> Coalesce:
    """An annotation for campaigns: how many of their ratings are simulated (one subquery)."""
    counts = (
        Rating.objects.filter(assignment__campaign=OuterRef("pk"), simulated=True)
        .order_by()
        .values("assignment__campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts), 0)
