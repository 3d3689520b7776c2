"""Runs end to end in one process: definition, freezing, execution against the mock over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from careers.models import PromptTemplate
from llmruns.mockserver import MockConfig
from llmruns.models import Attempt, ModelEndpoint, Run, RunStatus, Trial, TrialStatus
from llmruns.services import (
    RunSpec,
    run_cancel,
    run_create,
    run_dispatch,
    run_estimate,
    run_finish_if_done,
    run_progress,
    run_resume,
    trial_execute,
    trials_execute,
)
from llmruns.services.lifecycle import trials_per_message


def _spec(instrument, endpoints, **overrides) -> RunSpec:
    values = {
        "name": "test run",
        "instrument": instrument,
        "endpoints": endpoints,
        "languages": ["en", "zh-hans"],
        "kinds": ["interest"],
        "replications": 2,
        "temperature": 0.0,
    }
    values.update(overrides)
    return RunSpec(**values)


def _execute_all(run: Run) -> None:
    while ids := list(
        Trial.objects.filter(run=run, status=TrialStatus.PENDING).values_list("pk", flat=True)
    ):
        for pk in ids:
            trial_execute(trial_id=pk)
    run.refresh_from_db()


def _running(run: Run) -> Run:
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_run_creates_one_trial_per_cell_and_counterbalances(instrument, mock_endpoints):
    run = run_create(spec=_spec(instrument, mock_endpoints, replications=4))
    assert Trial.objects.filter(run=run).count() == 2 * 2 * 60 * 4
    reversed_reps = set(
        Trial.objects.filter(run=run, scale_reversed=True).values_list("replication", flat=True)
    )
    assert reversed_reps == {2, 4}
    variants = dict(
        Trial.objects.filter(
            run=run, item__number=1, endpoint=mock_endpoints[0], language="en"
        ).values_list("replication", "template_variant")
    )
    assert variants == {1: 1, 2: 2, 3: 3, 4: 1}  # three interest paraphrases rotate


@pytest.mark.django_db
def test_frozen_config_does_not_follow_later_template_edits(instrument, mock_endpoints):
    run = run_create(spec=_spec(instrument, mock_endpoints))
    template = PromptTemplate.objects.get(
        instrument=instrument, kind="interest", language="en", variant=1
    )
    before = run.config["templates"]["interest/en/1"]["user"]
    template.revise(system_text="", user_text="CHANGED {activity}\n{scale}")
    run.refresh_from_db()
    assert run.config["templates"]["interest/en/1"]["user"] == before
    assert run.config["templates"]["interest/en/1"]["version"] == 1
    assert run.config["code_version"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"languages": ["fr"]}, "languages", "unknown language 'fr'"),
        ({"replications": 0}, "replications", "at least 1"),
        ({"kinds": ["interest", "poetry"]}, "kinds", "unknown question kind 'poetry'"),
        ({"kinds": ["self_review"]}, "kinds", "needs work_sample"),
        ({"endpoints": []}, "endpoints", "at least one"),
        ({"temperature": 3.0}, "temperature", "between 0 and 2"),
    ],
)
def test_bad_run_definitions_name_the_problem_and_create_nothing(
    instrument, mock_endpoints, overrides, field, fragment
):
    with pytest.raises(ValidationError) as raised:
        run_create(spec=_spec(instrument, overrides.pop("endpoints", mock_endpoints), **overrides))
    assert any(fragment in message for message in raised.value.message_dict[field])
    assert not Run.objects.exists() and not Trial.objects.exists()


@pytest.mark.django_db
def test_instrument_missing_a_language_is_refused(instrument, mock_endpoints):
    instrument.languages = ["en"]
    instrument.save()
    with pytest.raises(ValidationError) as raised:
        run_create(spec=_spec(instrument, mock_endpoints))
    assert "no zh-hans texts" in " ".join(raised.value.message_dict["instrument"])


@pytest.mark.django_db
def test_unreachable_endpoint_is_refused_at_creation(instrument, mock_endpoints):
    mock_endpoints[1].base_url = "http://127.0.0.1:9/v1"
    mock_endpoints[1].save()
    with pytest.raises(ValidationError) as raised:
        run_create(spec=_spec(instrument, mock_endpoints), check_reachable=True)
    assert "Mock mock-beta is unreachable" in " ".join(raised.value.message_dict["endpoints"])
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_executing_a_run_parses_every_answer_and_keeps_every_call(instrument, mock_endpoints):
    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en", "zh-hans"]))
    )
    _execute_all(run)
    trials = Trial.objects.filter(run=run)
    assert trials.filter(status=TrialStatus.OK).count() == trials.count() == 240
    assert set(trials.values_list("value", flat=True)) <= {1, 2, 3, 4, 5}
    assert Attempt.objects.filter(trial__run=run).count() == 240
    attempt = Attempt.objects.filter(trial__run=run, trial__scale_reversed=True).first()
    assert attempt.request_body["model"] == "mock-alpha"
    assert attempt.request_body["seed"] == 2  # seed 0 + replication 2
    assert "1 = Strongly like" in attempt.request_body["messages"][-1]["content"]
    assert run.status == RunStatus.FINISHED
    first = trials.first()
    assert first.input_tokens > 0 and first.cost > 0


def _running_review_run(instrument, endpoints) -> Run:
    """A running run of work samples and their self-reviews, on one endpoint, in English."""
    spec = _spec(
        instrument,
        endpoints[:1],
        languages=["en"],
        kinds=["work_sample", "self_review"],
        replications=1,
    )
    return _running(run_create(spec=spec))


@pytest.mark.django_db
def test_work_samples_get_their_self_review_once_ok(instrument, mock_endpoints):
    run = _running_review_run(instrument, mock_endpoints)
    assert not Trial.objects.filter(run=run, kind="self_review").exists()
    _execute_all(run)
    samples = Trial.objects.filter(run=run, kind="work_sample", status=TrialStatus.OK)
    reviews = Trial.objects.filter(run=run, kind="self_review")
    assert samples.count() == reviews.count() > 50
    review = reviews.filter(status=TrialStatus.OK).select_related("work_sample").first()
    body = review.attempts.first().request_body
    assert review.work_sample.text in body["messages"][-1]["content"]
    assert run.status == RunStatus.FINISHED


@pytest.mark.django_db
def test_refusals_and_unparseable_answers_are_kept_as_what_they_are(
    instrument, mock_endpoints, mock_llm
):
    mock_llm.set_config(MockConfig(seed=3, rate_refusal=0.3, rate_unparseable=0.3))
    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en"], replications=1))
    )
    _execute_all(run)
    refused = Trial.objects.filter(run=run, status=TrialStatus.REFUSED)
    invalid = Trial.objects.filter(run=run, status=TrialStatus.INVALID)
    assert refused.exists() and invalid.exists()
    assert not refused.exclude(value=None).exists() and not invalid.exclude(value=None).exists()
    assert all(t.text for t in refused) and all(t.text for t in invalid)


@pytest.mark.django_db
def test_transient_failures_are_retried_and_every_call_is_an_attempt(
    instrument, mock_endpoints, mock_llm
):
    mock_llm.set_config(
        MockConfig(seed=5, rate_429=0.2, rate_500=0.1, rate_malformed=0.05, retry_after_s=0.01)
    )
    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en"], replications=1))
    )
    _execute_all(run)
    trials = Trial.objects.filter(run=run)
    assert not trials.filter(status__in=[TrialStatus.PENDING, TrialStatus.RUNNING]).exists()
    calls = [r for r in mock_llm.request_log() if r.path.endswith("/chat/completions")]
    assert Attempt.objects.filter(trial__run=run).count() == len(calls)
    assert Attempt.objects.filter(trial__run=run, status_code=429).exists()
    assert sum(t.attempt_count for t in trials) == len(calls)


@pytest.mark.django_db
def test_a_trial_delivered_twice_is_executed_once(instrument, mock_endpoints, mock_llm):
    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en"], replications=1))
    )
    trial = Trial.objects.filter(run=run).first()
    assert trial_execute(trial_id=trial.pk) == "ok"
    assert trial_execute(trial_id=trial.pk) == "not claimed"
    assert trial.attempts.count() == 1


@pytest.mark.django_db
def test_failed_after_max_attempts_stores_the_reason(instrument, mock_endpoints, mock_llm):
    mock_llm.set_config(MockConfig(rate_500=1.0))
    run = _running(
        run_create(
            spec=_spec(
                instrument, mock_endpoints[:1], languages=["en"], replications=1, max_attempts=3
            )
        )
    )
    trial = Trial.objects.filter(run=run).first()
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == TrialStatus.FAILED and trial.value is None
    assert "gave up after 3 attempts" in trial.outcome_reason
    assert trial.attempts.count() == 3


@pytest.mark.django_db
def test_cancel_and_resume(instrument, mock_endpoints):
    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en"], replications=1))
    )
    run_cancel(run=run)
    assert Trial.objects.filter(run=run, status=TrialStatus.CANCELLED).count() == 60
    assert run_resume(run=run) == 60
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert not run_finish_if_done(run_id=run.pk)


@pytest.mark.django_db
def test_estimate_and_progress(instrument, mock_endpoints):
    run = run_create(spec=_spec(instrument, mock_endpoints, kinds=["interest", "work_sample"]))
    estimate = run_estimate(run=run)
    assert estimate["calls"] == 2 * 2 * 2 * 60 * 2
    assert float(estimate["cost"]) > 0
    assert estimate["planned_trials"] == 960
    progress = run_progress(run=run)
    assert progress["counts"]["pending"] == progress["total"] == 960
    assert progress["done"] == 0 and progress["waiting"] == 0


@pytest.mark.django_db
def test_the_planned_total_counts_self_reviews_before_they_exist(instrument, mock_endpoints):
    run = run_create(
        spec=_spec(
            instrument, mock_endpoints[:1], languages=["en"], kinds=["work_sample", "self_review"]
        )
    )
    planned = run_estimate(run=run)["planned_trials"]
    assert planned == 1 * 1 * 2 * 60 * 2
    progress = run_progress(run=run)
    assert progress["total"] == planned and progress["created"] == planned // 2
    assert progress["waiting"] == planned // 2 and progress["done"] == 0
    work_samples = list(Trial.objects.filter(run=run).order_by("pk"))
    # Two work samples end: one without an answer (its self-review is never needed), one ok
    # (its self-review is created). The total does not move; done counts the one not needed.
    Trial.objects.filter(pk=work_samples[0].pk).update(status=TrialStatus.REFUSED)
    Trial.objects.filter(pk=work_samples[1].pk).update(status=TrialStatus.OK)
    Trial.objects.create(
        run=run,
        endpoint=work_samples[1].endpoint,
        language="en",
        item=work_samples[1].item,
        kind="self_review",
        replication=work_samples[1].replication,
        work_sample=work_samples[1],
    )
    progress = run_progress(run=run)
    assert progress["total"] == planned
    assert progress["not_needed"] == 1 and progress["waiting"] == planned // 2 - 2
    assert progress["done"] == 1 + 1 + 1  # refused, ok, and the review not needed


def _chat_calls(server) -> int:
    return sum(1 for r in server.request_log() if r.path.endswith("/chat/completions"))


@pytest.mark.django_db
def test_a_redelivered_batch_calls_only_its_trials_that_are_still_pending(
    instrument, mock_endpoints, mock_llm
):
    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en"], replications=1))
    )
    ids = list(Trial.objects.filter(run=run).order_by("pk").values_list("pk", flat=True)[:6])
    # The first delivery got through two trials, and was in the middle of a third, when its worker
    # died: two are final, one is still leased by the dead worker, three were never claimed.
    assert trials_execute(trial_ids=ids[:2], worker="first") == ["ok", "ok"]
    Trial.objects.filter(pk=ids[2]).update(
        status=TrialStatus.RUNNING,
        lease_owner="first:1:dead",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    calls_before = _chat_calls(mock_llm)
    final_before = {t.pk: (t.value, t.finished_at) for t in Trial.objects.filter(pk__in=ids[:2])}

    outcomes = trials_execute(trial_ids=ids, worker="second")

    assert outcomes == ["not claimed", "not claimed", "not claimed", "ok", "ok", "ok"]
    assert _chat_calls(mock_llm) - calls_before == 3
    for trial in Trial.objects.filter(pk__in=ids[:2]):
        assert (trial.value, trial.finished_at) == final_before[trial.pk]
        assert trial.attempts.count() == 1
    assert not Attempt.objects.filter(trial_id=ids[2]).exists()
    assert Trial.objects.get(pk=ids[2]).lease_owner == "first:1:dead"  # the reaper's to return
    assert all(
        w.startswith("second:")
        for w in Attempt.objects.filter(trial_id__in=ids[3:]).values_list("worker", flat=True)
    )


@pytest.mark.django_db
def test_one_trials_error_does_not_hold_up_the_rest_of_its_batch(
    instrument, mock_endpoints, mock_llm, monkeypatch
):
    from llmruns.services import execution

    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en"], replications=1))
    )
    ids = list(Trial.objects.filter(run=run).order_by("pk").values_list("pk", flat=True)[:3])
    render = execution.render_prompt

    def render_failing_for_the_first(config, **kwargs):
        if kwargs["item_number"] == Trial.objects.get(pk=ids[0]).item.number:
            raise KeyError("template")
        return render(config, **kwargs)

    monkeypatch.setattr(execution, "render_prompt", render_failing_for_the_first)
    with pytest.raises(KeyError):
        trials_execute(trial_ids=ids)
    statuses = dict(Trial.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {ids[0]: TrialStatus.PENDING, ids[1]: TrialStatus.OK, ids[2]: TrialStatus.OK}


@pytest.mark.django_db
def test_a_batch_keeps_to_the_endpoints_rate_limit(
    instrument, mock_endpoints, mock_llm, tmp_path, monkeypatch
):
    import os

    from llmruns import limiter

    # A window of a second and a half stands in for the provider's minute, so the limit binds
    # within the test.
    limit, window = 10, 1.5
    monkeypatch.setattr(limiter, "_cached", limiter.FileLimiter(tmp_path, window_seconds=window))
    monkeypatch.setattr(limiter, "_cached_pid", os.getpid())
    endpoint = mock_endpoints[0]
    endpoint.max_requests_per_minute = limit
    endpoint.save()
    run = _running(run_create(spec=_spec(instrument, [endpoint], languages=["en"], replications=1)))
    ids = list(Trial.objects.filter(run=run).order_by("pk").values_list("pk", flat=True)[:25])

    assert trials_execute(trial_ids=ids) == ["ok"] * 25

    assert _chat_calls(mock_llm) == 25
    # The limiter's window is longer than the one checked here, as in production, so the jitter
    # between a grant and the server's arrival time cannot put one request too many in it: on a
    # loaded machine a request may wait a fifth of a second between the two. Without the limit,
    # all 25 would arrive within a second.
    assert mock_llm.max_requests_in_any_window(1.0, path="/v1/chat/completions") <= limit


@pytest.mark.django_db
def test_dispatch_queues_small_batches_of_one_endpoint_each(
    instrument, mock_endpoints, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from llmruns import tasks

    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.execute_trials, "delay", sent.append)
    mock_endpoints[1].max_concurrency = 64
    mock_endpoints[1].save()
    run = _running(run_create(spec=_spec(instrument, mock_endpoints, replications=1)))

    with django_capture_on_commit_callbacks(execute=True):
        queued, more = run_dispatch(run_id=run.pk)

    assert more and queued == settings.LLM_ENQUEUE_CHUNK == sum(len(b) for b in sent)
    enqueued = set(
        Trial.objects.filter(run=run, enqueued_at__isnull=False).values_list("pk", flat=True)
    )
    assert sorted(pk for batch in sent for pk in batch) == sorted(enqueued)
    endpoint_of = dict(Trial.objects.filter(run=run).values_list("pk", "endpoint_id"))
    sizes = {e.pk: trials_per_message(e) for e in mock_endpoints}
    assert sizes == {mock_endpoints[0].pk: 10, mock_endpoints[1].pk: 3}
    for batch in sent:
        (endpoint_id,) = {endpoint_of[pk] for pk in batch}
        assert 1 <= len(batch) <= sizes[endpoint_id]
    assert {len(b) for b in sent} >= {10, 3}


@pytest.mark.parametrize(
    ("requests_per_minute", "concurrency", "lease_seconds", "expected"),
    [
        (6000, 8, 300, 10),  # capped: a message is a few calls' work
        (10**7, 64, 300, 3),  # 200 in flight must fill 64 messages for 64 concurrent calls
        (300, 200, 300, 1),  # as many messages as permitted concurrent calls
        (20, 4, 6, 1),  # at 20 a minute, two calls would outlast a quarter of a 6-second lease
        (20, 4, 300, 10),
    ],
)
def test_trials_per_message_bounds(
    settings, requests_per_minute, concurrency, lease_seconds, expected
):
    settings.LLM_LEASE_SECONDS = lease_seconds
    endpoint = ModelEndpoint(
        max_requests_per_minute=requests_per_minute, max_concurrency=concurrency
    )
    assert trials_per_message(endpoint) == expected


@pytest.mark.django_db
def test_a_batch_of_work_samples_queues_their_self_reviews_in_one_message(
    instrument, mock_endpoints, monkeypatch, django_capture_on_commit_callbacks
):
    from llmruns import tasks

    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.execute_trials, "delay", sent.append)
    run = _running_review_run(instrument, mock_endpoints)
    ids = list(Trial.objects.filter(run=run).order_by("pk").values_list("pk", flat=True)[:4])

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = trials_execute(trial_ids=ids)

    reviews = Trial.objects.filter(run=run, kind="self_review")
    assert outcomes.count("ok") == reviews.count() > 0
    assert sent == [list(reviews.order_by("work_sample_id").values_list("pk", flat=True))]
    assert not reviews.filter(enqueued_at__isnull=True).exists()  # in flight, for the dispatcher


@pytest.mark.django_db
def test_a_work_sample_answered_after_a_cancel_gets_cancelled_self_reviews(
    instrument, mock_endpoints, monkeypatch, django_capture_on_commit_callbacks
):
    from llmruns import tasks
    from llmruns.services import execution

    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.execute_trials, "delay", sent.append)
    run = _running_review_run(instrument, mock_endpoints)
    sample = Trial.objects.filter(run=run, kind="work_sample").first()
    real_call = execution.chat_call

    def call_while_the_run_is_cancelled(**kwargs):
        result = real_call(**kwargs)
        run_cancel(run=run)
        return result

    monkeypatch.setattr(execution, "chat_call", call_while_the_run_is_cancelled)

    with django_capture_on_commit_callbacks(execute=True):
        assert trial_execute(trial_id=sample.pk) == "ok"

    review = Trial.objects.get(run=run, kind="self_review")
    assert review.work_sample_id == sample.pk
    assert (review.status, review.enqueued_at) == (TrialStatus.CANCELLED, None)
    assert review.finished_at is not None
    assert sent == []  # nothing queued for it
    assert run_resume(run=run) == Trial.objects.filter(run=run).count() - 1  # all but the sample
    review.refresh_from_db()
    assert review.status == TrialStatus.PENDING


@pytest.mark.django_db
def test_a_worker_whose_lease_was_taken_over_makes_no_further_call(
    instrument, mock_endpoints, mock_llm, monkeypatch
):
    from llmruns.services import execution

    mock_llm.set_config(MockConfig(rate_500=1.0))
    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en"], replications=1))
    )
    trial = Trial.objects.filter(run=run).first()
    real_call = execution.chat_call

    def call_then_lose_the_lease(**kwargs):
        result = real_call(**kwargs)
        # Meanwhile the lease expired, was reaped, and another worker claimed the trial.
        Trial.objects.filter(pk=trial.pk).update(lease_owner="other:1:new")
        return result

    monkeypatch.setattr(execution, "chat_call", call_then_lose_the_lease)

    assert trial_execute(trial_id=trial.pk) == "lease lost"
    assert _chat_calls(mock_llm) == 1 == trial.attempts.count()
    trial.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING and trial.lease_owner == "other:1:new"


@pytest.mark.django_db
def test_a_call_longer_than_the_lease_setting_is_not_reaped_while_it_runs(
    instrument, mock_endpoints, mock_llm, monkeypatch, settings
):
    """An endpoint may be given more time per call than the lease lasts (a reasoning model with a
    ten-minute timeout): the reaper must not hand the trial to another worker mid-call, which
    would pay for the call twice and drop the answer that came back."""
    from llmruns import tasks
    from llmruns.services import execution, trials_reap

    monkeypatch.setattr(tasks.dispatch_run, "delay", lambda run_id: None)
    settings.LLM_LEASE_SECONDS = 1
    mock_llm.set_config(MockConfig(latency_ms=1500))  # the endpoint's timeout is 5 s
    run = _running(
        run_create(spec=_spec(instrument, mock_endpoints[:1], languages=["en"], replications=1))
    )
    trial = Trial.objects.filter(run=run).first()
    real_call = execution.chat_call
    reaped: list[dict] = []

    def call_while_the_reaper_runs(**kwargs):
        result = real_call(**kwargs)
        reaped.append(trials_reap())  # the beat's reaper, as the response comes in
        return result

    monkeypatch.setattr(execution, "chat_call", call_while_the_reaper_runs)

    assert trial_execute(trial_id=trial.pk) == "ok"
    assert reaped[0]["expired_leases"] == 0
    trial.refresh_from_db()
    assert trial.status == TrialStatus.OK and trial.value is not None
    assert _chat_calls(mock_llm) == 1 == trial.attempts.count()


@pytest.mark.django_db
def test_an_answer_stopped_by_the_content_filter_is_kept_as_refused(
    instrument, mock_endpoints, mock_llm
):
    """finish_reason=content_filter: the provider withheld the rest of the answer. What was
    written before is kept, but it is neither a value nor a work sample for the experts (nor one
    that gets a self-review)."""
    mock_llm.set_config(MockConfig(rate_content_filter=1.0))
    spec = _spec(
        instrument,
        mock_endpoints[:1],
        languages=["en"],
        kinds=["interest", "work_sample", "self_review"],
        replications=1,
    )
    run = _running(run_create(spec=spec))
    trials = [
        *Trial.objects.filter(run=run, kind="interest").order_by("pk")[:3],
        *Trial.objects.filter(run=run, kind="work_sample").order_by("pk")[:3],
    ]
    for trial in trials:
        trial_execute(trial_id=trial.pk)

    stored = Trial.objects.filter(pk__in=[t.pk for t in trials])
    assert [t.status for t in stored] == [TrialStatus.REFUSED] * 6
    assert all(t.value is None for t in stored)
    assert all("content_filter" in t.outcome_reason for t in stored)
    assert all(t.text for t in stored.filter(kind="work_sample"))  # the partial text is kept
    assert not Trial.objects.filter(run=run, kind="self_review").exists()
