"""Reading a token-probability answer: hand-computed cases."""

from __future__ import annotations

import math

import pytest

from llmruns.parsing import parse_token_probabilities


def _log(pairs: dict[str, float]) -> list[tuple[str, float]]:
    return [(token, math.log(p)) for token, p in pairs.items()]


def test_variants_of_a_number_are_summed_and_renormalised_over_valid_options():
    # 0.3 + 0.1 on 4, 0.2 on 2, 0.2 on 5, 0.2 on words: valid mass 0.8.
    result = parse_token_probabilities(
        _log({"4": 0.3, " 4": 0.1, "2": 0.2, " 5\n": 0.2, "I": 0.15, "As": 0.05}),
        language="en",
    )
    assert result.outcome == "ok"
    assert result.valid_mass == pytest.approx(0.8)
    assert result.probabilities == pytest.approx({"1": 0, "2": 0.25, "3": 0, "4": 0.5, "5": 0.25})
    assert result.expected_value == pytest.approx(2 * 0.25 + 4 * 0.5 + 5 * 0.25)  # 3.75
    assert result.value == 4


def test_a_reversed_scale_maps_back_to_canonical_values():
    result = parse_token_probabilities(
        _log({"1": 0.6, "2": 0.4}), language="en", reversed_scale=True
    )
    assert result.probabilities == pytest.approx({"1": 0, "2": 0, "3": 0, "4": 0.4, "5": 0.6})
    assert result.value == 5 and result.expected_value == pytest.approx(4.6)


def test_chinese_numerals_count_only_in_a_chinese_prompt():
    tokens = _log({"三": 0.5, "3": 0.3, "5": 0.2})
    chinese = parse_token_probabilities(tokens, language="zh-hans")
    assert chinese.valid_mass == pytest.approx(1.0)
    assert chinese.probabilities["3"] == pytest.approx(0.8)
    english = parse_token_probabilities(tokens, language="en")
    assert english.valid_mass == pytest.approx(0.5)
    assert english.probabilities["3"] == pytest.approx(0.6)


def test_below_the_threshold_is_invalid_and_nothing_is_imputed():
    result = parse_token_probabilities(
        _log({"3": 0.3, "I": 0.7}), language="en", min_valid_mass=0.5
    )
    assert result.outcome == "invalid" and result.value is None
    assert result.expected_value is None
    assert result.valid_mass == pytest.approx(0.3)
    assert result.reason == "valid probability mass 0.300 below 0.5"


def test_ties_go_to_the_lower_value_and_out_of_scale_numbers_are_invalid_mass():
    result = parse_token_probabilities(_log({"2": 0.4, "4": 0.4, "7": 0.2}), language="en")
    assert result.value == 2 and result.valid_mass == pytest.approx(0.8)


def test_no_logprobs_or_no_scale_token():
    assert parse_token_probabilities(None, language="en").reason == "no logprobs in the response"
    nothing = parse_token_probabilities(_log({"Hello": 1.0}), language="en")
    assert nothing.outcome == "invalid" and nothing.valid_mass == 0.0
