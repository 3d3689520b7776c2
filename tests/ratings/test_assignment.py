"""Assignment of blind units to experts, load balance and queue order."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings.assignment import (
    AssignmentError,
    AssignmentPlan,
    ExpertSpec,
    UnitSpec,
    assign,
    check_feasible,
    is_eligible,
)

LANGUAGES = ("en", "zh-hans")
AREAS = ("R", "I", "A", "S", "E", "C")
ENDPOINTS = ("endpoint-a", "endpoint-b", "endpoint-c", "endpoint-d", "endpoint-e")
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)


def expert(key: str, languages: str = "en zh-hans", areas: str = "RIASEC") -> ExpertSpec:
    return ExpertSpec(key=key, languages=frozenset(languages.split()), areas=frozenset(areas))


def unit(
    key: str,
    *,
    language: str = "en",
    area: str = "R",
    stratum: str = "endpoint-a",
    gold: bool = False,
) -> UnitSpec:
    return UnitSpec(key=key, language=language, area=area, stratum=stratum, is_gold=gold)


def members(names: Sequence[str], mask: int) -> frozenset[str]:
    return frozenset(name for bit, name in enumerate(names) if mask >> bit & 1)


@st.composite
def panels(
    draw: st.DrawFn, *, full_eligibility: bool = False, feasible: bool = False
) -> dict[str, Any]:
    """Random panel: 2-12 experts, 1-80 units, 1-4 raters per unit, a seed and a matching mode.

    feasible: draw units only where enough experts are eligible, lowering raters per unit
    when no language and area has that many.
    """
    expert_count = draw(st.integers(2, 12))
    if full_eligibility:
        experts = [expert(f"expert-{index}") for index in range(expert_count)]
    else:
        # Bit masks over LANGUAGES and AREAS: never empty, cheap to draw and to shrink.
        experts = [
            ExpertSpec(
                key=f"expert-{index}",
                languages=members(LANGUAGES, language_mask),
                areas=members(AREAS, area_mask),
            )
            for index, (language_mask, area_mask) in enumerate(
                draw(
                    st.lists(
                        st.tuples(
                            st.integers(1, 2 ** len(LANGUAGES) - 1),
                            st.integers(1, 2 ** len(AREAS) - 1),
                        ),
                        min_size=expert_count,
                        max_size=expert_count,
                    )
                )
            )
        ]
    match_expertise = full_eligibility or draw(st.booleans())
    raters_per_unit = draw(st.integers(1, min(4, expert_count)))
    cells = list(itertools.product(LANGUAGES, AREAS))
    if feasible:
        eligible_counts = {
            (language, area): sum(
                is_eligible(
                    unit("probe", language=language, area=area), e, match_expertise=match_expertise
                )
                for e in experts
            )
            for language, area in cells
        }
        raters_per_unit = min(raters_per_unit, max(eligible_counts.values()))
        cells = [cell for cell, count in eligible_counts.items() if count >= raters_per_unit]
    strata = ENDPOINTS[: draw(st.integers(1, len(ENDPOINTS)))]
    gold_tenths = draw(st.sampled_from([0, 1, 3]))
    # Drawn first: a list size left to Hypothesis would mostly stay tiny.
    unit_count = draw(st.integers(1, 80))
    # One integer per unit, read as (cell, stratum, tenth): far fewer draws than a tuple each.
    codes = draw(
        st.lists(
            st.integers(0, len(cells) * len(strata) * 10 - 1),
            min_size=unit_count,
            max_size=unit_count,
        )
    )
    units = []
    for index, code in enumerate(codes):
        cell_and_stratum, tenth = divmod(code, 10)
        cell, stratum = divmod(cell_and_stratum, len(strata))
        language, area = cells[cell]
        units.append(
            UnitSpec(
                key=f"unit-{index}",
                language=language,
                area=area,
                stratum=strata[stratum],
                is_gold=tenth < gold_tenths,
            )
        )
    return {
        "units": units,
        "experts": experts,
        "raters_per_unit": raters_per_unit,
        "seed": draw(st.integers(0, 2**32)),
        "match_expertise": match_expertise,
    }


def assigned_experts(plan: AssignmentPlan) -> dict[Hashable, list[Hashable]]:
    experts_of_unit: dict[Hashable, list[Hashable]] = {}
    for expert_key, queue in plan.queues.items():
        for unit_key in queue:
            experts_of_unit.setdefault(unit_key, []).append(expert_key)
    return experts_of_unit


def worst_prefix_deviation(labels: Sequence[Hashable]) -> float:
    """Largest |count of a label in a prefix - its proportional share of that prefix|."""
    totals = Counter(labels)
    seen: Counter[Hashable] = Counter()
    worst = 0.0
    for filled, label in enumerate(labels, start=1):
        seen[label] += 1
        for name, total in totals.items():
            worst = max(worst, abs(seen[name] - filled * total / len(labels)))
    return worst


@PROPERTY_SETTINGS
@given(panels())
def test_every_unit_gets_distinct_eligible_experts_or_the_shortfall_is_an_error(
    panel: dict[str, Any],
) -> None:
    units, experts = panel["units"], panel["experts"]
    raters, match_expertise = panel["raters_per_unit"], panel["match_expertise"]
    eligible_counts = {
        unit.key: sum(is_eligible(unit, e, match_expertise=match_expertise) for e in experts)
        for unit in units
    }
    if min(eligible_counts.values()) < raters:
        with pytest.raises(AssignmentError, match="raters per unit are required"):
            assign(**panel)
        return

    plan = assign(**panel)

    experts_by_key = {e.key: e for e in experts}
    experts_of_unit = assigned_experts(plan)
    assert set(experts_of_unit) == {unit.key for unit in units}
    for unit in units:
        chosen = experts_of_unit[unit.key]
        assert len(chosen) == len(set(chosen)) == raters
        assert all(
            is_eligible(unit, experts_by_key[key], match_expertise=match_expertise)
            for key in chosen
        )
    assert set(plan.queues) == set(experts_by_key)


@PROPERTY_SETTINGS
@given(panels(full_eligibility=True))
def test_full_eligibility_keeps_loads_within_one(panel: dict[str, Any]) -> None:
    loads = assign(**panel).loads().values()

    assert max(loads) - min(loads) <= 1
    assert sum(loads) == len(panel["units"]) * panel["raters_per_unit"]


def all_valid_load_vectors(
    units: Sequence[UnitSpec], experts: Sequence[ExpertSpec], raters_per_unit: int
) -> list[list[int]]:
    """Brute force: the loads of every valid plan (tiny panels only)."""
    choices_per_unit = [
        itertools.combinations(
            [index for index, e in enumerate(experts) if is_eligible(unit, e)], raters_per_unit
        )
        for unit in units
    ]
    vectors = []
    for plan in itertools.product(*choices_per_unit):
        loads = [0] * len(experts)
        for chosen in plan:
            for index in chosen:
                loads[index] += 1
        vectors.append(loads)
    return vectors


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sets(st.sampled_from(AREAS[:3]), min_size=1), min_size=2, max_size=4),
    st.lists(st.sampled_from(AREAS[:3]), min_size=1, max_size=6),
    st.integers(1, 2),
    st.integers(0, 1000),
)
def test_loads_are_as_balanced_as_any_valid_plan_allows(
    expert_areas: list[set[str]], unit_areas: list[str], raters: int, seed: int
) -> None:
    experts = [expert(f"expert-{i}", "en", "".join(areas)) for i, areas in enumerate(expert_areas)]
    units = [unit(f"unit-{i}", area=area) for i, area in enumerate(unit_areas)]
    vectors = all_valid_load_vectors(units, experts, raters)
    if not vectors:
        with pytest.raises(AssignmentError):
            assign(units, experts, raters_per_unit=raters, seed=seed)
        return

    loads = assign(units, experts, raters_per_unit=raters, seed=seed).loads()

    assert max(loads.values()) == min(max(vector) for vector in vectors)
    assert min(loads.values()) == max(min(vector) for vector in vectors)


def test_restricted_eligibility_still_balances_the_experts_who_share_units() -> None:
    # Only expert-zh reads Chinese; the three others share the English units evenly.
    experts = [expert("expert-zh", "zh-hans"), *(expert(f"expert-en-{i}", "en") for i in range(3))]
    units = [unit(f"zh-{i}", language="zh-hans") for i in range(5)] + [
        unit(f"en-{i}", language="en") for i in range(31)
    ]

    loads = assign(units, experts, raters_per_unit=1, seed=3).loads()

    assert loads["expert-zh"] == 5
    assert sorted(loads[f"expert-en-{i}"] for i in range(3)) == [10, 10, 11]


@PROPERTY_SETTINGS
@given(panels(feasible=True))
def test_same_seed_gives_the_same_plan_whatever_the_input_order(panel: dict[str, Any]) -> None:
    plan = assign(**panel)
    shuffled = dict(panel)
    rng = random.Random(panel["seed"])
    shuffled["units"] = rng.sample(panel["units"], len(panel["units"]))
    shuffled["experts"] = list(reversed(panel["experts"]))

    replayed = assign(**shuffled)

    assert replayed == plan
    assert list(replayed.queues.items()) == list(plan.queues.items())
    assert replayed.seed == panel["seed"]


def test_different_seeds_give_different_queue_orders() -> None:
    experts = [expert(f"expert-{i}") for i in range(3)]
    units = [unit(f"unit-{i}", area=AREAS[i % 6], stratum=ENDPOINTS[i % 4]) for i in range(60)]

    plans = [assign(units, experts, raters_per_unit=2, seed=seed) for seed in range(10)]

    distinct_queues = {tuple(plan.queues["expert-0"]) for plan in plans}
    assert len(distinct_queues) == 10


def test_stratum_names_do_not_decide_which_endpoint_comes_first() -> None:
    units = [unit(f"unit-{i}", stratum=ENDPOINTS[i % 2]) for i in range(10)]
    stratum_of = {u.key: u.stratum for u in units}

    first_strata = {
        stratum_of[assign(units, [expert("solo")], raters_per_unit=1, seed=seed).queues["solo"][0]]
        for seed in range(20)
    }

    assert first_strata == {"endpoint-a", "endpoint-b"}


@PROPERTY_SETTINGS
@given(panels(feasible=True))
def test_each_stratum_keeps_near_its_share_at_every_prefix_of_a_queue(
    panel: dict[str, Any],
) -> None:
    units_by_key = {u.key: u for u in panel["units"]}

    for queue in assign(**panel).queues.values():
        strata = [units_by_key[key].stratum for key in queue]
        gold = [units_by_key[key].stratum for key in queue if units_by_key[key].is_gold]
        regular = [units_by_key[key].stratum for key in queue if not units_by_key[key].is_gold]
        # Without gold, within the jitter's bound. With gold, the gold and the regular orders
        # each keep within theirs and merging them adds at most 1/2.
        bound = jittered_bound(regular) + (jittered_bound(gold) + 0.5 if gold else 0)
        assert worst_prefix_deviation(strata) <= bound


def jittered_bound(labels: Sequence[Hashable], jitter: float = 2.0) -> float:
    """How far a stratum strays from its share when each of its units is moved from its evenly
    spaced place by up to `jitter` spacings: above by (1 - p) + p * jitter * (k - 1), below by
    (1 - p) * jitter + p * (k - 1), p being its share and k the number of strata."""
    totals = Counter(labels)
    strata = len(totals)
    bounds = [0.0]
    for total in totals.values():
        share = total / len(labels)
        bounds.append((1 - share) + share * jitter * (strata - 1))
        bounds.append((1 - share) * jitter + share * (strata - 1))
    return max(bounds)


def test_the_jittered_bound_for_two_equal_strata_is_three_halves() -> None:
    # p = 1/2, k = 2, jitter 2: 1/2 + 1 above, 1 + 1/2 below.
    assert jittered_bound(["a", "b"]) == 1.5
    assert jittered_bound(["a"]) == 0


@PROPERTY_SETTINGS
@given(panels(feasible=True))
def test_gold_units_keep_within_half_a_unit_of_their_share_at_every_prefix(
    panel: dict[str, Any],
) -> None:
    gold_keys = {u.key for u in panel["units"] if u.is_gold}

    for queue in assign(**panel).queues.values():
        is_gold = [key in gold_keys for key in queue]
        assert worst_prefix_deviation(is_gold) <= 0.5
        gold_positions = [position for position, gold in enumerate(is_gold) if gold]
        if len(gold_positions) >= 3:
            third = len(queue) / 3
            assert not all(position < third for position in gold_positions)
            assert not all(position >= 2 * third for position in gold_positions)


def test_gold_units_sit_in_the_middle_of_equal_slices() -> None:
    units = [unit(f"unit-{i:02}", gold=i in (0, 1, 2)) for i in range(30)]

    queue = assign(units, [expert("solo")], raters_per_unit=1, seed=7).queues["solo"]

    gold_positions = [
        position for position, key in enumerate(queue) if key in {"unit-00", "unit-01", "unit-02"}
    ]
    assert gold_positions == [4, 14, 24]


def test_two_equal_strata_keep_within_one_and_never_run_five_in_a_row() -> None:
    units = [unit(f"unit-{i}", stratum=ENDPOINTS[i % 2]) for i in range(24)]
    stratum_of = {u.key: u.stratum for u in units}

    for seed in range(10):
        queue = assign(units, [expert("solo")], raters_per_unit=1, seed=seed).queues["solo"]
        strata = [stratum_of[key] for key in queue]
        # Within 1 of its share: one endpoint leads by at most 2 units, so no run of 5.
        assert worst_prefix_deviation(strata) <= 1
        assert all(len(set(strata[i : i + 5])) == 2 for i in range(len(strata) - 4))


@pytest.mark.parametrize("strata_count", [2, 3])
def test_aligned_blocks_do_not_always_hold_one_unit_of_each_endpoint(strata_count: int) -> None:
    """Were every block of k positions (1-2, 3-4, ...) one unit of each of k endpoints, an expert
    would know that the units of a block come from different models; with the same task
    answered by each model, the queue would then split into the models' units (a two-colouring
    of "different model" links), names or no names."""
    units = [
        unit(f"unit-{i}", area=AREAS[i % 6], stratum=ENDPOINTS[i % strata_count])
        for i in range(12 * strata_count)
    ]
    stratum_of = {u.key: u.stratum for u in units}
    blocks = 0
    mixed = 0
    for seed in range(20):
        queue = assign(units, [expert("solo")], raters_per_unit=1, seed=seed).queues["solo"]
        strata = [stratum_of[key] for key in queue]
        for start in range(0, len(strata), strata_count):
            blocks += 1
            mixed += len(set(strata[start : start + strata_count])) == strata_count
    # Drawn at random without any balance, about half the blocks of two would be mixed.
    assert mixed / blocks < 0.85


@pytest.mark.parametrize("strata_count", [2, 3, 4])
def test_a_position_in_the_queue_does_not_tell_its_endpoint(strata_count: int) -> None:
    """Equal strata in a fixed rotation (ABAB..., ABCABC...) would let an expert group the
    units by model from their positions alone: ties are drawn anew at every position."""
    units = [
        unit(f"unit-{i}", area=AREAS[i % 6], stratum=ENDPOINTS[i % strata_count])
        for i in range(12 * strata_count)
    ]
    stratum_of = {u.key: u.stratum for u in units}

    for seed in range(5):
        queue = assign(units, [expert("solo")], raters_per_unit=1, seed=seed).queues["solo"]
        strata = [stratum_of[key] for key in queue]
        for offset in range(strata_count):
            assert len(set(strata[offset::strata_count])) > 1, (seed, strata)


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(AREAS), min_size=1, max_size=60), st.integers(0, 2**32))
def test_areas_keep_within_one_of_their_share_when_a_queue_has_one_stratum(
    areas: list[str], seed: int
) -> None:
    units = [unit(f"unit-{i}", area=area) for i, area in enumerate(areas)]
    area_of = {u.key: u.area for u in units}

    queue = assign(units, [expert("solo")], raters_per_unit=1, seed=seed).queues["solo"]

    assert worst_prefix_deviation([area_of[key] for key in queue]) < 1


def test_error_names_the_unit_and_the_shortfall_before_any_work() -> None:
    experts = [
        expert("expert-1", "zh-hans"),
        expert("expert-2", "zh-hans"),
        expert("expert-3", "en"),
    ]
    units = [unit("unit-en", language="en"), unit("unit-zh", language="zh-hans", area="S")]

    with pytest.raises(AssignmentError) as raised:
        assign(units, experts, raters_per_unit=3, seed=1)

    message = str(raised.value)
    assert "2 of 2 units cannot be staffed" in message
    assert (
        "unit 'unit-zh' (zh-hans, area S) has 2 eligible experts but 3 raters per unit are "
        "required" in message
    )
    assert "unit 'unit-en' (en, area R) has 1 eligible expert but 3" in message


def test_error_counts_units_beyond_the_first_five() -> None:
    units = [unit(f"unit-{i}", language="zh-hans") for i in range(8)]

    with pytest.raises(AssignmentError, match="and 3 more units$"):
        check_feasible(units, [expert("solo", "en")], raters_per_unit=1)


def test_without_expertise_matching_only_the_language_counts() -> None:
    experts = [expert("reads-en", "en", "C"), expert("reads-zh", "zh-hans", "C")]
    units = [
        unit("unit-en", language="en", area="R"),
        unit("unit-zh", language="zh-hans", area="A"),
    ]

    with pytest.raises(AssignmentError):
        assign(units, experts, raters_per_unit=1, seed=1)
    plan = assign(units, experts, raters_per_unit=1, seed=1, match_expertise=False)

    assert plan.queues == {"reads-en": ["unit-en"], "reads-zh": ["unit-zh"]}


@pytest.mark.parametrize(
    ("units", "raters", "message"),
    [
        ([unit("same"), unit("same")], 1, "each unit key must be unique; repeated: 'same'"),
        ([unit("unit-1")], 0, "raters_per_unit must be at least 1, got 0"),
    ],
)
def test_bad_arguments_are_rejected_with_the_reason(
    units: list[UnitSpec], raters: int, message: str
) -> None:
    with pytest.raises(AssignmentError, match=message):
        assign(units, [expert("solo")], raters_per_unit=raters, seed=1)


def test_repeated_expert_keys_are_rejected() -> None:
    with pytest.raises(AssignmentError, match="each expert key must be unique"):
        assign([unit("unit-1")], [expert("twin"), expert("twin")], raters_per_unit=1, seed=1)


def test_experts_without_units_still_appear_with_empty_queues() -> None:
    plan = assign([unit("unit-1")], [expert("a"), expert("b")], raters_per_unit=1, seed=1)

    assert sorted(len(queue) for queue in plan.queues.values()) == [0, 1]
    assert set(plan.queues) == {"a", "b"}


def test_pairs_list_every_assignment_with_its_position_in_the_queue() -> None:
    units = [unit(f"unit-{i}", stratum=ENDPOINTS[i % 3]) for i in range(7)]
    plan = assign(units, [expert("a"), expert("b")], raters_per_unit=2, seed=5)

    pairs = plan.pairs()

    assert len(pairs) == 14
    for unit_key, expert_key, position in pairs:
        assert plan.queues[expert_key][position] == unit_key
    assert {(expert_key, position) for _, expert_key, position in pairs} == {
        (expert_key, position) for expert_key in "ab" for position in range(7)
    }


def test_gold_units_spread_across_experts_as_well() -> None:
    experts = [expert(f"expert-{i}") for i in range(4)]
    units = [unit(f"unit-{i:02}", gold=i < 8, stratum=ENDPOINTS[i % 3]) for i in range(40)]
    gold_keys = {u.key for u in units if u.is_gold}

    plan = assign(units, experts, raters_per_unit=1, seed=11)

    gold_per_expert = [sum(key in gold_keys for key in queue) for queue in plan.queues.values()]
    assert gold_per_expert == [2, 2, 2, 2]
