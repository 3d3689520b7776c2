"""Runs end to end in one process: definition, freezing, execution against the mock over HTTP."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from careers.models import PromptTemplate
from llmruns.mockserver import MockConfig
from llmruns.models import Attempt, Run, RunStatus, Trial, TrialStatus
from llmruns.services import (
    RunSpec,
    run_cancel,
    run_create,
    run_estimate,
    run_finish_if_done,
    run_progress,
    run_resume,
    trial_execute,
)


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


@pytest.mark.django_db
def test_work_samples_get_their_self_review_once_ok(instrument, mock_endpoints):
    run = _running(
        run_create(
            spec=_spec(
                instrument,
                mock_endpoints[:1],
                languages=["en"],
                kinds=["work_sample", "self_review"],
                replications=1,
            )
        )
    )
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
    progress = run_progress(run=run)
    assert progress["counts"]["pending"] == progress["total"] == 960
