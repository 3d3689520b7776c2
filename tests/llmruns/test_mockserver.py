"""The mock LLM server, driven through the real `openai` SDK over real HTTP on 127.0.0.1."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import mean

import httpx
import openai
import pytest
import yaml

from llmruns.mockserver import (
    DEFAULT_INSTRUMENT_PATH,
    REFUSALS,
    UNPARSEABLE_ANSWERS,
    MockConfig,
    MockLLMServer,
    analyse_prompt,
    estimate_tokens,
    max_requests_in_window,
    parse_arguments,
    profile_for,
)
from llmruns.mockserver.prompts import InstrumentCache
from llmruns.mockserver.respondent import WORK_SAMPLE_SENTENCES

REPO = Path(__file__).resolve().parents[2]

SCALE_LABELS = {
    "interest": {
        "en": ["Strongly dislike", "Dislike", "Unsure", "Like", "Strongly like"],
        "zh-hans": ["非常不喜欢", "不喜欢", "不确定", "喜欢", "非常喜欢"],
    },
    "competence": {
        "en": [
            "Not at all competent",
            "Slightly competent",
            "Moderately competent",
            "Very competent",
            "Highly competent",
        ],
        "zh-hans": ["完全不胜任", "略微胜任", "比较胜任", "很胜任", "非常胜任"],
    },
}

# (area, activity en, activity zh-hans): three per RIASEC area, worded like the OIP items.
ACTIVITIES = [
    ("R", "Build kitchen cabinets", "制作厨房橱柜"),
    ("R", "Repair household appliances", "修理家用电器"),
    ("R", "Lay brick or tile", "铺砖或瓷砖"),
    ("I", "Study the structure of the human body", "研究人体结构"),
    ("I", "Develop a new medicine", "研发新药"),
    ("I", "Study ways to reduce water pollution", "研究减少水污染的方法"),
    ("A", "Write books or plays", "写书或剧本"),
    ("A", "Play a musical instrument", "演奏乐器"),
    ("A", "Compose or arrange music", "作曲或编曲"),
    ("S", "Teach an individual an exercise routine", "教别人一套锻炼动作"),
    ("S", "Help people with personal or emotional problems", "帮助人们解决个人或情感问题"),
    ("S", "Give career guidance to people", "为人们提供职业指导"),
    ("E", "Buy and sell stocks and bonds", "买卖股票和债券"),
    ("E", "Manage a retail store", "管理一家零售店"),
    ("E", "Start your own business", "创办自己的企业"),
    ("C", "Develop a spreadsheet using computer software", "用电脑软件制作电子表格"),
    ("C", "Proofread records or forms", "校对记录或表格"),
    ("C", "Keep shipping and receiving records", "记录货物的收发"),
]


def task_text(activity: str, language: str) -> str:
    if language == "zh-hans":
        return f"请写出完成以下活动的具体方案：{activity}。"
    return f"Write a concrete plan for this activity: {activity.lower()}."


def render_scale(scale: str, language: str, *, reversed_scale: bool = False) -> str:
    labels = SCALE_LABELS[scale][language]
    presented = labels[::-1] if reversed_scale else labels
    return "\n".join(f"{number} = {label}" for number, label in enumerate(presented, start=1))


def interest_prompt(activity: str, language: str = "en", *, reversed_scale: bool = False) -> str:
    scale = render_scale("interest", language, reversed_scale=reversed_scale)
    if language == "zh-hans":
        return f"你有多喜欢以下活动：{activity}？\n\n{scale}\n\n请只回答一个选项。"
    return f"How much would you like to do this: {activity}?\n\n{scale}\n\nAnswer with one option."


def competence_prompt(activity: str, language: str = "en") -> str:
    scale = render_scale("competence", language)
    return f"How competent would you be at this: {activity}?\n\n{scale}\n\nAnswer with one option."


def work_sample_prompt(activity: str, language: str = "en") -> str:
    if language == "zh-hans":
        return f"请尽你所能完成下面的任务。\n\n任务：{task_text(activity, language)}"
    return (
        f"Please do the following task as well as you can.\n\nTask: {task_text(activity, language)}"
    )


def self_review_prompt(activity: str, response: str) -> str:
    labels = SCALE_LABELS["competence"]["en"]
    anchors = "\n".join(
        f"{number} = {label}: the work would be judged {label.lower()} by an expert."
        for number, label in enumerate(labels, start=1)
    )
    return (
        f"You were given this task: {task_text(activity, 'en')}\n\nYour answer was:\n"
        f"-----\n{response}\n-----\n\nRate your answer against these descriptions:\n{anchors}\n\n"
        f"{render_scale('competence', 'en')}\n\nAnswer with one option."
    )


def chosen_label(content: str, prompt: str) -> str:
    """The label of the option an answer picked, read in the numbering the prompt presented."""
    presented = dict(re.findall(r"^(\d+) = ([^:\n]+)$", prompt, flags=re.MULTILINE))
    number = re.search(r"\d+", content)
    if number is not None:
        return presented[number.group()]
    labels = [label for label in presented.values() if content.strip() == label]
    assert labels, f"no option in {content!r}"
    return labels[0]


def canonical_value(content: str, prompt: str, *, scale: str = "interest") -> int:
    label = chosen_label(content, prompt)
    for labels in SCALE_LABELS[scale].values():
        if label in labels:
            return labels.index(label) + 1
    raise AssertionError(f"{label!r} is not a label of the {scale} scale")


@pytest.fixture(scope="module")
def instrument_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small instrument file in the platform's format, independent of the real fixture."""
    items = [
        {
            "number": number,
            "area": area,
            "activity": {"en": english, "zh-hans": chinese},
            "task": {"en": task_text(english, "en"), "zh-hans": task_text(chinese, "zh-hans")},
        }
        for number, (area, english, chinese) in enumerate(ACTIVITIES, start=1)
    ]
    scales = [
        {
            "slug": slug,
            "points": [
                {"value": value, "label": {"en": english, "zh-hans": chinese}}
                for value, (english, chinese) in enumerate(
                    zip(labels["en"], labels["zh-hans"], strict=True), start=1
                )
            ],
        }
        for slug, labels in SCALE_LABELS.items()
    ]
    path = tmp_path_factory.mktemp("instrument") / "oip_short_form.yaml"
    document = {"instrument": {"slug": "oip-sf"}, "scales": scales, "items": items}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def server(instrument_path: Path) -> Iterator[MockLLMServer]:
    with MockLLMServer(MockConfig(), instrument_path=instrument_path) as running:
        yield running


@pytest.fixture(scope="module")
def sdk_client() -> Iterator[openai.OpenAI]:
    # Building an SDK client costs a few hundred ms (TLS setup); tests derive theirs from one.
    with openai.OpenAI(base_url="http://127.0.0.1:1/v1", api_key="test-key") as shared:
        yield shared


@pytest.fixture
def make_client(server: MockLLMServer, sdk_client: openai.OpenAI) -> Callable[..., openai.OpenAI]:
    def make(**options: object) -> openai.OpenAI:
        settings: dict = {"base_url": server.base_url, "max_retries": 0}
        return sdk_client.with_options(**{**settings, **options})

    return make


@pytest.fixture
def client(make_client: Callable[..., openai.OpenAI]) -> openai.OpenAI:
    return make_client()


def ask(client: openai.OpenAI, prompt: str, *, model: str = "mock-alpha", **parameters: object):
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], **parameters
    )


def answer(client: openai.OpenAI, prompt: str, **parameters: object) -> str:
    content = ask(client, prompt, **parameters).choices[0].message.content
    assert content is not None
    return content


# -- answers ------------------------------------------------------------------------------------


def test_interest_answer_names_an_option_of_the_presented_scale(client: openai.OpenAI) -> None:
    prompt = interest_prompt("Write books or plays")
    raw = client.chat.completions.with_raw_response.create(
        model="mock-alpha",
        messages=[
            {"role": "system", "content": "You are taking part in a survey."},
            {"role": "user", "content": prompt},
        ],
    )
    completion = raw.parse()
    assert raw.headers["x-mock-llm"] == "true"
    assert completion.object == "chat.completion"
    assert completion.model == "mock-alpha"
    assert completion.system_fingerprint == "mock"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert 1 <= canonical_value(completion.choices[0].message.content, prompt) <= 5
    usage = completion.usage
    assert usage.prompt_tokens > 10
    assert usage.completion_tokens >= 1
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_every_answer_form_is_an_option_of_the_scale(client: openai.OpenAI) -> None:
    prompt = interest_prompt("Play a musical instrument")
    contents = [answer(client, prompt, seed=seed) for seed in range(40)]
    for content in contents:
        assert 1 <= canonical_value(content, prompt) <= 5
    bare_numbers = [content for content in contents if re.fullmatch(r"\d", content)]
    labels_alone = [content for content in contents if not re.search(r"\d", content)]
    sentences = [content for content in contents if content.startswith("I'd choose")]
    assert bare_numbers and labels_alone and sentences  # varied, as real models are


def test_reversed_scale_is_answered_with_the_number_of_the_same_label(
    client: openai.OpenAI,
) -> None:
    for _area, activity, _chinese in ACTIVITIES:
        normal = interest_prompt(activity)
        reversed_prompt = interest_prompt(activity, reversed_scale=True)
        normal_answer = answer(client, normal, temperature=0)
        reversed_answer = answer(client, reversed_prompt, temperature=0)
        assert chosen_label(normal_answer, normal) == chosen_label(reversed_answer, reversed_prompt)
    # mock-alpha likes helping people: on the reversed scale that is a low number.
    prompt = interest_prompt("Help people with personal or emotional problems", reversed_scale=True)
    content = answer(client, prompt, temperature=0, response_format={"type": "json_object"})
    assert json.loads(content)["answer"] <= 2


def test_json_schema_response_format_answers_with_an_answer_object(client: openai.OpenAI) -> None:
    schema = {
        "name": "answer",
        "schema": {
            "type": "object",
            "properties": {"answer": {"type": "integer", "minimum": 1, "maximum": 5}},
            "required": ["answer"],
        },
    }
    prompt = interest_prompt("Manage a retail store", reversed_scale=True)
    content = answer(
        client, prompt, response_format={"type": "json_schema", "json_schema": schema}, seed=3
    )
    value = json.loads(content)["answer"]
    assert isinstance(value, int)
    assert 1 <= value <= 5
    assert chosen_label(str(value), prompt) in SCALE_LABELS["interest"]["en"]


def test_chinese_prompt_is_answered_in_chinese(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    prompt = interest_prompt("帮助人们解决个人或情感问题", "zh-hans")
    contents = [answer(client, prompt, seed=seed) for seed in range(20)]
    for content in contents:
        assert not re.search(r"[A-Za-z]", content)
        assert 1 <= canonical_value(content, prompt) <= 5
    assert any(re.search(r"[\u4e00-\u9fff]", content) for content in contents)
    assert {record.language for record in server.request_log()} == {"zh-hans"}


def test_prompt_kind_area_and_language_are_recognised(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    ask(client, interest_prompt("Lay brick or tile"))
    ask(client, competence_prompt("Develop a new medicine"))
    sample = answer(client, work_sample_prompt("Compose or arrange music"))
    ask(client, self_review_prompt("Compose or arrange music", sample))
    ask(client, work_sample_prompt("管理一家零售店", "zh-hans"))
    seen = [(record.kind, record.area, record.language) for record in server.request_log()]
    assert seen == [
        ("interest", "R", "en"),
        ("self_competence", "I", "en"),
        ("work_sample", "A", "en"),
        ("self_review", "A", "en"),
        ("work_sample", "E", "zh-hans"),
    ]


def test_self_review_answers_on_the_competence_scale(client: openai.OpenAI) -> None:
    prompt = self_review_prompt("Proofread records or forms", "1 = 2, that is my whole answer.")
    for seed in range(10):
        content = answer(client, prompt, seed=seed)
        assert 1 <= canonical_value(content, prompt, scale="competence") <= 5


def test_built_in_profiles_differ_in_their_interests(client: openai.OpenAI) -> None:
    def mean_interest(model: str, area: str) -> float:
        values = [
            canonical_value(
                answer(client, interest_prompt(activity), model=model, seed=seed),
                interest_prompt(activity),
            )
            for item_area, activity, _chinese in ACTIVITIES
            if item_area == area
            for seed in range(8)
        ]
        return mean(values)

    assert mean_interest("mock-alpha", "S") > mean_interest("mock-beta", "S") + 1.0
    assert mean_interest("mock-beta", "I") > mean_interest("mock-alpha", "I") + 0.5
    assert mean_interest("mock-alpha", "R") < 2.5


def test_mock_alpha_rates_itself_below_its_competence_where_it_likes_the_work(
    client: openai.OpenAI,
) -> None:
    social = [activity for area, activity, _chinese in ACTIVITIES if area == "S"]
    values = [
        canonical_value(
            answer(client, competence_prompt(activity), seed=seed),
            competence_prompt(activity),
            scale="competence",
        )
        for activity in social
        for seed in range(8)
    ]
    assert mean(values) < profile_for("mock-alpha").competence["S"] - 0.4


def test_unknown_model_names_get_a_stable_profile_from_the_name_and_seed() -> None:
    assert profile_for("some-endpoint-model") == profile_for("some-endpoint-model")
    assert profile_for("some-endpoint-model") != profile_for("another-model")
    assert profile_for("some-endpoint-model", seed=1) != profile_for("some-endpoint-model")
    assert all(1.0 <= value <= 5.0 for value in profile_for("x").interest.values())


def test_temperature_zero_gives_the_same_answer_every_time(client: openai.OpenAI) -> None:
    prompt = work_sample_prompt("Start your own business")
    answers = {answer(client, prompt, temperature=0) for _ in range(5)}
    assert len(answers) == 1


def test_same_seed_gives_the_same_answer_and_no_seed_varies(client: openai.OpenAI) -> None:
    prompt = work_sample_prompt("Develop a spreadsheet using computer software")
    assert len({answer(client, prompt, seed=7, temperature=1.0) for _ in range(5)}) == 1
    assert len({answer(client, prompt, temperature=1.0) for _ in range(10)}) > 1


def test_max_tokens_truncates_the_answer_and_reports_length(client: openai.OpenAI) -> None:
    prompt = work_sample_prompt("Repair household appliances")
    full = answer(client, prompt, temperature=0)
    short = ask(client, prompt, temperature=0, max_tokens=5)
    content = short.choices[0].message.content
    assert short.choices[0].finish_reason == "length"
    assert short.usage.completion_tokens <= 5
    assert content and full.startswith(content) and len(content) < len(full)


def test_n_asks_for_several_choices(client: openai.OpenAI) -> None:
    completion = ask(client, interest_prompt("Write books or plays"), n=3)
    assert [choice.index for choice in completion.choices] == [0, 1, 2]


def test_work_sample_is_text_about_the_task_in_the_prompt_language(client: openai.OpenAI) -> None:
    english = answer(client, work_sample_prompt("Give career guidance to people"), seed=1)
    assert "Give career guidance to people" in english
    assert len(english.split()) > 15
    chinese = answer(client, work_sample_prompt("为人们提供职业指导", "zh-hans"), seed=1)
    assert "为人们提供职业指导" in chinese
    assert not re.search(r"[A-Za-z]{4,}", chinese.replace("MockGPT", ""))


def test_some_work_samples_identify_the_model_for_redaction_to_remove(
    client: openai.OpenAI,
) -> None:
    prompt = work_sample_prompt("Keep shipping and receiving records")
    samples = [answer(client, prompt, seed=seed) for seed in range(80)]
    identifying = [sample for sample in samples if "MockGPT" in sample]
    assert 1 <= len(identifying) <= 24  # about one in ten


def test_work_sample_wording_follows_the_competence_profile(client: openai.OpenAI) -> None:
    careful = WORK_SAMPLE_SENTENCES["en"]["high"]

    def careful_share(model: str) -> float:
        samples = [
            answer(client, work_sample_prompt(activity), model=model, seed=seed)
            for area, activity, _chinese in ACTIVITIES
            if area == "A"
            for seed in range(8)
        ]
        return mean(any(sentence in sample for sentence in careful) for sample in samples)

    # mock-alpha is far more competent at artistic work than mock-beta.
    assert careful_share("mock-alpha") > careful_share("mock-beta") + 0.3


def test_without_the_instrument_file_prompts_are_still_answered_consistently(
    tmp_path: Path, sdk_client: openai.OpenAI
) -> None:
    with MockLLMServer(instrument_path=tmp_path / "missing.yaml") as bare_server:
        bare_client = sdk_client.with_options(base_url=bare_server.base_url, max_retries=0)
        for _area, activity, _chinese in ACTIVITIES[:6]:
            normal = interest_prompt(activity)
            reversed_prompt = interest_prompt(activity, reversed_scale=True)
            assert chosen_label(answer(bare_client, normal, temperature=0), normal) == chosen_label(
                answer(bare_client, reversed_prompt, temperature=0), reversed_prompt
            )
        assert {record.kind for record in bare_server.request_log()} == {"interest"}
        assert all(record.area in "RIASEC" for record in bare_server.request_log())


@pytest.mark.skipif(
    not DEFAULT_INSTRUMENT_PATH.exists(), reason="the instrument data file is not there yet"
)
def test_every_rendering_of_the_instrument_file_is_read_correctly() -> None:
    document = yaml.safe_load(DEFAULT_INSTRUMENT_PATH.read_text(encoding="utf-8"))
    index = InstrumentCache(DEFAULT_INSTRUMENT_PATH).get()
    points = {scale["slug"]: scale["points"] for scale in document["scales"]}

    def scale_lines(slug: str, language: str, *, reversed_scale: bool) -> str:
        labels = [point["label"][language] for point in points[slug]]
        labels = labels[::-1] if reversed_scale else labels
        return "\n".join(f"{number} = {label}" for number, label in enumerate(labels, start=1))

    for template, item, language, reversed_scale in itertools.product(
        document["templates"], document["items"], ("en", "zh-hans"), (False, True)
    ):
        slug = "interest" if template["kind"] == "interest" else "competence"
        anchors = "\n".join(
            f"{point['value']} = {point['label'][language]}: {point['description'][language]}"
            for point in points["competence"]
        )
        user = template["user"][language].format(
            activity=item["activity"][language],
            task=item["task"][language],
            scale=scale_lines(slug, language, reversed_scale=reversed_scale),
            anchors=anchors,
            response="1 = Strongly like\n-----\nA response that quotes a scale.",
        )
        analysis = analyse_prompt(f"{template['system'][language]}\n{user}", index=index)
        where = (template["kind"], template["variant"], item["number"], language)
        assert (analysis.kind, analysis.area, analysis.language) == (
            template["kind"],
            item["area"],
            language,
        ), where
        assert analysis.activity == item["activity"][language], where
        if template["kind"] != "work_sample":
            expected = {value: 6 - value if reversed_scale else value for value in range(1, 6)}
            assert {value: shown[0] for value, shown in analysis.presented.items()} == expected


# -- faults -------------------------------------------------------------------------------------


def test_injected_429_raises_rate_limit_error_with_retry_after(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    server.set_config(MockConfig(rate_429=1.0, retry_after_s=1.5))
    with pytest.raises(openai.RateLimitError) as raised:
        ask(client, interest_prompt("Lay brick or tile"))
    assert raised.value.response.headers["retry-after"] == "2"
    assert raised.value.response.headers["retry-after-ms"] == "1500"
    assert raised.value.response.headers["x-mock-llm"] == "true"
    assert raised.value.code == "rate_limit_exceeded"
    assert set(raised.value.response.json()["error"]) >= {"message", "type", "code"}
    assert server.request_log()[-1].outcome == "429"


def test_injected_500_raises_internal_server_error(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    server.set_config(MockConfig(rate_500=1.0))
    with pytest.raises(openai.InternalServerError) as raised:
        ask(client, interest_prompt("Lay brick or tile"))
    assert raised.value.status_code == 500
    assert raised.value.type == "server_error"


def test_injected_hang_raises_timeout_error_on_a_short_client_timeout(
    make_client: Callable[..., openai.OpenAI], server: MockLLMServer
) -> None:
    server.set_config(MockConfig(rate_timeout=1.0, timeout_hang_s=1.0))
    with pytest.raises(openai.APITimeoutError):
        ask(make_client(timeout=0.3), interest_prompt("Lay brick or tile"))
    assert [(record.status, record.outcome) for record in server.request_log()] == [(0, "timeout")]


def test_hang_ends_with_a_closed_connection_not_an_answer(
    make_client: Callable[..., openai.OpenAI], server: MockLLMServer
) -> None:
    server.set_config(MockConfig(rate_timeout=1.0, timeout_hang_s=0.2))
    with pytest.raises(openai.APIConnectionError):
        ask(make_client(timeout=5.0), interest_prompt("Lay brick or tile"))


@pytest.mark.parametrize("fault", ["malformed", "truncated"])
def test_broken_body_surfaces_as_a_json_decode_error_from_the_sdk(
    client: openai.OpenAI, server: MockLLMServer, fault: str
) -> None:
    # The SDK reads a 200 with a JSON content type through response.json() and does not wrap
    # the failure, so callers meet the bare json.JSONDecodeError.
    server.set_config(MockConfig(**{f"rate_{fault}": 1.0}))
    with pytest.raises(json.JSONDecodeError):
        ask(client, interest_prompt("Lay brick or tile"))
    assert server.request_log()[-1].outcome == fault


def test_truncated_body_has_an_honest_content_length(server: MockLLMServer) -> None:
    server.set_config(MockConfig(rate_truncated=1.0))
    payload = {"model": "mock-alpha", "messages": [{"role": "user", "content": "Hello"}]}
    response = httpx.post(f"{server.base_url}/chat/completions", json=payload)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content.startswith(b'{"id": "chatcmpl-mock')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_refusals_are_in_the_prompt_language(client: openai.OpenAI, server: MockLLMServer) -> None:
    server.set_config(MockConfig(rate_refusal=1.0))
    assert answer(client, interest_prompt("Lay brick or tile")) == REFUSALS["interest"]["en"]
    chinese = answer(client, interest_prompt("铺砖或瓷砖", "zh-hans"))
    assert chinese == "作为一个人工智能，我没有个人喜好。"


def test_refusal_under_structured_outputs_uses_the_refusal_field(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    server.set_config(MockConfig(rate_refusal=1.0))
    completion = ask(
        client, interest_prompt("Lay brick or tile"), response_format={"type": "json_object"}
    )
    assert completion.choices[0].message.content is None
    assert completion.choices[0].message.refusal == REFUSALS["interest"]["en"]


def test_content_filter_stops_the_answer_part_way_as_providers_report_it(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    server.set_config(MockConfig(rate_content_filter=1.0))
    completion = ask(client, work_sample_prompt("Build kitchen cabinets"))
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.message.content  # what was written before the filter stopped it
    assert completion.usage.completion_tokens == estimate_tokens(choice.message.content)
    assert server.request_log()[-1].outcome == "content_filter"


def test_unparseable_answer_has_no_number_and_no_label(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    server.set_config(MockConfig(rate_unparseable=1.0))
    for language, activity in (("en", "Lay brick or tile"), ("zh-hans", "铺砖或瓷砖")):
        content = answer(client, interest_prompt(activity, language))
        assert content == UNPARSEABLE_ANSWERS[language]
        assert not re.search(r"\d", content)
        labels = SCALE_LABELS["interest"][language] + SCALE_LABELS["competence"][language]
        assert not any(label.casefold() in content.casefold() for label in labels)


def test_own_rate_limit_refuses_requests_beyond_it(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    server.set_config(MockConfig(rate_limit_per_minute=3))
    for _ in range(3):
        ask(client, interest_prompt("Lay brick or tile"))
    with pytest.raises(openai.RateLimitError) as raised:
        ask(client, interest_prompt("Lay brick or tile"))
    headers = raised.value.response.headers
    assert 50_000 < int(headers["retry-after-ms"]) <= 60_000  # until the first leaves the window
    assert headers["x-ratelimit-remaining-requests"] == "0"
    outcomes = [record.outcome for record in server.request_log()]
    assert outcomes == ["ok", "ok", "ok", "rate_limited"]


def test_wrong_api_key_gets_401_in_openai_error_shape(
    make_client: Callable[..., openai.OpenAI], server: MockLLMServer
) -> None:
    server.set_config(MockConfig(api_key="right-key"))
    with pytest.raises(openai.AuthenticationError) as raised:
        ask(make_client(api_key="wrong-key"), interest_prompt("Lay brick or tile"))
    assert raised.value.code == "invalid_api_key"
    assert raised.value.type == "invalid_request_error"
    with pytest.raises(openai.AuthenticationError):
        make_client(api_key="wrong-key").models.list()
    assert ask(make_client(api_key="right-key"), interest_prompt("Lay brick or tile")).choices


def test_set_config_changes_faults_of_the_running_server(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    server.config = MockConfig(rate_500=1.0)
    with pytest.raises(openai.InternalServerError):
        ask(client, interest_prompt("Lay brick or tile"))
    server.set_config(MockConfig())
    assert server.config.rate_500 == 0.0
    assert ask(client, interest_prompt("Lay brick or tile")).choices


def test_fault_draws_follow_the_rates_and_repeat_with_the_seed() -> None:
    config = MockConfig(rate_429=0.3, rate_500=0.2, rate_refusal=0.1, seed=5)
    payload = {"model": "mock-beta", "messages": [{"role": "user", "content": "Hello"}]}

    def outcomes() -> list[str]:
        with MockLLMServer(config) as seeded, httpx.Client(base_url=seeded.base_url) as http:
            for _ in range(200):
                http.post("/chat/completions", json=payload)
            return [record.outcome for record in seeded.request_log()]

    first = outcomes()
    assert first == outcomes()
    shares = {outcome: first.count(outcome) / len(first) for outcome in set(first)}
    assert 0.2 < shares["429"] < 0.4
    assert 0.12 < shares["500"] < 0.28
    assert 0.04 < shares["refusal"] < 0.17
    assert 0.28 < shares["ok"] < 0.52


def test_latency_delays_each_answer(client: openai.OpenAI, server: MockLLMServer) -> None:
    server.set_config(MockConfig(latency_ms=150))
    started = time.monotonic()
    ask(client, interest_prompt("Lay brick or tile"))
    assert time.monotonic() - started >= 0.15


def test_fault_rates_that_cannot_be_probabilities_are_rejected() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        MockConfig(rate_429=0.6, rate_500=0.6)
    with pytest.raises(ValueError, match="rate_timeout"):
        MockConfig(rate_timeout=-0.1)


# -- routes -------------------------------------------------------------------------------------


def test_models_lists_the_profiles_and_every_model_asked_for(client: openai.OpenAI) -> None:
    ask(client, interest_prompt("Lay brick or tile"), model="endpoint-under-test")
    models = client.models.list()
    names = [model.id for model in models.data]
    assert names[:3] == ["mock-alpha", "mock-beta", "mock-gamma"]
    assert "endpoint-under-test" in names
    assert {model.owned_by for model in models.data} == {"mock"}


def test_unknown_path_is_a_404_in_openai_error_shape(server: MockLLMServer) -> None:
    response = httpx.get(f"{server.base_url}/embeddings")
    assert response.status_code == 404
    assert response.headers["x-mock-llm"] == "true"
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_bad_json_body_is_a_400(server: MockLLMServer) -> None:
    response = httpx.post(
        f"{server.base_url}/chat/completions",
        content=b'{"model": "mock-alpha", "messages": [',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    missing = httpx.post(f"{server.base_url}/chat/completions", json={"model": "mock-alpha"})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "messages"
    assert [record.status for record in server.request_log()] == [400, 400]


# -- the log ------------------------------------------------------------------------------------


def test_max_requests_in_any_window_counts_the_busiest_window(
    client: openai.OpenAI, server: MockLLMServer
) -> None:
    for _ in range(3):
        ask(client, interest_prompt("Lay brick or tile"))
    time.sleep(0.5)
    client.models.list()
    ask(client, interest_prompt("Lay brick or tile"))
    assert server.max_requests_in_any_window(0.25) == 3
    assert server.max_requests_in_any_window(60.0) == 5
    assert server.max_requests_in_any_window(60.0, path="/v1/models") == 1
    server.reset_log()
    assert server.request_log() == []
    assert server.max_requests_in_any_window() == 0


def test_window_count_treats_requests_a_full_window_apart_as_separate() -> None:
    assert max_requests_in_window([0.0, 1.0, 2.0, 3.0], window_s=1.0) == 1
    assert max_requests_in_window([3.0, 0.0, 0.5, 0.9, 1.4], window_s=1.0) == 3
    assert max_requests_in_window([], window_s=60.0) == 0


# -- command line -------------------------------------------------------------------------------


def test_command_line_serves_with_the_faults_it_was_given(sdk_client: openai.OpenAI) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "llmruns.mockserver", "--port", "0", "--rate-500", "1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = re.search(r"http://\S+/v1", line)
        assert base_url, line
        cli_client = sdk_client.with_options(base_url=base_url.group(), max_retries=0)
        with pytest.raises(openai.InternalServerError):
            ask(cli_client, interest_prompt("Lay brick or tile"))
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0  # SIGTERM stops it cleanly


def test_command_line_rejects_impossible_fault_rates() -> None:
    config, host, port = parse_arguments(["--port", "9000", "--rate-429", "0.1", "--seed", "4"])
    assert (config.rate_429, config.seed, host, port) == (0.1, 4, "127.0.0.1", 9000)
    with pytest.raises(SystemExit):
        parse_arguments(["--rate-429", "0.7", "--rate-500", "0.7"])
