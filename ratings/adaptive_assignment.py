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
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Hashable, Mapping, Sequence

from ratings.assignment import ExpertSpec, UnitSpec, is_eligible

DISAGREEMENT_RANGE = 2


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
