"""Adaptive assignment: which unit gets one more rater, and which expert that rater is.

Pure (no Django), like `ratings.assignment`, so the rule can be tested under any order of
ratings and replayed by the simulation benchmark exactly as the application runs it.

The rule, decided once every rater of a unit has finished it (rated or skipped):

- **Disagreement.** A unit disagrees when the range of its ratings (largest minus smallest) is
  at least ``DISAGREEMENT_RANGE`` scale points: two points apart on the 1-5 competence scale
  is more than the one-point wobble careful experts show on a clear case, and it is the
  ``high_disagreement`` flag of ``ratings.stats.unit_stats``. Fewer than two ratings never
  disagree: there is nothing to compare.
- **One more rater.** A disagreeing unit with fewer than ``max_raters_per_unit`` assignments is
  offered to one more expert, and decided again when that expert has finished.
- **Which expert.** Eligible for the unit (its language, and its area with match_expertise),
  not already on it, and at the lowest load of their eligibility group (the experts eligible
  for exactly the same units): so among experts with the same eligibility max - min load stays
  within 1, counting the added assignments, whenever the initial plan had it (which
  `ratings.assignment.assign` guarantees). Among those, the least loaded; ties go to a hash of
  (seed, unit, expert), so the choice depends only on the campaign's seed and the order of
  ratings. When every such expert already rates the unit, nobody is added: balance comes first.

An expert who drops out of a campaign (fails its calibration, or is deactivated) leaves their
unfinished assignments (pending or draft; submitted and skipped ones stay) to the others, by
`hand_on`: each such unit goes to the expert ``choose_extra_rater`` picks among the experts who
may still rate, with the loads as they are then, so the same eligibility, the same balance
(within 1 in each eligibility group, counting the handed-on units) and the same seeded ties
hold. When every such expert already rates the unit, a unit handed on earlier in the same
decision may move along a chain to make room (the unit to e1, e1's handed-on unit to e2, ...,
ending at an expert at their group's lowest load), as the initial plan balances its loads.
Units go in key order, and one that found nobody is tried again after another was placed,
until a pass places none. A unit nobody can take at a balanced load is left short of its
raters, its assignment withdrawn (no longer counted as committed budget). Then, as after an
extra rater, units that waited for one are retried, in the campaign's seeded `queue_order`: the
order in which the handed-on units, and the units given a rater by the retry, join the end of
their new queues.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Collection, Hashable, Mapping, MutableMapping, Sequence

from ratings.assignment import ExpertSpec, UnitSpec, is_eligible

DISAGREEMENT_RANGE = 2
# The campaign alpha the stopping rule watches: the agreement API's default.
STOPPING_LEVEL = "ordinal"
STOPPING_BOOTSTRAP = 1000
# A bootstrap over a handful of units says little (over one unit its interval has no width at
# all): the half-width counts once this many units are pairable, or every unit is.
MIN_PAIRABLE_UNITS = 20


def unit_disagrees(values: Sequence[float], *, min_range: float = DISAGREEMENT_RANGE) -> bool:
    """Whether a unit's ratings are at least min_range scale points apart."""
    return len(values) >= 2 and max(values) - min(values) >= min_range


def eligibility_groups(
    units: Sequence[UnitSpec], experts: Sequence[ExpertSpec], *, match_expertise: bool = True
) -> dict[Hashable, frozenset[tuple[str, str]]]:
    """Expert key -> the (language, area) kinds of unit they are eligible for.

    Two experts with the same value are eligible for exactly the same units of the campaign.
    """
    kinds = {(unit.language, unit.area) for unit in units}
    return {
        expert.key: frozenset(
            (language, area)
            for language, area in kinds
            if is_eligible(
                UnitSpec(key=None, language=language, area=area, stratum=None),
                expert,
                match_expertise=match_expertise,
            )
        )
        for expert in experts
    }


def _tie_rank(seed: int, unit_key: Hashable, expert_key: Hashable) -> bytes:
    return hashlib.sha256(f"{seed}|{unit_key!r}|{expert_key!r}".encode()).digest()


def queue_order(keys: Collection[Hashable], *, seed: int) -> list[Hashable]:
    """Units added to queues together (handed on), in the order they join the end of a queue.

    Units and their work samples are numbered by task, then model, so in key order two answers
    to one task would always come in the same models' order; a hash of (seed, unit) orders them
    instead, the same way each time for the same campaign.
    """
    return sorted(keys, key=lambda key: hashlib.sha256(f"{seed}|queue|{key!r}".encode()).digest())


def choose_extra_rater(
    *,
    unit: UnitSpec,
    experts: Sequence[ExpertSpec],
    current_raters: Collection[Hashable],
    loads: Mapping[Hashable, int],
    groups: Mapping[Hashable, Hashable],
    seed: int,
    match_expertise: bool = True,
) -> Hashable | None:
    """The expert to add to unit, or None when no eligible expert keeps the loads balanced.

    ``loads`` counts every assignment of each expert (initial and added); ``groups`` maps each
    expert to their eligibility group (see ``eligibility_groups``).
    """
    group_minimum: dict[Hashable, int] = {}
    for expert in experts:
        group = groups[expert.key]
        group_minimum[group] = min(group_minimum.get(group, loads[expert.key]), loads[expert.key])
    candidates = [
        expert
        for expert in experts
        if expert.key not in current_raters
        and is_eligible(unit, expert, match_expertise=match_expertise)
        and loads[expert.key] == group_minimum[groups[expert.key]]
    ]
    if not candidates:
        return None
    chosen = min(
        candidates,
        key=lambda expert: (loads[expert.key], _tie_rank(seed, unit.key, expert.key)),
    )
    return chosen.key


def hand_on(
    *,
    units: Sequence[UnitSpec],
    experts: Sequence[ExpertSpec],
    current_raters: Mapping[Hashable, Collection[Hashable]],
    loads: MutableMapping[Hashable, int],
    groups: Mapping[Hashable, Hashable],
    seed: int,
    match_expertise: bool = True,
) -> dict[Hashable, Hashable | None]:
    """Unit key -> the expert who takes over its withdrawn assignment, or None when nobody can.

    ``units`` are the units whose assignment was withdrawn from the expert who dropped out;
    ``experts`` those who may still rate (not the one who dropped out); ``current_raters`` the
    experts each unit still has; ``loads`` counts every assignment of each expert and is
    updated in place. The result is in key order.
    """
    by_key = {unit.key: unit for unit in units}
    taken: dict[Hashable, Hashable] = {}
    waiting = sorted(units, key=lambda unit: repr(unit.key))
    changed = True
    while changed and waiting:
        changed = False
        still_waiting = []
        for unit in waiting:
            path = _hand_on_path(
                unit,
                units=by_key,
                experts=experts,
                current_raters=current_raters,
                taken=taken,
                loads=loads,
                groups=groups,
                seed=seed,
                match_expertise=match_expertise,
            )
            if path is None:
                still_waiting.append(unit)
                continue
            for unit_key, expert_key in path:
                taken[unit_key] = expert_key
            loads[path[-1][1]] += 1
            changed = True
        waiting = still_waiting
    return {unit_key: taken.get(unit_key) for unit_key in sorted(by_key, key=repr)}


def _hand_on_path(
    unit: UnitSpec,
    *,
    units: Mapping[Hashable, UnitSpec],
    experts: Sequence[ExpertSpec],
    current_raters: Mapping[Hashable, Collection[Hashable]],
    taken: Mapping[Hashable, Hashable],
    loads: Mapping[Hashable, int],
    groups: Mapping[Hashable, Hashable],
    seed: int,
    match_expertise: bool,
) -> list[tuple[Hashable, Hashable]] | None:
    """(unit, new expert) steps that place unit and end at an expert at their group's lowest
    load, who alone gains one unit; None if there is no such chain.

    The first step is ``choose_extra_rater``'s choice when it has one. Otherwise a unit already
    handed on in this decision moves to another expert to make room: unit -> e1 takes it, e1's
    handed-on unit -> e2, ..., ending at an expert at their group's lowest load. Breadth first,
    experts tried by (load, seeded hash), so the shortest chain is found the same way each time.
    """
    group_minimum: dict[Hashable, int] = {}
    for expert in experts:
        group = groups[expert.key]
        group_minimum[group] = min(group_minimum.get(group, loads[expert.key]), loads[expert.key])

    def takers(candidate: UnitSpec) -> list[ExpertSpec]:
        raters = set(current_raters[candidate.key])
        if candidate.key in taken:
            raters.add(taken[candidate.key])
        return sorted(
            (
                expert
                for expert in experts
                if expert.key not in raters
                and is_eligible(candidate, expert, match_expertise=match_expertise)
            ),
            key=lambda expert: (loads[expert.key], _tie_rank(seed, candidate.key, expert.key)),
        )

    reached: dict[Hashable, tuple[Hashable, Hashable | None]] = {}
    frontier: deque[Hashable] = deque()
    steps: list[tuple[Hashable, Hashable | None]] = [(unit.key, None)]
    while True:
        for unit_key, giver in steps:
            for expert in takers(units[unit_key]):
                if expert.key in reached:
                    continue
                reached[expert.key] = (unit_key, giver)
                if loads[expert.key] == group_minimum[groups[expert.key]]:
                    return _chain(reached, expert.key)
                frontier.append(expert.key)
        if not frontier:
            return None
        giver = frontier.popleft()
        steps = [
            (unit_key, giver)
            for unit_key in sorted(units, key=repr)
            if taken.get(unit_key) == giver
        ]


def _chain(
    reached: Mapping[Hashable, tuple[Hashable, Hashable | None]], end: Hashable
) -> list[tuple[Hashable, Hashable]]:
    chain = []
    expert_key: Hashable | None = end
    while expert_key is not None:
        unit_key, giver = reached[expert_key]
        chain.append((unit_key, expert_key))
        expert_key = giver
    chain.reverse()
    return chain


def needs_extra_rater(
    *,
    values: Sequence[float],
    assigned: int,
    unfinished: int,
    max_raters_per_unit: int,
    min_range: float = DISAGREEMENT_RANGE,
) -> bool:
    """Whether a unit is ready for, and asks for, one more rater.

    ``assigned`` counts every assignment of the unit (also skipped ones), ``unfinished`` those
    still pending or in draft, ``values`` the submitted ratings.
    """
    return (
        unfinished == 0
        and assigned < max_raters_per_unit
        and unit_disagrees(values, min_range=min_range)
    )


class AdaptiveLedger:
    """An adaptive campaign's assignments and ratings in memory, decided by the same rule as the
    database (`ratings.adaptive.unit_review`): for the simulation benchmark and property tests.

    Starts from an initial plan (``ratings.assignment.assign`` with k0 raters); ``record`` takes
    one rating, in the order ratings arrive, and returns the expert added to its unit, if any.
    """

    def __init__(
        self,
        units: Sequence[UnitSpec],
        experts: Sequence[ExpertSpec],
        initial: Mapping[Hashable, Sequence[Hashable]],
        *,
        max_raters_per_unit: int,
        seed: int,
        match_expertise: bool = True,
        min_range: float = DISAGREEMENT_RANGE,
    ) -> None:
        self.units = {unit.key: unit for unit in units}
        # The application always uses DISAGREEMENT_RANGE; the benchmark tries other triggers.
        self.min_range = min_range
        self.experts = list(experts)
        self.max_raters_per_unit = max_raters_per_unit
        self.seed = seed
        self.match_expertise = match_expertise
        self.groups = eligibility_groups(units, experts, match_expertise=match_expertise)
        # unit -> expert keys in the order they were assigned; unit -> expert -> value
        self.raters: dict[Hashable, list[Hashable]] = {unit.key: [] for unit in units}
        self.unit_values: dict[Hashable, dict[Hashable, float]] = {unit.key: {} for unit in units}
        self.loads: dict[Hashable, int] = {expert.key: 0 for expert in experts}
        # expert -> unit keys in the order they joined the expert's queue (initial plan first)
        self.queues: dict[Hashable, list[Hashable]] = {expert.key: [] for expert in experts}
        for expert_key, queue in initial.items():
            for unit_key in queue:
                self.raters[unit_key].append(expert_key)
                self.loads[expert_key] += 1
                self.queues[expert_key].append(unit_key)
        self.extensions_allowed = True

    def pending(self) -> list[tuple[Hashable, Hashable]]:
        """(unit, expert) pairs assigned and not yet rated, in a stable order."""
        return [
            (unit_key, expert_key)
            for unit_key, raters in self.raters.items()
            for expert_key in raters
            if expert_key not in self.unit_values[unit_key]
        ]

    def record(self, unit_key: Hashable, expert_key: Hashable, value: float) -> Hashable | None:
        """Take one rating; return the expert added to its unit, if any. An extra rater changes
        the loads, which may free a balanced rater for a unit that waited: those are retried
        (in the seeded `queue_order`, the order they join the end of their queues) until
        nothing changes, as the database does."""
        if expert_key not in self.raters[unit_key] or expert_key in self.unit_values[unit_key]:
            raise ValueError(f"{expert_key!r} has no pending assignment of unit {unit_key!r}")
        self.unit_values[unit_key][expert_key] = value
        added = self._extend(unit_key)
        if added is not None:
            self._retry_waiting()
        return added

    def drop(self, expert_key: Hashable) -> dict[Hashable, Hashable | None]:
        """The expert drops out (failed calibration, deactivated): their unrated units are
        handed on (`hand_on`) and the units that waited are retried, as the database does.
        Returns unit -> the expert who took it over, or None where the unit is left short."""
        self.experts = [expert for expert in self.experts if expert.key != expert_key]
        withdrawn = [
            unit_key
            for unit_key, raters in self.raters.items()
            if expert_key in raters and expert_key not in self.unit_values[unit_key]
        ]
        for unit_key in withdrawn:
            self.raters[unit_key].remove(expert_key)
            self.loads[expert_key] -= 1
        takers = hand_on(
            units=[self.units[unit_key] for unit_key in withdrawn],
            experts=self.experts,
            current_raters={unit_key: set(self.raters[unit_key]) for unit_key in withdrawn},
            loads=self.loads,
            groups=self.groups,
            seed=self.seed,
            match_expertise=self.match_expertise,
        )
        for unit_key in queue_order(takers, seed=self.seed):
            if takers[unit_key] is not None:
                self.raters[unit_key].append(takers[unit_key])
                self.queues[takers[unit_key]].append(unit_key)
        self._retry_waiting()
        return takers

    def _ready(self, unit_key: Hashable) -> bool:
        raters = self.raters[unit_key]
        return self.extensions_allowed and needs_extra_rater(
            values=list(self.unit_values[unit_key].values()),
            assigned=len(raters),
            unfinished=len(raters) - len(self.unit_values[unit_key]),
            max_raters_per_unit=self.max_raters_per_unit,
            min_range=self.min_range,
        )

    def _extend(self, unit_key: Hashable) -> Hashable | None:
        if not self._ready(unit_key):
            return None
        raters = self.raters[unit_key]
        chosen = choose_extra_rater(
            unit=self.units[unit_key],
            experts=self.experts,
            current_raters=set(raters),
            loads=self.loads,
            groups=self.groups,
            seed=self.seed,
            match_expertise=self.match_expertise,
        )
        if chosen is not None:
            raters.append(chosen)
            self.loads[chosen] += 1
            self.queues[chosen].append(unit_key)
        return chosen

    def _retry_waiting(self) -> None:
        """Retry the units that waited for a rater in the seeded `queue_order`, as hand-on
        orders the units it adds, until a pass adds nobody."""
        changed = True
        while changed:
            changed = False
            for unit_key in queue_order(self.raters, seed=self.seed):
                if self._extend(unit_key) is not None:
                    changed = True

    @property
    def ratings(self) -> int:
        return sum(len(values) for values in self.unit_values.values())
