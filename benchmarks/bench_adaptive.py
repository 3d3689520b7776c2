"""Adaptive versus fixed assignment: ratings needed to reach the same alpha precision.

A simulated study: units of mixed difficulty (most easy, where careful experts land within a
point of the true value; some hard, where they scatter), experts with a small personal bias and
noise. Units are rated in the order of the campaign (in blocks of ``--step`` units); after each
block the campaign's ordinal alpha and its 1,000-replicate bootstrap CI are computed, and the
campaign stops once the CI half-width is at or below ``--target`` (the adaptive campaign's
stopping rule; the fixed one is held to the same target).

- fixed: every unit gets k raters (``--fixed-k``, the usual 3; fixed k = 2 is printed too);
- adaptive: every unit starts with k0 = 2 raters and a unit whose ratings are two or more points
  apart gets one more eligible expert, up to k_max (``--k-max``, default 3), by exactly the rule the
  application runs (`ratings.adaptive_assignment.AdaptiveLedger`, from the same initial plan
  `ratings.assignment.assign` makes).

Prints, per design, the median over ``--replications`` simulated studies of the ratings and
units needed to reach the target, and the final alpha with its CI, and whether the adaptive
and fixed final alphas agree within the CI. Asserts nothing.

    .venv/bin/python benchmarks/bench_adaptive.py [--target 0.05] [--replications 5]
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

from ratings.adaptive_assignment import AdaptiveLedger  # noqa: E402
from ratings.assignment import ExpertSpec, UnitSpec, assign  # noqa: E402
from ratings.stats import alpha  # noqa: E402

SCALE = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Study:
    true_value: np.ndarray  # per unit, on the 1-5 scale (continuous)
    noise: np.ndarray  # per unit: the SD of a rating around the true value
    bias: np.ndarray  # per expert


def simulate_study(*, units: int, experts: int, hard_share: float, seed: int) -> Study:
    rng = np.random.default_rng(seed)
    hard = rng.random(units) < hard_share
    return Study(
        true_value=rng.uniform(1.0, 5.0, units),
        noise=np.where(hard, 1.6, 0.35),
        bias=rng.normal(0.0, 0.15, experts),
    )


def rating(study: Study, unit: int, expert: int, rng: np.random.Generator) -> int:
    value = study.true_value[unit] + study.bias[expert] + rng.normal(0.0, study.noise[unit])
    return int(np.clip(np.rint(value), 1, 5))


@dataclass
class Outcome:
    ratings: int
    units: int
    alpha: float
    ci_low: float
    ci_high: float
    reached: bool

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2


def run_design(
    study: Study,
    *,
    k0: int,
    k_max: int,
    adaptive: bool,
    target: float,
    step: int,
    seed: int,
) -> Outcome:
    unit_count, expert_count = len(study.true_value), len(study.bias)
    unit_specs = [
        UnitSpec(key=u, language="en", area="R", stratum=u % 2) for u in range(unit_count)
    ]
    expert_specs = [
        ExpertSpec(key=e, languages=frozenset({"en"}), areas=frozenset({"R"}))
        for e in range(expert_count)
    ]
    plan = assign(unit_specs, expert_specs, raters_per_unit=k0, seed=seed)
    ledger = AdaptiveLedger(
        unit_specs, expert_specs, plan.queues, max_raters_per_unit=k_max, seed=seed
    )
    ledger.extensions_allowed = adaptive
    rng = np.random.default_rng(seed + 1)
    order = np.random.default_rng(seed + 2).permutation(unit_count)
    result = None
    for start in range(0, unit_count, step):
        block = {int(u) for u in order[start : start + step]}
        # Rate the block's units, extra raters included, until none of them waits.
        while pending := [pair for pair in ledger.pending() if pair[0] in block]:
            for unit, expert in pending:
                ledger.record(unit, expert, rating(study, unit, expert, rng))
        rated = {int(u) for u in order[: start + step]}
        frame = pd.DataFrame(
            [
                (unit, expert, value)
                for unit in rated
                for expert, value in ledger.unit_values[unit].items()
            ],
            columns=["unit", "rater", "value"],
        )
        result = alpha(frame, bootstrap=1000, seed=seed, value_domain=SCALE)
        if result.ci_low is not None and (result.ci_high - result.ci_low) / 2 <= target:
            return Outcome(
                ledger.ratings, len(rated), result.alpha, result.ci_low, result.ci_high, True
            )
    return Outcome(ledger.ratings, unit_count, result.alpha, result.ci_low, result.ci_high, False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=float, default=0.05, help="CI half-width to reach")
    parser.add_argument("--units", type=int, default=1500, help="units available per study")
    parser.add_argument("--experts", type=int, default=12)
    parser.add_argument("--hard-share", type=float, default=0.2)
    parser.add_argument("--fixed-k", type=int, default=3)
    parser.add_argument("--k-max", type=int, default=3)
    parser.add_argument("--step", type=int, default=20, help="units between two CI checks")
    parser.add_argument("--replications", type=int, default=5)
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}; pure simulation, no database"
    )
    print(
        f"{args.units} units available ({args.hard_share:.0%} hard), {args.experts} experts; "
        f"stop at alpha CI half-width <= {args.target} (checked every {args.step} units); "
        f"{args.replications} simulated studies, medians"
    )
    designs = {
        f"fixed k={args.fixed_k}": {"k0": args.fixed_k, "k_max": args.fixed_k, "adaptive": False},
        "fixed k=2": {"k0": 2, "k_max": 2, "adaptive": False},
        f"adaptive k0=2..{args.k_max}": {"k0": 2, "k_max": args.k_max, "adaptive": True},
    }
    outcomes: dict[str, list[Outcome]] = {name: [] for name in designs}
    started = time.perf_counter()
    for replication in range(args.replications):
        study = simulate_study(
            units=args.units,
            experts=args.experts,
            hard_share=args.hard_share,
            seed=1000 + replication,
        )
        for name, design in designs.items():
            outcomes[name].append(
                run_design(study, target=args.target, step=args.step, seed=replication, **design)
            )
    print(f"{'design':<22}{'ratings':>9}{'units':>8}{'alpha':>8}{'CI':>18}{'reached':>9}")
    for name, results in outcomes.items():
        print(
            f"{name:<22}{statistics.median(r.ratings for r in results):>9.0f}"
            f"{statistics.median(r.units for r in results):>8.0f}"
            f"{statistics.median(r.alpha for r in results):>8.3f}"
            f"  [{statistics.median(r.ci_low for r in results):.3f}, "
            f"{statistics.median(r.ci_high for r in results):.3f}]"
            f"{sum(r.reached for r in results):>5}/{len(results)}"
        )
    fixed, adaptive = outcomes[f"fixed k={args.fixed_k}"], outcomes[f"adaptive k0=2..{args.k_max}"]
    savings = [1 - a.ratings / f.ratings for f, a in zip(fixed, adaptive, strict=True)]
    agree = [
        abs(a.alpha - f.alpha) <= max(a.half_width, f.half_width)
        for f, a in zip(fixed, adaptive, strict=True)
    ]
    print(
        f"adaptive needs {statistics.median(savings):.0%} fewer ratings than fixed "
        f"k={args.fixed_k} (median; per study: {', '.join(f'{s:.0%}' for s in savings)}; "
        "target >= 25%)"
    )
    print(
        f"final alphas agree within the CI half-width in {sum(agree)}/{len(agree)} studies "
        f"(|alpha_adaptive - alpha_fixed| per study: "
        f"{', '.join(f'{abs(a.alpha - f.alpha):.3f}' for f, a in zip(fixed, adaptive, strict=True))})"
    )
    print(f"wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
