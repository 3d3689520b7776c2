"""How the mock answers: a seeded respondent profile per model name and the text it writes.

Each model name gets interest and competence means per RIASEC area (three built-in profiles
that differ clearly, any other name derived from a hash of the name and the config seed). A
value is drawn around the area's mean with a fixed per-item effect, sampling noise that grows
with temperature, a language shift and, for self-assessments, a self-bias; it is then written in
one of several forms a parser must cope with, in the prompt's language and numbering.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from llmruns.mockserver.prompts import RIASEC_AREAS, PromptAnalysis
from llmruns.mockserver.variants import acquiesce, normal_distribution, shown_number

SELF_IDENTIFICATION_RATE = 0.1
ITEM_EFFECT_SD = 0.6  # how far an item sits from its area's mean, fixed per model and item
SAMPLING_SD_PER_TEMPERATURE = 0.45  # spread between replications at temperature 1

REFUSALS: dict[str, dict[str, str]] = {
    "interest": {
        "en": "As an AI, I don't have personal preferences.",
        "zh-hans": "作为一个人工智能，我没有个人喜好。",
    },
    "competence": {
        "en": "As an AI, I can't judge my own competence the way a person would.",
        "zh-hans": "作为一个人工智能，我无法像人一样评价自己的能力。",
    },
    "work_sample": {
        "en": "As an AI, I can't carry out this task.",
        "zh-hans": "作为一个人工智能，我无法完成这项任务。",
    },
}
# Free of digits and of every scale label, also inside words ("likely", "确定").
UNPARSEABLE_ANSWERS = {
    "en": "It depends on the circumstances and on what the work would involve.",
    "zh-hans": "这要看具体情况和工作内容而定。",
}
# Something for the redaction of self-identification to remove before experts see a sample.
SELF_IDENTIFICATIONS = {
    "en": ("As MockGPT, I would approach it like this.", "I am MockGPT, a language model."),
    "zh-hans": ("作为MockGPT，我会这样完成这项任务。", "我是MockGPT，一个语言模型。"),
}
WORK_SAMPLE_OPENINGS = {
    "en": ('My answer on the activity "{activity}" follows.', "Here is my answer to the task."),
    "zh-hans": ("以下是我关于“{activity}”的回答。", "以下是我对这项任务的回答。"),
}
# The quality of the wording follows the competence drawn, so experts have something to rate.
WORK_SAMPLE_SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "high": (
            "I would start by clarifying the goal, the constraints and who the result is for.",
            "Then I would break the work into concrete steps and check each against the requirements.",
            "I would document every decision, with the reasons and the alternatives I rejected.",
            "Before handing it over I would test the result carefully and fix what the test reveals.",
            "Finally I would list the remaining risks and a specific way to handle each of them.",
        ),
        "mid": (
            "I would follow the usual steps for this kind of work.",
            "First I would gather what is needed, then work through the task in order.",
            "Some parts would need more checking, but the result should be usable.",
            "I would ask someone with more experience to look over the difficult parts.",
        ),
        "low": (
            "I am not sure about the details, so I would do it roughly.",
            "I would probably skip the parts I do not understand.",
            "The result might be incomplete.",
            "Maybe it would work, maybe not.",
        ),
    },
    "zh-hans": {
        "high": (
            "我会先明确目标、限制条件以及成果的使用者。",
            "然后把工作拆分为具体步骤，并逐一对照要求进行检查。",
            "我会记录每一个决定，包括理由和被放弃的其他方案。",
            "交付之前，我会认真测试结果，并修正测试中发现的问题。",
            "最后，我会列出剩余的风险，并为每一项给出具体的应对办法。",
        ),
        "mid": (
            "我会按照这类工作的常规步骤来做。",
            "先准备所需的东西，再按顺序完成任务。",
            "有些部分还需要更多检查，但结果应该可以使用。",
            "较难的部分我会请更有经验的人帮忙看一看。",
        ),
        "low": (
            "我对细节不太了解，只能大概做一下。",
            "看不懂的部分我可能会跳过。",
            "结果可能不完整。",
            "也许能行，也许不行。",
        ),
    },
}


@dataclass(frozen=True)
class MockProfile:
    """A simulated respondent: means on 1..5 per RIASEC area and how it judges itself."""

    interest: Mapping[str, float]
    competence: Mapping[str, float]
    self_bias: float  # added to self-assessed competence; negative underestimates
    modesty: float  # further underestimation per interest point above 3 (the liked areas)
    zh_shift: float  # added to the means when the prompt is Chinese


def _by_area(*means: float) -> dict[str, float]:
    return dict(zip(RIASEC_AREAS, means, strict=True))


BUILTIN_PROFILES: dict[str, MockProfile] = {
    "mock-alpha": MockProfile(  # social and artistic, not realistic; modest where it likes
        interest=_by_area(1.6, 3.0, 4.3, 4.6, 3.1, 2.3),
        competence=_by_area(2.4, 3.6, 4.1, 4.2, 3.4, 3.2),
        self_bias=-0.4,
        modesty=0.4,
        zh_shift=-0.2,
    ),
    "mock-beta": MockProfile(  # investigative and conventional; overconfident; warmer in Chinese
        interest=_by_area(2.7, 4.5, 2.3, 2.5, 2.8, 4.3),
        competence=_by_area(3.0, 4.3, 2.8, 2.9, 3.0, 4.1),
        self_bias=0.3,
        modesty=0.0,
        zh_shift=0.4,
    ),
    "mock-gamma": MockProfile(  # realistic and enterprising
        interest=_by_area(4.2, 2.6, 2.0, 3.0, 4.4, 3.3),
        competence=_by_area(3.9, 3.0, 2.5, 3.1, 3.8, 3.4),
        self_bias=0.0,
        modesty=0.1,
        zh_shift=0.0,
    ),
}


def seeded_rng(*parts: object) -> random.Random:
    """A generator seeded by `parts`, stable across processes (unlike the salted hash())."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def profile_for(model: str, *, seed: int = 0) -> MockProfile:
    """The built-in profile of a named mock model, else one derived from the name and seed."""
    if model in BUILTIN_PROFILES:
        return BUILTIN_PROFILES[model]
    rng = seeded_rng("profile", seed, model)
    return MockProfile(
        interest={area: rng.uniform(1.5, 4.5) for area in RIASEC_AREAS},
        competence={area: rng.uniform(2.0, 4.5) for area in RIASEC_AREAS},
        self_bias=rng.uniform(-0.8, 0.4),
        modesty=rng.uniform(0.0, 0.3),
        zh_shift=rng.uniform(-0.4, 0.4),
    )


_WIDE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """Rough token count: a CJK character is about one token, other text about four chars."""
    wide = len(_WIDE.findall(text))
    return wide + math.ceil((len(text) - wide) / 4)


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of `text` whose estimated token count is at most `max_tokens`."""
    wide = narrow = 0
    for position, character in enumerate(text):
        if _WIDE.match(character):
            wide += 1
        else:
            narrow += 1
        if wide + math.ceil(narrow / 4) > max_tokens:
            return text[:position]
    return text


@dataclass(frozen=True)
class AnswerRequest:
    """Everything one answer depends on."""

    model: str
    prompt: str
    analysis: PromptAnalysis
    config_seed: int = 0
    seed: int | None = None
    temperature: float = 1.0
    json_mode: bool = False
    forced: str | None = None  # "refusal" or "unparseable", drawn by the fault injector
    call_number: int = 0  # distinguishes repeated calls when nothing fixes the randomness
    choice_index: int = 0
    # A configured distribution over the values 1..5 (see `variants`), and the variant's traits.
    distribution: tuple[float, ...] | None = None
    traits: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Answer:
    content: str
    number: int | None  # the scale number written, for a Likert answer


def _item_mean(request: AnswerRequest) -> float:
    """Where the profile puts this item on the 1..5 scale, before sampling noise."""
    analysis, area = request.analysis, request.analysis.area
    profile = profile_for(request.model, seed=request.config_seed)
    zh_shift = profile.zh_shift if analysis.language == "zh-hans" else 0.0
    if analysis.kind == "interest":
        mean, family = profile.interest[area] + zh_shift, "interest"
    else:
        mean, family = profile.competence[area] + zh_shift / 2, "competence"
        if analysis.kind in ("self_competence", "self_review"):
            liked_by = max(0.0, profile.interest[area] - 3.0)
            mean += profile.self_bias - profile.modesty * liked_by
    item_rng = seeded_rng("item", request.config_seed, request.model, analysis.item_key, family)
    return mean + item_rng.gauss(0.0, ITEM_EFFECT_SD)


def value_distribution(request: AnswerRequest) -> tuple[float, ...]:
    """The probability of each value 1..5 the answer is drawn from, after the variant's style."""
    if request.distribution is not None:
        probabilities = request.distribution
    else:
        # At temperature 0 the verbal answer is the rounded mean; a narrow normal stands for it.
        sd = max(SAMPLING_SD_PER_TEMPERATURE * min(max(request.temperature, 0.0), 2.0), 0.05)
        probabilities = normal_distribution(_item_mean(request), sd)
    return acquiesce(probabilities) if "acquiescent" in request.traits else probabilities


def _intended_value(request: AnswerRequest, rng: random.Random) -> int:
    mean = _item_mean(request)
    noise_sd = SAMPLING_SD_PER_TEMPERATURE * min(max(request.temperature, 0.0), 2.0)
    noise = rng.gauss(0.0, noise_sd) if noise_sd > 0 else 0.0
    return int(min(5, max(1, math.floor(mean + noise + 0.5))))


def _answer_value(request: AnswerRequest, rng: random.Random) -> int:
    if request.distribution is not None:
        value = rng.choices((1, 2, 3, 4, 5), weights=request.distribution)[0]
    else:
        value = _intended_value(request, rng)
    return min(5, value + 1) if "acquiescent" in request.traits else value


def _scale_answer(request: AnswerRequest, value: int, rng: random.Random) -> tuple[str, int]:
    presented = request.analysis.presented
    # A prompt that shows only part of the scale gets the nearest point it did show.
    nearest = min(presented, key=lambda shown: (abs(shown - value), shown)) if presented else None
    number, label = presented[nearest] if nearest is not None else (value, str(value))
    if "flip" in request.traits and nearest is not None:
        number, label = shown_number(nearest, presented, flip=True)
        label = label or str(number)
    return _written(request, number, label, rng), number


def _written(request: AnswerRequest, number: int, label: str, rng: random.Random) -> str:
    if request.json_mode:
        return json.dumps({"answer": number})
    if request.analysis.language == "zh-hans":
        forms = (f"{number}", f"{number} = {label}", label, f"我选择 {number}。")
    else:
        forms = (f"{number}", f"{number} = {label}", label, f"I'd choose {number}.")
    return rng.choices(forms, weights=(0.4, 0.25, 0.15, 0.2))[0]


def _work_sample(request: AnswerRequest, quality: int, rng: random.Random) -> str:
    language = request.analysis.language
    activity = request.analysis.activity
    about_activity, about_task = WORK_SAMPLE_OPENINGS[language]
    tier = "high" if quality >= 4 else "mid" if quality == 3 else "low"
    pool = WORK_SAMPLE_SENTENCES[language][tier]
    sentences = [about_activity.format(activity=activity) if activity else about_task]
    sentences += rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
    if rng.random() < SELF_IDENTIFICATION_RATE:
        sentences.insert(0, rng.choice(SELF_IDENTIFICATIONS[language]))
    text = ("" if language == "zh-hans" else " ").join(sentences)
    return json.dumps({"answer": text}, ensure_ascii=False) if request.json_mode else text


def compose_answer(request: AnswerRequest) -> str:
    """The content of one choice: a value in one of several forms, a work sample, or a fault."""
    return compose(request).content


def compose(request: AnswerRequest) -> Answer:
    """The content of one choice, with the scale number it wrote (for a Likert answer)."""
    analysis, language = request.analysis, request.analysis.language
    if request.forced == "refusal":
        family = (
            "competence" if analysis.kind in ("self_competence", "self_review") else analysis.kind
        )
        return Answer(REFUSALS[family][language], None)
    if request.forced == "unparseable":
        text = UNPARSEABLE_ANSWERS[language]
        return Answer(
            json.dumps({"answer": text}, ensure_ascii=False) if request.json_mode else text, None
        )
    # Temperature 0, or a seed, makes the answer a function of the request alone; otherwise
    # each call draws afresh, as replications of a real model at temperature > 0 do.
    varying = request.call_number if request.temperature > 0 and request.seed is None else None
    rng = seeded_rng(
        "answer",
        request.config_seed,
        request.model,
        request.prompt,
        request.seed,
        request.temperature,
        request.choice_index,
        varying,
    )
    if analysis.kind == "work_sample":
        return Answer(_work_sample(request, _intended_value(request, rng), rng), None)
    return Answer(*_scale_answer(request, _answer_value(request, rng), rng))
