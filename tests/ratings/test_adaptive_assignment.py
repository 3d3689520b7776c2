"""Adaptive assignment invariants, pure: under any order of ratings, extra raters keep every
invariant of fixed assignment, never pass k_max, and the same seed and order give the same
assignments.

No database: `AdaptiveLedger` applies the rule of `ratings.adaptive.unit_review` in memory.
"""

from __future__ import annotations

import random
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings.adaptive_assignment import (
    AdaptiveLedger,
    _tie_rank,
    choose_extra_rater,
    eligibility_groups,
    hand_on,
    needs_extra_rater,
    unit_disagrees,
)
from ratings.assignment import ExpertSpec, UnitSpec, assign, is_eligible

LANGUAGES = ("en", "zh-hans")
AREAS = ("R", "I", "A")


def test_disagreement_is_a_range_of_two_points_or_more():
    assert unit_disagrees([1, 3])
    assert unit_disagrees([4, 2, 3])
    assert not unit_disagrees([3, 4])
    assert not unit_disagrees([2, 3, 3, 2])
    assert not unit_disagrees([5])  # nothing to compare


def test_a_unit_asks_for_a_rater_only_when_finished_disagreeing_and_below_k_max():
    assert needs_extra_rater(values=[1, 4], assigned=2, unfinished=0, max_raters_per_unit=3)
    assert not needs_extra_rater(values=[1, 4], assigned=3, unfinished=1, max_raters_per_unit=4)
    assert not needs_extra_rater(values=[1, 4, 2], assigned=3, unfinished=0, max_raters_per_unit=3)
    assert not needs_extra_rater(values=[3, 4], assigned=2, unfinished=0, max_raters_per_unit=5)
    # A skipped assignment counts towards k_max but brings no value.
    assert needs_extra_rater(values=[1, 5], assigned=3, unfinished=0, max_raters_per_unit=4)


def test_the_extra_rater_is_eligible_new_and_at_the_lowest_load_of_their_group():
    unit = UnitSpec(key="u", language="en", area="R", stratum=1)
    experts = [
        ExpertSpec(key=name, languages=frozenset(langs), areas=frozenset({"R"}))
        for name, langs in [("a", {"en"}), ("b", {"en"}), ("c", {"en"}), ("z", {"zh-hans"})]
    ]
    groups = eligibility_groups([unit], experts)
    arguments = {"unit": unit, "experts": experts, "groups": groups, "seed": 1}
    # b rates the unit already; z does not read English; c is at its group's lowest load.
    loads = {"a": 3, "b": 2, "c": 2, "z": 0}
    assert choose_extra_rater(current_raters={"b"}, loads=loads, **arguments) == "c"
    # Everyone at the group's lowest load already rates it: adding a would make 3 against 2
    # within the group after c's rating... a is at 3, b and c at 2: a may not take it.
    loads = {"a": 3, "b": 2, "c": 2, "z": 0}
    assert choose_extra_rater(current_raters={"b", "c"}, loads=loads, **arguments) is None


def _feasible_experts(draw_experts, units, raters):
    return all(
        sum(is_eligible(unit, expert) for expert in draw_experts) >= raters for unit in units
    )


@st.composite
def campaigns(draw):
    """Units and experts with partial eligibility, k0 and k_max, feasible for k0."""
    k0 = draw(st.integers(min_value=2, max_value=3))
    k_max = draw(st.integers(min_value=k0, max_value=k0 + 3))
    expert_count = draw(st.integers(min_value=k0, max_value=8))
    experts = []
    for index in range(expert_count):
        languages = draw(st.sets(st.sampled_from(LANGUAGES), min_size=1))
        areas = draw(st.sets(st.sampled_from(AREAS), min_size=1))
        experts.append(
            ExpertSpec(key=f"E{index}", languages=frozenset(languages), areas=frozenset(areas))
        )
    unit_count = draw(st.integers(min_value=1, max_value=24))
    units = [
        UnitSpec(
            key=f"U{index}",
            language=draw(st.sampled_from(LANGUAGES)),
            area=draw(st.sampled_from(AREAS)),
            stratum=draw(st.integers(min_value=0, max_value=2)),
        )
        for index in range(unit_count)
    ]
    units = [unit for unit in units if sum(is_eligible(unit, expert) for expert in experts) >= k0]
    seed = draw(st.integers(min_value=0, max_value=2**31))
    return units, experts, k0, k_max, seed


def _play(units, experts, k0, k_max, seed, order_seed, value_seed, *, drop=None):
    """Rate every pending assignment in a random order until none is left; return the ledger
    and the sequence of (unit, expert, value) ratings. With drop = (step, expert), that expert
    drops out before the step-th rating (or at the end), recorded as (None, expert, None)."""
    plan = assign(units, experts, raters_per_unit=k0, seed=seed)
    ledger = AdaptiveLedger(units, experts, plan.queues, max_raters_per_unit=k_max, seed=seed)
    order = random.Random(order_seed)
    values = random.Random(value_seed)
    # Each unit has a true quality; half the units are "hard" and get spread-out ratings.
    quality = {unit.key: values.randint(1, 5) for unit in units}
    hard = {unit.key: values.random() < 0.5 for unit in units}
    history = []
    short: set = set()
    dropped = None
    while True:
        pending = ledger.pending()
        if drop is not None and dropped is None and (len(history) >= drop[0] or not pending):
            dropped = drop[1]
            short = _drop(ledger, dropped, experts, seed)
            history.append((None, dropped, None))
            _check_invariants(ledger, units, experts, k0, k_max, dropped=dropped, short=short)
            pending = ledger.pending()
        if not pending:
            break
        unit_key, expert_key = order.choice(pending)
        spread = 2 if hard[unit_key] else 0
        value = min(5, max(1, quality[unit_key] + values.randint(-spread, spread)))
        ledger.record(unit_key, expert_key, value)
        history.append((unit_key, expert_key, value))
        _check_invariants(ledger, units, experts, k0, k_max, dropped=dropped, short=short)
    return ledger, history


def _drop(ledger, expert_key, experts, seed) -> set:
    """Drop the expert; check that each unit left short could not be taken by anyone at a
    balanced load; return the short units."""
    unrated = {
        unit_key
        for unit_key, raters in ledger.raters.items()
        if expert_key in raters and expert_key not in ledger.unit_values[unit_key]
    }
    takers = ledger.drop(expert_key)
    assert set(takers) == unrated
    remaining = [expert for expert in experts if expert.key != expert_key]
    short = {unit_key for unit_key, taker in takers.items() if taker is None}
    for unit_key in short:
        if len(ledger.raters[unit_key]) < len(ledger.unit_values[unit_key]) + 1:
            continue  # extended since, by a retry
        assert (
            choose_extra_rater(
                unit=ledger.units[unit_key],
                experts=remaining,
                current_raters=set(ledger.raters[unit_key]),
                loads=ledger.loads,
                groups=ledger.groups,
                seed=seed,
            )
            is None
        )
    return short


def _check_invariants(ledger, units, experts, k0, k_max, *, dropped=None, short=()):
    by_key = {expert.key: expert for expert in experts}
    for unit in units:
        raters = ledger.raters[unit.key]
        # A unit left short when an expert dropped out lacks that expert's rating.
        assert k0 - (unit.key in short) <= len(raters) <= k_max
        assert len(set(raters)) == len(raters), "an expert got the same unit twice"
        assert all(is_eligible(unit, by_key[key]) for key in raters)
        if dropped in raters:
            assert dropped in ledger.unit_values[unit.key], "a dropped expert kept a unit"
    loads = defaultdict(int)
    for raters in ledger.raters.values():
        for key in raters:
            loads[key] += 1
    assert dict(ledger.loads) == {expert.key: loads[expert.key] for expert in experts}
    by_group = defaultdict(list)
    for expert in experts:
        if expert.key != dropped:
            by_group[ledger.groups[expert.key]].append(loads[expert.key])
    for group_loads in by_group.values():
        assert max(group_loads) - min(group_loads) <= 1, by_group


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    campaign=campaigns(),
    order_seed=st.integers(min_value=0, max_value=2**31),
    value_seed=st.integers(min_value=0, max_value=2**31),
)
def test_invariants_hold_under_any_order_of_ratings(campaign, order_seed, value_seed):
    units, experts, k0, k_max, seed = campaign
    ledger, _history = _play(units, experts, k0, k_max, seed, order_seed, value_seed)
    # At the end no unit that still disagrees below k_max could have taken a balanced rater.
    for unit in units:
        values = list(ledger.unit_values[unit.key].values())
        raters = ledger.raters[unit.key]
        if unit_disagrees(values) and len(raters) < k_max:
            assert (
                choose_extra_rater(
                    unit=unit,
                    experts=experts,
                    current_raters=set(raters),
                    loads=ledger.loads,
                    groups=ledger.groups,
                    seed=seed,
                )
                is None
            )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    campaign=campaigns(),
    order_seed=st.integers(min_value=0, max_value=2**31),
    value_seed=st.integers(min_value=0, max_value=2**31),
)
def test_same_seed_and_order_of_ratings_give_the_same_assignments(campaign, order_seed, value_seed):
    units, experts, k0, k_max, seed = campaign
    first, history = _play(units, experts, k0, k_max, seed, order_seed, value_seed)
    # Replay the recorded order on a fresh ledger built from reversed inputs.
    plan = assign(list(reversed(units)), list(reversed(experts)), raters_per_unit=k0, seed=seed)
    replay = AdaptiveLedger(units, experts, plan.queues, max_raters_per_unit=k_max, seed=seed)
    for unit_key, expert_key, value in history:
        replay.record(unit_key, expert_key, value)
    assert replay.raters == first.raters


def test_disagreeing_units_get_extra_raters_up_to_k_max():
    experts = [
        ExpertSpec(key=f"E{i}", languages=frozenset({"en"}), areas=frozenset({"R"}))
        for i in range(6)
    ]
    units = [UnitSpec(key=f"U{i}", language="en", area="R", stratum=0) for i in range(6)]
    plan = assign(units, experts, raters_per_unit=2, seed=5)
    ledger = AdaptiveLedger(units, experts, plan.queues, max_raters_per_unit=4, seed=5)
    # U0 is rated 1 and 5 by everyone who gets it; the others get 3 from everyone.
    while pending := ledger.pending():
        unit_key, expert_key = pending[0]
        alternating = 1 if len(ledger.unit_values["U0"]) % 2 == 0 else 5
        value = alternating if unit_key == "U0" else 3
        ledger.record(unit_key, expert_key, value)
    assert len(ledger.raters["U0"]) == 4
    assert all(len(ledger.raters[f"U{i}"]) == 2 for i in range(1, 6))


@pytest.mark.parametrize("k0", [2, 3])
def test_no_extra_rater_when_extensions_are_stopped(k0):
    experts = [
        ExpertSpec(key=f"E{i}", languages=frozenset({"en"}), areas=frozenset({"R"}))
        for i in range(5)
    ]
    units = [UnitSpec(key="U", language="en", area="R", stratum=0)]
    plan = assign(units, experts, raters_per_unit=k0, seed=1)
    ledger = AdaptiveLedger(units, experts, plan.queues, max_raters_per_unit=5, seed=1)
    ledger.extensions_allowed = False
    for index, (unit_key, expert_key) in enumerate(ledger.pending()):
        ledger.record(unit_key, expert_key, 1 if index % 2 else 5)
    assert len(ledger.raters["U"]) == k0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    campaign=campaigns(),
    order_seed=st.integers(min_value=0, max_value=2**31),
    value_seed=st.integers(min_value=0, max_value=2**31),
    drop_step=st.integers(min_value=0, max_value=80),
    drop_index=st.integers(min_value=0, max_value=7),
)
def test_invariants_hold_when_an_expert_drops_out(
    campaign, order_seed, value_seed, drop_step, drop_index
):
    units, experts, k0, k_max, seed = campaign
    dropped = experts[drop_index % len(experts)].key
    ledger, history = _play(
        units, experts, k0, k_max, seed, order_seed, value_seed, drop=(drop_step, dropped)
    )
    assert (None, dropped, None) in history
    # Replayed from reversed inputs, the same ratings and drop give the same assignments.
    plan = assign(list(reversed(units)), list(reversed(experts)), raters_per_unit=k0, seed=seed)
    replay = AdaptiveLedger(units, experts, plan.queues, max_raters_per_unit=k_max, seed=seed)
    for unit_key, expert_key, value in history:
        if unit_key is None:
            replay.drop(expert_key)
        else:
            replay.record(unit_key, expert_key, value)
    assert replay.raters == ledger.raters


def _same_experts(*keys):
    return [
        ExpertSpec(key=key, languages=frozenset({"en"}), areas=frozenset({"R"})) for key in keys
    ]


def test_a_unit_handed_on_earlier_moves_to_make_room_for_the_next():
    """b and c each rate one unit. A (no rater left) and B (rated by b) are withdrawn from an
    expert who dropped out. With a seed under which A's tie goes to c, A goes to c first; B
    can then only go to c, one above b: A moves on to b, and B goes to c. Loads 2 and 2."""
    seed = next(
        seed for seed in range(100) if _tie_rank(seed, "A", "c") < _tie_rank(seed, "A", "b")
    )
    experts = _same_experts("b", "c")
    units = [UnitSpec(key=key, language="en", area="R", stratum=0) for key in ("A", "B")]
    groups = eligibility_groups(units, experts)
    assert (
        choose_extra_rater(
            unit=units[0],
            experts=experts,
            current_raters=set(),
            loads={"b": 1, "c": 1},
            groups=groups,
            seed=seed,
        )
        == "c"
    )
    loads = {"b": 1, "c": 1}
    takers = hand_on(
        units=units,
        experts=experts,
        current_raters={"A": set(), "B": {"b"}},
        loads=loads,
        groups=groups,
        seed=seed,
    )
    assert takers == {"A": "b", "B": "c"}
    assert loads == {"b": 2, "c": 2}


def test_a_unit_nobody_can_take_at_a_balanced_load_is_left_short():
    """b and c rate the unit already; d is one above the group's lowest load."""
    experts = _same_experts("b", "c", "d")
    unit = UnitSpec(key="A", language="en", area="R", stratum=0)
    loads = {"b": 3, "c": 3, "d": 4}
    takers = hand_on(
        units=[unit],
        experts=experts,
        current_raters={"A": {"b", "c"}},
        loads=loads,
        groups=eligibility_groups([unit], experts),
        seed=1,
    )
    assert takers == {"A": None}
    assert loads == {"b": 3, "c": 3, "d": 4}


def test_a_dropped_experts_unrated_units_go_to_the_others_and_the_ratings_stay():
    experts = _same_experts("E0", "E1", "E2", "E3")
    units = [UnitSpec(key=f"U{i}", language="en", area="R", stratum=0) for i in range(6)]
    plan = assign(units, experts, raters_per_unit=2, seed=3)
    ledger = AdaptiveLedger(units, experts, plan.queues, max_raters_per_unit=2, seed=3)
    rated, *unrated = plan.queues["E0"]
    ledger.record(rated, "E0", 3)
    takers = ledger.drop("E0")
    assert sorted(takers) == sorted(unrated) and None not in takers.values()
    assert ledger.unit_values[rated] == {"E0": 3} and "E0" in ledger.raters[rated]
    assert all("E0" not in ledger.raters[unit_key] for unit_key in unrated)
    loads = [ledger.loads[key] for key in ("E1", "E2", "E3")]
    assert sum(loads) == 12 - 1 and max(loads) - min(loads) <= 1
    assert [len(ledger.raters[unit.key]) for unit in units] == [2] * 6


def test_queue_order_is_seeded_and_independent_of_the_numbering():
    """Units are numbered by task, then model; units added to a queue together go in an order
    drawn from the campaign's seed, so two answers to a task do not come in the models' order."""
    from ratings.adaptive_assignment import queue_order

    keys = list(range(100, 140))
    order = queue_order(keys, seed=7)
    assert sorted(order) == keys
    assert order == queue_order(list(reversed(keys)), seed=7)  # the same whatever the input order
    assert order != queue_order(keys, seed=8)
    # Pairs (2j, 2j + 1) stand for two models' answers to task j: either may come first.
    first = [order.index(2 * j) < order.index(2 * j + 1) for j in range(50, 70)]
    assert 5 <= sum(first) <= 15


def test_units_that_waited_join_the_queue_in_the_seeded_order():
    """Units that waited for a rater while extensions were stopped are retried once a rating
    adds one: the extras join the end of the free expert's queue in the campaign's seeded
    `queue_order`, as handed-on units do, not in key order (task, then model)."""
    from ratings.adaptive_assignment import queue_order

    waiting = list(range(7))
    seed = next(s for s in range(100) if queue_order(waiting, seed=s) != waiting)
    experts = [
        ExpertSpec(key=key, languages=frozenset({"en"}), areas=frozenset({"R"}))
        for key in ("A", "B", "X")
    ]
    units = [UnitSpec(key=key, language="en", area="R", stratum=0) for key in range(8)]
    # X, newly on the panel, holds nothing: every extra rater is X while X is the least loaded.
    initial = {"A": list(range(8)), "B": list(range(8)), "X": []}
    ledger = AdaptiveLedger(units, experts, initial, max_raters_per_unit=3, seed=seed)
    ledger.extensions_allowed = False
    for unit_key in waiting:
        ledger.record(unit_key, "A", 1)
        ledger.record(unit_key, "B", 5)
    ledger.record(7, "A", 1)
    assert ledger.queues["X"] == []  # they all waited
    ledger.extensions_allowed = True
    assert ledger.record(7, "B", 5) == "X"
    assert ledger.queues["X"] == [7, *queue_order(waiting, seed=seed)]
    assert all(ledger.raters[key] == ["A", "B", "X"] for key in range(8))
