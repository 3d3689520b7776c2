"""Endpoint capabilities: the probe over HTTP per mock variant, the pre-flight check of a run,
the verbal fallback, and reasoning models (reasoning kept apart, never parsed, and priced)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from llmruns.mockserver import MockConfig
from llmruns.models import Attempt, ModelEndpoint, Run, Trial, TrialStatus
from llmruns.services import run_create
from llmruns.services.capabilities import endpoint_probe
from tests.llmruns.test_methods import _endpoint, _execute_all, _remove_items_above, _spec

EVERYTHING = {
    "max_tokens": True,
    "max_completion_tokens": True,
    "system_role": True,
    "temperature": True,
    "top_p": True,
    "seed": True,
    "json_schema": True,
    "logprobs": True,
}


def _supported(endpoint: ModelEndpoint) -> dict[str, bool]:
    return {name: result["supported"] for name, result in endpoint.capabilities["results"].items()}


@pytest.mark.django_db
def test_probe_of_a_full_featured_mock_model(mock_llm):
    endpoint = endpoint_probe(endpoint=_endpoint(mock_llm, "mock-alpha"))
    assert _supported(endpoint) == EVERYTHING
    assert endpoint.supports_logprobs and endpoint.supports_json_schema
    assert endpoint.token_limit_param == "max_tokens"
    assert endpoint.probed_at is not None


@pytest.mark.django_db
def test_probe_finds_a_model_without_structured_outputs(mock_llm):
    endpoint = endpoint_probe(endpoint=_endpoint(mock_llm, "mock-nojson"))
    assert _supported(endpoint) == {**EVERYTHING, "json_schema": False}
    assert not endpoint.supports_json_schema and endpoint.supports_logprobs
    result = endpoint.capabilities["results"]["json_schema"]
    assert result["status"] == 400
    assert "'response_format' of type 'json_schema' is not supported" in result["error"]


@pytest.mark.django_db
def test_probe_finds_a_reasoning_model_and_its_token_parameter(mock_llm):
    endpoint = endpoint_probe(endpoint=_endpoint(mock_llm, "mock-reasoner"))
    assert _supported(endpoint) == {
        **EVERYTHING,
        "max_tokens": False,
        "temperature": False,
        "top_p": False,
        "logprobs": False,
    }
    assert endpoint.token_limit_param == "max_completion_tokens"
    assert not endpoint.accepts_temperature and not endpoint.accepts_top_p
    assert (
        "Use 'max_completion_tokens' instead"
        in (endpoint.capabilities["results"]["max_tokens"]["error"])
    )
    assert (
        "'temperature' is not supported" in endpoint.capabilities["results"]["temperature"]["error"]
    )


@pytest.mark.django_db
def test_probe_finds_a_server_that_ignores_logprobs(mock_llm):
    endpoint = endpoint_probe(endpoint=_endpoint(mock_llm, "mock-nologprobs"))
    assert _supported(endpoint) == {**EVERYTHING, "logprobs": False}
    assert "accepted but not honoured" in endpoint.capabilities["results"]["logprobs"]["error"]


@pytest.mark.django_db
def test_probe_finds_rejected_system_role_and_seed(mock_llm):
    endpoint = endpoint_probe(endpoint=_endpoint(mock_llm, "mock-alpha+nosystem+noseed"))
    assert _supported(endpoint) == {**EVERYTHING, "system_role": False, "seed": False}
    assert not endpoint.supports_system_role and not endpoint.supports_seed


@pytest.mark.django_db
def test_probe_of_an_unreachable_endpoint_keeps_the_flags_and_says_why(mock_llm):
    endpoint = _endpoint(mock_llm, "mock-alpha", supports_json_schema=True, timeout_seconds=1)
    endpoint.base_url = "http://127.0.0.1:9/v1"
    endpoint.save()
    endpoint = endpoint_probe(endpoint=endpoint)
    assert endpoint.supports_json_schema  # unchanged
    assert set(_supported(endpoint).values()) == {None}  # undecided: no answer came
    assert "connection error" in endpoint.capabilities["results"]["max_tokens"]["error"]


class _CountingLimiter:
    """The configured limiter, counting the turns it grants per key."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.granted: dict[str, int] = {}

    def try_acquire_turn(self, key: str, **kwargs) -> float:
        wait = self.inner.try_acquire_turn(key, **kwargs)
        if wait == 0:
            self.granted[key] = self.granted.get(key, 0) + 1
        return wait

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.django_db
def test_the_probe_takes_its_turns_from_the_endpoints_limiter(mock_llm, monkeypatch, tmp_path):
    """Each probe request waits for the endpoint's rate and concurrency limits, under the key its
    runs use, so probing a busy endpoint cannot push it past its provider's limits."""
    from llmruns.limiter import FileLimiter, endpoint_limiter_key
    from llmruns.services import capabilities

    limiter = _CountingLimiter(FileLimiter(tmp_path))
    monkeypatch.setattr(capabilities, "get_limiter", lambda: limiter)
    endpoint = _endpoint(mock_llm, "mock-alpha")
    mock_llm.reset_log()
    endpoint_probe(endpoint=endpoint)
    sent = [record for record in mock_llm.request_log() if record.path == "/v1/chat/completions"]
    assert len(sent) == 8
    assert limiter.granted == {endpoint_limiter_key(endpoint.pk): 8}


@pytest.mark.django_db
def test_a_probe_of_an_endpoint_whose_slots_are_taken_gives_up_and_keeps_the_flags(
    mock_llm, monkeypatch, tmp_path
):
    from llmruns.limiter import FileLimiter, endpoint_limiter_key
    from llmruns.services import capabilities

    limiter = FileLimiter(tmp_path)
    monkeypatch.setattr(capabilities, "get_limiter", lambda: limiter)
    monkeypatch.setattr(capabilities, "PROBE_WAIT_SECONDS", 0.2)
    endpoint = _endpoint(mock_llm, "mock-nojson", supports_json_schema=True, max_concurrency=1)
    # A run's call holds the endpoint's only concurrency slot.
    key = endpoint_limiter_key(endpoint.pk)
    assert limiter.try_acquire_slot(key, limit=1, holder="run-worker", slot_seconds=600)
    mock_llm.reset_log()
    endpoint = endpoint_probe(endpoint=endpoint)
    assert not mock_llm.request_log()
    assert endpoint.supports_json_schema  # unchanged: nothing was learnt
    error = endpoint.capabilities["results"]["json_schema"]["error"]
    assert "no turn within 0.2 s" in error and "probe again later" in error
    limiter.release_slot(key, holder="run-worker")
    assert not endpoint_probe(endpoint=endpoint).supports_json_schema


@pytest.mark.django_db
def test_a_retry_after_answered_to_the_probe_pauses_the_endpoint(mock_llm):
    """The server answers every request 429 with Retry-After: 1.5 s. The probe's next request
    (the same one, sent once more) waits those 1.5 s, and so does anyone else's call to the
    endpoint once the probe is done, as after a run's own call answered so."""
    from llmruns.limiter import endpoint_limiter_key, get_limiter

    endpoint = _endpoint(mock_llm, "mock-alpha")
    mock_llm.set_config(MockConfig(rate_429=1.0, retry_after_s=1.5))
    mock_llm.reset_log()
    endpoint = endpoint_probe(endpoint=endpoint)
    sent = [r for r in mock_llm.request_log() if r.path == "/v1/chat/completions"]
    # max_tokens twice, then max_completion_tokens twice; with neither answered the probe stops.
    assert [r.status for r in sent] == [429, 429, 429, 429]
    for before, after in zip(sent, sent[1:], strict=False):
        assert after.time - before.time >= 1.5 - 0.05  # the mock's clock; less the reply's trip
    wait = get_limiter().try_acquire_request(endpoint_limiter_key(endpoint.pk), limit=6000)
    assert 0 < wait <= 1.5  # the second 429 paused it again
    assert endpoint.capabilities["results"]["max_tokens"]["status"] == 429


@pytest.mark.django_db
def test_a_rate_limited_probe_request_leaves_its_capability_undecided(
    mock_llm, monkeypatch, client, admin_user
):
    """The mock allows 6 requests a minute (the 400 refusing json_schema is not counted): the
    logprobs probe, the 8th request, is answered 429 with a Retry-After of about a minute, longer
    than the probe waits. A rate limit says nothing about
    logprobs: the flag keeps its value and the report says the capability is undecided."""
    from llmruns.services import capabilities

    monkeypatch.setattr(capabilities, "PROBE_WAIT_SECONDS", 0.3)
    endpoint = _endpoint(mock_llm, "mock-nojson", supports_logprobs=True, supports_json_schema=True)
    mock_llm.set_config(MockConfig(seed=7, rate_limit_per_minute=6))
    mock_llm.reset_log()
    endpoint = endpoint_probe(endpoint=endpoint)
    sent = [r for r in mock_llm.request_log() if r.path == "/v1/chat/completions"]
    assert [r.status for r in sent] == [200, 200, 200, 200, 200, 200, 400, 429]
    assert _supported(endpoint) == {**EVERYTHING, "json_schema": False, "logprobs": None}
    assert endpoint.supports_logprobs  # kept: nothing was learnt about it
    assert not endpoint.supports_json_schema  # a 400 naming the parameter is an answer
    logprobs = endpoint.capabilities["results"]["logprobs"]
    assert logprobs["status"] == 429 and "probe again later" in logprobs["error"]
    assert endpoint.capabilities["undecided"] == ["logprobs"]
    client.force_login(admin_user)
    html = client.get(f"/admin/llmruns/modelendpoint/{endpoint.pk}/change/").content.decode()
    assert "<td>logprobs</td><td>undecided</td><td>429</td>" in html


@pytest.mark.django_db
def test_a_run_refused_for_an_undecided_capability_says_to_probe_again(
    admin_api, instrument, mock_llm
):
    endpoint = _endpoint(mock_llm, "mock-alpha", supports_logprobs=False)
    endpoint.capabilities = {"results": {}, "undecided": ["logprobs"]}
    endpoint.probed_at = endpoint.created_at
    endpoint.save()
    body = _run_body(endpoints=["Mock mock-alpha"], methods=["token_probability"])
    response = admin_api.post("/api/v1/runs/", body, format="json")
    assert response.status_code == 400
    assert response.json()["methods"] == [
        "endpoint Mock mock-alpha lacks logprobs, needed by token_probability (undecided at the "
        "last probe, rate limited or unanswered: probe again); use another method or "
        "method_fallback verbal"
    ]


@pytest.mark.django_db
def test_a_probe_request_answered_429_is_sent_again_after_the_retry_after(mock_llm, monkeypatch):
    """The first request is answered 429 with Retry-After 0.3 s; it is sent again once the pause
    is over, and the probe learns everything."""
    from llmruns.services import capabilities

    original = capabilities._pause_if_asked

    def answered(endpoint, result):
        original(endpoint, result)
        mock_llm.set_config(MockConfig(seed=7))  # the limit lifts after the first answer

    monkeypatch.setattr(capabilities, "_pause_if_asked", answered)
    endpoint = _endpoint(mock_llm, "mock-alpha")
    mock_llm.set_config(MockConfig(seed=7, rate_429=1.0, retry_after_s=0.3))
    mock_llm.reset_log()
    endpoint = endpoint_probe(endpoint=endpoint)
    sent = [r for r in mock_llm.request_log() if r.path == "/v1/chat/completions"]
    assert [r.status for r in sent] == [429] + [200] * 8
    assert sent[1].time - sent[0].time >= 0.3 - 0.05
    assert _supported(endpoint) == EVERYTHING
    assert endpoint.capabilities["undecided"] == []


@pytest.mark.django_db
def test_server_errors_leave_every_capability_undecided_and_keep_the_flags(
    mock_llm, monkeypatch, capsys
):
    from llmruns.probe import CAPABILITIES

    monkeypatch.setattr("llmruns.probe.PROBE_RETRY_DELAY_SECONDS", 0.01)
    endpoint = _endpoint(
        mock_llm,
        "mock-alpha",
        supports_logprobs=True,
        accepts_temperature=False,
        token_limit_param="max_completion_tokens",
    )
    mock_llm.set_config(MockConfig(seed=7, rate_500=1.0))
    mock_llm.reset_log()
    endpoint = endpoint_probe(endpoint=endpoint)
    sent = [r for r in mock_llm.request_log() if r.path == "/v1/chat/completions"]
    # Each token limit parameter is asked twice; with neither answered the probe stops there.
    assert [r.status for r in sent] == [500, 500, 500, 500]
    assert set(_supported(endpoint).values()) == {None}
    assert endpoint.capabilities["undecided"] == list(CAPABILITIES)
    assert endpoint.supports_logprobs and not endpoint.accepts_temperature
    assert endpoint.token_limit_param == "max_completion_tokens"
    assert endpoint.capabilities["results"]["max_tokens"]["status"] == 500
    call_command("probe_endpoint", endpoint.name)
    assert "?   logprobs" in capsys.readouterr().out


@pytest.mark.django_db
def test_probe_endpoint_command(mock_llm, capsys):
    _endpoint(mock_llm, "mock-nojson")
    call_command("probe_endpoint", "Mock mock-nojson")
    out = capsys.readouterr().out
    assert "no  json_schema  [400]" in out and "yes logprobs" in out
    assert not ModelEndpoint.objects.get(name="Mock mock-nojson").supports_json_schema


@pytest.mark.django_db
def test_probe_through_the_api(admin_api, researcher_api, mock_llm):
    endpoint = _endpoint(mock_llm, "mock-reasoner")
    assert researcher_api.post(f"/api/v1/endpoints/{endpoint.pk}/probe/").status_code == 403
    response = admin_api.post(f"/api/v1/endpoints/{endpoint.pk}/probe/")
    assert response.status_code == 200
    data = response.json()
    assert data["token_limit_param"] == "max_completion_tokens"
    assert data["accepts_temperature"] is False and data["probed_at"]
    assert data["capabilities"]["results"]["temperature"]["status"] == 400
    shown = researcher_api.get(f"/api/v1/endpoints/{endpoint.pk}/").json()
    assert shown["capabilities"]["results"]["logprobs"]["supported"] is False


def _run_body(**overrides) -> dict:
    body = {
        "name": "methods run",
        "instrument": "oip-sf",
        "endpoints": ["Mock mock-alpha", "Mock mock-nojson"],
        "languages": ["en"],
        "kinds": ["interest"],
        "replications": 1,
        "methods": ["verbal", "token_probability"],
        "start": False,
    }
    body.update(overrides)
    return body


@pytest.mark.django_db
def test_a_run_needing_a_capability_an_endpoint_lacks_is_a_400_and_creates_nothing(
    admin_api, instrument, mock_llm
):
    endpoint_probe(endpoint=_endpoint(mock_llm, "mock-alpha"))
    endpoint_probe(endpoint=_endpoint(mock_llm, "mock-nologprobs"))
    endpoint_probe(endpoint=_endpoint(mock_llm, "mock-nojson"))
    body = _run_body(
        endpoints=["Mock mock-alpha", "Mock mock-nologprobs", "Mock mock-nojson"],
        methods=["structured", "token_probability"],
    )
    response = admin_api.post("/api/v1/runs/", body, format="json")
    assert response.status_code == 400
    assert response.json()["methods"] == [
        "endpoint Mock mock-nologprobs lacks logprobs, needed by token_probability; "
        "use another method or method_fallback verbal",
        "endpoint Mock mock-nojson lacks response_format, needed by structured; "
        "use another method or method_fallback verbal",
    ]
    assert Run.objects.count() == 0 and Trial.objects.count() == 0


@pytest.mark.django_db
def test_bad_method_settings_name_the_field(admin_api, instrument, mock_llm):
    _endpoint(mock_llm, "mock-alpha")
    for field, value in (
        ("methods", ["telepathy"]),
        ("methods", []),
        ("method_fallback", "structured"),
        ("min_valid_mass", 1.5),
    ):
        body = {**_run_body(endpoints=["Mock mock-alpha"], methods=["verbal"]), field: value}
        response = admin_api.post("/api/v1/runs/", body, format="json")
        assert response.status_code == 400 and field in response.json(), (field, value)
    assert Run.objects.count() == 0


@pytest.mark.django_db
def test_with_fallback_verbal_the_fallback_is_recorded_per_trial(admin_api, instrument, mock_llm):
    endpoint_probe(endpoint=_endpoint(mock_llm, "mock-alpha"))
    endpoint_probe(endpoint=_endpoint(mock_llm, "mock-nojson"))
    _remove_items_above(instrument, 6)
    body = _run_body(methods=["verbal", "structured"], method_fallback="verbal")
    response = admin_api.post("/api/v1/runs/", body, format="json")
    assert response.status_code == 201, response.json()
    run = Run.objects.get(pk=response.json()["id"])
    assert response.json()["methods"] == ["verbal", "structured"]
    _execute_all(run)
    trials = Trial.objects.filter(run=run)
    assert set(trials.values_list("status", flat=True)) == {TrialStatus.OK}
    fell_back = trials.filter(method="structured", endpoint__model="mock-nojson")
    assert fell_back.count() == 6 and set(fell_back.values_list("method_fallback", flat=True)) == {
        "verbal"
    }
    assert not Attempt.objects.filter(
        trial__in=fell_back, request_body__has_key="response_format"
    ).exists()
    native = trials.filter(method="structured", endpoint__model="mock-alpha")
    assert set(native.values_list("method_fallback", flat=True)) == {""}
    assert set(native.values_list("outcome_reason", flat=True)) == {"json"}


@pytest.mark.django_db
def test_reasoning_is_stored_apart_never_parsed_and_priced(instrument, mock_llm):
    # The reasoner always answers 2; its reasoning argues for 5.
    mock_llm.set_config(
        MockConfig(seed=7, answer_distributions={"mock-reasoner": {"*": [0, 1, 0, 0, 0]}})
    )
    endpoint = endpoint_probe(
        endpoint=_endpoint(
            mock_llm,
            "mock-reasoner",
            price_input_per_million="1",
            price_output_per_million="2",
            price_reasoning_per_million="10",
        )
    )
    _remove_items_above(instrument, 6)
    run = run_create(
        spec=_spec(instrument, [endpoint], replications=2, top_p=0.9, reverse_half=False)
    )
    _execute_all(run)
    trials = list(Trial.objects.filter(run=run))
    assert {trial.status for trial in trials} == {TrialStatus.OK}
    assert {trial.value for trial in trials} == {2}
    for trial in trials:
        assert "answer 5" in trial.reasoning_text and "5" not in trial.text
        assert 0 < trial.reasoning_tokens < trial.output_tokens
        answer_tokens = trial.output_tokens - trial.reasoning_tokens
        assert trial.cost == (
            Decimal(trial.input_tokens) * 1
            + Decimal(answer_tokens) * 2
            + Decimal(trial.reasoning_tokens) * 10
        ) / Decimal(1_000_000)
    body = Attempt.objects.filter(trial__run=run).first().request_body
    # What the probe found the model rejects is left out; the token limit has its other name.
    assert "temperature" not in body and "top_p" not in body and "max_tokens" not in body
    assert body["max_completion_tokens"] == 600


@pytest.mark.django_db
def test_reasoning_in_a_message_reasoning_field_is_kept_too(instrument, mock_llm):
    mock_llm.set_config(
        MockConfig(seed=7, answer_distributions={"mock-reasoning-field": {"*": [0, 1, 0, 0, 0]}})
    )
    endpoint = _endpoint(mock_llm, "mock-reasoning-field", supports_json_schema=True)
    _remove_items_above(instrument, 6)
    run = run_create(spec=_spec(instrument, [endpoint], methods=["verbal", "structured"]))
    _execute_all(run)
    trials = Trial.objects.filter(run=run)
    assert set(trials.values_list("value", flat=True)) == {2}
    assert all("answer 5" in text for text in trials.values_list("reasoning_text", flat=True))


@pytest.mark.django_db
def test_a_model_without_the_system_role_gets_the_system_text_in_the_user_message(
    instrument, mock_llm
):
    endpoint = endpoint_probe(endpoint=_endpoint(mock_llm, "mock-alpha+nosystem"))
    _remove_items_above(instrument, 6)
    run = run_create(spec=_spec(instrument, [endpoint], replications=1))
    _execute_all(run)
    assert set(Trial.objects.filter(run=run).values_list("status", flat=True)) == {"ok"}
    body = Attempt.objects.filter(trial__run=run).first().request_body
    assert [message["role"] for message in body["messages"]] == ["user"]


@pytest.mark.django_db
def test_admin_shows_the_probe_report_and_probes_by_action(client, admin_user, mock_llm):
    endpoint = _endpoint(mock_llm, "mock-nojson")
    client.force_login(admin_user)
    page = client.get(f"/admin/llmruns/modelendpoint/{endpoint.pk}/change/").content.decode()
    assert "not probed yet" in page
    response = client.post(
        "/admin/llmruns/modelendpoint/",
        {"action": "probe_endpoints", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    assert "probed; not supported: json_schema" in response.content.decode()
    page = client.get(f"/admin/llmruns/modelendpoint/{endpoint.pk}/change/").content.decode()
    assert "is not supported with this model" in page  # the raw error text
    assert "logprobs" in page
