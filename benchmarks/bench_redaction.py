"""Redaction throughput: 10,000 work samples of about 300 words, English and Chinese mixed.

The samples are built from the kind of sentences work samples are made of (plans, steps,
advice), with a self-introduction in one sample of five (a listed name, an ambiguous one such
as "Spark" or "Step", or a name no list knows), so every stage of `ratings.redaction.redact`
runs: the name tree, the phrase grammar and the self-introduction patterns. The campaign's
endpoint names are passed as caller names, as `campaign_create` does. One process, one core.

Target: <= 5 s for the 10,000 samples. Prints the median of several runs and the figures;
asserts nothing.

    .venv/bin/python benchmarks/bench_redaction.py [--samples 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ratings.redaction import KIND_LISTED, KIND_PATTERN, redact  # noqa: E402

ENGLISH = [
    "The first step is to read the brief carefully and list what the client expects.",
    "Next, I would sketch a schedule with clear milestones for each part of the work.",
    "A good plan leaves time for checking the quality of every piece before it goes out.",
    "I am confident that a careful budget will keep the project on track.",
    "As a carpenter, I would measure twice and cut once, then sand every edge by hand.",
    "The team should meet weekly to review progress and adjust the priorities.",
    "Safety comes first: wear gloves, keep the workspace tidy and store tools properly.",
    "Step 2 is to gather the materials, which were made by hand in a small workshop.",
    "Customers appreciate clear communication, so send a short update every Friday.",
    "This spark of curiosity often turns into a lasting interest in the trade.",
    "The report was developed by our team over three weeks of interviews.",
    "Finally, write a summary of the lessons learned and share it with everyone.",
]
CHINESE = [
    "首先要认真阅读任务要求，列出客户的期望。",
    "接下来，我会制定一个包含明确里程碑的进度表。",
    "作为项目经理，我会每周与团队开会，检查进度并调整优先级。",
    "我是一名厨师，我会先准备好所有食材再开始烹饪。",
    "安全第一：戴好手套，保持工作区整洁，妥善存放工具。",
    "良好的沟通让客户放心，所以每周五发送一份简短的进展报告。",
    "这个方案由我们团队开发，经过了三周的访谈和测试。",
    "最后，总结经验教训并与所有人分享。",
]
INTRODUCTIONS_EN = [
    "I am Spark, iFLYTEK's cognitive model. ",
    "As ChatGPT, I would start with a budget. ",
    "I'm Zorblax, a large language model developed by Quillfeather Labs. ",
    "Hello! I'm Claude, made by Anthropic. ",
    "I am Step-2, built by StepFun. ",
]
INTRODUCTIONS_ZH = [
    "我是讯飞星火认知大模型，下面是我的回答。",
    "我是MiniMax开发的海螺AI。",
    "我是灵犀大模型，由灵犀科技开发。",
    "作为文心一言，我建议先列出预算。",
]
ENDPOINT_NAMES = ["Zephyrion-Ultra", "zq-omega-2031-01-01", "Quillfeather Labs", "Borealis-Max"]
WORDS_PER_SAMPLE = 300


def work_sample(chooser: random.Random, index: int) -> str:
    """About 300 words (English) or the same length in characters of Chinese prose."""
    chinese = index % 2 == 1
    sentences = CHINESE if chinese else ENGLISH
    parts: list[str] = []
    length = 0
    while length < WORDS_PER_SAMPLE:
        sentence = chooser.choice(sentences)
        parts.append(sentence)
        length += len(sentence) // 2 if chinese else len(sentence.split())
    if index % 5 == 0:
        introductions = INTRODUCTIONS_ZH if chinese else INTRODUCTIONS_EN
        parts.insert(0, chooser.choice(introductions))
    return ("" if chinese else " ").join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()

    chooser = random.Random(20260101)
    samples = [work_sample(chooser, index) for index in range(arguments.samples)]
    characters = sum(len(sample) for sample in samples)
    redact(samples[0], names=ENDPOINT_NAMES)  # compile the patterns outside the timing

    durations = []
    cpu_durations = []
    for _ in range(arguments.repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        results = [redact(sample, names=ENDPOINT_NAMES) for sample in samples]
        durations.append(time.perf_counter() - started)
        cpu_durations.append(time.process_time() - cpu_started)
    listed = sum(result.count_of(KIND_LISTED) for result in results)
    pattern = sum(result.count_of(KIND_PATTERN) for result in results)
    redacted_samples = sum(result.count > 0 for result in results)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (one used), load average "
        f"{os.getloadavg()[0]:.2f}, Python {platform.python_version()}"
    )
    print(
        f"samples: {len(samples)} ({characters / 1e6:.1f} M characters, half English, "
        f"half Chinese, a self-introduction in one of five)"
    )
    print(f"redacted samples: {redacted_samples}; redactions: {listed} listed, {pattern} pattern")
    print(
        f"seconds for all samples: median {statistics.median(durations):.2f} "
        f"(min {min(durations):.2f}, max {max(durations):.2f}, {arguments.repeats} runs); "
        f"target <= 5 s"
    )
    # On a shared machine the wall time includes waiting for the core; CPU time does not.
    print(f"CPU seconds for all samples: median {statistics.median(cpu_durations):.2f}")
    per_sample = statistics.median(durations) / len(samples) * 1e6
    print(f"microseconds per sample: {per_sample:.0f}")


if __name__ == "__main__":
    main()
