"""Time of the psychometric diagnostics of a study-sized run, pure (no database, no HTTP).

A synthetic run of `--endpoints` models x 2 languages x 3 methods x `--replications`
replications x 60 items (templates rotating over three paraphrases, every second replication
reversed) goes through each diagnostic of `llmruns.stats.diagnostics` with the API's defaults
(200 bootstrap replicates of alpha and omega). Prints the median wall time of `--repeat` runs
per diagnostic; asserts nothing. The API caches the result per data version, so this is the
cost of the first request after a trial finishes.

    .venv/bin/python benchmarks/bench_diagnostics.py [--endpoints 4] [--replications 20]
        [--bootstrap 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llmruns.stats_columns import ANSWER_COLUMNS  # noqa: E402

AREAS = "RIASEC"


def synthetic_answers(*, endpoints: int, replications: int, seed: int = 1) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    rows = []
    for endpoint in range(endpoints):
        area_means = generator.uniform(1.5, 4.5, size=6)
        for language in ("en", "zh-hans"):
            for method in ("verbal", "structured", "token_probability"):
                for replication in range(1, replications + 1):
                    shift = generator.normal(0, 0.3)
                    for item in range(1, 61):
                        area = (item - 1) // 2 % 6
                        value = area_means[area] + shift + generator.normal(0, 0.6)
                        rows.append(
                            (
                                f"model-{endpoint}",
                                language,
                                method,
                                item,
                                AREAS[area],
                                replication,
                                (replication - 1) % 3 + 1,
                                replication % 2 == 0,
                                float(np.clip(np.rint(value), 1, 5)),
                            )
                        )
    return pd.DataFrame(
        rows,
        columns=list(ANSWER_COLUMNS),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    from llmruns.stats import diagnostics

    answers = synthetic_answers(endpoints=arguments.endpoints, replications=arguments.replications)
    print(
        f"{len(answers)} answers: {arguments.endpoints} models x 2 languages x 3 methods x "
        f"{arguments.replications} replications x 60 items; bootstrap {arguments.bootstrap}"
    )
    steps = {
        "internal consistency (alpha, omega + bootstrap)": lambda: diagnostics.internal_consistency(
            answers, bootstrap=arguments.bootstrap
        ),
        "stability across replications (ICC)": lambda: diagnostics.stability(answers),
        "stability across templates (ICC)": lambda: diagnostics.stability(
            answers, facet="template"
        ),
        "response styles": lambda: diagnostics.response_styles(answers),
        "presentation effects": lambda: diagnostics.presentation_effects(answers),
        "method comparison": lambda: diagnostics.method_comparison(answers),
    }
    total = []
    for name, step in steps.items():
        times = []
        for _ in range(arguments.repeat):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        total.append(statistics.median(times))
        print(f"  {name:<50} median {statistics.median(times):7.3f} s")
    print(f"  {'all diagnostics':<50} median {sum(total):7.3f} s (sum of medians)")


if __name__ == "__main__":
    main()
