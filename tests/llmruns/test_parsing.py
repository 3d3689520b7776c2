"""Tests for answer parsing: real-looking replies in English and Chinese, on both scales."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmruns.parsing import (
    ParseResult,
    detect_refusal,
    likert_json_schema,
    parse_likert,
    parse_structured,
    parse_work_sample,
)

INTEREST_EN = {1: "Strongly dislike", 2: "Dislike", 3: "Unsure", 4: "Like", 5: "Strongly like"}
INTEREST_ZH = {1: "非常不喜欢", 2: "不喜欢", 3: "不确定", 4: "喜欢", 5: "非常喜欢"}
COMPETENCE_EN = {
    1: "Not at all competent",
    2: "Slightly competent",
    3: "Moderately competent",
    4: "Very competent",
    5: "Highly competent",
}
COMPETENCE_ZH = {1: "完全不胜任", 2: "略微胜任", 3: "比较胜任", 4: "很胜任", 5: "非常胜任"}

ECHO_EN = "1 = Strongly dislike\n2 = Dislike\n3 = Unsure\n4 = Like\n5 = Strongly like\n\n"
ECHO_EN_REVERSED = "1 = Strongly like\n2 = Like\n3 = Unsure\n4 = Dislike\n5 = Strongly dislike\n\n"


def answer(
    labels: Mapping[int, str],
    case_id: str,
    text: str,
    outcome: str,
    value: int | None = None,
    *,
    reversed_scale: bool = False,
    reason: str | None = None,
) -> Any:
    """One row of an answer table: the reply, how it was asked, and what it must parse to."""
    return pytest.param(text, labels, reversed_scale, outcome, value, reason, id=case_id)


interest_en = functools.partial(answer, INTEREST_EN)
competence_en = functools.partial(answer, COMPETENCE_EN)
interest_zh = functools.partial(answer, INTEREST_ZH)
competence_zh = functools.partial(answer, COMPETENCE_ZH)

ENGLISH_ANSWERS = [
    # plain numbers and the usual wrappings
    interest_en("bare-number", "4", "ok", 4, reason="number"),
    interest_en("answer-prefix", "Answer: 4", "ok", 4),
    interest_en("markdown-bold", "**4**", "ok", 4),
    interest_en("number-dash-label", "4 - Like", "ok", 4),
    interest_en("number-equals-label", "4 = Like", "ok", 4),
    interest_en("label-then-number", "Like (4)", "ok", 4),
    interest_en("sentence", "I'd say 4.", "ok", 4),
    interest_en("full-width-digit", "４", "ok", 4),
    interest_en("circled-digit", "My answer: ④", "ok", 4),
    interest_en("whole-decimal", "4.0", "ok", 4),
    interest_en(
        "bold-with-explanation",
        "My rating: **4 (Like)**\n\nI enjoy hands-on, tangible work like building things.",
        "ok",
        4,
    ),
    interest_en("number-with-prose-label-ignored", "I don't really like cooking, so 2.", "ok", 2),
    interest_en(
        "number-and-label-rationale",
        "Rating: 5 - Strongly like. Teaching children is rewarding.",
        "ok",
        5,
    ),
    # numbers that are not answers
    interest_en("range-to", "On a scale of 1 to 5, I'd pick 4", "ok", 4),
    interest_en("range-dash", "On a 1-5 scale, my answer is 2.", "ok", 2),
    interest_en("range-between", "Between 1 and 5, I'd go with 5.", "ok", 5),
    interest_en("out-of-denominator", "I'd rate it 4 out of 5.", "ok", 4),
    interest_en("slash-denominator", "4/5 - I enjoy creative work.", "ok", 4),
    interest_en(
        "range-with-labels-in-brackets", "1 (Strongly dislike) to 5 (Strongly like): 3", "ok", 3
    ),
    interest_en(
        "range-with-labels-equals",
        "On a scale where 1 = Strongly dislike and 5 = Strongly like, I would choose 4.",
        "ok",
        4,
    ),
    interest_en("scale-echo-then-answer", ECHO_EN + "My answer: 2", "ok", 2),
    interest_en("five-point-scale", "On this 5-point scale I'd choose 3.", "ok", 3),
    interest_en("model-name", "As GPT-4, I'd say 2.", "ok", 2),
    interest_en(
        "numbered-reasons",
        "1. I enjoy working with my hands.\n2. It is creative.\n\nAnswer: 4",
        "ok",
        4,
    ),
    interest_en(
        "closed-reasoning-block",
        "<think>Scale 1-5. Maybe 2 or 3? I'll go with 3.</think>\n\n3",
        "ok",
        3,
    ),
    interest_en(
        "lone-closing-reasoning-tag",
        "The user asks whether I like this. Maybe 2 or 3? I'll go with 4.\n</think>\n\n4",
        "ok",
        4,
    ),
    interest_en(
        "lone-closing-reasoning-tag-with-label",
        "I dislike repetitive work, but this is creative.</think>Like",
        "ok",
        4,
        reason="label",
    ),
    interest_en(
        "refusal-in-reasoning-only",
        "As an AI I don't have preferences; pick something.</THINK>\n3",
        "ok",
        3,
        reason="number",
    ),
    interest_en("number-word", "I'd give it a four.", "ok", 4),
    interest_en("five-point-scale-in-words", "On a five-point scale I'd choose 3.", "ok", 3),
    # a point of another scale is not a point of this one
    interest_en("other-scale-slash", "4/10", "invalid", None, reason="another scale: /10"),
    interest_en("other-scale-out-of", "I'd say 7 out of 10", "invalid", None),
    interest_en("other-scale-slash-with-text", "8/10 \u2014 I like it", "invalid", None),
    interest_en(
        "other-scale-on-this-scale-range",
        "3 out of 10",
        "invalid",
        None,
        reason="another scale: out of 10",
    ),
    interest_en("other-scale-in-words", "Three out of ten.", "invalid", None),
    interest_en("other-scale-with-label", "7 out of 10 (Like)", "invalid", None),
    interest_en(
        "other-scale-range",
        "On a scale of 1 to 10, I'd pick 4",
        "invalid",
        None,
        reason="another scale: scale of 1 to 10",
    ),
    interest_en("other-scale-range-before-scale", "On a 1-10 scale, 4.", "invalid", None),
    interest_en("other-scale-points", "4 on a 10-point scale", "invalid", None),
    interest_en("other-scale-points-in-words", "On a ten-point scale I'd choose 3.", "invalid"),
    interest_en("number-word-alone", "Four.", "ok", 4),
    # labels, matched as whole phrases, longest first
    interest_en("label-like", "Like", "ok", 4, reason="label"),
    interest_en("label-dislike-is-not-like", "Dislike", "ok", 2),
    interest_en("label-strongly-dislike-is-not-dislike", "Strongly dislike", "ok", 1),
    interest_en("label-case-insensitive", "strongly LIKE", "ok", 5),
    interest_en("label-unsure", "Unsure.", "ok", 3),
    interest_en("label-quoted-after-marker", 'I\'d choose "Dislike".', "ok", 2),
    interest_en(
        "label-opens-reply", "Dislike - I'm not a fan of repetitive physical work.", "ok", 2
    ),
    interest_en(
        "label-opens-reply-negated-verb-later", "Dislike. I don't really like cooking.", "ok", 2
    ),
    interest_en("label-in-sentence", "I dislike this activity.", "ok", 2),
    interest_en("label-verb-in-sentence", "I think I would like this activity.", "ok", 4),
    interest_en("wish-is-not-like", "I'd like to say it depends on the context.", "invalid", None),
    interest_en(
        "comparison-is-not-like", "Like many people, I find this tedious.", "invalid", None
    ),
    interest_en("options-named-not-chosen", "Neither like nor dislike.", "invalid", None),
    interest_en("not-dislike-is-not-dislike", "Not dislike.", "invalid", None),
    interest_en("dont-dislike-is-not-dislike", "I don't dislike it.", "invalid", None),
    interest_en("neither-nor-is-not-unsure", "I neither like nor dislike it.", "invalid", None),
    interest_en("label-explained-by-neither-nor", "Unsure (neither like nor dislike)", "ok", 3),
    interest_en(
        "negated-label-is-not-the-number-label",
        "Neither like nor dislike: 3",
        "ok",
        3,
        reason="number",
    ),
    interest_en("intensified-label-is-not-guessed", "I really like this.", "invalid", None),
    interest_en("doubt-is-not-unsure", "I'm unsure how to answer this.", "invalid", None),
    interest_en("no-answer", "Hmm, that's a tough one.", "invalid", None, reason="no answer found"),
    # contradictions, ranges of answers, impossible values
    interest_en(
        "number-label-disagree",
        "4 (Dislike)",
        "invalid",
        None,
        reason="number and label disagree: 4 = Dislike",
    ),
    interest_en("rating-label-disagree", "Rating: 2 - Like", "invalid", None),
    interest_en("two-numbers", "3 or 4", "invalid", None, reason="conflicting answers: 3, 4"),
    interest_en(
        "hedged-range", "I'd say 3-4.", "invalid", None, reason="conflicting answers: 3, 4"
    ),
    interest_en("second-thoughts", "Probably a 4, maybe even a 5.", "invalid", None),
    interest_en("out-of-range-high", "7", "invalid", None, reason="out of range: 7"),
    interest_en("out-of-range-zero", "0", "invalid", None, reason="out of range: 0"),
    interest_en("out-of-range-ten", "10", "invalid", None, reason="out of range: 10"),
    interest_en("out-of-range-with-text", "6 - I'd love it!", "invalid", None),
    interest_en("decimal", "3.5", "invalid", None, reason="not a whole number: 3.5"),
    interest_en(
        "decimal-in-sentence",
        "I'd say 3.5 - somewhere between unsure and like.",
        "invalid",
        None,
        reason="not a whole number: 3.5",
    ),
    interest_en("empty", "", "invalid", None, reason="empty"),
    interest_en("whitespace", "   \n\t", "invalid", None, reason="empty"),
    # refusals, with and without an answer after the disclaimer
    interest_en(
        "refusal-preferences",
        "As an AI, I don't have personal preferences.",
        "refused",
        None,
        reason="refusal",
    ),
    interest_en(
        "refusal-language-model", "As a language model, I cannot have likes or dislikes.", "refused"
    ),
    interest_en("refusal-feelings", "I don't have feelings, so I can't say.", "refused"),
    interest_en("refusal-not-able", "I'm not able to have likes or dislikes.", "refused"),
    interest_en("refusal-sorry", "I'm sorry, but I can't answer that.", "refused"),
    interest_en(
        "disclaimer-then-number",
        "As an AI I don't have preferences, but if I had to choose: 4",
        "ok",
        4,
        reason="number after disclaimer",
    ),
    interest_en(
        "disclaimer-then-number-and-label",
        "As an AI language model, I don't have personal preferences. However, if I were a "
        "person, I would probably rate this 4 (Like).",
        "ok",
        4,
    ),
    interest_en(
        "disclaimer-then-label",
        "As an AI, I don't have personal feelings, but I'd say Strongly like.",
        "ok",
        5,
        reason="label after disclaimer",
    ),
    # counterbalanced scale: numbers map back, labels do not
    interest_en("reversed-number", "2", "ok", 4, reversed_scale=True),
    interest_en("reversed-extreme", "5", "ok", 1, reversed_scale=True),
    interest_en("reversed-label", "Like", "ok", 4, reversed_scale=True),
    interest_en("reversed-number-and-label", "2 = Like", "ok", 4, reversed_scale=True),
    interest_en(
        "reversed-canonical-number-disagrees", "4 = Like", "invalid", None, reversed_scale=True
    ),
    interest_en(
        "reversed-bracketed-label", "Answer: 1 (Strongly like)", "ok", 5, reversed_scale=True
    ),
    interest_en(
        "reversed-scale-echo", ECHO_EN_REVERSED + "Answer: 2", "ok", 4, reversed_scale=True
    ),
    # competence scale
    competence_en("competence-number-label", "4 - Very competent", "ok", 4),
    competence_en("competence-label", "Moderately competent", "ok", 3),
    competence_en("competence-in-sentence", "I would be moderately competent.", "ok", 3),
    competence_en(
        "competence-label-with-not",
        "Not at all competent - I have no woodworking skills.",
        "ok",
        1,
    ),
    competence_en("competence-negated", "I'm not very competent at this.", "invalid", None),
    competence_en("competence-slightly", "Slightly competent", "ok", 2),
    competence_en("competence-highly", "Highly competent.", "ok", 5),
    competence_en("competence-rate-myself", "I'd rate myself a 2 (Slightly competent).", "ok", 2),
    competence_en("competence-disagree", "3 (Highly competent)", "invalid", None),
    competence_en(
        "competence-two-labels",
        "I'd be very competent, maybe highly competent.",
        "invalid",
        None,
        reason="conflicting answers: Very competent, Highly competent",
    ),
    competence_en(
        "competence-limitation-is-not-refusal",
        "I cannot physically build cabinets, so 1 (Not at all competent).",
        "ok",
        1,
        reason="number",
    ),
    competence_en(
        "competence-disclaimer-then-number",
        "As an AI, I can't physically perform this task, but I could explain it well: 3.",
        "ok",
        3,
        reason="number after disclaimer",
    ),
    competence_en(
        "competence-refusal",
        "As an AI, I have no hands, so I can't say how competent I'd be.",
        "refused",
    ),
    competence_en("competence-reversed-number", "2", "ok", 4, reversed_scale=True),
    competence_en("competence-reversed-label", "Very competent", "ok", 4, reversed_scale=True),
    competence_en(
        "competence-reversed-pair", "4 = Slightly competent", "ok", 2, reversed_scale=True
    ),
]

CHINESE_ANSWERS = [
    # numbers
    interest_zh("bare-number", "4", "ok", 4),
    interest_zh("full-width-digit", "４", "ok", 4),
    interest_zh("answer-prefix-full-width", "我的答案是：４", "ok", 4),
    interest_zh("choose-number-label", "选择 4（喜欢）", "ok", 4),
    interest_zh("answer-number-dash-label", "答案：4 - 喜欢", "ok", 4),
    interest_zh("markdown-bold", "**4**（喜欢）", "ok", 4),
    interest_zh("choose-with-reason", "这个活动我比较喜欢，选4。", "ok", 4),
    interest_zh("so-so-choose-three", "一般般，选3吧", "ok", 3),
    interest_zh("yizhi-is-not-one", "我一直都喜欢动手做事情，所以选4。", "ok", 4),
    # Chinese numerals, only where they are answers
    interest_zh("numeral-alone", "四", "ok", 4),
    interest_zh("numeral-after-choose", "我选四", "ok", 4),
    interest_zh("numeral-with-label", "答案是四（喜欢）", "ok", 4),
    interest_zh("numeral-points", "四分", "ok", 4),
    interest_zh("numeral-give-points", "我会打三分。", "ok", 3),
    interest_zh("numeral-after-colon", "答案：二", "ok", 2),
    interest_zh("financial-numeral", "贰", "ok", 2),
    interest_zh("financial-numeral-with-label", "叁（不确定）", "ok", 3),
    interest_zh("yige-is-not-one", "我会选择一个中间的选项：三", "ok", 3),
    # ranges, denominators, list numbering
    interest_zh("range-dao", "在1到5的范围内，我选4", "ok", 4),
    interest_zh("range-zhi", "1至5分，我打4分", "ok", 4),
    interest_zh("range-numerals", "从一到五，我选四。", "ok", 4),
    interest_zh("range-dash-points", "按照1-5分的标准，我给3分。", "ok", 3),
    interest_zh("full-marks", "满分5分，我给4分", "ok", 4),
    interest_zh("points-out-of", "我给出5分中的4分", "ok", 4),
    interest_zh("five-point-system", "在五分制中，我打四分", "ok", 4),
    interest_zh("five-point-system-below", "5分制下4分", "ok", 4),
    interest_zh("very-is-not-a-scale", "我十分中意这个活动，选5", "ok", 5),
    interest_zh("very-constraining-is-not-a-scale", "这十分制约我的发挥，选2", "ok", 2),
    # a point of another scale is not a point of this one
    interest_zh(
        "other-scale-full-marks",
        "满分10分，我给8分",
        "invalid",
        None,
        reason="another scale: 满分10分",
    ),
    interest_zh(
        "other-scale-system", "10分制下7分", "invalid", None, reason="another scale: 10分制"
    ),
    interest_zh("other-scale-full-marks-numerals", "满分十分，我给四分", "invalid", None),
    interest_zh("other-scale-system-numerals", "十分制，我打三分", "invalid", None),
    interest_zh("other-scale-hundred", "我给80分（百分制）", "invalid", None),
    interest_zh("other-scale-points-out-of", "我给出10分中的4分", "invalid", None),
    interest_zh("other-scale-range", "在1到10的范围内，我选4", "invalid", None),
    interest_zh(
        "numbered-reasons", "1、这项工作需要耐心。\n2、我比较擅长细致的工作。\n答案：4", "ok", 4
    ),
    interest_zh(
        "closed-reasoning-block",
        "<think>用户问我是否喜欢这个活动，可能是2或者3。</think>\n我的答案：3",
        "ok",
        3,
    ),
    interest_zh(
        "lone-closing-reasoning-tag",
        "用户问我是否喜欢这个活动，可能是2或者3。\n</think>\n\n我的答案：3",
        "ok",
        3,
    ),
    # labels
    interest_zh("label-like", "喜欢", "ok", 4, reason="label"),
    interest_zh("label-dislike-is-not-like", "不喜欢", "ok", 2),
    interest_zh("label-strongly-dislike-is-not-dislike", "非常不喜欢", "ok", 1),
    interest_zh("label-strongly-like", "非常喜欢", "ok", 5),
    interest_zh("label-unsure", "不确定", "ok", 3),
    interest_zh("label-after-marker", "我的选择是：不喜欢", "ok", 2),
    interest_zh("label-in-sentence", "我非常喜欢设计服装。", "ok", 5),
    interest_zh("dislike-in-sentence", "我不喜欢这个活动。", "ok", 2),
    interest_zh("not-really-like-is-not-like", "我不太喜欢这个活动。", "invalid", None),
    interest_zh("intensified-like-is-not-guessed", "我很喜欢这个活动", "invalid", None),
    interest_zh("whether-like-is-not-like", "我不确定自己是否喜欢这个活动", "invalid", None),
    # "neither like nor dislike" is not a label of this scale (its midpoint is 不确定), and the
    # "不喜欢" inside it is not the label 不喜欢
    interest_zh(
        "neither-nor-is-not-dislike",
        "既不喜欢也不讨厌",
        "invalid",
        None,
        reason="no answer found",
    ),
    interest_zh("neither-nor-without-ji", "不喜欢也不讨厌", "invalid", None),
    interest_zh("neither-nor-in-sentence", "我对这个活动既不喜欢，也不讨厌。", "invalid", None),
    interest_zh("neither-nor-second-half", "我既不觉得讨厌，也不喜欢", "invalid", None),
    interest_zh("neither-nor-second-half-adjacent", "既不讨厌也不喜欢", "invalid", None),
    interest_zh("like-or-not-is-not-dislike", "无所谓喜欢不喜欢", "invalid", None),
    interest_zh("like-or-not-first", "喜欢不喜欢都无所谓", "invalid", None),
    interest_zh("neither-nor-then-label", "既不喜欢也不讨厌，所以不确定", "ok", 3),
    interest_zh("label-explained-by-neither-nor", "不确定（既不喜欢也不讨厌）", "ok", 3),
    interest_zh("neither-nor-then-number", "既不喜欢也不讨厌，选3", "ok", 3),
    interest_zh("number-then-neither-nor", "3 - 不喜欢也不讨厌", "ok", 3, reason="number"),
    interest_zh("also-dislike-is-dislike", "我也不喜欢这个活动", "ok", 2),
    interest_zh("not-at-all-like-is-dislike", "我一点也不喜欢", "ok", 2),
    interest_zh("separate-negations-keep-dislike", "我不会做饭，也不喜欢做饭", "ok", 2),
    interest_zh("dislike-and-not-good-at", "我不喜欢也不擅长这类工作", "ok", 2),
    interest_zh("ji-dislike-and-not-good-at", "既不喜欢也不擅长", "ok", 2),
    interest_zh("not-good-at-nor-like", "我不擅长，也不喜欢", "ok", 2),
    interest_zh("neither-nor-comma-without-ji", "不喜欢，也不讨厌", "invalid", None),
    interest_zh("two-dislikes-are-dislike", "我不喜欢画画，也不喜欢唱歌", "ok", 2),
    # contradictions and impossible values
    interest_zh(
        "number-label-disagree",
        "4（不喜欢）",
        "invalid",
        None,
        reason="number and label disagree: 4 = 不喜欢",
    ),
    interest_zh("number-label-disagree-dash", "2 - 喜欢", "invalid", None),
    interest_zh("two-numbers", "我觉得是4或5", "invalid", None, reason="conflicting answers: 4, 5"),
    interest_zh("hedged-range", "3到4之间吧", "invalid", None, reason="conflicting answers: 3, 4"),
    interest_zh("decimal", "我选 3.5", "invalid", None, reason="not a whole number: 3.5"),
    interest_zh("numeral-out-of-range", "六", "invalid", None, reason="out of range: 6"),
    interest_zh("number-out-of-range", "我的答案是7", "invalid", None, reason="out of range: 7"),
    interest_zh("zero-points", "0分", "invalid", None, reason="out of range: 0"),
    interest_zh("empty", "", "invalid", None, reason="empty"),
    interest_zh("ideographic-space", "\u3000\u3000", "invalid", None, reason="empty"),
    # refusals
    interest_zh(
        "refusal-ai", "作为一个人工智能，我没有个人喜好。", "refused", None, reason="refusal"
    ),
    interest_zh("refusal-options-named", "作为AI语言模型，我无法体验喜欢或不喜欢。", "refused"),
    interest_zh("refusal-no-preference", "我没有个人偏好。", "refused"),
    interest_zh("refusal-cannot-answer", "我无法回答这个问题。", "refused"),
    interest_zh("refusal-sorry", "抱歉，我不能回答这个问题。", "refused"),
    interest_zh(
        "disclaimer-then-number",
        "作为一个人工智能，我没有个人喜好，但如果必须选择的话，我会选4。",
        "ok",
        4,
        reason="number after disclaimer",
    ),
    interest_zh(
        "disclaimer-then-label",
        "作为AI，我没有真实的情感，不过从任务特点来看，我会选择：喜欢。",
        "ok",
        4,
        reason="label after disclaimer",
    ),
    # counterbalanced scale
    interest_zh("reversed-number", "2", "ok", 4, reversed_scale=True),
    interest_zh("reversed-label", "喜欢", "ok", 4, reversed_scale=True),
    interest_zh("reversed-number-and-label", "2（喜欢）", "ok", 4, reversed_scale=True),
    interest_zh(
        "reversed-canonical-number-disagrees", "4（喜欢）", "invalid", None, reversed_scale=True
    ),
    interest_zh("reversed-numeral", "我选一", "ok", 5, reversed_scale=True),
    interest_zh(
        "reversed-full-width-with-label", "答案：５（非常不喜欢）", "ok", 1, reversed_scale=True
    ),
    # competence scale
    competence_zh("competence-label", "比较胜任", "ok", 3),
    competence_zh("competence-in-sentence", "我觉得自己很胜任这项工作。", "ok", 4),
    competence_zh("competence-highly", "非常胜任", "ok", 5),
    competence_zh("competence-not-at-all", "完全不胜任", "ok", 1),
    competence_zh("competence-not-at-all-sentence", "我完全不胜任这项工作", "ok", 1),
    competence_zh("competence-slightly", "略微胜任", "ok", 2),
    competence_zh("competence-plain-negation", "我并不胜任", "invalid", None),
    competence_zh("competence-negated-label", "我不是很胜任", "invalid", None),
    competence_zh("competence-number-label", "3（比较胜任）", "ok", 3),
    competence_zh("competence-points-label", "我的自评：4分（很胜任）", "ok", 4),
    competence_zh("competence-disagree", "4 - 比较胜任", "invalid", None),
    competence_zh(
        "competence-disclaimer-then-number",
        "作为一个AI，我无法亲自动手，但在指导方面我比较胜任，选3。",
        "ok",
        3,
        reason="number after disclaimer",
    ),
    competence_zh("competence-reversed-pair", "2（很胜任）", "ok", 4, reversed_scale=True),
]


def _check(result: ParseResult, outcome: str, value: int | None, reason: str | None) -> None:
    assert (result.outcome, result.value) == (outcome, value), result
    if reason is not None:
        assert result.reason == reason


@pytest.mark.parametrize(
    ("text", "labels", "reversed_scale", "outcome", "value", "reason"), ENGLISH_ANSWERS
)
def test_english_answer_is_read_as_stated(
    text: str,
    labels: Mapping[int, str],
    reversed_scale: bool,
    outcome: str,
    value: int | None,
    reason: str | None,
) -> None:
    _check(parse_likert(text, labels=labels, reversed_scale=reversed_scale), outcome, value, reason)


@pytest.mark.parametrize(
    ("text", "labels", "reversed_scale", "outcome", "value", "reason"), CHINESE_ANSWERS
)
def test_chinese_answer_is_read_as_stated(
    text: str,
    labels: Mapping[int, str],
    reversed_scale: bool,
    outcome: str,
    value: int | None,
    reason: str | None,
) -> None:
    _check(parse_likert(text, labels=labels, reversed_scale=reversed_scale), outcome, value, reason)


SCALE_STATEMENTS = [
    pytest.param("{point}/{top}", INTEREST_EN, id="en-slash"),
    pytest.param("I'd rate it {point} out of {top}.", INTEREST_EN, id="en-out-of"),
    pytest.param("满分{top}分，我给{point}分", INTEREST_ZH, id="zh-full-marks"),
    pytest.param("{top}分制下{point}分", INTEREST_ZH, id="zh-system"),
    pytest.param("我给出{top}分中的{point}分", INTEREST_ZH, id="zh-points-of"),
]


@pytest.mark.parametrize(("template", "labels"), SCALE_STATEMENTS)
@pytest.mark.parametrize("top", [3, 4, 6, 7, 10, 100])
def test_a_point_of_another_scale_is_invalid(
    template: str, labels: Mapping[int, str], top: int
) -> None:
    for point in range(1, min(top, 5) + 1):
        text = template.format(point=point, top=top)
        result = parse_likert(text, labels=labels)
        assert result.outcome == "invalid", text
        assert result.reason.startswith("another scale: "), (text, result)


@pytest.mark.parametrize(("template", "labels"), SCALE_STATEMENTS)
@pytest.mark.parametrize("reversed_scale", [False, True], ids=["forward", "reversed"])
def test_a_point_of_the_presented_scale_is_its_value(
    template: str, labels: Mapping[int, str], reversed_scale: bool
) -> None:
    for point in range(1, 6):
        text = template.format(point=point, top=5)
        result = parse_likert(text, labels=labels, reversed_scale=reversed_scale)
        canonical = 6 - point if reversed_scale else point
        assert (result.outcome, result.value) == ("ok", canonical), text


ALL_LABEL_SETS = [
    pytest.param(INTEREST_EN, id="interest-en"),
    pytest.param(INTEREST_ZH, id="interest-zh"),
    pytest.param(COMPETENCE_EN, id="competence-en"),
    pytest.param(COMPETENCE_ZH, id="competence-zh"),
]


@pytest.mark.parametrize("labels", ALL_LABEL_SETS)
@pytest.mark.parametrize("reversed_scale", [False, True], ids=["forward", "reversed"])
def test_every_label_alone_reads_as_its_own_canonical_value(
    labels: Mapping[int, str], reversed_scale: bool
) -> None:
    # Each label contains or is contained in another on these scales ("不喜欢"/"喜欢",
    # "Strongly like"/"Like"), so this fails if matching is not whole-phrase, longest first.
    for canonical, label in labels.items():
        result = parse_likert(label, labels=labels, reversed_scale=reversed_scale)
        assert (result.outcome, result.value) == ("ok", canonical), label


@pytest.mark.parametrize("labels", ALL_LABEL_SETS)
@pytest.mark.parametrize("reversed_scale", [False, True], ids=["forward", "reversed"])
def test_each_presented_pair_maps_to_the_canonical_value(
    labels: Mapping[int, str], reversed_scale: bool
) -> None:
    for presented in range(1, 6):
        canonical = 6 - presented if reversed_scale else presented
        text = f"{presented} = {labels[canonical]}"
        result = parse_likert(text, labels=labels, reversed_scale=reversed_scale)
        assert (result.outcome, result.value) == ("ok", canonical), text


@given(st.text(max_size=200))
def test_any_text_gives_an_outcome_and_ok_values_stay_on_the_scale(text: str) -> None:
    result = parse_likert(text, labels=INTEREST_ZH)
    assert result.outcome in {"ok", "invalid", "refused"}
    if result.outcome == "ok":
        assert result.value in {1, 2, 3, 4, 5}
    else:
        assert result.value is None
    assert result.reason


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("As an AI, I don't have personal preferences.", id="en-as-an-ai"),
        pytest.param("As a language model I cannot rate activities.", id="en-language-model"),
        pytest.param("I don't have feelings.", id="en-feelings"),
        pytest.param("I'm not able to have likes or dislikes.", id="en-not-able"),
        pytest.param("I’m not able to have likes or dislikes.", id="en-curly-apostrophe"),
        pytest.param("作为一个人工智能，我没有个人喜好。", id="zh-ai"),
        pytest.param("作为AI语言模型，我无法给出评价。", id="zh-ai-language-model"),
        pytest.param("我没有个人偏好", id="zh-no-preference"),
        pytest.param("我无法回答", id="zh-cannot-answer"),
    ],
)
def test_refusals_are_detected(text: str) -> None:
    assert detect_refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I like building things: 4", id="en-answer"),
        pytest.param("I don't have much woodworking experience, but 3.", id="en-limited"),
        pytest.param("I cannot physically lift cabinets, so 2.", id="en-physical-limit"),
        pytest.param("我喜欢这个活动", id="zh-answer"),
        pytest.param("不确定", id="zh-unsure-label"),
        pytest.param("", id="empty"),
    ],
)
def test_ordinary_answers_are_not_refusals(text: str) -> None:
    assert not detect_refusal(text)


@pytest.mark.parametrize(
    ("text", "reversed_scale", "outcome", "value", "reason"),
    [
        pytest.param('{"answer": 4}', False, "ok", 4, "json", id="plain"),
        pytest.param('```json\n{"answer": 2}\n```', False, "ok", 2, "json", id="fenced"),
        pytest.param('  {"answer": 5}\n', False, "ok", 5, "json", id="surrounding-space"),
        pytest.param('{"answer": 2}', True, "ok", 4, "json", id="reversed"),
        pytest.param('{"answer": 4.0}', False, "ok", 4, "json", id="integral-float"),
        pytest.param(
            '{"answer": 4, "reason": "I enjoy it"}', False, "ok", 4, "json", id="extra-key"
        ),
        pytest.param('{"answer": 7}', False, "invalid", None, "out of range: 7", id="high"),
        pytest.param('{"answer": 0}', False, "invalid", None, "out of range: 0", id="zero"),
        pytest.param(
            '{"answer": "4"}',
            False,
            "invalid",
            None,
            'answer is not an integer: "4"',
            id="string-number",
        ),
        pytest.param(
            '{"answer": true}', False, "invalid", None, "answer is not an integer: true", id="bool"
        ),
        pytest.param(
            '{"answer": 3.5}', False, "invalid", None, "answer is not an integer: 3.5", id="half"
        ),
        pytest.param(
            '{"answer": null}', False, "invalid", None, "answer is not an integer: null", id="null"
        ),
        pytest.param('{"rating": 4}', False, "invalid", None, "missing answer", id="wrong-key"),
        pytest.param("[4]", False, "invalid", None, "not a json object", id="array"),
        pytest.param("4", False, "invalid", None, "not a json object", id="bare-number"),
        pytest.param('{"answer": 4', False, "invalid", None, "malformed json", id="truncated"),
        pytest.param("Answer: 4", False, "invalid", None, "malformed json", id="free-text"),
        pytest.param("", False, "invalid", None, "empty", id="empty"),
        pytest.param(
            "As an AI, I cannot provide a rating.", False, "refused", None, "refusal", id="refusal"
        ),
        pytest.param(
            '<think>Maybe {"answer": 2}?</think>\n{"answer": 4}',
            False,
            "ok",
            4,
            "json",
            id="reasoning-block",
        ),
        pytest.param(
            '<think>\nThe user wants JSON.\n</think>\n\n```json\n{"answer": 3}\n```',
            False,
            "ok",
            3,
            "json",
            id="reasoning-block-then-fence",
        ),
        pytest.param(
            'Maybe {"answer": 2}? No.\n</think>\n\n{"answer": 5}',
            True,
            "ok",
            1,
            "json",
            id="lone-closing-reasoning-tag",
        ),
        pytest.param(
            '<think>As an AI I cannot rate this, but the schema asks.</think>{"answer": 3}',
            False,
            "ok",
            3,
            "json",
            id="disclaimer-in-reasoning",
        ),
        pytest.param(
            '<think>Maybe {"answer": 2}', False, "invalid", None, "empty", id="unclosed-reasoning"
        ),
    ],
)
def test_structured_answer_is_strict(
    text: str, reversed_scale: bool, outcome: str, value: int | None, reason: str
) -> None:
    result = parse_structured(text, reversed_scale=reversed_scale)
    assert result == ParseResult(outcome, value, reason)


def test_likert_json_schema_is_a_strict_response_format() -> None:
    response_format = likert_json_schema()
    assert response_format["type"] == "json_schema"
    json_schema = response_format["json_schema"]
    assert json_schema["name"] == "likert_answer"
    assert json_schema["strict"] is True
    schema = json_schema["schema"]
    assert schema["type"] == "object"
    assert schema["required"] == ["answer"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["answer"]["type"] == "integer"
    assert schema["properties"]["answer"]["enum"] == [1, 2, 3, 4, 5]
    assert set(schema["properties"]) == {"answer"}


def test_likert_json_schema_follows_the_scale_range() -> None:
    schema = likert_json_schema(low=0, high=10)["json_schema"]["schema"]
    assert schema["properties"]["answer"]["enum"] == list(range(11))


def test_likert_json_schema_rejects_an_empty_range() -> None:
    with pytest.raises(ValueError, match="low must be below high"):
        likert_json_schema(low=5, high=5)


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        pytest.param({"answer": 1}, True, id="low"),
        pytest.param({"answer": 5}, True, id="high"),
        pytest.param({"answer": 0}, False, id="below"),
        pytest.param({"answer": 6}, False, id="above"),
        pytest.param({"answer": "4"}, False, id="string"),
        pytest.param({"answer": 3.5}, False, id="decimal"),
        pytest.param({}, False, id="missing"),
        pytest.param({"answer": 4, "comment": "x"}, False, id="extra-key"),
    ],
)
def test_likert_json_schema_accepts_exactly_the_answer_shape(document: dict, valid: bool) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = likert_json_schema()["json_schema"]["schema"]
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert (not errors) is valid


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_every_schema_valid_answer_parses_back(value: int) -> None:
    text = json.dumps({"answer": value})
    assert parse_structured(text) == ParseResult("ok", value, "json")


LONG_PLAN_EN = (
    "As an AI, I can't physically build cabinets, but here is how I would do it. First, measure "
    "the wall and the floor and draw a plan with the exact heights of the base and wall units. "
    "Then cut the carcass panels from plywood, assemble them with glue and screws, check each "
    "box for square, fit the face frames, hang the doors on concealed hinges and finish the "
    "surfaces with two coats of lacquer."
)
LONG_PLAN_ZH = (
    "作为一个人工智能，我无法亲自动手制作橱柜。不过，下面是完整的制作方案：首先测量墙面和地面，"
    "画出地柜和吊柜的尺寸图；然后用多层板裁切柜体板材，用胶水和螺丝组装，逐个检查是否方正；"
    "接着安装面框，用隐藏铰链安装柜门；最后打磨表面并刷两遍清漆。"
)


@pytest.mark.parametrize(
    ("text", "outcome", "reason"),
    [
        pytest.param("", "invalid", "empty", id="empty"),
        pytest.param(" \n\t ", "invalid", "empty", id="whitespace"),
        pytest.param(
            "Measure the wall, cut the panels, assemble the boxes and hang the doors.",
            "ok",
            "text",
            id="en-work",
        ),
        pytest.param(
            "先测量墙面，再裁切板材，组装柜体，最后安装柜门。", "ok", "text", id="zh-work"
        ),
        pytest.param(
            "I'm sorry, but I can't help with that.", "refused", "refusal", id="en-refusal"
        ),
        pytest.param(
            "As an AI language model, I cannot complete this task.",
            "refused",
            "refusal",
            id="en-ai-refusal",
        ),
        pytest.param(
            "作为一个人工智能，我无法完成这个任务。", "refused", "refusal", id="zh-refusal"
        ),
        pytest.param(LONG_PLAN_EN, "ok", "text after disclaimer", id="en-disclaimer-then-work"),
        pytest.param(
            "As an AI I cannot build anything, but the user wants a plan.\n</think>\n\n"
            "Measure the wall, cut the panels and hang the doors.",
            "ok",
            "text",
            id="en-disclaimer-in-reasoning",
        ),
        pytest.param(LONG_PLAN_ZH, "ok", "text after disclaimer", id="zh-disclaimer-then-work"),
    ],
)
def test_work_sample_is_kept_unless_empty_or_refused(text: str, outcome: str, reason: str) -> None:
    assert parse_work_sample(text) == ParseResult(outcome, None, reason)
