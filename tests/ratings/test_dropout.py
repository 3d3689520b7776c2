"""Experts who drop out of a campaign (failed calibration, deactivated): their unfinished real
assignments are handed on to the other experts, or withdrawn and shown as short, through the
services, the user's save, the command and the admin."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from ratings.adaptive import stopping_state
from ratings.adaptive_assignment import queue_order
from ratings.dropout import campaign_short_units
from ratings.models import (
    Assignment,
    AssignmentStatus,
    CalibrationStatus,
    DropOutReason,
    Panel,
    Rating,
    Reassignment,
    Unit,
)
from ratings.services import assignment_skip, campaign_create, draft_save, rating_submit
from tests.conftest import _expert
from tests.ratings.test_adaptive import _adaptive, _rate_in_turn, _raters
from tests.ratings.test_calibration import calibrated  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _deactivate(user) -> None:
    user.is_active = False
    user.save()


def _real(campaign):
    return Assignment.objects.filter(campaign=campaign, unit__is_calibration=False)


def _real_loads(campaign) -> Counter:
    return Counter(_real(campaign).values_list("expert_id", flat=True))


def _check_units_staffed(campaign, *, raters: int, without) -> None:
    """Every real unit has `raters` distinct experts, none of them `without`."""
    for unit in Unit.objects.filter(campaign=campaign, is_calibration=False):
        unit_raters = _raters(unit)
        assert len(unit_raters) == raters == len(set(unit_raters)), unit.blind_code
        assert without.pk not in unit_raters


def test_a_failed_calibration_hands_the_experts_real_units_to_the_others(
    calibrated,  # noqa: F811
    expert1,
    expert2,
    expert3,
):
    # 21 real units x 2 raters over 3 experts: 14 each. Each of expert1's units has one other
    # rater, and only the third expert can take it: 7 go to expert2 and 7 to expert3.
    assert _real_loads(calibrated) == {e.expert.pk: 14 for e in (expert1, expert2, expert3)}
    calibration_units = Assignment.objects.filter(
        campaign=calibrated, expert=expert1.expert, unit__is_calibration=True
    ).select_related("campaign")
    for assignment, value in zip(calibration_units, [5, 3, 1], strict=True):
        rating_submit(assignment=assignment, value=value)  # 1 of 3 within 2..3
    assert expert1.expert.calibrations.get().status == CalibrationStatus.NOT_QUALIFIED

    assert not _real(calibrated).filter(expert=expert1.expert).exists()
    assert _real_loads(calibrated) == {expert2.expert.pk: 21, expert3.expert.pk: 21}
    _check_units_staffed(calibrated, raters=2, without=expert1.expert)
    log = Reassignment.objects.filter(campaign=calibrated)
    assert log.count() == 14
    assert set(log.values_list("reason", "from_expert")) == {
        (DropOutReason.NOT_QUALIFIED, expert1.expert.pk)
    }
    assert Counter(log.values_list("to_expert", flat=True)) == {
        expert2.expert.pk: 7,
        expert3.expert.pk: 7,
    }
    # The calibration ratings stay; the handed-on units close the other queues.
    assert Rating.objects.filter(assignment__expert=expert1.expert).count() == 3
    for expert in (expert2, expert3):
        handed = set(log.filter(to_expert=expert.expert).values_list("unit", flat=True))
        positions = list(_real(calibrated).filter(expert=expert.expert).order_by("position"))
        assert {assignment.unit_id for assignment in positions[-7:]} == handed
        # Units and trials are numbered by task, then model: in that order a queue's handed-on
        # end would show two answers to a task always in the same models' order. They go in
        # the campaign's seeded order instead.
        appended = [assignment.unit.trial_id for assignment in positions[-7:]]
        assert appended == queue_order(appended, seed=calibrated.seed)
    assert campaign_short_units(campaign=calibrated) == []


def test_an_expert_turned_away_by_another_experts_flag_hands_their_real_units_on(
    calibrated,  # noqa: F811
    expert1,
    expert2,
    expert3,
    django_capture_on_commit_callbacks,
):
    """expert2 rated two calibration units out of range; the third is all that could still
    qualify them. expert1 flags that unit, which withholds it: expert2 is decided not qualified
    at the flag, and their real units go to the others as after their own last rating."""
    calibration_units = list(
        Unit.objects.filter(campaign=calibrated, is_calibration=True).order_by("pk")
    )
    withheld, others = calibration_units[0], calibration_units[1:]
    for unit, value in zip(others, [5, 1], strict=True):
        rating_submit(
            assignment=Assignment.objects.select_related("campaign").get(
                unit=unit, expert=expert2.expert
            ),
            value=value,
        )
    assert expert2.expert.calibrations.get().status == CalibrationStatus.CALIBRATING
    assert _real(calibrated).filter(expert=expert2.expert).count() == 14

    with django_capture_on_commit_callbacks(execute=True):
        rating_submit(
            assignment=Assignment.objects.select_related("campaign").get(
                unit=withheld, expert=expert1.expert
            ),
            value=2,
            flags=["identifies_model"],
        )

    assert expert2.expert.calibrations.get().status == CalibrationStatus.NOT_QUALIFIED
    assert not _real(calibrated).filter(expert=expert2.expert).exists()
    assert _real_loads(calibrated) == {expert1.expert.pk: 21, expert3.expert.pk: 21}
    _check_units_staffed(calibrated, raters=2, without=expert2.expert)
    assert set(
        Reassignment.objects.filter(campaign=calibrated).values_list("reason", "from_expert")
    ) == {(DropOutReason.NOT_QUALIFIED, expert2.expert.pk)}


def test_a_deactivated_expert_keeps_their_ratings_and_leaves_units_short_with_the_reason(
    campaign, expert1, admin_user
):
    # Three experts, three raters per unit: nobody else can take expert1's units.
    first, second, third = (
        Assignment.objects.filter(campaign=campaign, expert=expert1.expert)
        .select_related("campaign")
        .order_by("position")[:3]
    )
    rating_submit(assignment=first, value=4)
    assignment_skip(assignment=second, reason="other")
    draft_save(assignment=third, value=2)

    _deactivate(expert1)

    kept = Assignment.objects.filter(expert=expert1.expert).order_by("position")
    assert [(a.pk, a.status) for a in kept] == [
        (first.pk, AssignmentStatus.SUBMITTED),
        (second.pk, AssignmentStatus.SKIPPED),
    ]
    assert Rating.objects.filter(assignment=first, value=4).exists()
    log = Reassignment.objects.filter(campaign=campaign)
    assert log.count() == 46  # 48 units less the rated and the skipped one
    assert set(log.values_list("reason", "to_expert")) == {(DropOutReason.DEACTIVATED, None)}
    short = campaign_short_units(campaign=campaign)
    assert len(short) == 46
    assert {row.raters for row in short} == {2}
    assert third.unit.blind_code in {row.blind_code for row in short}
    assert all(
        row.reasons
        == [
            f"{expert1.expert.pseudonym} was deactivated; no other eligible expert could take "
            "the unit at a balanced load."
        ]
        for row in short
    )

    client = Client()
    client.force_login(admin_user)
    html = client.get(f"/admin/ratings/campaign/{campaign.pk}/change/").content.decode()
    assert "units short of raters" in html.lower()
    assert f"{third.unit.blind_code}: 2 of 3 raters. {expert1.expert.pseudonym} was" in html
    assert client.get("/admin/ratings/reassignment/").status_code == 200


def test_saving_an_active_user_hands_nothing_on(campaign, expert1, django_assert_num_queries):
    with django_assert_num_queries(1):  # the UPDATE of the user
        expert1.save(update_fields=["last_login"])
    with django_assert_num_queries(1):
        expert1.save()
    assert not Reassignment.objects.exists()


def _five_experts() -> list:
    return [_expert(f"rater{index}_expert", languages=["en"]).expert for index in range(5)]


def _fixed(run, panel, name: str):
    """24 English units, two raters each, over five experts of the same eligibility."""
    return campaign_create(
        name=name,
        run=run,
        panel=panel,
        languages=["en"],
        raters_per_unit=2,
        seed=99,
        skip_review=True,
    )


def test_handed_on_units_keep_the_loads_balanced_and_follow_the_seed(finished_run):
    experts = _five_experts()
    panel = Panel.objects.create(name="Five experts")
    panel.experts.set(experts)
    first, second = _fixed(finished_run, panel, "First"), _fixed(finished_run, panel, "Second")
    dropped = max(experts, key=lambda expert: _real_loads(first)[expert.pk])
    assert _real_loads(first)[dropped.pk] == 10  # 48 assignments: loads 10, 10, 10, 9, 9

    _deactivate(dropped.user)

    for campaign in (first, second):
        loads = _real_loads(campaign)
        assert dropped.pk not in loads and sum(loads.values()) == 48
        assert max(loads.values()) - min(loads.values()) <= 1, loads
        _check_units_staffed(campaign, raters=2, without=dropped)
        assert not campaign_short_units(campaign=campaign)
        positions = list(_real(campaign).values_list("expert_id", "position"))
        assert len(positions) == len(set(positions))
    # Same seed, same plan, same event: the same experts take the same work samples.
    taken = [
        sorted(
            Reassignment.objects.filter(campaign=campaign).values_list(
                "unit__trial_id", "to_expert"
            )
        )
        for campaign in (first, second)
    ]
    assert taken[0] == taken[1] and len(taken[0]) == 10


def test_the_command_hands_on_what_a_bulk_deactivation_left(finished_run):
    experts = _five_experts()
    panel = Panel.objects.create(name="Five experts")
    panel.experts.set(experts)
    campaign = _fixed(finished_run, panel, "Bulk")
    dropped = experts[0]
    held = _real(campaign).filter(expert=dropped).count()
    # An update() sends no signal: the assignments stay until the command sweeps them.
    get_user_model().objects.filter(pk=dropped.user_id).update(is_active=False)
    assert _real(campaign).filter(expert=dropped).count() == held

    call_command("hand_on_assignments", stdout=(output := _Output()))
    assert f"campaign {campaign.pk}: {held} assignments withdrawn, {held} handed on" in str(output)
    assert not _real(campaign).filter(expert=dropped).exists()
    _check_units_staffed(campaign, raters=2, without=dropped)

    call_command("hand_on_assignments", str(campaign.pk), stdout=(again := _Output()))
    assert f"campaign {campaign.pk}: 0 assignments withdrawn" in str(again)
    assert Reassignment.objects.count() == held


class _Output:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        pass

    def __str__(self) -> str:
        return "".join(self.parts)


def test_an_adaptive_campaign_no_longer_counts_a_dropped_experts_assignments_as_committed(
    finished_run,
):
    """Areas R and I in English: 8 units, k0 2, budget 16 (no extra rating). a and b know both
    areas, c and d only I, so the R units go to a and b. Once a is deactivated, a's four R
    units have nobody left to take them (b rates them already): they are withdrawn, and the
    four ratings they held back pay for extra raters."""
    a, b, c, d = (
        _expert(f"{name}_expert", languages=["en"], areas=areas).expert
        for name, areas in (("a", ["R", "I"]), ("b", ["R", "I"]), ("c", ["I"]), ("d", ["I"]))
    )
    panel = Panel.objects.create(name="Four experts")
    panel.experts.set([a, b, c, d])
    campaign = _adaptive(
        finished_run, panel, areas=["R", "I"], max_raters_per_unit=3, rating_budget=16
    )
    assert stopping_state(campaign=campaign).budget_spent

    _deactivate(a.user)

    state = stopping_state(campaign=campaign)
    assert (state.ratings_committed, state.budget_spent) == (12, False)
    assert _real_loads(campaign) == {b.pk: 4, c.pk: 4, d.pk: 4}
    short = campaign_short_units(campaign=campaign)
    assert len(short) == 4 and {row.raters for row in short} == {1}
    # An I unit rated by c and d disagrees: b (the only expert left who may take it) is added.
    unit = next(
        unit
        for unit in Unit.objects.filter(campaign=campaign, item__area="I").order_by("pk")
        if set(_raters(unit)) == {c.pk, d.pk}
    )
    _rate_in_turn(unit, [1, 5])
    assert set(_raters(unit)) == {b.pk, c.pk, d.pk}
    assert stopping_state(campaign=campaign).ratings_committed == 13


def test_an_expert_removed_from_the_panel_in_the_admin_hands_their_units_on(
    finished_run, admin_user
):
    """The panel's admin page takes an expert off the panel: in the open campaign on it, their
    rated unit stays and their pending and draft ones go to the others at balanced loads; a
    closed campaign on the same panel keeps its assignments as they were."""
    from ratings.models import Campaign, CampaignStatus

    experts = _five_experts()
    panel = Panel.objects.create(name="Five experts")
    panel.experts.set(experts)
    live, closed = _fixed(finished_run, panel, "Live"), _fixed(finished_run, panel, "Closed")
    Campaign.objects.filter(pk=closed.pk).update(status=CampaignStatus.CLOSED)
    removed = experts[0]
    rated, drafted = (
        _real(live).filter(expert=removed).select_related("campaign").order_by("position")[:2]
    )
    rating_submit(assignment=rated, value=4)
    draft_save(assignment=drafted, value=2)
    held = _real(live).filter(expert=removed).count() - 1
    closed_before = sorted(_real(closed).values_list("pk", "expert_id"))

    client = Client()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/ratings/panel/{panel.pk}/change/",
        {"name": panel.name, "experts": [expert.pk for expert in experts[1:]]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(panel.experts.values_list("pk", flat=True)) == {e.pk for e in experts[1:]}

    assert list(_real(live).filter(expert=removed).values_list("pk", "status")) == [
        (rated.pk, AssignmentStatus.SUBMITTED)
    ]
    log = Reassignment.objects.filter(campaign=live)
    assert log.count() == held
    assert set(log.values_list("reason", "from_expert")) == {(DropOutReason.REMOVED, removed.pk)}
    assert not log.filter(to_expert__isnull=True).exists()
    loads = _real_loads(live)
    del loads[removed.pk]
    assert sum(loads.values()) == 47 and max(loads.values()) - min(loads.values()) <= 1, loads
    for unit in Unit.objects.filter(campaign=live):
        raters = _raters(unit)
        assert len(raters) == 2 == len(set(raters))
    assert sorted(_real(closed).values_list("pk", "expert_id")) == closed_before
    assert not Reassignment.objects.filter(campaign=closed).exists()


def test_removal_from_the_experts_side_and_a_cleared_panel_hand_units_on(finished_run):
    """A script removing the panel from the expert, or clearing the panel, hands on too; an
    expert left on the panel of another campaign keeps their units there."""
    experts = _five_experts()
    panel, other = Panel.objects.create(name="Five"), Panel.objects.create(name="Other")
    panel.experts.set(experts)
    other.experts.set(experts)
    campaign, elsewhere = _fixed(finished_run, panel, "Here"), _fixed(finished_run, other, "There")
    held = _real(elsewhere).filter(expert=experts[1]).count()

    experts[1].panels.remove(panel)

    assert not _real(campaign).filter(expert=experts[1]).exists()
    assert _real(elsewhere).filter(expert=experts[1]).count() == held
    assert set(Reassignment.objects.values_list("reason", "from_expert", "campaign")) == {
        (DropOutReason.REMOVED, experts[1].pk, campaign.pk)
    }
    _check_units_staffed(campaign, raters=2, without=experts[1])

    panel.experts.clear()

    assert not _real(campaign).filter(status__in=("pending", "draft")).exists()
    short = campaign_short_units(campaign=campaign)
    assert len(short) == 24 and {row.raters for row in short} == {0}
    assert (
        short[0]
        .reasons[-1]
        .endswith(
            "was removed from the panel; no other eligible expert could take the unit at a "
            "balanced load."
        )
    )


def test_the_command_hands_on_what_a_removal_without_a_signal_left(finished_run):
    experts = _five_experts()
    panel = Panel.objects.create(name="Five experts")
    panel.experts.set(experts)
    campaign = _fixed(finished_run, panel, "Raw removal")
    removed = experts[2]
    held = _real(campaign).filter(expert=removed).count()
    # A delete of the membership rows sends no m2m signal.
    Panel.experts.through.objects.filter(panel=panel, expertprofile=removed).delete()
    assert _real(campaign).filter(expert=removed).count() == held

    call_command("hand_on_assignments", stdout=(output := _Output()))

    assert f"campaign {campaign.pk}: {held} assignments withdrawn, {held} handed on" in str(output)
    assert set(Reassignment.objects.values_list("reason", flat=True)) == {DropOutReason.REMOVED}
    _check_units_staffed(campaign, raters=2, without=removed)
