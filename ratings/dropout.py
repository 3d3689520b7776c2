"""Experts who drop out of a campaign: their unfinished assignments handed on to the others.

An expert drops out of a campaign when their calibration in it ends below the qualification
threshold (`ratings.calibration.calibration_rating_record` decides it), when their account is
deactivated (`user.is_active` set to False), or when they are removed from the campaign's panel
(they drop out of every campaign on that panel). Their real units would otherwise stay short of
their raters for good, and an adaptive campaign would count those assignments as committed
budget. So, in an open campaign (or one awaiting review):

- their pending and draft assignments of real units are withdrawn (deleted: they hold no
  rating; a draft's text goes with them). Submitted ratings stay, and so do skipped
  assignments, which the expert had finished with as any expert can. Calibration units stay.
- each withdrawn unit is handed on by `ratings.adaptive_assignment.hand_on`: to an expert who
  may still rate (active and, in a calibrated campaign, not turned away by it), who reads its
  language and knows its area, has no assignment of it, and is at the lowest load of their
  eligibility group (a unit handed on earlier in the same decision may move on to make room);
  ties follow the campaign's seed. The new assignment goes to the end of that expert's queue
  (several in the campaign's seeded `queue_order`, not by task and model). A unit nobody can take is left short; the `Reassignment` log says why,
  and the campaign's admin page lists the units short of raters with that reason.
- in an adaptive campaign, units that waited for an extra rater are retried, as after one.

When: at the calibration decision, in the rating's transaction (after the commit of another
expert's flag, when withholding the flagged unit is what decides it); at deactivation, by a signal on
the user's save (the admin's user page, a script), since the account belongs to Django's auth
app and is saved wherever a study admin chooses; at removal from a panel, by a signal on the
panel's experts (the admin's panel page, `panel.experts.remove()` or `.clear()` or `.set()`, and
the same from the expert's side); and by the command `hand_on_assignments`, which
sweeps campaigns for experts still holding such assignments (deactivated with a bulk update,
raw SQL, or before this rule existed; removed from the panel without a signal; a campaign
reopened after a deactivation). Every path is
the same idempotent function: a second call finds nothing left to hand on.

Concurrency: the dropped expert's assignment rows are locked first (a submission in flight
finishes before, and is kept): their ratable calibration assignments, then their unfinished
real ones. A calibration rating whose decision turns the expert away holds its assignment, then
the data revision, then withdraws the real ones: waiting for it before locking those keeps a
deactivation at that moment from deadlocking with it. Then, in an open campaign, its data
revision row (which a rating's transaction moves before it locks its unit), the units in id
order, then the campaign, as `ratings.adaptive.unit_review` does (unit, then campaign), so
loads and the budget are counted by one decision at a time and a unit never passes its maximum
of raters. In a campaign awaiting review the campaign is locked before the revision, as
`ratings.services.review.campaign_open` locks it; one opened meanwhile is started again (back
to a savepoint, which lets go of the locks) in the open campaign's order. Holding the campaign,
the expert's unfinished assignments are read again, without locking: another decision may have
given them a unit after their assignments were locked, and they may be submitting it already
(holding it, and waiting for the data revision held here). Waiting for that assignment would
deadlock; the drop-out starts again instead (back to the savepoint), and its first step waits
for that submission, which is kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.signals import m2m_changed, post_save
from django.utils.translation import gettext as _

from config.errors import sentences_joined
from ratings.adaptive import UNFINISHED, _pool, _retry_waiting, stopping_state
from ratings.adaptive_assignment import hand_on, queue_order
from ratings.assignment import UnitSpec
from ratings.models import (
    Assignment,
    Calibration,
    CalibrationStatus,
    Campaign,
    CampaignDataRevision,
    CampaignStatus,
    DropOutReason,
    ExpertProfile,
    Panel,
    Rating,
    Reassignment,
    Unit,
    UnitReviewStatus,
)

# Campaigns whose assignments are handed on: a closed campaign keeps them as they were (the
# command hands them on once it is reopened).
LIVE_STATUSES = (CampaignStatus.OPEN, CampaignStatus.REVIEW)


def _unfinished_real(campaign_id: int) -> Q:
    return Q(
        campaign_id=campaign_id,
        unit__is_calibration=False,
        status__in=UNFINISHED,
    )


class _OpenedMeanwhile(Exception):
    """The campaign was opened from review while a drop-out waited for its lock."""


class _HandedMeanwhile(Exception):
    """Another decision gave the expert a unit after the drop-out locked their assignments."""


@transaction.atomic
def expert_drop_out(*, campaign: Campaign, expert_id: int, reason: str) -> list[Reassignment]:
    """Hand on the expert's unfinished real assignments of the campaign; the log rows written.

    Does nothing when the expert may still rate in the campaign, or the campaign is closed.
    """
    # Each attempt runs back to a savepoint if it has to start again, which lets go of the locks
    # it took. Awaiting review nobody rates: the campaign is locked before the data revision, as
    # `campaign_open` locks it. Opened meanwhile, the locks taken in that order are let go and
    # taken again in a rating's order: holding the campaign while waiting for the revision
    # would deadlock with a rating that holds the revision and waits for the campaign. Given a
    # unit meanwhile, the expert's assignments are locked again from the start. Each new start
    # follows a change that does not come back (a campaign opened, an assignment the expert did
    # not hold before, of a unit they hold at most once), so the attempts end.
    while True:
        status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
        if status not in LIVE_STATUSES:
            return []
        try:
            with transaction.atomic():
                return _drop_out(
                    campaign.pk,
                    expert_id=expert_id,
                    reason=reason,
                    rating_order=status == CampaignStatus.OPEN,
                )
        except (_OpenedMeanwhile, _HandedMeanwhile):
            continue


def _drop_out(
    campaign_id: int, *, expert_id: int, reason: str, rating_order: bool
) -> list[Reassignment]:
    # Experts rate only in an open campaign: there the units are locked as a rating's decision
    # locks them, before the campaign (the assignments first, so a submission in flight ends).
    locked_units: set[int] | None = set() if rating_order else None
    withdrawn = _withdrawn_locked(campaign_id, expert_id, locked_units=locked_units, in_flight=True)
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status not in LIVE_STATUSES:
        return []  # closed meanwhile
    if campaign.status == CampaignStatus.OPEN and not rating_order:
        raise _OpenedMeanwhile
    # Every assignment made after a campaign's creation is made under its lock, so another
    # decision may have handed this expert a unit while this one waited: read them again,
    # without locking. The expert may be submitting that new one already: their submission
    # holds it and waits for the data revision held here, so waiting for its lock now would
    # deadlock. Start again instead: the first step waits for that submission, which is kept,
    # as any submission in flight is.
    if (
        _withdrawable(campaign.pk, expert_id)
        .exclude(pk__in=[pk for pk, _unit in withdrawn])
        .exists()
    ):
        raise _HandedMeanwhile
    if not withdrawn:
        return []
    unit_ids = sorted({unit_id for _pk, unit_id in withdrawn})
    pool = _pool(campaign, committed=0)
    if expert_id in pool.loads:
        return []  # reactivated, or not turned away: nothing to hand on
    Assignment.objects.filter(pk__in=[pk for pk, _unit in withdrawn]).delete()

    units = {
        pk: UnitSpec(key=trial_id, language=language, area=area, stratum=None)
        for pk, trial_id, language, area in Unit.objects.filter(pk__in=unit_ids)
        .order_by("pk")
        .values_list("pk", "trial_id", "language", "item__area")
    }
    raters: dict[int, set[int]] = {pk: set() for pk in unit_ids}
    for unit_id, rater in Assignment.objects.filter(unit_id__in=unit_ids).values_list(
        "unit_id", "expert_id"
    ):
        raters[unit_id].add(rater)
    most = campaign.max_raters_per_unit if campaign.adaptive else campaign.raters_per_unit
    open_units = [pk for pk in unit_ids if len(raters[pk]) < most]
    by_trial = {units[pk].key: pk for pk in open_units}
    takers = hand_on(
        units=[units[pk] for pk in open_units],
        experts=pool.experts,
        current_raters={units[pk].key: raters[pk] for pk in open_units},
        loads=pool.loads,
        groups=pool.groups,
        seed=campaign.seed,
        match_expertise=campaign.match_expertise,
    )
    # Unit id -> its new expert (None: left short); a unit that would pass its maximum of
    # raters gets nobody.
    outcome = {by_trial[key]: taker for key, taker in takers.items()}
    outcome.update((pk, None) for pk in unit_ids if pk not in outcome)
    # They join the end of their new queues in the campaign's seeded order, not by number
    # (task, then model).
    by_key = {units[pk].key: pk for pk in outcome}
    outcome = {by_key[key]: outcome[by_key[key]] for key in queue_order(by_key, seed=campaign.seed)}
    _assignments_create(campaign, takers=outcome)
    log = Reassignment.objects.bulk_create(
        Reassignment(
            campaign=campaign,
            unit_id=unit_id,
            from_expert_id=expert_id,
            to_expert_id=taker,
            reason=reason,
        )
        for unit_id, taker in outcome.items()
    )
    if campaign.adaptive and campaign.status == CampaignStatus.OPEN:
        state = stopping_state(campaign=campaign)
        if state is not None and not state.stopped:
            _retry_waiting(_pool(campaign, committed=state.ratings_committed))
    return log


def _withdrawable(campaign_id: int, expert_id: int):
    """The expert's unfinished real assignments of the campaign without a rating."""
    return Assignment.objects.filter(_unfinished_real(campaign_id), expert_id=expert_id).exclude(
        Exists(Rating.objects.filter(assignment=OuterRef("pk")))
    )


def _withdrawn_locked(
    campaign_id: int, expert_id: int, *, locked_units: set[int] | None, in_flight: bool = False
) -> list[tuple[int, int]]:
    """(assignment id, unit id) of the expert's unfinished real assignments, rows locked (a
    submission in flight commits first and is left alone); their units too, in id order,
    unless locked_units is None.

    in_flight: first wait for a calibration rating of the expert in flight (its assignment is
    locked first), before any row that rating may lock after the data revision: its own
    calibration decision withdraws the expert's real assignments (a deadlock had this locked
    them first and then waited for the revision). That rating, deciding, sees no ratable
    calibration assignment of the expert left, so it locks none here itself.
    """
    if in_flight:
        list(
            Assignment.objects.select_for_update(of=("self",))
            .filter(
                campaign_id=campaign_id,
                expert_id=expert_id,
                unit__is_calibration=True,
                status__in=UNFINISHED,
            )
            .exclude(unit__review_status=UnitReviewStatus.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    withdrawn = list(
        _withdrawable(campaign_id, expert_id)
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "unit_id")
    )
    if locked_units is not None:
        # A rating's transaction moves the campaign's data revision (by trigger) before it
        # locks its unit and the campaign: wait for it here too, before the units and the
        # campaign, rather than take the campaign and then wait for the revision when
        # withdrawing (a deadlock with a rating's decision waiting for the campaign).
        list(
            CampaignDataRevision.objects.select_for_update()
            .filter(campaign_id=campaign_id)
            .values_list("pk", flat=True)
        )
        new = sorted({unit_id for _pk, unit_id in withdrawn} - locked_units)
        list(
            Unit.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=new)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        locked_units.update(new)
    return withdrawn


def _assignments_create(campaign: Campaign, *, takers: dict[int, int | None]) -> None:
    """Each handed-on unit at the end of its new expert's queue, in the order given."""
    chosen = [expert_id for expert_id in takers.values() if expert_id is not None]
    last = dict(
        Assignment.objects.filter(campaign=campaign, expert_id__in=chosen)
        .order_by()
        .values_list("expert_id")
        .annotate(last=Max("position"))
    )
    created = []
    for unit_id, expert_id in takers.items():
        if expert_id is None:
            continue
        position = last.get(expert_id, -1) + 1
        last[expert_id] = position
        created.append(
            Assignment(campaign=campaign, unit_id=unit_id, expert_id=expert_id, position=position)
        )
    Assignment.objects.bulk_create(created)


def expert_deactivated(*, expert_id: int) -> int:
    """Hand on a deactivated expert's unfinished assignments in every live campaign they hold
    assignments in or whose panel they are on (a decision in flight there may be giving them
    a unit: each campaign's lock waits for it); how many were withdrawn."""
    campaigns = (
        Campaign.objects.filter(status__in=LIVE_STATUSES)
        .filter(
            Q(panel__experts=expert_id)
            | Q(
                assignments__expert_id=expert_id,
                assignments__status__in=UNFINISHED,
            )
        )
        .order_by("pk")
        .distinct()
    )
    return sum(
        len(
            expert_drop_out(
                campaign=campaign, expert_id=expert_id, reason=DropOutReason.DEACTIVATED
            )
        )
        for campaign in campaigns
    )


def panel_experts_removed(*, panel_ids: list[int], expert_ids: list[int]) -> int:
    """Hand on the unfinished assignments of experts removed from panels, in every live campaign
    on those panels; how many were withdrawn. One query when no such campaign exists."""
    campaigns = list(
        Campaign.objects.filter(status__in=LIVE_STATUSES, panel_id__in=panel_ids).order_by("pk")
    )
    return sum(
        len(expert_drop_out(campaign=campaign, expert_id=expert_id, reason=DropOutReason.REMOVED))
        for campaign in campaigns
        for expert_id in sorted(expert_ids)
    )


def campaign_drop_outs_hand_on(*, campaign: Campaign) -> list[Reassignment]:
    """Hand on the unfinished assignments of every expert who dropped out of the campaign
    (turned away by its calibration, deactivated, or no longer on its panel); the log rows
    written."""
    holders = set(
        Assignment.objects.filter(_unfinished_real(campaign.pk)).values_list("expert_id", flat=True)
    )
    not_qualified = set(
        Calibration.objects.filter(
            campaign=campaign, status=CalibrationStatus.NOT_QUALIFIED, expert_id__in=holders
        ).values_list("expert_id", flat=True)
    )
    inactive = set(
        ExpertProfile.objects.filter(pk__in=holders, user__is_active=False).values_list(
            "pk", flat=True
        )
    )
    removed = holders - set(campaign.panel.experts.values_list("pk", flat=True))
    log: list[Reassignment] = []
    for expert_id in sorted(not_qualified | inactive | removed):
        if expert_id in not_qualified:
            reason = DropOutReason.NOT_QUALIFIED
        elif expert_id in inactive:
            reason = DropOutReason.DEACTIVATED
        else:
            reason = DropOutReason.REMOVED
        log += expert_drop_out(campaign=campaign, expert_id=expert_id, reason=reason)
    return log


def user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """Signal receiver: a user saved as inactive drops out of the campaigns they rate in. A save
    of other fields only (the last login) is left alone, without a query."""
    if instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    expert_id = ExpertProfile.objects.filter(user_id=instance.pk).values_list("pk", flat=True)
    for pk in expert_id:
        expert_deactivated(expert_id=pk)


def panel_experts_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Signal receiver: experts removed from a panel (from either side of the relation) drop out
    of the campaigns on it. A clear's members are read before it, to be handed on after it."""
    if action == "pre_clear":
        related = instance.panels if reverse else instance.experts
        instance._panel_members_cleared = list(related.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set = instance.__dict__.pop("_panel_members_cleared", [])
    elif action != "post_remove":
        return
    if not pk_set:
        return
    if reverse:  # expert.panels.remove(panel, ...)
        panel_experts_removed(panel_ids=list(pk_set), expert_ids=[instance.pk])
    else:
        panel_experts_removed(panel_ids=[instance.pk], expert_ids=list(pk_set))


def connect_signals() -> None:
    post_save.connect(
        user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="ratings.dropout.user_saved"
    )
    m2m_changed.connect(
        panel_experts_changed,
        sender=Panel.experts.through,
        dispatch_uid="ratings.dropout.panel_experts_changed",
    )


# --------------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True)
class ShortUnit:
    """A real unit with fewer raters than the campaign's raters_per_unit, and why."""

    blind_code: str
    raters: int
    raters_per_unit: int
    reasons: list[str]

    @property
    def message(self) -> str:
        return _("%(code)s: %(raters)s of %(wanted)s raters. %(reasons)s") % {
            "code": self.blind_code,
            "raters": self.raters,
            "wanted": self.raters_per_unit,
            "reasons": sentences_joined(*self.reasons),
        }


def campaign_short_units(*, campaign: Campaign) -> list[ShortUnit]:
    """Real units left short of raters when an expert dropped out, with the reason; two
    queries."""
    short = {
        pk: (code, raters)
        for pk, code, raters in Unit.objects.filter(campaign=campaign, is_calibration=False)
        .annotate(raters=Count("assignments"))
        .filter(raters__lt=campaign.raters_per_unit)
        .order_by("blind_code")
        .values_list("pk", "blind_code", "raters")
    }
    reasons: dict[int, list[str]] = defaultdict(list)
    for unit_id, pseudonym, reason in (
        Reassignment.objects.filter(unit_id__in=list(short), to_expert__isnull=True)
        .order_by("pk")
        .values_list("unit_id", "from_expert__pseudonym", "reason")
    ):
        reasons[unit_id].append(
            _(
                "%(expert)s %(reason)s; no other eligible expert could take the unit at a "
                "balanced load."
            )
            % {"expert": pseudonym, "reason": DropOutReason(reason).label}
        )
    return [
        ShortUnit(
            blind_code=code,
            raters=raters,
            raters_per_unit=campaign.raters_per_unit,
            reasons=reasons[pk],
        )
        for pk, (code, raters) in short.items()
    ]
