"""Batch execution in one process: planning, submission, polling and collection against the
mock's batch API over real HTTP through the `openai` SDK, beat ticks called directly."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import openai
import pytest
from django.core.management import call_command

from llmruns.mockserver import MockConfig, MockLLMServer
from llmruns.models import (
    FINAL_TRIAL_STATUSES,
    Attempt,
    BatchPhase,
    ModelEndpoint,
    ProviderBatch,
    Run,
    RunStatus,
    Trial,
    TrialStatus,
)
from llmruns.services import RunSpec, run_cancel, run_create, run_estimate, run_progress
from llmruns.services.batch import (
    BATCH_KEY_METADATA,
    IN_BATCH,
    batch_bound,
    batch_collect,
    batch_plan,
    batch_poll,
    batch_push,
    batches_advance,
    batches_cancel,
    custom_id_for,
    custom_id_parse,
)
from llmruns.services.batch.common import _client, _endpoint
from llmruns.services.batch.submission import _file_name, _input_file
from llmruns.services.execution import trials_execute

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_polls(settings):
    settings.LLM_BATCH_POLL_INITIAL = 0.0
    settings.LLM_BATCH_POLL_MAX = 0.0


def _batch_endpoint(server: MockLLMServer, **fields) -> ModelEndpoint:
    values = {
        "name": "Mock batch",
        "provider": "mock",
        "base_url": server.base_url,
        "model": "mock-alpha",
        "price_input_per_million": "1.00",
        "price_output_per_million": "2.00",
        "timeout_seconds": 10,
        "is_mock": True,
        "supports_batch": True,
        "max_requests_per_minute": 60_000,
        "max_concurrency": 8,
    }
    values.update(fields)
    return ModelEndpoint.objects.create(**values)


def _batch_run(instrument, endpoint, **overrides) -> Run:
    values = {
        "name": "batch run",
        "instrument": instrument,
        "endpoints": [endpoint],
        "languages": ["en"],
        "kinds": ["interest"],
        "replications": 2,
        "execution": "batch",
    }
    values.update(overrides)
    run = run_create(spec=RunSpec(**values))
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    run.refresh_from_db()
    return run


def _tick_until_finished(run: Run, *, ticks: int = 50) -> list[str]:
    """Beat ticks until the run is finished; the provider statuses seen after each."""
    seen: list[str] = []
    for _tick in range(ticks):
        batches_advance()
        seen += list(
            ProviderBatch.objects.filter(run=run).values_list("provider_status", flat=True)
        )
        run.refresh_from_db()
        if run.status != RunStatus.RUNNING:
            return seen
    raise AssertionError(f"run still {run.status} after {ticks} ticks")


def _rows(run: Run) -> tuple[list, list]:
    trials = list(
        Trial.objects.filter(run=run)
        .order_by("pk")
        .values_list(
            "pk", "status", "value", "text", "outcome_reason", "input_tokens", "output_tokens",
            "cost", "attempt_count", "finished_at", "lease_owner",
        )
    )  # fmt: skip
    attempts = list(
        Attempt.objects.filter(trial__run=run)
        .order_by("pk")
        .values_list("pk", "trial_id", "number", "response_body", "status_code", "error",
                     "started_at", "duration_ms", "batch_id")
    )  # fmt: skip
    return trials, attempts


def test_custom_id_names_the_trial_and_its_attempt():
    assert custom_id_parse(custom_id_for(1234, 3)) == (1234, 3)
    with pytest.raises(ValueError, match="custom_id"):
        custom_id_parse("other-1-thing-2")


def test_batch_run_ends_with_each_trial_once_at_the_batch_price(instrument):
    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(server)
        run = _batch_run(instrument, endpoint, replications=3)
        _tick_until_finished(run)
        trials = Trial.objects.filter(run=run)
        assert trials.count() == 180
        assert not trials.exclude(status__in=FINAL_TRIAL_STATUSES).exists()
        assert trials.filter(status=TrialStatus.OK).count() >= 170
        assert server.batch_api.batches_created == 1
        assert not [r for r in server.request_log() if r.path == "/v1/chat/completions"]
        # One Attempt per trial, carried by the batch, closed with the line it answered.
        attempts = Attempt.objects.filter(trial__run=run)
        assert attempts.count() == 180
        assert not attempts.filter(batch__isnull=True).exists()
        assert not attempts.filter(error=IN_BATCH).exists()
        assert set(attempts.values_list("status_code", flat=True)) == {200}
        for trial in trials.filter(status=TrialStatus.OK)[:20]:
            # Half the live price (1 and 2 per million): 0.5 and 1 per million.
            expected = (Decimal("0.5") * trial.input_tokens + trial.output_tokens) / 1_000_000
            assert trial.cost == expected.quantize(Decimal("0.00000001")) and trial.cost > 0
            assert trial.attempt_count == 1
        batch = ProviderBatch.objects.get(run=run)
        assert (batch.phase, batch.provider_status) == (BatchPhase.DONE, "completed")
        assert batch.request_count == batch.completed_count == batch.collected_count == 180
        assert run.status == RunStatus.FINISHED


def test_reasoning_tokens_in_batch_mode_cost_the_batch_reasoning_price(instrument):
    """Reasoning tokens are output tokens: the batch discount comes off their price too."""
    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(
            server, model="mock-reasoning-field", price_reasoning_per_million="8.00"
        )
        assert endpoint.batch_prices() == (Decimal("0.5"), Decimal("1"), Decimal("4"))
        run = _batch_run(instrument, endpoint, replications=1)
        _tick_until_finished(run)
        priced = Trial.objects.filter(run=run, status=TrialStatus.OK, reasoning_tokens__gt=0)
        assert priced.count() >= 50
        for trial in priced[:20]:
            answer_tokens = trial.output_tokens - trial.reasoning_tokens
            expected = (
                Decimal("0.5") * trial.input_tokens + answer_tokens + 4 * trial.reasoning_tokens
            ) / 1_000_000
            assert trial.cost == expected.quantize(Decimal("0.00000001"))


def _reasoning_endpoint(**prices) -> ModelEndpoint:
    """An unsaved endpoint with live prices 1, 2 and 8 (reasoning) and a 50% batch discount."""
    values = {
        "name": "priced",
        "model": "m",
        "price_input_per_million": Decimal("1.00"),
        "price_output_per_million": Decimal("2.00"),
        "price_reasoning_per_million": Decimal("8.00"),
        "batch_discount": 0.5,
    }
    return ModelEndpoint(**{**values, **prices})


def test_explicit_batch_prices_cut_the_reasoning_price_as_they_cut_the_output_price():
    """With an explicit batch output price the reasoning price falls by the same share, not by
    the discount the explicit prices override; a frozen configuration agrees."""
    from llmruns.services.batch.common import _priced_at_batch

    endpoint = _reasoning_endpoint(
        batch_price_input_per_million=Decimal("0.5"),
        batch_price_output_per_million=Decimal("1.5"),
    )
    assert endpoint.batch_prices() == (Decimal("0.5"), Decimal("1.5"), Decimal("6"))
    frozen = {
        "price_input_per_million": "1.00",
        "price_output_per_million": "2.00",
        "price_reasoning_per_million": "8.00",
        **endpoint.frozen_batch(),
    }
    legacy = {key: value for key, value in frozen.items() if "reasoning" not in key}
    legacy["price_reasoning_per_million"] = "8.00"
    assert Decimal(_priced_at_batch(frozen)["price_reasoning_per_million"]) == Decimal(
        _priced_at_batch(legacy)["price_reasoning_per_million"]
    )
    free_output = _reasoning_endpoint(
        price_output_per_million=Decimal("0"), batch_price_output_per_million=Decimal("0")
    )
    assert free_output.batch_prices()[2] == Decimal("4")  # no share to take: the discount


def test_a_configuration_frozen_without_a_batch_reasoning_price_scales_the_live_one():
    from llmruns.services.batch.common import _priced_at_batch

    frozen = {
        "price_input_per_million": "1.00",
        "price_output_per_million": "2.00",
        "price_reasoning_per_million": "8.00",
        "batch_price_input_per_million": "0.5",
        "batch_price_output_per_million": "1.5",
    }
    assert _priced_at_batch(frozen)["price_reasoning_per_million"] == "6.0000"
    assert (
        _priced_at_batch({**frozen, "price_reasoning_per_million": None})[
            "price_reasoning_per_million"
        ]
        is None
    )  # then reasoning costs the batch output price
    recorded = {**frozen, "batch_price_reasoning_per_million": "3.0000"}
    assert _priced_at_batch(recorded)["price_reasoning_per_million"] == "3.0000"


def test_cached_prompt_tokens_in_batch_mode_are_stored_and_cost_the_batch_cached_input_price(
    instrument,
):
    """Live prices 1.00 input, 0.20 cached input, 2.00 output, and an explicit batch input price
    of 0.40: cached tokens cost 0.20 x 0.40 / 1.00 = 0.08 per million in batch mode, the rest
    of the input 0.40, the output 1.00 (the default half discount)."""
    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(
            server,
            price_cached_input_per_million="0.20",
            batch_price_input_per_million="0.40",
        )
        run = _batch_run(instrument, endpoint, replications=1)
        _tick_until_finished(run)
        trials = Trial.objects.filter(run=run, status=TrialStatus.OK)
        checked = 0
        for trial in trials:
            attempt = trial.attempts.get()
            line = json.loads(attempt.response_body)
            usage = line.get("usage") or line["response"]["body"]["usage"]
            cached = usage["prompt_tokens_details"]["cached_tokens"]
            assert trial.input_tokens == usage["prompt_tokens"] > cached
            assert trial.cached_input_tokens == cached  # stored, as the cost counts them
            expected = (
                Decimal("0.40") * (trial.input_tokens - cached)
                + Decimal("0.08") * cached
                + Decimal("1.00") * trial.output_tokens
            ) / 1_000_000
            assert trial.cost == expected.quantize(Decimal("0.00000001"))
            checked += cached > 0
        assert checked >= 50  # all but the first line of each system message


def test_batch_lines_are_parsed_like_live_answers(instrument):
    """The same seeded respondent answers a run twice, once live and once in a batch."""
    with MockLLMServer(MockConfig(seed=5)) as server:
        endpoint = _batch_endpoint(server)
        batch_run = _batch_run(instrument, endpoint, temperature=0.0, replications=1)
        _tick_until_finished(batch_run)
        live_run = _batch_run(
            instrument, endpoint, name="live", temperature=0.0, replications=1, execution="live"
        )
        trials_execute(trial_ids=list(live_run.trials.values_list("pk", flat=True)))
    by_item = {
        trial.item_id: (trial.status, trial.value, trial.text)
        for trial in Trial.objects.filter(run=live_run)
    }
    assert {
        trial.item_id: (trial.status, trial.value, trial.text)
        for trial in Trial.objects.filter(run=batch_run)
    } == by_item


def test_provider_status_sequence_is_followed_to_completion(instrument):
    with MockLLMServer(MockConfig(seed=3, batch_delay_s=0.6)) as server:
        run = _batch_run(instrument, _batch_endpoint(server), replications=1)
        seen = []
        for _tick in range(400):
            batches_advance()
            status = ProviderBatch.objects.filter(run=run).values_list("provider_status", flat=True)
            if status and (not seen or seen[-1] != status[0]):
                seen.append(status[0])
            run.refresh_from_db()
            if run.status == RunStatus.FINISHED:
                break
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert run.status == RunStatus.FINISHED


def test_requests_are_split_by_the_endpoints_request_and_byte_limits(instrument):
    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(server, batch_max_requests=50)
        run = _batch_run(instrument, endpoint, replications=2)  # 120 trials
        _tick_until_finished(run)
        assert sorted(
            ProviderBatch.objects.filter(run=run).values_list("request_count", flat=True)
        ) == [20, 50, 50]
        assert server.batch_api.batches_created == 3

        small = _batch_endpoint(server, name="Mock small files", batch_max_bytes=8_000)
        run = _batch_run(instrument, small, name="small files", replications=1)
        _tick_until_finished(run)
        batches = ProviderBatch.objects.filter(run=run)
        assert batches.count() > 2
        assert all(0 < b.input_bytes <= 8_000 for b in batches)
        assert sum(b.request_count for b in batches) == 60
        client, _key = _client(_endpoint(run.config, small.pk))
        for batch in batches:
            assert client.files.retrieve(batch.input_file_id).bytes == batch.input_bytes
        assert Trial.objects.filter(run=run, status__in=FINAL_TRIAL_STATUSES).count() == 60


def test_downloading_the_same_output_file_twice_changes_no_row(instrument):
    with MockLLMServer(MockConfig(seed=3, batch_line_failure_rate=0.2)) as server:
        endpoint = _batch_endpoint(server)
        run = _batch_run(instrument, endpoint, replications=1, max_attempts=3)
        _tick_until_finished(run)
        first = ProviderBatch.objects.filter(run=run).order_by("created_at").first()
        assert first.output_file_id and first.error_file_id
        before = _rows(run)
        client, api_key = _client(_endpoint(run.config, endpoint.pk))
        batch_collect(batch=first, client=client, api_key=api_key)
        batch_collect(batch=first, client=client, api_key=api_key)
        assert _rows(run) == before
        first.refresh_from_db()
        assert first.collected_count == first.request_count


def test_an_expired_batchs_unanswered_requests_are_resubmitted_and_finish(instrument):
    config = MockConfig(seed=3, batch_expire_first=1, batch_expire_unanswered=0.3)
    with MockLLMServer(config) as server:
        run = _batch_run(instrument, _batch_endpoint(server), replications=5)  # 300 trials
        _tick_until_finished(run)
        first, second = ProviderBatch.objects.filter(run=run).order_by("created_at")
        assert first.provider_status == "expired" and second.provider_status == "completed"
        unanswered = first.request_count - first.completed_count
        assert 60 <= unanswered <= 120, "about 30% of 300 lines"
        assert second.request_count == unanswered
        retried = Trial.objects.filter(run=run, attempts__batch=second)
        assert retried.count() == unanswered
        assert not retried.exclude(status__in=FINAL_TRIAL_STATUSES).exists()
        assert not retried.filter(status=TrialStatus.FAILED).exists()
        for trial in retried[:10]:
            errors = list(trial.attempts.order_by("number").values_list("error", flat=True))
            assert errors[0] == "no answer: the batch ended expired"
            assert errors[1] == "" and trial.attempt_count == 2
        assert server.batch_api.batches_created == 2
        assert Trial.objects.filter(run=run).exclude(status__in=FINAL_TRIAL_STATUSES).count() == 0


def test_line_errors_are_retried_up_to_max_attempts_then_failed_with_the_reason(instrument):
    with MockLLMServer(MockConfig(seed=3, batch_line_failure_rate=0.4)) as server:
        run = _batch_run(instrument, _batch_endpoint(server), replications=3, max_attempts=2)
        _tick_until_finished(run)
        trials = Trial.objects.filter(run=run)
        failed = trials.filter(status=TrialStatus.FAILED)
        # 0.4 ** 2 of 180 trials is about 29.
        assert 10 <= failed.count() <= 55
        for trial in failed:
            assert trial.outcome_reason.startswith("gave up after 2 attempts: HTTP 500")
            assert list(trial.attempts.values_list("status_code", flat=True)) == [500, 500]
        recovered = trials.filter(status=TrialStatus.OK, attempt_count=2)
        assert recovered.exists()
        for trial in recovered[:10]:
            assert list(
                trial.attempts.order_by("number").values_list("status_code", flat=True)
            ) == [500, 200]
        assert server.batch_api.batches_created == 2  # first try, then one batch of the retries


def test_a_billed_line_that_cannot_be_read_counts_in_the_trials_tokens_and_cost(instrument):
    """A 200 line whose answer cannot be read was billed: its tokens and cost are added to those
    of the retry that answers, so the run's cost is what the provider charged."""
    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(server)
        run = _batch_run(instrument, endpoint, replications=1, max_attempts=2)
        batch = batch_plan(run=run, endpoint_id=endpoint.pk)
        assert batch_push(batch_id=batch.pk) == "submitted"
        batch.refresh_from_db()
        client, _key = _client(_endpoint(run.config, endpoint.pk))
        output = client.batches.retrieve(batch.provider_batch_id).output_file_id
        stored = server.batch_api._files[output]
        lines = stored.content.decode().splitlines()
        unreadable = json.loads(lines[0])
        body = unreadable["response"]["body"]
        body["choices"][0]["message"]["content"] = {"not": "text"}
        body["usage"] = {"prompt_tokens": 1000, "completion_tokens": 500}
        stored.content = "\n".join([json.dumps(unreadable), *lines[1:]]).encode() + b"\n"
        trial_id, _number = custom_id_parse(unreadable["custom_id"])

        assert batch_poll(batch_id=batch.pk) == "collected"
        trial = Trial.objects.get(pk=trial_id)
        assert (trial.status, trial.input_tokens, trial.output_tokens) == (
            TrialStatus.PENDING,
            1000,
            500,
        )
        # At the batch prices, half of 1.00 and 2.00 per million.
        assert trial.cost == Decimal("0.0005") + Decimal("0.0005")

        _tick_until_finished(run)
        trial.refresh_from_db()
        answered = json.loads(trial.attempts.get(number=2).response_body)["response"]["body"]
        usage = answered["usage"]
        assert trial.status == TrialStatus.OK and trial.attempt_count == 2
        assert trial.input_tokens == 1000 + usage["prompt_tokens"]
        assert trial.output_tokens == 500 + usage["completion_tokens"]
        assert trial.cost == Decimal("0.001") + (
            Decimal("0.5") * usage["prompt_tokens"] + Decimal("1") * usage["completion_tokens"]
        ) / Decimal(1_000_000)


def test_lines_that_are_no_answer_object_fail_their_request_or_are_skipped(instrument, caplog):
    """JSON that is no line object is skipped (its request is settled as unanswered); a line
    whose response or error is no object fails its request; the batch is collected either way."""
    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(server)
        run = _batch_run(instrument, endpoint, replications=1, max_attempts=2)
        batch = batch_plan(run=run, endpoint_id=endpoint.pk)
        assert batch_push(batch_id=batch.pk) == "submitted"
        batch.refresh_from_db()
        client, _key = _client(_endpoint(run.config, endpoint.pk))
        output = client.batches.retrieve(batch.provider_batch_id).output_file_id  # completes it
        stored = server.batch_api._files[output]
        lines = stored.content.decode().splitlines()
        entries = [json.loads(line) for line in lines[:6]]
        broken = [
            "[]",
            '"x"',
            "3",
            json.dumps({**entries[3], "response": [1]}),
            json.dumps({**entries[4], "error": "boom"}),
            json.dumps(
                {**entries[5], "response": {"status_code": 500, "body": {"error": "overloaded"}}}
            ),
        ]
        stored.content = "\n".join(broken + lines[6:]).encode() + b"\n"
        assert batch_poll(batch_id=batch.pk) == "collected"
        batch.refresh_from_db()
        assert (batch.phase, batch.collected_count) == (BatchPhase.DONE, 57)
        assert "3 of 60 lines" in caplog.text

        def attempt(entry: dict) -> Attempt:
            trial_id, number = custom_id_parse(entry["custom_id"])
            return Attempt.objects.get(trial_id=trial_id, number=number)

        assert [attempt(entry).error for entry in entries[3:]] == [
            "malformed batch line: its response is not an object",
            "malformed batch line: its error is not an object",
            "HTTP 500: overloaded",
        ]
        for entry in entries[:3]:
            assert attempt(entry).error == "no answer: the batch ended completed"
        retried = Trial.objects.filter(run=run, status=TrialStatus.PENDING)
        assert retried.count() == 6 and set(retried.values_list("attempt_count", flat=True)) == {1}
        _tick_until_finished(run)
        assert Trial.objects.filter(run=run, status=TrialStatus.OK).count() >= 55
        assert not Trial.objects.filter(run=run).exclude(status__in=FINAL_TRIAL_STATUSES).exists()


def test_a_crash_after_create_is_adopted_not_submitted_again(instrument):
    """A worker that died after creating the batch left it unrecorded: the next step finds it
    by the key in its metadata (and the file by its name) and creates nothing new."""
    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(server)
        run = _batch_run(instrument, endpoint, replications=1)
        batch = batch_plan(run=run, endpoint_id=endpoint.pk)
        client, _key = _client(_endpoint(run.config, endpoint.pk))
        with _input_file(batch) as handle:  # what the dead worker had done
            uploaded = client.files.create(file=(_file_name(batch), handle), purpose="batch")
        client.batches.create(
            input_file_id=uploaded.id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={BATCH_KEY_METADATA: batch.key},
        )
        assert batch_push(batch_id=batch.pk) == "submitted"
        batch.refresh_from_db()
        assert batch.input_file_id == uploaded.id
        assert server.batch_api.files_created == 1 and server.batch_api.batches_created == 1
        _tick_until_finished(run)
        assert server.batch_api.batches_created == 1
        assert Trial.objects.filter(run=run, status=TrialStatus.OK).count() >= 55


def test_an_upload_that_outlasts_its_lease_leaves_the_batch_to_the_step_that_took_it_over(
    instrument, monkeypatch
):
    """While one step uploads, its lease lapses and another step takes the batch: the first
    step must not create the provider batch, so the requests are never submitted twice."""
    from llmruns.services.batch import submission
    from llmruns.services.batch.common import _lease, _release

    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(server)
        run = _batch_run(instrument, endpoint, replications=1)
        batch = batch_plan(run=run, endpoint_id=endpoint.pk)
        taken_over = []

        def lease_lapses_during_upload(name):
            if name == "after_upload" and not taken_over:
                ProviderBatch.objects.filter(pk=batch.pk).update(lease_until=None)
                taken_over.append(_lease(batch.pk))

        monkeypatch.setattr(submission, "_crash_point", lease_lapses_during_upload)
        assert batch_push(batch_id=batch.pk) == "lease lost"
        assert taken_over[0] is not None
        assert server.batch_api.batches_created == 0
        batch.refresh_from_db()
        assert batch.phase == BatchPhase.PLANNED and batch.lease_until is not None

        _release(taken_over[0])  # the other step's turn: it adopts the uploaded file
        assert batch_push(batch_id=batch.pk) == "submitted"
        assert server.batch_api.files_created == 1 and server.batch_api.batches_created == 1
        _tick_until_finished(run)
        assert server.batch_api.batches_created == 1
        assert not Trial.objects.filter(run=run).exclude(status__in=FINAL_TRIAL_STATUSES).exists()


def test_cancelling_a_run_cancels_its_open_batches_at_the_provider(
    instrument, django_capture_on_commit_callbacks
):
    from config.celery_app import app

    with MockLLMServer(MockConfig(seed=3, batch_delay_s=3600)) as server:
        run = _batch_run(instrument, _batch_endpoint(server), replications=1)
        batches_advance()
        assert Trial.objects.filter(run=run, status=TrialStatus.RUNNING).count() == 60
        app.conf.task_always_eager = True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                run_cancel(run=run)  # queues the task that cancels at the provider
        finally:
            app.conf.task_always_eager = False
        assert server.batch_api.batches_cancelled == 1
        assert batches_cancel(run_id=run.pk) == 0  # nothing left open to cancel
        assert ProviderBatch.objects.get(run=run).provider_status == "cancelling"
        server.batch_api._batches[ProviderBatch.objects.get().provider_batch_id].delay_s = 0
        batches_advance()
        batch = ProviderBatch.objects.get(run=run)
        assert (batch.provider_status, batch.phase) == ("cancelled", BatchPhase.DONE)
        assert Trial.objects.filter(run=run, status=TrialStatus.CANCELLED).count() == 60
        errors = set(Attempt.objects.filter(trial__run=run).values_list("error", flat=True))
        assert errors == {"no answer: the batch ended cancelled"}


def test_a_cancelled_runs_open_batch_is_cancelled_by_its_next_poll(instrument):
    """The task run_cancel queues never runs here (its on_commit callback is not executed), as
    when the broker lost it or the provider did not answer it: the poll cancels the batch."""
    with MockLLMServer(MockConfig(seed=3, batch_delay_s=3600)) as server:
        run = _batch_run(instrument, _batch_endpoint(server), replications=1)
        batches_advance()
        run_cancel(run=run)
        batches_advance()
        batch = ProviderBatch.objects.get(run=run)
        assert server.batch_api.batches_cancelled == 1
        assert (batch.phase, batch.provider_status) == (BatchPhase.SUBMITTED, "cancelling")
        batches_advance()
        assert server.batch_api.batches_cancelled == 1  # asked once, then polled while cancelling
        server.batch_api._batches[batch.provider_batch_id].delay_s = 0
        batches_advance()
        batch.refresh_from_db()
        assert (batch.provider_status, batch.phase) == ("cancelled", BatchPhase.DONE)
        assert not batch.output_file_id  # nothing was answered, so nothing was collected
        assert Trial.objects.filter(run=run, status=TrialStatus.CANCELLED).count() == 60


def test_a_batch_the_provider_keeps_refusing_is_given_up_and_its_trials_fail(instrument):
    with MockLLMServer(MockConfig(seed=3, api_key="sk-mock-right-key")) as server:
        endpoint = _batch_endpoint(server)  # sends no key: 401 on every upload
        run = _batch_run(instrument, endpoint, replications=1, max_attempts=2)
        _tick_until_finished(run, ticks=20)
        assert server.batch_api.files_created == server.batch_api.batches_created == 0
        batches = ProviderBatch.objects.filter(run=run)
        assert batches.count() == 2 and {b.phase for b in batches} == {BatchPhase.DONE}
        assert "AuthenticationError" in batches[0].error
        failed = Trial.objects.filter(run=run, status=TrialStatus.FAILED)
        assert failed.count() == 60
        assert failed.first().outcome_reason.startswith(
            "gave up after 2 attempts: no answer: the provider refused the batch"
        )


def test_retries_go_live_when_the_run_allows(instrument):
    with MockLLMServer(MockConfig(seed=3, batch_line_failure_rate=0.3)) as server:
        run = _batch_run(instrument, _batch_endpoint(server), replications=1, batch_retry_live=True)
        batches_advance()  # submitted
        batches_advance()  # collected
        waiting = Trial.objects.filter(run=run, status=TrialStatus.PENDING)
        assert waiting.exists() and not batch_bound(run).exists()
        trials_execute(trial_ids=list(waiting.values_list("pk", flat=True)))
        live = Attempt.objects.filter(trial__run=run, batch__isnull=True)
        assert live.count() == waiting.model.objects.filter(run=run, attempt_count=2).count()
        assert server.batch_api.batches_created == 1
        assert not Trial.objects.filter(run=run).exclude(status__in=FINAL_TRIAL_STATUSES).exists()


def test_a_trial_retried_live_gets_what_is_left_of_its_attempts(instrument, settings):
    """max_attempts counts the batch line too: after one failed line, two live calls, not three."""
    settings.LLM_BACKOFF_INITIAL = 0.0
    config = MockConfig(seed=3, batch_line_failure_rate=1.0, rate_500=1.0)
    with MockLLMServer(config) as server:
        run = _batch_run(
            instrument,
            _batch_endpoint(server),
            replications=1,
            batch_retry_live=True,
            max_attempts=3,
        )
        batches_advance()  # submitted
        batches_advance()  # collected: every line failed once
        waiting = list(
            Trial.objects.filter(run=run, status=TrialStatus.PENDING).values_list("pk", flat=True)
        )
        assert waiting and not Attempt.objects.filter(trial__run=run, batch__isnull=True).exists()
        trials_execute(trial_ids=waiting)
        for trial in Trial.objects.filter(pk__in=waiting):
            assert trial.status == TrialStatus.FAILED and trial.attempt_count == 3
            numbers = list(trial.attempts.order_by("number").values_list("number", "batch_id"))
            assert [number for number, _batch in numbers] == [1, 2, 3]
            assert numbers[0][1] is not None and numbers[1][1] is None and numbers[2][1] is None


def test_work_samples_and_their_self_reviews_go_in_successive_batches(instrument):
    with MockLLMServer(MockConfig(seed=3)) as server:
        run = _batch_run(
            instrument,
            _batch_endpoint(server),
            replications=1,
            kinds=["work_sample", "self_review"],
        )
        _tick_until_finished(run)
        reviews = Trial.objects.filter(run=run, kind="self_review")
        ok_samples = Trial.objects.filter(run=run, kind="work_sample", status=TrialStatus.OK)
        assert reviews.count() == ok_samples.count() > 50
        assert not reviews.exclude(status__in=FINAL_TRIAL_STATUSES).exists()
        assert server.batch_api.batches_created == 2


def test_self_reviews_of_work_samples_collected_after_a_cancel_are_created_cancelled(instrument):
    with MockLLMServer(MockConfig(seed=3)) as server:
        endpoint = _batch_endpoint(server)
        run = _batch_run(instrument, endpoint, replications=1, kinds=["work_sample", "self_review"])
        batch = batch_plan(run=run, endpoint_id=endpoint.pk)
        assert batch_push(batch_id=batch.pk) == "submitted"
        run_cancel(run=run)
        assert batch_poll(batch_id=batch.pk) == "collected"  # answered before the cancel
        ok_samples = Trial.objects.filter(run=run, kind="work_sample", status=TrialStatus.OK)
        reviews = Trial.objects.filter(run=run, kind="self_review")
        assert reviews.count() == ok_samples.count() > 50
        assert set(reviews.values_list("status", "enqueued_at")) == {(TrialStatus.CANCELLED, None)}
        assert not reviews.filter(finished_at__isnull=True).exists()
        batches_advance()
        assert server.batch_api.batches_created == 1  # nothing sent after the cancel


def test_estimate_shows_both_prices_and_progress_shows_the_batches(instrument, capsys):
    with MockLLMServer(MockConfig(seed=3, batch_delay_s=3600)) as server:
        run = _batch_run(instrument, _batch_endpoint(server), replications=1)
        estimate = run_estimate(run=run)
        cost_live, cost_batch = Decimal(estimate["cost_live"]), Decimal(estimate["cost_batch"])
        assert cost_live > 0 and abs(cost_batch * 2 - cost_live) <= Decimal("0.0002")
        assert estimate["cost"] == estimate["cost_batch"] and estimate["execution"] == "batch"
        batches_advance()
        progress = run_progress(run=run)["batch"]
        assert (progress["submitted"], progress["in_open_batches"], progress["done"]) == (60, 60, 0)
        assert progress["batches"][0]["provider_status"] == "validating"
        run_cancel(run=run)
        call_command("study", "watch", str(run.pk), "--interval", "0")
        out = capsys.readouterr().out
        assert "batch: submitted 60, in open batches 60" in out
        assert "validating" in out


def test_progress_counts_only_batches_the_provider_created(instrument):
    with MockLLMServer(MockConfig(seed=3, api_key="sk-mock-right-key")) as server:
        endpoint = _batch_endpoint(server)  # sends no key: 401 on every upload
        run = _batch_run(instrument, endpoint, replications=1, max_attempts=2)
        batch_plan(run=run, endpoint_id=endpoint.pk)  # its trials are leased, nothing uploaded
        progress = run_progress(run=run)["batch"]
        assert (progress["submitted"], progress["in_open_batches"], progress["done"]) == (0, 0, 0)
        _tick_until_finished(run, ticks=20)  # refused twice, then its trials failed
        assert not ProviderBatch.objects.exclude(provider_batch_id="").exists()
        progress = run_progress(run=run)["batch"]
        assert (progress["submitted"], progress["in_open_batches"], progress["done"]) == (0, 0, 60)
        assert [b["provider_batch_id"] for b in progress["batches"]] == ["", ""]


def test_mock_batch_api_over_the_sdk_rejects_bad_files_and_fails_bad_lines():
    with MockLLMServer(MockConfig(seed=1)) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        text = client.files.create(file=("notes.txt", io.BytesIO(b"x")), purpose="assistants")
        with pytest.raises(openai.BadRequestError, match="purpose"):
            client.batches.create(
                input_file_id=text.id, endpoint="/v1/chat/completions", completion_window="24h"
            )
        with pytest.raises(openai.NotFoundError):
            client.batches.retrieve("batch_nope")
        bad = client.files.create(
            file=("bad.jsonl", io.BytesIO(b'{"custom_id": "a"}\nnot json\n')), purpose="batch"
        )
        batch = client.batches.create(
            input_file_id=bad.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        assert client.batches.retrieve(batch.id).status == "failed"
        assert client.batches.retrieve(batch.id).errors.data[0].line == 1
        line = {"custom_id": "x", "method": "POST", "url": "/v1/chat/completions",
                "body": {"model": "m", "messages": []}}  # fmt: skip
        invalid = client.files.create(
            file=("i.jsonl", io.BytesIO(json.dumps(line).encode())), purpose="batch"
        )
        batch = client.batches.create(
            input_file_id=invalid.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        done = client.batches.retrieve(batch.id)
        assert (done.status, done.request_counts.failed) == ("completed", 1)
        errors = client.files.content(done.error_file_id).text
        assert json.loads(errors)["response"]["status_code"] == 400
        assert [b.id for b in client.batches.list()][0] == batch.id
