"""Adaptive campaigns in the database: checking their settings, adding a rater to a unit whose
first ratings disagree, and the stopping rule's state for the progress page, admin and API.

A campaign is adaptive when it spends its ratings where the uncertainty is: every unit starts
with ``raters_per_unit`` (k0) raters; a unit whose ratings disagree (see
`ratings.adaptive_assignment`) gets one more eligible expert, up to ``max_raters_per_unit``
(k_max). Extra raters stop once the stopping rule is met: the half-width of the campaign's
alpha confidence interval is at or below ``target_ci_half_width``, or every rating of
``rating_budget`` is spent or committed (assigned).

Concurrency: the decision for a unit runs inside the rating's transaction with the unit's row
locked, so two experts finishing the same unit at once are decided one after the other (the
second sees the first's rating and the rater it may have added: a unit never passes k_max).
Adding a rater also locks the campaign's row, so that loads and the budget are counted
by one decision at a time. Lock order is always unit, then campaign. A rating's transaction
has moved its campaign's data revision (the rating's insert does, by trigger) before it locks
its unit, so the decisions of one campaign run one after the other in any case.

Units are locked FOR NO KEY UPDATE: two decisions on a unit still wait for each other, but a new
assignment's key check on its unit (at commit) never waits for a unit lock. A retry of the
waiting units gives a unit a rater without locking it; were a study admin's review save of that
unit holding FOR UPDATE on it, waiting for the campaign's data revision held by the retry, the
two would deadlock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from ratings.adaptive_assignment import (
    DISAGREEMENT_RANGE,
    MIN_PAIRABLE_UNITS,
    STOPPING_BOOTSTRAP,
    STOPPING_LEVEL,
    choose_extra_rater,
    eligibility_groups,
    needs_extra_rater,
    queue_order,
    unit_disagrees,
)
from ratings.assignment import ExpertSpec, UnitSpec
from ratings.models import (
    Assignment,
    AssignmentStatus,
    Calibration,
    CalibrationStatus,
    Campaign,
    ExpertProfile,
    Rating,
    Unit,
)
from ratings.stats_selectors import (
    campaign_agreement_frame,
    campaign_scale_values,
    latest_revision_filter,
)

UNFINISHED = (AssignmentStatus.PENDING, AssignmentStatus.DRAFT)


def adaptive_settings_errors(
    *,
    adaptive: bool,
    raters_per_unit: int,
    max_raters_per_unit: int | None,
    rating_budget: int | None,
    target_ci_half_width: float | None,
) -> dict[str, list[str]]:
    """Field -> problems of an adaptive campaign's settings (empty when they are sound)."""
    errors: dict[str, list[str]] = {}
    if not adaptive:
        for field, value in (
            ("max_raters_per_unit", max_raters_per_unit),
            ("rating_budget", rating_budget),
            ("target_ci_half_width", target_ci_half_width),
        ):
            if value is not None:
                errors[field] = ["only an adaptive campaign takes this setting; set adaptive"]
        return errors
    if raters_per_unit < 2:
        errors["raters_per_unit"] = [
            f"an adaptive campaign needs at least 2 initial raters per unit, got {raters_per_unit}"
        ]
    if max_raters_per_unit is None:
        errors["max_raters_per_unit"] = ["required for an adaptive campaign"]
    elif max_raters_per_unit < raters_per_unit:
        errors["max_raters_per_unit"] = [
            f"must be at least raters_per_unit (the initial k0 = {raters_per_unit}), "
            f"got {max_raters_per_unit}"
        ]
    if rating_budget is None:
        errors["rating_budget"] = ["required for an adaptive campaign"]
    elif rating_budget < 1:
        errors["rating_budget"] = ["must be at least 1"]
    if target_ci_half_width is None:
        errors["target_ci_half_width"] = ["required for an adaptive campaign"]
    elif not 0 < target_ci_half_width < 1:
        errors["target_ci_half_width"] = [
            f"must lie strictly between 0 and 1, got {target_ci_half_width}"
        ]
    return errors


def budget_errors(
    *, rating_budget: int | None, units: int, raters_per_unit: int
) -> dict[str, list[str]]:
    """The budget must at least pay for the initial ratings of every (non-calibration) unit."""
    if rating_budget is None or rating_budget >= units * raters_per_unit:
        return {}
    return {
        "rating_budget": [
            f"{rating_budget} is below the initial ratings: {units} units x {raters_per_unit} "
            f"raters = {units * raters_per_unit}"
        ]
    }


# --------------------------------------------------------------------------------------------
# The stopping rule


@dataclass(frozen=True)
class StoppingState:
    """Where an adaptive campaign stands against its stopping rule.

    Ratings of the campaign's real units only (calibration units are not the budget's). The
    rule counts committed ratings: every assignment, rated or not, since an assigned rating is
    paid for once given. `ratings_spent` are the submitted ones, `ratings_pending` the assigned
    ones not rated yet (pending, draft or skipped), and `ratings_left` what the rule may still
    assign: the budget less the committed ratings, so that it is zero exactly when the budget
    stops extra raters.
    """

    target_ci_half_width: float
    rating_budget: int
    ratings_spent: int
    ratings_committed: int
    alpha: float | None
    ci_half_width: float | None
    units_with_extra_raters: int
    extra_assignments: int
    pairable_units: int
    units: int

    @property
    def ci_trusted(self) -> bool:
        """Whether enough units are pairable for the interval to decide the stopping rule."""
        return self.pairable_units >= min(MIN_PAIRABLE_UNITS, self.units)

    @property
    def ratings_pending(self) -> int:
        return self.ratings_committed - self.ratings_spent

    @property
    def ratings_left(self) -> int:
        return max(self.rating_budget - self.ratings_committed, 0)

    @property
    def target_reached(self) -> bool:
        return (
            self.ci_trusted
            and self.ci_half_width is not None
            and self.ci_half_width <= self.target_ci_half_width
        )

    @property
    def budget_spent(self) -> bool:
        return self.ratings_committed >= self.rating_budget

    @property
    def stopped(self) -> bool:
        return self.target_reached or self.budget_spent

    @property
    def rule(self) -> str:
        return _(
            "Stop adding raters when the half-width of the alpha CI is at most %(target)s "
            "or when %(budget)s ratings are assigned."
        ) % {"target": f"{self.target_ci_half_width:g}", "budget": self.rating_budget}

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "target_ci_half_width": self.target_ci_half_width,
            "rating_budget": self.rating_budget,
            "ratings_spent": self.ratings_spent,
            "ratings_committed": self.ratings_committed,
            "ratings_pending": self.ratings_pending,
            "ratings_left": self.ratings_left,
            "alpha": self.alpha,
            "ci_half_width": self.ci_half_width,
            "target_reached": self.target_reached,
            "budget_spent": self.budget_spent,
            "stopped": self.stopped,
            "units_with_extra_raters": self.units_with_extra_raters,
            "extra_assignments": self.extra_assignments,
            "pairable_units": self.pairable_units,
            "units": self.units,
        }


@dataclass(frozen=True)
class CampaignPrecision:
    alpha: float | None
    ci_half_width: float | None
    pairable_units: int


def campaign_precision(*, campaign: Campaign) -> CampaignPrecision:
    """The campaign's alpha (calibration units left out), its 95% CI half-width (seeded by the
    campaign's seed; None where alpha or its interval is undefined) and the pairable units."""
    # Imported on use: the statistics stack costs seconds at every process's start-up.
    from ratings.stats import alpha

    frame = campaign_agreement_frame(campaign_id=campaign.pk)
    if frame.empty:
        return CampaignPrecision(alpha=None, ci_half_width=None, pairable_units=0)
    result = alpha(
        frame,
        level=STOPPING_LEVEL,
        bootstrap=STOPPING_BOOTSTRAP,
        seed=campaign.seed,
        value_domain=campaign_scale_values(campaign=campaign) or None,
    )
    half_width = None
    if result.ci_low is not None and result.ci_high is not None:
        half_width = (result.ci_high - result.ci_low) / 2
    return CampaignPrecision(
        alpha=result.alpha,
        ci_half_width=half_width,
        pairable_units=result.n_units - result.n_units_not_pairable,
    )


def stopping_state(*, campaign: Campaign) -> StoppingState | None:
    """The stopping rule's state of an adaptive campaign (None for a fixed one)."""
    if not campaign.adaptive:
        return None
    real = Assignment.objects.filter(campaign=campaign, unit__is_calibration=False).order_by()
    counts = real.aggregate(
        committed=Count("pk"),
        spent=Count("pk", filter=Q(status=AssignmentStatus.SUBMITTED)),
    )
    extended = list(
        real.values("unit_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=campaign.raters_per_unit)
        .values_list("n", flat=True)
    )
    precision = campaign_precision(campaign=campaign)
    return StoppingState(
        target_ci_half_width=campaign.target_ci_half_width,
        rating_budget=campaign.rating_budget,
        ratings_spent=counts["spent"],
        ratings_committed=counts["committed"],
        alpha=precision.alpha,
        ci_half_width=precision.ci_half_width,
        pairable_units=precision.pairable_units,
        units=Unit.objects.filter(campaign=campaign, is_calibration=False).count(),
        units_with_extra_raters=len(extended),
        extra_assignments=sum(n - campaign.raters_per_unit for n in extended),
    )


# --------------------------------------------------------------------------------------------
# Adding a rater


def unit_review(*, assignment: Assignment) -> Assignment | None:
    """Decide, after a rating or skip of assignment in an adaptive campaign, whether its unit
    gets one more rater; create that assignment and return it (or None).

    Runs inside the caller's transaction. Calibration units are never extended.
    """
    campaign = assignment.campaign
    if not campaign.adaptive:
        return None
    unit = (
        Unit.objects.select_for_update(of=("self",), no_key=True)
        .select_related("item")
        .only("pk", "trial_id", "language", "is_calibration", "item__area")
        .get(pk=assignment.unit_id)
    )
    if unit.is_calibration:
        return None
    statuses = Counter(
        Assignment.objects.filter(unit=unit).order_by().values_list("status", flat=True)
    )
    values = list(
        Rating.objects.filter(assignment__unit=unit, assignment__status=AssignmentStatus.SUBMITTED)
        .filter(latest_revision_filter())
        .order_by()
        .values_list("value", flat=True)
    )
    if not needs_extra_rater(
        values=values,
        assigned=sum(statuses.values()),
        unfinished=sum(statuses[status] for status in UNFINISHED),
        max_raters_per_unit=campaign.max_raters_per_unit,
    ):
        return None
    # One decision at a time per campaign: loads and the budget are counted under this lock.
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    state = stopping_state(campaign=campaign)
    if state is None or state.stopped:
        return None
    pool = _pool(campaign, committed=state.ratings_committed)
    added = _extend(
        pool, unit_id=unit.pk, trial_id=unit.trial_id, language=unit.language, area=unit.item.area
    )
    if added is not None:
        _retry_waiting(pool)
    return added


def _allowed_experts(campaign: Campaign) -> list[ExpertProfile]:
    """The panel's experts who may still rate: able to sign in and, in a calibrated campaign,
    calibrated by it and not turned away (an expert who joined the panel later has no
    calibration here, so the campaign's real units would never be shown to them)."""
    experts = campaign.panel.experts.filter(user__is_active=True)
    if campaign.qualification_threshold is not None:
        calibrated = (
            Calibration.objects.filter(campaign=campaign)
            .exclude(status=CalibrationStatus.NOT_QUALIFIED)
            .values("expert_id")
        )
        experts = experts.filter(pk__in=calibrated)
    return list(experts.order_by("pk"))


@dataclass
class _Pool:
    """Who may take an extra unit, their loads and eligibility groups, kept current in memory
    while one decision (under the campaign's lock) adds raters."""

    campaign: Campaign
    experts: list[ExpertSpec]
    loads: dict[int, int]
    groups: dict[int, frozenset[tuple[str, str]]]
    committed: int


def _pool(campaign: Campaign, *, committed: int) -> _Pool:
    experts = [
        ExpertSpec(
            key=expert.pk, languages=frozenset(expert.languages), areas=frozenset(expert.areas)
        )
        for expert in _allowed_experts(campaign)
    ]
    real = Assignment.objects.filter(campaign=campaign, unit__is_calibration=False).order_by()
    loads = Counter(dict(real.values_list("expert_id").annotate(n=Count("pk"))))
    kinds = (
        Unit.objects.filter(campaign=campaign, is_calibration=False)
        .order_by()
        .values_list("language", "item__area")
        .distinct()
    )
    kind_specs = [
        UnitSpec(key=(language, area), language=language, area=area, stratum=None)
        for language, area in kinds
    ]
    return _Pool(
        campaign=campaign,
        experts=experts,
        loads={spec.key: loads[spec.key] for spec in experts},
        groups=eligibility_groups(kind_specs, experts, match_expertise=campaign.match_expertise),
        committed=committed,
    )


def _extend(
    pool: _Pool, *, unit_id: int, trial_id: int, language: str, area: str
) -> Assignment | None:
    """Add one balanced rater to the unit, within the budget; None if nobody may take it.

    The unit is known to the rule by its work sample (trial), so that ties fall the same way in
    a campaign created again from the same run and seed.
    """
    campaign = pool.campaign
    if pool.committed >= campaign.rating_budget:
        return None
    chosen = choose_extra_rater(
        unit=UnitSpec(key=trial_id, language=language, area=area, stratum=None),
        experts=pool.experts,
        current_raters=set(
            Assignment.objects.filter(unit_id=unit_id).values_list("expert_id", flat=True)
        ),
        loads=pool.loads,
        groups=pool.groups,
        seed=campaign.seed,
        match_expertise=campaign.match_expertise,
    )
    if chosen is None:
        return None
    last = Assignment.objects.filter(campaign=campaign, expert_id=chosen).aggregate(
        last=Max("position")
    )["last"]
    pool.loads[chosen] += 1
    pool.committed += 1
    return Assignment.objects.create(
        campaign=campaign,
        unit_id=unit_id,
        expert_id=chosen,
        position=0 if last is None else last + 1,
    )


def _retry_waiting(pool: _Pool) -> None:
    """An extra rater changes the loads, which may free a balanced rater for a unit that waited
    (finished, disagreeing, below k_max): retry those until nothing changes, in the campaign's
    seeded `queue_order` of their work samples (the order the units join the end of their new
    queues, as handed-on units do), not by number (task, then model)."""
    campaign = pool.campaign
    changed = True
    while changed:
        changed = False
        waiting = (
            Unit.objects.filter(campaign=campaign, is_calibration=False)
            .annotate(
                assigned=Count("assignments"),
                unfinished=Count("assignments", filter=Q(assignments__status__in=UNFINISHED)),
            )
            .filter(assigned__lt=campaign.max_raters_per_unit, unfinished=0)
            .order_by("pk")
            .values_list("pk", "trial_id", "language", "item__area")
        )
        units = {pk: (trial_id, language, area) for pk, trial_id, language, area in waiting}
        values: dict[int, list[int]] = {pk: [] for pk in units}
        for unit_id, value in (
            Rating.objects.filter(
                assignment__unit_id__in=list(units),
                assignment__status=AssignmentStatus.SUBMITTED,
            )
            .filter(latest_revision_filter())
            .order_by()
            .values_list("assignment__unit_id", "value")
        ):
            values[unit_id].append(value)
        by_trial = {trial_id: unit_id for unit_id, (trial_id, _language, _area) in units.items()}
        for trial_id in queue_order(by_trial, seed=campaign.seed):
            unit_id = by_trial[trial_id]
            _trial, language, area = units[unit_id]
            if not unit_disagrees(values[unit_id]):
                continue
            added = _extend(pool, unit_id=unit_id, trial_id=trial_id, language=language, area=area)
            if added is not None:
                changed = True


__all__ = [
    "DISAGREEMENT_RANGE",
    "StoppingState",
    "adaptive_settings_errors",
    "budget_errors",
    "campaign_precision",
    "stopping_state",
    "unit_review",
]
