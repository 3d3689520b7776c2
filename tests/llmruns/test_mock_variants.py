"""Mock model variants over real HTTP through the `openai` SDK: logprobs that are the configured
answer distribution, rejected parameters as OpenAI words them, reasoning fields, and the
acquiescent and direction-flipping respondent styles."""

from __future__ import annotations

import math

import openai
import pytest

from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.mockserver.variants import variant_for
from tests.llmruns.test_mockserver import (  # noqa: F401 (fixtures)
    ACTIVITIES,
    canonical_value,
    instrument_path,
    interest_prompt,
    sdk_client,
)

DISTRIBUTION = [0.1, 0.2, 0.3, 0.25, 0.15]


@pytest.fixture
def server(instrument_path) -> MockLLMServer:  # noqa: F811
    config = MockConfig(answer_distributions={"mock-alpha": {"*": DISTRIBUTION}})
    with MockLLMServer(config, instrument_path=instrument_path) as running:
        yield running


@pytest.fixture
def client(server, sdk_client) -> openai.OpenAI:  # noqa: F811
    return sdk_client.with_options(base_url=server.base_url, max_retries=0)


def _ask(client, prompt: str, model: str = "mock-alpha", **parameters):
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], **parameters
    )


def _token_probabilities(completion) -> dict[str, float]:
    top = completion.choices[0].logprobs.content[0].top_logprobs
    return {entry.token: math.exp(entry.logprob) for entry in top}


def test_logprobs_are_the_configured_distribution_in_the_presented_numbering(client):
    activity = ACTIVITIES[0][1]
    for reversed_scale in (False, True):
        prompt = interest_prompt(activity, reversed_scale=reversed_scale)
        completion = _ask(client, prompt, logprobs=True, top_logprobs=20, max_tokens=1)
        probabilities = _token_probabilities(completion)
        for value, expected in enumerate(DISTRIBUTION, start=1):
            shown = 6 - value if reversed_scale else value
            mass = probabilities.get(str(shown), 0) + probabilities.get(f" {shown}", 0)
            assert mass == pytest.approx(0.98 * expected, abs=1e-9)
        assert completion.choices[0].message.content in probabilities


def test_verbal_answers_are_drawn_from_the_configured_distribution(client):
    prompt = interest_prompt(ACTIVITIES[1][1])
    values = [
        canonical_value(_ask(client, prompt, seed=seed).choices[0].message.content, prompt)
        for seed in range(400)
    ]
    for value, expected in enumerate(DISTRIBUTION, start=1):
        assert values.count(value) / len(values) == pytest.approx(expected, abs=0.07)


def test_acquiescent_style_answers_one_higher_than_its_base_capped_at_five(client):
    for activity in [entry[1] for entry in ACTIVITIES[:4]]:
        for reversed_scale in (False, True):
            prompt = interest_prompt(activity, reversed_scale=reversed_scale)
            for seed in range(5):
                base = canonical_value(
                    _ask(client, prompt, "mock-gamma", seed=seed).choices[0].message.content,
                    prompt,
                )
                raised = canonical_value(
                    _ask(client, prompt, "mock-gamma+acquiescent", seed=seed)
                    .choices[0]
                    .message.content,
                    prompt,
                )
                assert raised == min(5, base + 1)


def test_direction_flipping_style_ignores_the_reversal(client):
    activity = ACTIVITIES[2][1]
    for seed in range(8):
        normal = interest_prompt(activity)
        reversed_prompt = interest_prompt(activity, reversed_scale=True)
        base_normal = canonical_value(
            _ask(client, normal, "mock-gamma", seed=seed).choices[0].message.content, normal
        )
        flip_normal = canonical_value(
            _ask(client, normal, "mock-gamma+flip", seed=seed).choices[0].message.content, normal
        )
        base_reversed = canonical_value(
            _ask(client, reversed_prompt, "mock-gamma", seed=seed).choices[0].message.content,
            reversed_prompt,
        )
        flip_reversed = canonical_value(
            _ask(client, reversed_prompt, "mock-gamma+flip", seed=seed).choices[0].message.content,
            reversed_prompt,
        )
        assert flip_normal == base_normal  # the normal direction is unaffected
        assert flip_reversed == 6 - base_reversed  # reversed: the answer lands mirrored


def test_rejections_are_400s_worded_like_openai(client):
    prompt = interest_prompt(ACTIVITIES[0][1])
    schema = {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object"}}}
    cases = [
        ("mock-nojson", {"response_format": schema}, "response_format"),
        ("mock-reasoner", {"temperature": 0.5, "max_completion_tokens": 5}, "temperature"),
        ("mock-reasoner", {"top_p": 0.5, "max_completion_tokens": 5}, "top_p"),
        ("mock-reasoner", {"max_tokens": 5}, "max_tokens"),
        ("mock-reasoner", {"logprobs": True, "max_completion_tokens": 5}, "logprobs"),
        ("mock-alpha+noseed", {"seed": 3}, "seed"),
    ]
    for model, parameters, param in cases:
        with pytest.raises(openai.BadRequestError) as raised:
            _ask(client, prompt, model, **parameters)
        assert raised.value.status_code == 400
        assert raised.value.body["param"] == param
        assert f"'{param}'" in raised.value.body["message"]
    # What the variant accepts still works.
    assert _ask(client, prompt, "mock-reasoner", max_completion_tokens=50).choices


def test_reasoning_arrives_apart_with_its_tokens(client, server):
    server.set_config(MockConfig(answer_distributions={"mock-reasoner": {"*": [0, 1, 0, 0, 0]}}))
    prompt = interest_prompt(ACTIVITIES[0][1])
    completion = _ask(client, prompt, "mock-reasoner", max_completion_tokens=50)
    message = completion.model_dump()["choices"][0]["message"]
    assert "answer 5" in message["reasoning_content"]
    assert canonical_value(message["content"], prompt) == 2
    details = completion.usage.completion_tokens_details
    assert 0 < details.reasoning_tokens < completion.usage.completion_tokens
    other = _ask(client, prompt, "mock-reasoning-field").model_dump()["choices"][0]["message"]
    assert "reasoning" in other and "reasoning_content" not in other


def test_variant_names():
    assert variant_for("mock-alpha").traits == frozenset()
    assert variant_for("mock-beta+flip+acquiescent").base == "mock-beta"
    assert variant_for("mock-beta+flip+acquiescent").traits == {"flip", "acquiescent"}
    assert variant_for("my+model").base == "my+model"  # not a trait: part of the name
    assert variant_for("mock-reasoner").reasoning_field == "reasoning_content"


def test_a_bad_distribution_is_refused():
    with pytest.raises(ValueError, match="five non-negative probabilities"):
        MockConfig(answer_distributions={"m": {"1": [0.5, 0.5]}})


def test_top_logprobs_is_validated_as_openai_does(client):
    prompt = interest_prompt(ACTIVITIES[0][1])
    for parameters in ({"top_logprobs": 21, "logprobs": True}, {"top_logprobs": 5}):
        with pytest.raises(openai.BadRequestError) as raised:
            _ask(client, prompt, **parameters)
        assert raised.value.body["param"] == "top_logprobs"
