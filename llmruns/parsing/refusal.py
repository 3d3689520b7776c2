"""Disclaimers and refusals: "As an AI I don't have preferences", "我没有个人偏好", "我无法回答"."""

from __future__ import annotations

import re

from llmruns.parsing.text import normalize

_REFUSAL_PATTERNS = [
    re.compile(
        r"\bas an? (?:ai|artificial intelligence|(?:large )?language model|llm|machine"
        r"|virtual assistant|chatbot|computer program)\b"
    ),
    re.compile(
        r"\bi (?:do not|don't|dont|lack|have no)(?: have| possess| experience)?(?: any)?"
        r" (?:personal |real |genuine |human |actual |subjective )?(?:preferences?|feelings"
        r"|emotions|likes|opinions|interests|desires|consciousness|personal|the ability)"
    ),
    re.compile(
        r"\bi(?:'m| am) (?:not able|unable|not capable|incapable)(?: of| to)? (?:have|having"
        r"|experience|experiencing|feel|feeling|form|forming|hold|express|answer|provide|rate"
        r"|choose|like|enjoy)"
    ),
    re.compile(
        r"\bi (?:cannot|can't|can not|won't|will not) (?:have|experience|feel|form|hold|express"
        r"|answer|provide|rate|choose|select|pick|give|assign|evaluate|assess|determine|comply"
        r"|respond|participate|help with|assist with|complete|perform)"
    ),
    re.compile(r"\bnot capable of (?:having|feeling|experiencing)"),
    re.compile(r"\b(?:i'd|i would) (?:rather|prefer) not\b"),
    re.compile(r"作为(?:一个|一名|一款)?(?:人工智能|ai|(?:大型?)?语言模型|机器|程序|智能助手)"),
    re.compile(
        r"我(?:并)?没有(?:任何)?(?:个人|真正的?|真实的?|自己的?|主观)?的?"
        r"(?:喜好|偏好|感情|情感|情绪|喜恶|好恶|兴趣|感受|意识|身体|个人)"
    ),
    re.compile(
        r"我(?:无法|不能|没法|没有办法)(?:真正)?(?:回答|给出|提供|作答|评估|评价|体验|拥有|感受"
        r"|选择|表达|产生|做出|完成|执行)"
    ),
    re.compile(r"我(?:不具备|不具有)"),
    re.compile(r"(?:抱歉|对不起)[,]?我?(?:无法|不能)"),
]


def refusal_spans(text: str) -> list[tuple[int, int]]:
    """Where disclaimers sit in normalised text, in order; the answer parsers weigh what follows."""
    return sorted(
        (match.start(), match.end())
        for pattern in _REFUSAL_PATTERNS
        for match in pattern.finditer(text)
    )


def detect_refusal(text: str) -> bool:
    """True when the text declines or disclaims ("As an AI...", "我没有个人偏好", "我无法回答")."""
    return bool(refusal_spans(normalize(text)))
