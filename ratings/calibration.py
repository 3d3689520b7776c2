"""Calibration of experts with gold feedback, the qualification gate, and rater drift reads.

A campaign with a ``qualification_threshold`` starts each expert with its calibration units:
gold units (with an expected range and the admin's rationale) that every eligible expert rates
first. After each calibration rating the expert's page shows the expected range and the
rationale; the expert's ``Calibration`` row counts the ratings within range. Once every
calibration unit of the expert is rated, the share within range is compared with the
threshold: at or above it the expert qualifies and the campaign's real units appear in their
queue; below it they never do (the real units planned for them are handed on to the other
experts, `ratings.dropout`), the expert is told why, and the admin sees the same figures and
which units missed.

A calibration unit an expert flags as identifying the model goes back to the review list and is
withheld from the experts who have not rated it (`ratings.services.review`). The share is still
taken over all of an expert's calibration units: a withheld unit is never dropped from it, it is
a rating not known yet. So an expert left with nothing but withheld calibration units is decided
at once when no rating of those units could change the outcome (enough within range already,
or too few even if every withheld one were within range: `qualification_decision`), and waits
for the review otherwise; their queue says so, and the admin sees which calibration units are
withheld and how many experts wait on each (`withheld_calibration_units`). The decision is the
one the expert would get whatever the withheld units turn out to be, and it is kept.

The gate is one condition (`calibration_gate`) added to every expert-facing read of
assignments, so a withheld unit is a 404 exactly like a code that does not exist, and the
services refuse to rate it (`rating_allowed_check`).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ratings.assignment import ExpertSpec, UnitSpec, is_eligible
from ratings.drift_defaults import DEFAULT_BLOCK_SIZE, DEFAULT_DRIFT_THRESHOLD
from ratings.dropout import expert_drop_out
from ratings.models import (
    Assignment,
    AssignmentStatus,
    Calibration,
    CalibrationStatus,
    Campaign,
    DropOutReason,
    ExpertProfile,
    Rating,
    Unit,
    UnitReviewStatus,
)
from ratings.stats_selectors import _latest_submitted_ratings, latest_revision_filter

if TYPE_CHECKING:
    from ratings.stats.drift import DriftResult


class CalibrationConflict(Exception):
    """The calibration state forbids the action; the message is for the expert."""


def calibration_gate(expert: ExpertProfile | int) -> Q:
    """Assignments the expert may see: calibration units, campaigns without calibration, and
    real units of campaigns where the expert has qualified."""
    qualified = Calibration.objects.filter(
        campaign_id=OuterRef("campaign_id"), expert=expert, status=CalibrationStatus.QUALIFIED
    )
    return (
        Q(campaign__qualification_threshold__isnull=True)
        | Q(unit__is_calibration=True)
        | Q(Exists(qualified))
    )


def calibration_queues(
    *,
    units: Sequence[UnitSpec],
    experts: Sequence[ExpertSpec],
    seed: int,
    match_expertise: bool,
) -> dict[Hashable, list[Hashable]]:
    """Expert key -> the calibration unit keys they rate first, in a seeded order of their own.

    Every eligible expert rates every calibration unit: calibration measures the expert, so it
    is not shared out like the real units.
    """
    ordered = sorted(units, key=lambda unit: repr(unit.key))
    queues = {}
    for expert in sorted(experts, key=lambda expert: repr(expert.key)):
        keys = [
            unit.key
            for unit in ordered
            if is_eligible(unit, expert, match_expertise=match_expertise)
        ]
        random.Random(f"{seed}|calibration|{expert.key!r}").shuffle(keys)
        queues[expert.key] = keys
    return queues


def _is_calibration_unit(assignment: Assignment) -> bool:
    return Unit.objects.filter(pk=assignment.unit_id, is_calibration=True).exists()


def rating_allowed_check(*, assignment: Assignment, action: str) -> bool:
    """Raise CalibrationConflict unless the expert may `action` (submit, revise, skip) here.

    Returns whether the assignment's unit is a calibration unit. No query for a campaign
    without calibration.
    """
    campaign = assignment.campaign
    if campaign.qualification_threshold is None:
        return False
    if _is_calibration_unit(assignment):
        if action != "submit":
            raise CalibrationConflict(
                _("A calibration rating cannot be changed or skipped: its feedback is shown.")
            )
        return True
    qualified = Calibration.objects.filter(
        campaign=campaign, expert_id=assignment.expert_id, status=CalibrationStatus.QUALIFIED
    ).exists()
    if not qualified:
        raise CalibrationConflict(
            _("This unit is given to you once you have passed the campaign's calibration.")
        )
    return False


def qualification_decision(
    *, units: int, rated: int, within_range: int, threshold: float
) -> str | None:
    """QUALIFIED or NOT_QUALIFIED once the calibration ratings still to come cannot change it,
    None while they can.

    The share is over all `units` calibration units: qualified when `within_range` already
    reaches the threshold even if every unit left misses, not qualified when it cannot even if
    every unit left is within range. With every unit rated this is the plain comparison.
    """
    total = max(units, rated)
    needed = threshold * total - 1e-9
    if within_range >= needed:
        return CalibrationStatus.QUALIFIED
    if within_range + (total - rated) < needed:
        return CalibrationStatus.NOT_QUALIFIED
    return None


def _decide(calibration: Calibration, *, threshold: float) -> bool:
    """Set the decision on a calibrating expert's row if it is known; whether it was."""
    decision = qualification_decision(
        units=calibration.units,
        rated=calibration.rated,
        within_range=calibration.within_range,
        threshold=threshold,
    )
    if decision is None:
        return False
    calibration.status = decision
    calibration.decided_at = timezone.now()
    return True


# An expert's calibration assignments they can still rate now: not rated, not withheld.
_RATABLE_CALIBRATION = (
    Q(unit__is_calibration=True)
    & ~Q(status=AssignmentStatus.SUBMITTED)
    & ~Q(unit__review_status=UnitReviewStatus.PENDING)
)


def calibration_rating_record(*, assignment: Assignment, value: int) -> Calibration:
    """Count a calibration rating, and decide qualification once every calibration unit is rated,
    or once the units left are all withheld and cannot change the outcome.

    Runs in the rating's transaction; the expert's calibration row is locked while it counts.
    """
    unit = Unit.objects.only("expected_min", "expected_max").get(pk=assignment.unit_id)
    calibration = Calibration.objects.select_for_update().get(
        campaign_id=assignment.campaign_id, expert_id=assignment.expert_id
    )
    calibration.rated += 1
    calibration.within_range += unit.expected_min <= value <= unit.expected_max
    if calibration.status == CalibrationStatus.CALIBRATING and (
        calibration.rated >= calibration.units
        or not Assignment.objects.filter(
            _RATABLE_CALIBRATION,
            campaign_id=assignment.campaign_id,
            expert_id=assignment.expert_id,
        ).exists()
    ):
        _decide(calibration, threshold=assignment.campaign.qualification_threshold)
    calibration.save(update_fields=["rated", "within_range", "status", "decided_at"])
    if calibration.status == CalibrationStatus.NOT_QUALIFIED:
        # Turned away: the real units waiting in their queue go to the other experts.
        expert_drop_out(
            campaign=assignment.campaign,
            expert_id=assignment.expert_id,
            reason=DropOutReason.NOT_QUALIFIED,
        )
    return calibration


def calibrations_after_withholding(*, assignment: Assignment) -> None:
    """A calibration unit is about to be withheld (flagged on `assignment`): decide the experts
    still to rate it who have no other calibration unit left to rate, where it cannot change
    their outcome.

    Runs in the flag's transaction before the unit is locked: the calibration rows (the flagging
    expert's with them) are locked in id order, and before the unit, as a rating locks its
    expert's calibration row before its unit.
    """
    campaign = assignment.campaign
    waiting_on_unit = Assignment.objects.filter(unit_id=assignment.unit_id).exclude(
        status=AssignmentStatus.SUBMITTED
    )
    locked = list(
        Calibration.objects.select_for_update()
        .filter(campaign=campaign)
        .filter(
            Q(expert_id=assignment.expert_id) | Q(expert_id__in=waiting_on_unit.values("expert_id"))
        )
        .order_by("pk")
    )
    calibrating = [
        row
        for row in locked
        if row.expert_id != assignment.expert_id and row.status == CalibrationStatus.CALIBRATING
    ]
    if not calibrating:
        return
    busy = set(
        Assignment.objects.filter(
            _RATABLE_CALIBRATION,
            campaign=campaign,
            expert_id__in=[row.expert_id for row in calibrating],
        )
        .exclude(unit_id=assignment.unit_id)
        .values_list("expert_id", flat=True)
    )
    decided = [
        row
        for row in calibrating
        if row.expert_id not in busy and _decide(row, threshold=campaign.qualification_threshold)
    ]
    if decided:
        Calibration.objects.bulk_update(decided, ["status", "decided_at"])
    # The experts this turns away hand their real units on once the flag is committed, in a
    # transaction of its own: the flag locks the unit after this, and a drop-out locks the
    # campaign, which a rating's decision locks after its unit. A crash in between leaves
    # them to `manage.py hand_on_assignments`.
    for row in decided:
        if row.status == CalibrationStatus.NOT_QUALIFIED:
            transaction.on_commit(
                partial(
                    expert_drop_out,
                    campaign=campaign,
                    expert_id=row.expert_id,
                    reason=DropOutReason.NOT_QUALIFIED,
                )
            )


def calibrations_create(*, campaign: Campaign, units_per_expert: dict[int, int]) -> None:
    Calibration.objects.bulk_create(
        Calibration(campaign=campaign, expert_id=expert_id, units=count)
        for expert_id, count in units_per_expert.items()
    )


# --------------------------------------------------------------------------------------------
# Reads


def _percentages(*, share: float, threshold: float) -> tuple[str, str]:
    """A share of calibration ratings and the threshold as percents, with as few decimals as
    tell them apart: 2 of 3 against 0.67 reads 66.7% and 67%, never 67% below 67%."""
    for digits in range(4):
        shown = f"{round(100 * share, digits):g}", f"{round(100 * threshold, digits):g}"
        if shown[0] != shown[1]:
            break
    return shown


@dataclass(frozen=True)
class CalibrationNotice:
    """What the expert's queue says about one campaign's calibration.

    `waiting` counts the calibration units the expert waits on: withheld for review while
    nothing else of the calibration is left to rate (zero otherwise).
    """

    status: str
    units: int
    rated: int
    within_range: int
    threshold: float
    waiting: int = 0

    @property
    def withheld(self) -> bool:
        return self.status == CalibrationStatus.NOT_QUALIFIED

    @property
    def is_waiting(self) -> bool:
        return self.status == CalibrationStatus.CALIBRATING and self.waiting > 0

    @property
    def waiting_message(self) -> str:
        """Why there is nothing to rate, without a word on which unit or why it is checked."""
        if not self.is_waiting:
            return ""
        return ngettext(
            "One of your calibration units is being checked by a study admin before it is "
            "rated. Your calibration goes on once it is back in your queue; until then there "
            "is nothing to rate in this campaign.",
            "%(count)s of your calibration units are being checked by a study admin before "
            "they are rated. Your calibration goes on once they are back in your queue; until "
            "then there is nothing to rate in this campaign.",
            self.waiting,
        ) % {"count": self.waiting}

    @property
    def message(self) -> str:
        accuracy, threshold = _percentages(
            share=self.within_range / self.rated if self.rated else 0, threshold=self.threshold
        )
        figures = {
            "within": self.within_range,
            "rated": self.rated,
            "units": self.units,
            "threshold": threshold,
            "accuracy": accuracy,
        }
        if self.status == CalibrationStatus.NOT_QUALIFIED:
            return (
                _(
                    "You did not pass the calibration: %(within)s of %(rated)s calibration "
                    "ratings were within the expected range (%(accuracy)s%%; %(threshold)s%% "
                    "needed). This campaign's units will not be given to you. The study admin "
                    "sees your calibration results."
                )
                % figures
            )
        if self.status == CalibrationStatus.QUALIFIED:
            return (
                _(
                    "You passed the calibration: %(within)s of %(rated)s calibration ratings "
                    "were within the expected range. The campaign's units are in your queue."
                )
                % figures
            )
        return (
            _(
                "Calibration: %(rated)s of %(units)s calibration units rated. After each one "
                "you see the expected range and why. The campaign's units follow once at least "
                "%(threshold)s%% of your calibration ratings are within the expected range."
            )
            % figures
        )


def expert_calibration_notices(
    *,
    expert: ExpertProfile,
    campaign_ids: Sequence[int],
    waiting: Mapping[int, int] | None = None,
) -> list[CalibrationNotice]:
    """The expert's calibration state in the given (calibrated, open) campaigns; one query.

    `waiting`: campaign id -> withheld calibration units the expert waits on there.
    """
    waiting = waiting or {}
    rows = (
        Calibration.objects.filter(expert=expert, campaign_id__in=list(campaign_ids))
        .order_by("campaign__created_at", "campaign_id")
        .values_list(
            "campaign_id",
            "status",
            "units",
            "rated",
            "within_range",
            "campaign__qualification_threshold",
        )
    )
    return [
        CalibrationNotice(
            status=status,
            units=units,
            rated=rated,
            within_range=within,
            threshold=threshold,
            waiting=waiting.get(campaign_id, 0),
        )
        for campaign_id, status, units, rated, within, threshold in rows
    ]


@dataclass(frozen=True)
class CalibrationMiss:
    blind_code: str
    value: int
    expected_min: int
    expected_max: int


@dataclass
class ExpertCalibration:
    """One expert's calibration as the admin sees it: figures, decision, and the misses."""

    pseudonym: str
    status: str
    units: int
    rated: int
    within_range: int
    threshold: float
    misses: list[CalibrationMiss]

    @property
    def accuracy(self) -> float | None:
        return self.within_range / self.rated if self.rated else None

    @property
    def status_label(self) -> str:
        return str(CalibrationStatus(self.status).label)

    @property
    def reason(self) -> str:
        accuracy, threshold = _percentages(share=self.accuracy or 0, threshold=self.threshold)
        figures = {
            "within": self.within_range,
            "rated": self.rated,
            "units": self.units,
            "threshold": threshold,
            "accuracy": accuracy,
        }
        if self.status == CalibrationStatus.NOT_QUALIFIED:
            return (
                _(
                    "%(within)s of %(rated)s calibration ratings within the expected range "
                    "(%(accuracy)s%%), below the threshold of %(threshold)s%%: the campaign's "
                    "units are withheld from this expert."
                )
                % figures
            )
        if self.status == CalibrationStatus.QUALIFIED:
            return (
                _(
                    "%(within)s of %(rated)s calibration ratings within the expected range "
                    "(%(accuracy)s%%), at or above the threshold of %(threshold)s%%."
                )
                % figures
            )
        return _("%(rated)s of %(units)s calibration units rated so far.") % figures

    def to_dict(self) -> dict[str, object]:
        return {
            "expert": self.pseudonym,
            "status": self.status,
            "units": self.units,
            "rated": self.rated,
            "within_range": self.within_range,
            "accuracy": self.accuracy,
            "threshold": self.threshold,
            "reason": self.reason,
            "misses": [miss.__dict__ for miss in self.misses],
        }


def campaign_calibration(*, campaign: Campaign) -> list[ExpertCalibration]:
    """Every expert's calibration in the campaign, with the calibration ratings that missed.

    Two queries: the calibration rows, and the latest calibration ratings.
    """
    if campaign.qualification_threshold is None:
        return []
    experts = {
        expert_id: ExpertCalibration(
            pseudonym=pseudonym,
            status=status,
            units=units,
            rated=rated,
            within_range=within,
            threshold=campaign.qualification_threshold,
            misses=[],
        )
        for expert_id, pseudonym, status, units, rated, within in Calibration.objects.filter(
            campaign=campaign
        )
        .order_by("expert__pseudonym")
        .values_list("expert_id", "expert__pseudonym", "status", "units", "rated", "within_range")
    }
    # The first revision is the one the feedback answered; calibration ratings are not revised.
    misses = (
        Rating.objects.filter(
            assignment__campaign=campaign,
            assignment__unit__is_calibration=True,
            assignment__status=AssignmentStatus.SUBMITTED,
        )
        .filter(latest_revision_filter())
        .order_by("assignment__unit__blind_code")
        .values_list(
            "assignment__expert_id",
            "assignment__unit__blind_code",
            "value",
            "assignment__unit__expected_min",
            "assignment__unit__expected_max",
        )
    )
    for expert_id, code, value, low, high in misses:
        if not low <= value <= high and expert_id in experts:
            experts[expert_id].misses.append(
                CalibrationMiss(blind_code=code, value=value, expected_min=low, expected_max=high)
            )
    return list(experts.values())


@dataclass(frozen=True)
class WithheldCalibrationUnit:
    """A calibration unit on the review list, as the admin sees it: how many experts still
    calibrating have to rate it, and how many of them wait on it (nothing else to rate)."""

    blind_code: str
    experts_waiting: int
    experts_to_rate: int

    def to_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def withheld_calibration_units(*, campaign: Campaign) -> list[WithheldCalibrationUnit]:
    """The campaign's calibration units withheld for review that experts still calibrating
    have to rate, by blind code. One query; none for a campaign without calibration."""
    if campaign.qualification_threshold is None:
        return []
    calibrating = Calibration.objects.filter(
        campaign_id=OuterRef("campaign_id"),
        expert_id=OuterRef("expert_id"),
        status=CalibrationStatus.CALIBRATING,
    )
    rows = list(
        Assignment.objects.filter(campaign=campaign, unit__is_calibration=True)
        .exclude(status=AssignmentStatus.SUBMITTED)
        .filter(Exists(calibrating))
        .order_by()
        .values_list("expert_id", "unit__blind_code", "unit__review_status")
    )
    can_rate = {expert for expert, _code, review in rows if review != UnitReviewStatus.PENDING}
    experts: dict[str, list[int]] = {}
    for expert, code, review in rows:
        if review == UnitReviewStatus.PENDING:
            experts.setdefault(code, []).append(expert)
    return [
        WithheldCalibrationUnit(
            blind_code=code,
            experts_waiting=sum(expert not in can_rate for expert in experts[code]),
            experts_to_rate=len(experts[code]),
        )
        for code in sorted(experts)
    ]


def campaign_drift(
    *,
    campaign: Campaign,
    block_size: int = DEFAULT_BLOCK_SIZE,
    threshold: float = DEFAULT_DRIFT_THRESHOLD,
) -> DriftResult:
    """Rater drift over the campaign's data (calibration units left out), experts named by
    pseudonym, ratings in the order they were first submitted. One query."""
    # Imported on use: the statistics stack costs seconds at every process's start-up.
    import pandas as pd

    from ratings.stats.drift import rater_drift

    rows = _latest_submitted_ratings(campaign.pk).values_list(
        "assignment__unit_id",
        "assignment__expert__pseudonym",
        "value",
        "assignment__submitted_at",
        "assignment_id",
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["unit", "rater", "value", "submitted_at", "assignment"]
    )
    frame = frame.sort_values(["submitted_at", "assignment"], kind="stable")
    frame["order"] = range(len(frame))
    return rater_drift(frame, block_size=block_size, threshold=threshold)
