"""Assignment of a campaign's blind units to the experts of a panel, and each expert's queue order.

Pure: unit and expert descriptions in, a plan out (no Django), so the algorithm can be tested
exhaustively and rerun from its seed.

What a plan guarantees:

- Every unit gets exactly ``raters_per_unit`` distinct experts, each eligible for it: the expert
  reads the unit's language and, with ``match_expertise``, knows its RIASEC area. When some unit
  has too few eligible experts, ``AssignmentError`` says which before any work is done.
- Loads are as even as eligibility allows. A greedy pass (most constrained units first, each to
  its least loaded eligible experts) is followed by moves along chains of reassignments until
  no chain can move a unit from an expert with load L to one with load L - 2 or less. At that
  point the loads are the most balanced any valid plan can reach: no plan has a smaller
  maximum load or a larger minimum load (the feasible load vectors form an M-convex set, on
  which this local condition is global). With full eligibility, max - min <= 1.
- Each queue mixes endpoints (strata) evenly, without a block structure: gold and regular
  units are each ordered apart, every unit of a stratum placed at its evenly spaced spot moved
  by a seeded random amount of up to two spacings (_jittered_strata). At every prefix of a queue
  without gold a stratum with share p of k strata is within (1 - p) + 2p(k - 1) above and
  2(1 - p) + p(k - 1) below its proportional share: for two equal strata, within 1 unit (one
  endpoint at most 2 ahead, never 5 in a row); with gold, where the two orders are merged, the
  two bounds add, plus 1/2. The bound is looser than the 1 - 1/(2k - 2) of Tijdeman's chairman
  rule on purpose: any order that keeps every prefix strictly within 1 fills each block of k
  positions (1-2, 3-4, ... for two endpoints) with one unit of each endpoint, and an expert who
  knows that, and sees the same task answered by each model, can split a queue into the
  models' units. Areas go by the chairman rule within the stratum chosen: exactly even when a
  queue has one stratum, roughly so otherwise. Ties go to a seeded random draw, so no key order
  leaks into a queue, two experts do not see the same order, and no position or block stands
  for an endpoint.
- Gold units are spread through the queue: after t positions a queue of n holding g gold units
  has round(t * g / n) of them (within 1/2 of its share), so the j-th sits in the middle of the
  j-th of g equal slices; none cluster at the start or the end.
- The same inputs and seed give the same plan, whatever the order of the inputs: everything is
  sorted by the keys' repr before any random draw.
"""

from __future__ import annotations

import math
import random
from collections import Counter, deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class UnitSpec:
    """One unit to rate; stratum is the opaque endpoint key whose samples a queue mixes."""

    key: Hashable
    language: str
    area: str
    stratum: Hashable
    is_gold: bool = False


@dataclass(frozen=True)
class ExpertSpec:
    """One expert: the languages they read and the RIASEC areas they know."""

    key: Hashable
    languages: frozenset[str]
    areas: frozenset[str]


class AssignmentError(ValueError):
    """The units cannot be assigned as asked; the message says why."""


@dataclass(frozen=True)
class AssignmentPlan:
    """Expert key -> unit keys in queue order, and the seed that produced it."""

    queues: dict[Hashable, list[Hashable]]
    seed: int

    def pairs(self) -> list[tuple[Hashable, Hashable, int]]:
        """(unit key, expert key, position) for every assignment; positions count from 0."""
        return [
            (unit_key, expert_key, position)
            for expert_key, queue in self.queues.items()
            for position, unit_key in enumerate(queue)
        ]

    def loads(self) -> dict[Hashable, int]:
        """Expert key -> number of units assigned."""
        return {expert_key: len(queue) for expert_key, queue in self.queues.items()}


def is_eligible(unit: UnitSpec, expert: ExpertSpec, *, match_expertise: bool = True) -> bool:
    """Whether expert may rate unit: they read its language (and know its area, if asked)."""
    if unit.language not in expert.languages:
        return False
    return not match_expertise or unit.area in expert.areas


_Spec = TypeVar("_Spec", UnitSpec, ExpertSpec)


def _sorted_by_key(items: Iterable[_Spec]) -> list[_Spec]:
    # By repr, so that keys of mixed types still sort and the input order does not matter.
    return sorted(items, key=lambda item: repr(item.key))


def _require_unique_keys(items: Sequence[UnitSpec] | Sequence[ExpertSpec], *, what: str) -> None:
    counts = Counter(item.key for item in items)
    duplicated = [key for key, count in counts.items() if count > 1]
    if duplicated:
        shown = ", ".join(repr(key) for key in sorted(duplicated, key=repr)[:5])
        raise AssignmentError(f"each {what} key must be unique; repeated: {shown}")


def _eligible_expert_indices(
    units: Sequence[UnitSpec], experts: Sequence[ExpertSpec], *, match_expertise: bool
) -> list[list[int]]:
    return [
        [
            expert_index
            for expert_index, expert in enumerate(experts)
            if is_eligible(unit, expert, match_expertise=match_expertise)
        ]
        for unit in units
    ]


# How many understaffed units an error message names before it only counts the rest.
_UNITS_NAMED_IN_ERROR = 5


def check_feasible(
    units: Sequence[UnitSpec],
    experts: Sequence[ExpertSpec],
    *,
    raters_per_unit: int,
    match_expertise: bool = True,
) -> None:
    """Raise AssignmentError unless every unit has raters_per_unit eligible experts.

    That is also sufficient: experts have no capacity limit, so each unit can be staffed on its
    own. Keys must be unique within units and within experts.
    """
    if raters_per_unit < 1:
        raise AssignmentError(f"raters_per_unit must be at least 1, got {raters_per_unit}")
    _require_unique_keys(units, what="unit")
    _require_unique_keys(experts, what="expert")
    ordered_units = _sorted_by_key(units)
    eligible = _eligible_expert_indices(
        ordered_units, _sorted_by_key(experts), match_expertise=match_expertise
    )
    understaffed = [
        (unit, len(unit_experts))
        for unit, unit_experts in zip(ordered_units, eligible, strict=True)
        if len(unit_experts) < raters_per_unit
    ]
    if not understaffed:
        return
    criterion = "language and area" if match_expertise else "language"
    reasons = [
        f"unit {unit.key!r} ({unit.language}, area {unit.area}) has {count} eligible "
        f"expert{'s' if count != 1 else ''} but {raters_per_unit} raters per unit are required"
        for unit, count in understaffed[:_UNITS_NAMED_IN_ERROR]
    ]
    more = len(understaffed) - _UNITS_NAMED_IN_ERROR
    if more > 0:
        reasons.append(f"and {more} more unit{'s' if more != 1 else ''}")
    raise AssignmentError(
        f"{len(understaffed)} of {len(units)} units cannot be staffed (experts matched on "
        f"{criterion}): " + "; ".join(reasons)
    )


def assign(
    units: Sequence[UnitSpec],
    experts: Sequence[ExpertSpec],
    *,
    raters_per_unit: int,
    seed: int,
    match_expertise: bool = True,
) -> AssignmentPlan:
    """Assign each unit to raters_per_unit eligible experts and order every expert's queue.

    Raises AssignmentError, before any work, when a unit has too few eligible experts or keys
    repeat. Every expert of the panel appears in the plan, with an empty queue if need be.
    """
    check_feasible(units, experts, raters_per_unit=raters_per_unit, match_expertise=match_expertise)
    ordered_units = _sorted_by_key(units)
    ordered_experts = _sorted_by_key(experts)
    eligible = _eligible_expert_indices(
        ordered_units, ordered_experts, match_expertise=match_expertise
    )
    rng = random.Random(seed)
    experts_of_unit = _assign_greedily(
        ordered_units, eligible, len(ordered_experts), raters_per_unit=raters_per_unit, rng=rng
    )
    units_of_expert: list[set[int]] = [set() for _ in ordered_experts]
    for unit_index, unit_experts in enumerate(experts_of_unit):
        for expert_index in unit_experts:
            units_of_expert[expert_index].add(unit_index)
    _rebalance(experts_of_unit, units_of_expert, eligible, [unit.is_gold for unit in ordered_units])
    queues = {
        expert.key: [
            ordered_units[unit_index].key
            for unit_index in _queue_order(sorted(expert_units), ordered_units, rng=rng)
        ]
        for expert, expert_units in zip(ordered_experts, units_of_expert, strict=True)
    }
    return AssignmentPlan(queues=queues, seed=seed)


def _assign_greedily(
    units: Sequence[UnitSpec],
    eligible: Sequence[Sequence[int]],
    expert_count: int,
    *,
    raters_per_unit: int,
    rng: random.Random,
) -> list[set[int]]:
    """Most constrained units first, each to its least loaded eligible experts.

    Among equally constrained units gold goes first, and among equally loaded experts those
    with fewer units of the same stratum are preferred, so gold and endpoints also spread
    across experts.
    """
    tie_breakers = [rng.random() for _ in units]
    order = sorted(
        range(len(units)),
        key=lambda index: (len(eligible[index]), not units[index].is_gold, tie_breakers[index]),
    )
    loads = [0] * expert_count
    stratum_loads: list[Counter[Hashable]] = [Counter() for _ in range(expert_count)]
    experts_of_unit: list[set[int]] = [set() for _ in units]
    for unit_index in order:
        unit = units[unit_index]
        ranked = sorted(
            eligible[unit_index],
            key=lambda expert_index: (
                loads[expert_index],
                stratum_loads[expert_index][unit.stratum],
                rng.random(),
            ),
        )
        for expert_index in ranked[:raters_per_unit]:
            experts_of_unit[unit_index].add(expert_index)
            loads[expert_index] += 1
            stratum_loads[expert_index][unit.stratum] += 1
    return experts_of_unit


def _rebalance(
    experts_of_unit: list[set[int]],
    units_of_expert: list[set[int]],
    eligible: Sequence[Sequence[int]],
    is_gold: Sequence[bool],
) -> None:
    """Move units along reassignment chains until no chain can even out two loads.

    A chain a -> u1 -> b -> u2 -> c hands u1 from a to b and u2 from b to c: a loses one unit,
    c gains one, every other load stays. It helps when c has at least two fewer units than a.
    """
    while True:
        path = _find_improving_path(experts_of_unit, units_of_expert, eligible, is_gold)
        if path is None:
            return
        for giver, unit_index, taker in path:
            experts_of_unit[unit_index].remove(giver)
            experts_of_unit[unit_index].add(taker)
            units_of_expert[giver].remove(unit_index)
            units_of_expert[taker].add(unit_index)


def _find_improving_path(
    experts_of_unit: Sequence[set[int]],
    units_of_expert: Sequence[set[int]],
    eligible: Sequence[Sequence[int]],
    is_gold: Sequence[bool],
) -> list[tuple[int, int, int]] | None:
    """A chain from an expert with load >= L to one with load <= L - 2, as (giver, unit, taker).

    One breadth-first search per load level L, from every expert at that level or above at
    once, highest level first.
    """
    loads = [len(expert_units) for expert_units in units_of_expert]
    if not loads:
        return None
    lowest = min(loads)
    for level in sorted(set(loads), reverse=True):
        if level < lowest + 2:
            return None
        sources = [expert for expert, load in enumerate(loads) if load >= level]
        reached_by: dict[int, tuple[int, int] | None] = dict.fromkeys(sources)
        frontier = deque(sources)
        while frontier:
            giver = frontier.popleft()
            # Regular units first, so that moves leave the greedy spread of gold alone.
            for unit_index in sorted(units_of_expert[giver], key=lambda i: (is_gold[i], i)):
                for taker in eligible[unit_index]:
                    if taker in reached_by or taker in experts_of_unit[unit_index]:
                        continue
                    reached_by[taker] = (giver, unit_index)
                    if loads[taker] <= level - 2:
                        return _walk_back(reached_by, taker)
                    frontier.append(taker)
    return None


def _walk_back(
    reached_by: dict[int, tuple[int, int] | None], end: int
) -> list[tuple[int, int, int]]:
    path = []
    taker = end
    while (step := reached_by[taker]) is not None:
        giver, unit_index = step
        path.append((giver, unit_index, taker))
        taker = giver
    path.reverse()
    return path


def _queue_order(
    unit_indices: Sequence[int], units: Sequence[UnitSpec], *, rng: random.Random
) -> list[int]:
    """Order one expert's units: strata interleaved by share, areas mixed, gold spread out.

    Gold and regular units are ordered apart (see _interleave) and merged so that after t
    positions the queue holds round(t * gold / length) gold units (half up): the j-th gold unit
    sits in the middle of the j-th of as many equal slices as there are gold units.
    """
    queue_length = len(unit_indices)
    gold = [index for index in unit_indices if units[index].is_gold]
    regular = [index for index in unit_indices if not units[index].is_gold]
    gold_order = iter(_interleave(gold, units, rng=rng))
    regular_order = iter(_interleave(regular, units, rng=rng))
    order = []
    for position in range(queue_length):
        # Gold placed after position + 1 units: floor((position + 1) * gold / length + 1/2).
        gold_after = (2 * (position + 1) * len(gold) + queue_length) // (2 * queue_length)
        gold_before = (2 * position * len(gold) + queue_length) // (2 * queue_length)
        order.append(next(gold_order) if gold_after > gold_before else next(regular_order))
    return order


class _ChairmanRule:
    """Tijdeman's chairman rule: which class goes next so each keeps close to its share.

    A class may go once it is at least `slack` behind its proportional share; of those, the one
    whose next unit is due soonest goes. When any class with units left may go at every step,
    every class stays within 1 - slack of its share at every prefix (R. Tijdeman, "The chairman
    assignment problem", Discrete Mathematics 32, 1980). Ties go to a seeded random draw made
    anew at each position: ranks drawn once would repeat one rotation through the whole queue
    (ABAB..., ABCABC...), and an expert could group the units by endpoint from their positions.
    """

    def __init__(self, totals: Counter[Hashable], *, rng: random.Random) -> None:
        self.totals = totals
        self.length = sum(totals.values())
        self.placed: Counter[Hashable] = Counter()
        # slack = slack_numerator / slack_denominator: 1 / (2k - 2), or 0 for a single class.
        # Everything below is integer arithmetic on these, so comparisons are exact.
        self.slack_numerator = 1 if len(totals) > 1 else 0
        self.slack_denominator = 2 * len(totals) - 2 if len(totals) > 1 else 1
        self.common_multiple = math.lcm(*totals.values()) if totals else 1
        self.rng = rng

    def _released(self, name: Hashable, filled: int) -> bool:
        # behind = filled * total / length - placed >= slack
        behind_scaled = filled * self.totals[name] - self.placed[name] * self.length
        return behind_scaled * self.slack_denominator >= self.slack_numerator * self.length

    def _next_due(self, name: Hashable) -> int:
        # (placed + 1 - slack) * length / total, scaled by slack_denominator * common_multiple
        # / length, which is the same for every class and so keeps the order.
        due = (self.placed[name] + 1) * self.slack_denominator - self.slack_numerator
        return due * (self.common_multiple // self.totals[name])

    def choose(self, candidates: Iterable[Hashable], *, filled: int) -> Hashable:
        """The class to place at position `filled` (counted from 1), among candidates."""
        candidates = sorted(candidates, key=repr)
        released = [name for name in candidates if self._released(name, filled)]
        pool = released or candidates
        earliest = min(self._next_due(name) for name in pool)
        tied = [name for name in pool if self._next_due(name) == earliest]
        return tied[0] if len(tied) == 1 else self.rng.choice(tied)

    def place(self, name: Hashable) -> None:
        self.placed[name] += 1


def _interleave(
    unit_indices: Sequence[int], units: Sequence[UnitSpec], *, rng: random.Random
) -> list[int]:
    """Order units so that every stratum keeps within 1 of its share at every prefix.

    Strata follow the chairman rule; within the stratum chosen, the area to go is chosen by the
    same rule among the areas that stratum has left (so areas are mixed too, exactly so when
    there is one stratum); within a stratum and area, units come in seeded random order.
    """
    # by_stratum[stratum][area] -> units left, shuffled.
    by_stratum: dict[Hashable, dict[str, list[int]]] = {}
    for unit_index in unit_indices:
        unit = units[unit_index]
        by_stratum.setdefault(unit.stratum, {}).setdefault(unit.area, []).append(unit_index)
    for stratum in sorted(by_stratum, key=repr):
        for area in sorted(by_stratum[stratum]):
            rng.shuffle(by_stratum[stratum][area])
    strata = _jittered_strata(Counter(units[index].stratum for index in unit_indices), rng=rng)
    areas = _ChairmanRule(Counter(units[index].area for index in unit_indices), rng=rng)
    order: list[int] = []
    for filled, stratum in enumerate(strata, start=1):
        by_area = by_stratum[stratum]
        area = areas.choose(by_area, filled=filled)
        order.append(by_area[area].pop())
        if not by_area[area]:
            del by_area[area]
        if not by_area:
            del by_stratum[stratum]
        areas.place(area)
    return order


# How far (in units of its own spacing) each unit of a stratum may be moved from its evenly
# spaced place: at 1 the strata would fill every block of k positions with one unit each.
STRATUM_JITTER = 2.0


def _jittered_strata(totals: Counter[Hashable], *, rng: random.Random) -> list[Hashable]:
    """The stratum of each position: evenly spaced, each unit moved by a seeded random amount.

    The j-th unit of a stratum of n (in a queue of L) is placed at (j + v) * L / n with v drawn
    uniformly from [0, STRATUM_JITTER); positions go by that key. At any prefix, each stratum
    s with share p of the queue holds its share plus d_s - p * (sum of d over all strata),
    with -STRATUM_JITTER < d < 1; so it is within (1 - p) + p * J * (k - 1) above and
    (1 - p) * J + p * (k - 1) below its share, J being STRATUM_JITTER and k the strata: for two
    equal strata, within 1 unit (3/2, strictly, and counts are whole). Any rule that keeps
    every prefix strictly within 1 fills each block of k positions with one unit of each
    stratum, which tells the expert that a block's units come from different models.
    """
    length = sum(totals.values())
    keys: list[tuple[float, float, Hashable]] = []
    for stratum in sorted(totals, key=repr):
        count = totals[stratum]
        for index in range(count):
            spot = (index + rng.uniform(0, STRATUM_JITTER)) * length / count
            keys.append((spot, rng.random(), stratum))
    keys.sort(key=lambda key: (key[0], key[1]))
    return [stratum for _spot, _tie, stratum in keys]
