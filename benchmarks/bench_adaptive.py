"""Adaptive versus fixed assignment: ratings needed to reach the same alpha precision.

The simulation is a campaign as the application runs one: its units are fixed (the work samples
of the study; a campaign cannot add units), every unit is rated, and what a design chooses is
how many experts rate each unit.

- A simulated study: ``--units`` units of mixed difficulty (``--hard-share`` of them hard: on an
  easy unit careful experts land within a point of its true value, on a hard one they scatter)
  and ``--experts`` experts, each with a small personal bias. Every (unit, expert) rating is drawn
  once per study, so the designs compared on a study see the same ratings wherever they ask the
  same expert about the same unit (common random numbers: the comparison is paired).
- The experts work through their queues in a random interleaving. In the adaptive campaign a
  unit whose ratings are two or more points apart gets one more eligible expert, up to k_max,
  by exactly the rule and the balanced choice the application runs
  (`ratings.adaptive_assignment.AdaptiveLedger`, starting from the plan `ratings.assignment.assign`
  makes with k0 raters); the added unit goes to the end of that expert's queue. Every
  ``--check-every`` ratings the campaign's ordinal alpha and its 1,000-replicate bootstrap CI
  are computed as the stopping rule computes them (`ratings.adaptive`: once 20 units are
  pairable); while the half-width is at or below ``--target``, no more raters are added (the
  ratings already assigned are still made).
- Fixed k: every unit gets k raters (k = 2, 3, 4). A fixed design has no stopping rule: it
  reaches the target when its final CI half-width is at or below the target. The fixed k a
  team needs at a study size is the smallest k that reaches the target in at least
  ``--reliable`` of the simulated studies of that size, since k is chosen before the study.

Prints, per study size, each design's share of studies reaching the target and its median
ratings, the adaptive campaign's savings against the fixed k needed at that size, and whether
the final alphas of the adaptive and the fixed k=3 campaign agree within the CI half-width.
Asserts nothing.

``--k-max`` and ``--min-range`` try other rules than the application's (more extra raters per
unit, a unit one point apart counted as disagreeing), to see what they would buy.

``--pool`` runs the other design as well: studies that can add units (a pool of ``--pool-units``),
rated in blocks of ``--step`` units until the CI reaches the target, fixed k against adaptive.

    .venv/bin/python benchmarks/bench_adaptive.py [--target 0.05] [--replications 9] [--pool]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratings.adaptive_assignment import (  # noqa: E402
    DISAGREEMENT_RANGE,
    MIN_PAIRABLE_UNITS,
    STOPPING_BOOTSTRAP,
    STOPPING_LEVEL,
    AdaptiveLedger,
)
from ratings.assignment import ExpertSpec, UnitSpec, assign  # noqa: E402
from ratings.stats import alpha  # noqa: E402

SCALE = (1, 2, 3, 4, 5)
FIXED_KS = (2, 3, 4)


@dataclass(frozen=True)
class Study:
    true_value: np.ndarray  # per unit, on the 1-5 scale (continuous)
    noise: np.ndarray  # per unit: the SD of a rating around the true value
    bias: np.ndarray  # per expert
    ratings: np.ndarray  # units x experts: the rating each expert would give each unit


def simulate_study(*, units: int, experts: int, hard_share: float, seed: int) -> Study:
    rng = np.random.default_rng(seed)
    hard = rng.random(units) < hard_share
    true_value = rng.uniform(1.0, 5.0, units)
    noise = np.where(hard, 1.6, 0.35)
    bias = rng.normal(0.0, 0.15, experts)
    drawn = (
        true_value[:, np.newaxis]
        + bias[np.newaxis, :]
        + rng.normal(0.0, 1.0, (units, experts)) * noise[:, np.newaxis]
    )
    ratings = np.clip(np.rint(drawn), 1, 5).astype(int)
    return Study(true_value=true_value, noise=noise, bias=bias, ratings=ratings)


def precision(ledger: AdaptiveLedger, units: set | None = None, *, seed: int) -> tuple:
    """(alpha, CI half-width or None, pairable units) of the ledger's ratings, as the stopping
    rule computes them."""
    frame = pd.DataFrame(
        [
            (unit, expert, value)
            for unit, values in ledger.unit_values.items()
            if units is None or unit in units
            for expert, value in values.items()
        ],
        columns=["unit", "rater", "value"],
    )
    result = alpha(
        frame,
        level=STOPPING_LEVEL,
        bootstrap=STOPPING_BOOTSTRAP,
        seed=seed,
        value_domain=SCALE,
    )
    half_width = None
    if result.ci_low is not None and result.ci_high is not None:
        half_width = (result.ci_high - result.ci_low) / 2
    return result.alpha, half_width, result.n_units - result.n_units_not_pairable


@dataclass
class Outcome:
    ratings: int
    units: int
    alpha: float
    half_width: float
    reached: bool


def _ledger(
    study: Study, *, k0: int, k_max: int, seed: int, min_range: float = DISAGREEMENT_RANGE
) -> tuple[AdaptiveLedger, dict]:
    unit_count, expert_count = study.ratings.shape
    unit_specs = [
        UnitSpec(key=u, language="en", area="R", stratum=u % 2) for u in range(unit_count)
    ]
    expert_specs = [
        ExpertSpec(key=e, languages=frozenset({"en"}), areas=frozenset({"R"}))
        for e in range(expert_count)
    ]
    plan = assign(unit_specs, expert_specs, raters_per_unit=k0, seed=seed)
    ledger = AdaptiveLedger(
        unit_specs,
        expert_specs,
        plan.queues,
        max_raters_per_unit=k_max,
        seed=seed,
        min_range=min_range,
    )
    return ledger, {expert: list(queue) for expert, queue in plan.queues.items()}


def run_campaign(
    study: Study,
    *,
    k0: int,
    k_max: int,
    adaptive: bool,
    target: float,
    check_every: int,
    seed: int,
    min_range: float = DISAGREEMENT_RANGE,
) -> Outcome:
    """One campaign over all the study's units, experts working their queues interleaved."""
    ledger, queues = _ledger(study, k0=k0, k_max=k_max, seed=seed, min_range=min_range)
    ledger.extensions_allowed = adaptive
    known = {unit: len(raters) for unit, raters in ledger.raters.items()}
    done = dict.fromkeys(queues, 0)
    turns = np.random.default_rng(seed + 1)
    made = 0
    while busy := [expert for expert, queue in queues.items() if done[expert] < len(queue)]:
        expert = busy[turns.integers(len(busy))]
        unit = queues[expert][done[expert]]
        done[expert] += 1
        ledger.record(unit, expert, int(study.ratings[unit, expert]))
        made += 1
        # Raters the rule added (to this unit, or to one that waited) join their queues' ends.
        for other, raters in ledger.raters.items():
            for added in raters[known[other] :]:
                queues[added].append(other)
            known[other] = len(raters)
        if adaptive and made % check_every == 0:
            # As the application decides: at every check, not once for all (an interval that
            # widens again above the target lets extra raters in again).
            _, half_width, pairable = precision(ledger, seed=seed)
            trusted = pairable >= min(MIN_PAIRABLE_UNITS, len(known))
            ledger.extensions_allowed = not (
                trusted and half_width is not None and half_width <= target
            )
    value, half_width, _ = precision(ledger, seed=seed)
    return Outcome(
        ratings=ledger.ratings,
        units=len(known),
        alpha=value,
        half_width=half_width,
        reached=half_width is not None and half_width <= target,
    )


def run_pool(
    study: Study,
    *,
    k0: int,
    k_max: int,
    adaptive: bool,
    target: float,
    step: int,
    seed: int,
    min_range: float = DISAGREEMENT_RANGE,
) -> Outcome:
    """Units rated in blocks of ``step`` (extra raters included) until the CI over the units
    rated so far reaches the target, or the pool is used up."""
    unit_count = study.ratings.shape[0]
    ledger, _ = _ledger(study, k0=k0, k_max=k_max, seed=seed, min_range=min_range)
    ledger.extensions_allowed = adaptive
    order = np.random.default_rng(seed + 2).permutation(unit_count)
    for start in range(0, unit_count, step):
        block = {int(u) for u in order[start : start + step]}
        while pending := [pair for pair in ledger.pending() if pair[0] in block]:
            for unit, expert in pending:
                ledger.record(unit, expert, int(study.ratings[unit, expert]))
        rated = {int(u) for u in order[: start + step]}
        value, half_width, _ = precision(ledger, rated, seed=seed)
        if half_width is not None and half_width <= target:
            break
    ratings = sum(len(ledger.unit_values[unit]) for unit in rated)
    return Outcome(ratings, len(rated), value, half_width, half_width <= target)


def _share(outcomes: list[Outcome]) -> float:
    return sum(o.reached for o in outcomes) / len(outcomes)


def campaign_section(args: argparse.Namespace) -> None:
    print(
        f"\n== campaigns over fixed units: stop adding raters at alpha CI half-width <= "
        f"{args.target} (checked every {args.check_every} ratings; a unit whose ratings are "
        f">= {args.min_range:g} points apart gets one more rater); {args.replications} studies "
        f"per size; a design reaches the target at a size when it does in >= {args.reliable:.0%} "
        "of its studies"
    )
    adaptive_name = f"adaptive 2..{args.k_max}"
    header = "".join(f"{f'fixed k={k}':>17}" for k in FIXED_KS) + f"{adaptive_name:>17}"
    print(f"{'units':>6}{header}{'fixed k needed':>16}{'adaptive saves':>16}{'alphas agree':>14}")
    rows = []
    for size in args.sizes:
        results: dict[str, list[Outcome]] = {}
        agree = []
        for replication in range(args.replications):
            study = simulate_study(
                units=size,
                experts=args.experts,
                hard_share=args.hard_share,
                seed=10_000 * size + replication,
            )
            common = {"target": args.target, "check_every": args.check_every, "seed": replication}
            for k in FIXED_KS:
                results.setdefault(f"fixed k={k}", []).append(
                    run_campaign(study, k0=k, k_max=k, adaptive=False, **common)
                )
            adaptive = run_campaign(
                study, k0=2, k_max=args.k_max, adaptive=True, min_range=args.min_range, **common
            )
            results.setdefault(adaptive_name, []).append(adaptive)
            fixed3 = results["fixed k=3"][-1]
            agree.append(
                abs(adaptive.alpha - fixed3.alpha) <= max(adaptive.half_width, fixed3.half_width)
            )
        cells = "".join(
            f"{_share(outcomes):>7.0%} {statistics.median(o.ratings for o in outcomes):>7.0f}  "
            for outcomes in results.values()
        )
        needed = next(
            (k for k in FIXED_KS if _share(results[f"fixed k={k}"]) >= args.reliable), None
        )
        adaptive_ratings = statistics.median(o.ratings for o in results[adaptive_name])
        adaptive_reaches = _share(results[adaptive_name]) >= args.reliable
        if needed is None:
            verdict = "none of 2-4"
            saves = "-"
        else:
            verdict = f"k={needed}"
            saves = (
                f"{1 - adaptive_ratings / (needed * size):.0%}"
                if adaptive_reaches
                else "not reached"
            )
        rows.append((size, needed, adaptive_reaches, adaptive_ratings))
        print(f"{size:>6}{cells}{verdict:>14}{saves:>16}{sum(agree):>9}/{len(agree)}")
    print("(each design: share of studies reaching the target, median ratings)")
    saved = {
        size: 1 - ratings / (needed * size)
        for size, needed, reaches, ratings in rows
        if needed is not None and reaches
    }
    short = [size for size, needed, reaches, _ in rows if needed is not None and not reaches]
    third = [saved[size] for size, needed, _, _ in rows if size in saved and needed > 2]
    print(
        f"adaptive reaches the target reliably at {len(saved)} of {len(rows)} sizes; "
        "its savings against the fixed k needed there: "
        + (", ".join(f"{size} units {share:.0%}" for size, share in saved.items()) or "-")
    )
    if third:
        print(
            f"where fixed k=2 falls short (k=3 needed): {statistics.median(third):.0%} fewer "
            f"(median over {len(third)} sizes; target >= 25%); where k=2 suffices the adaptive "
            "campaign spends a few more ratings than k=2"
        )
    if short:
        print(
            "not reached by the adaptive campaign (its extra raters cannot buy that much "
            f"precision; fixed k=3 or more needed): {', '.join(map(str, short))} units"
        )


def pool_section(args: argparse.Namespace) -> None:
    print(
        f"\n== studies that can add units: a pool of {args.pool_units}, rated {args.step} units at "
        f"a time until the CI half-width <= {args.target}; {args.replications} studies"
    )
    designs = {f"fixed k={k}": (k, k, False) for k in (2, 3)}
    designs[f"adaptive 2..{args.k_max}"] = (2, args.k_max, True)
    outcomes: dict[str, list[Outcome]] = {name: [] for name in designs}
    for replication in range(args.replications):
        study = simulate_study(
            units=args.pool_units,
            experts=args.experts,
            hard_share=args.hard_share,
            seed=1000 + replication,
        )
        for name, (k0, k_max, adaptive) in designs.items():
            outcomes[name].append(
                run_pool(
                    study,
                    k0=k0,
                    k_max=k_max,
                    adaptive=adaptive,
                    target=args.target,
                    step=args.step,
                    seed=replication,
                    min_range=args.min_range,
                )
            )
    for name, results in outcomes.items():
        print(
            f"{name:<16} median {statistics.median(r.ratings for r in results):>6.0f} ratings over "
            f"{statistics.median(r.units for r in results):>5.0f} units, reached "
            f"{sum(r.reached for r in results)}/{len(results)}"
        )
    best_fixed = min(statistics.median(r.ratings for r in outcomes[f"fixed k={k}"]) for k in (2, 3))
    adaptive = statistics.median(r.ratings for r in outcomes[f"adaptive 2..{args.k_max}"])
    print(f"adaptive needs {1 - adaptive / best_fixed:.0%} fewer ratings than the best fixed k")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=float, default=0.05, help="CI half-width to reach")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[360, 480, 600, 720, 840],
        help="units per campaign, one row each",
    )
    parser.add_argument("--experts", type=int, default=12)
    parser.add_argument("--hard-share", type=float, default=0.2)
    parser.add_argument("--k-max", type=int, default=3)
    parser.add_argument(
        "--min-range",
        type=float,
        default=DISAGREEMENT_RANGE,
        help="the trigger: a unit whose ratings are this many points apart gets one more rater "
        f"(the application's rule: {DISAGREEMENT_RANGE}); other values show what another trigger "
        "would buy",
    )
    parser.add_argument("--check-every", type=int, default=20, help="ratings between CI checks")
    parser.add_argument("--reliable", type=float, default=0.8, help="share of studies to reach")
    parser.add_argument("--replications", type=int, default=9)
    parser.add_argument("--pool", action="store_true", help="also run the unit-pool design")
    parser.add_argument("--pool-units", type=int, default=1500)
    parser.add_argument("--step", type=int, default=20, help="pool design: units per block")
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}; pure simulation, no database; "
        f"{args.hard_share:.0%} hard units, {args.experts} experts"
    )
    started = time.perf_counter()
    campaign_section(args)
    if args.pool:
        pool_section(args)
    print(f"wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
