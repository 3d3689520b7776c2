"""The runs and endpoints API: roles, validation without side effects, create-and-start, actions."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from llmruns.models import ModelEndpoint, Run, Trial, TrialStatus


def _run_body(**overrides) -> dict:
    body = {
        "name": "api run",
        "instrument": "oip-sf",
        "endpoints": ["Mock mock-alpha"],
        "languages": ["en"],
        "kinds": ["interest"],
        "replications": 1,
        "start": False,
    }
    body.update(overrides)
    return body


@pytest.mark.django_db
def test_anonymous_and_experts_are_refused(instrument, expert_api):
    assert APIClient().get("/api/v1/runs/").status_code in (401, 403)
    assert expert_api.get("/api/v1/runs/").status_code == 403
    assert expert_api.get("/api/v1/endpoints/").status_code == 403


@pytest.mark.django_db
def test_researcher_reads_endpoints_without_key_names_and_cannot_write(
    researcher_api, mock_endpoints
):
    response = researcher_api.get("/api/v1/endpoints/")
    assert response.status_code == 200
    assert "api_key_env" not in response.json()["results"][0]
    assert researcher_api.post("/api/v1/endpoints/", {"name": "x"}).status_code == 403
    assert researcher_api.post("/api/v1/runs/", _run_body(), format="json").status_code == 403


@pytest.mark.django_db
def test_admin_cannot_store_a_key_in_place_of_its_variable_name(admin_api):
    response = admin_api.post(
        "/api/v1/endpoints/",
        {
            "name": "real",
            "base_url": "https://api.example.org/v1",
            "model": "m",
            "api_key_env": "sk-abc123456789",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "NAME of an environment variable" in response.json()["api_key_env"][0]
    assert not ModelEndpoint.objects.exists()


@pytest.mark.django_db
def test_draft_run_shows_calls_and_cost_before_starting(admin_api, instrument, mock_endpoints):
    response = admin_api.post(
        "/api/v1/runs/", _run_body(kinds=["interest", "work_sample"]), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["estimate"]["calls"] == 120
    assert float(body["estimate"]["cost"]) > 0
    assert body["progress"]["counts"]["pending"] == 120
    assert "items" not in body["config"] and body["config"]["templates"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"languages": ["fr"]}, "languages", "not a valid choice"),
        ({"replications": 0}, "replications", "greater than or equal to 1"),
        ({"endpoints": ["Nope"]}, "endpoints", "does not exist"),
        ({"instrument": "nope"}, "instrument", "does not exist"),
        ({"kinds": ["self_review"]}, "kinds", "needs work_sample"),
        # The seed column is a PostgreSQL integer: past it the database refused the row (a 500).
        ({"seed": 2**31}, "seed", "less than or equal to 2147483647"),
        ({"seed": -(10**20)}, "seed", "greater than or equal to -2147483648"),
        # PostgreSQL cannot compare a text holding NUL: the lookup itself failed (a 500).
        ({"instrument": "oip-sf\x00"}, "instrument", "Null characters are not allowed"),
        ({"endpoints": ["Mock mock-alpha\x00"]}, "endpoints", "Null characters are not allowed"),
    ],
)
def test_bad_run_definitions_get_a_400_naming_the_field(
    admin_api, instrument, mock_endpoints, overrides, field, fragment
):
    response = admin_api.post("/api/v1/runs/", _run_body(**overrides), format="json")
    assert response.status_code == 400
    assert fragment in str(response.json()[field])
    assert not Run.objects.exists() and not Trial.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [2**31, -(2**31) - 1])
def test_a_seed_the_run_cannot_store_is_a_problem_of_the_definition(
    instrument, mock_endpoints, seed
):
    from llmruns.services import RunSpec
    from llmruns.services.definition import run_spec_problems

    spec = RunSpec(
        name="seeded",
        instrument=instrument,
        endpoints=list(mock_endpoints),
        languages=["en"],
        kinds=["interest"],
        replications=1,
        seed=seed,
    )
    assert "between -2147483648 and 2147483647" in run_spec_problems(spec)["seed"][0]
    assert "seed" not in run_spec_problems(replace(spec, seed=2**31 - 1))


@pytest.mark.django_db
def test_instrument_missing_a_language_gets_a_400(admin_api, instrument, mock_endpoints):
    instrument.languages = ["en"]
    instrument.save()
    response = admin_api.post(
        "/api/v1/runs/", _run_body(languages=["en", "zh-hans"]), format="json"
    )
    assert response.status_code == 400
    assert "no zh-hans texts" in " ".join(response.json()["instrument"])
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_endpoint_unreachable_at_start_gets_a_400_and_creates_nothing(
    admin_api, instrument, mock_endpoints
):
    ModelEndpoint.objects.filter(name="Mock mock-alpha").update(base_url="http://127.0.0.1:9/v1")
    response = admin_api.post("/api/v1/runs/", _run_body(start=True), format="json")
    assert response.status_code == 400
    assert "unreachable" in " ".join(response.json()["endpoints"])
    assert not Run.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_create_and_start_queues_the_run(admin_api, instrument, mock_endpoints, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery_app import app

    app.conf.task_always_eager = True
    try:
        response = admin_api.post("/api/v1/runs/", _run_body(start=True), format="json")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 201, response.json()
    run = Run.objects.get()
    assert run.status == "finished"
    assert Trial.objects.filter(run=run, status=TrialStatus.OK).count() == 60
    detail = admin_api.get(f"/api/v1/runs/{run.pk}/").json()
    assert detail["progress"]["counts"]["ok"] == 60
    assert detail["progress"]["input_tokens"] > 0


@pytest.mark.django_db
def test_run_list_has_a_constant_number_of_queries(
    researcher_api, admin_api, instrument, mock_endpoints, django_assert_num_queries
):
    for index in range(3):
        admin_api.post("/api/v1/runs/", _run_body(name=f"r{index}"), format="json")
    newest = Run.objects.order_by("-created_at").first()
    newest.trials.filter(pk__in=newest.trials.values("pk")[:7]).update(status=TrialStatus.OK)
    # Queries: role groups, count, the page of runs with instrument/creator, the prefetched
    # endpoints, the trial counts of the page's runs.
    with django_assert_num_queries(5):
        response = researcher_api.get("/api/v1/runs/")
    results = response.json()["results"]
    assert len(results) == 3 and results[0]["id"] == newest.pk
    assert [run["trial_count"] for run in results] == [60, 60, 60]
    assert [run["finished_count"] for run in results] == [7, 0, 0]
    # A page counts its own runs' trials only, and the counts stay right when paged (the same
    # queries, but the role groups, which this client's user now caches).
    with django_assert_num_queries(4):
        paged = researcher_api.get("/api/v1/runs/?limit=1&offset=1").json()
    assert [(run["id"], run["trial_count"]) for run in paged["results"]] == [(results[1]["id"], 60)]


@pytest.mark.django_db
def test_run_pages_neither_repeat_nor_lose_runs_created_at_the_same_time(
    researcher_api, admin_api, instrument, mock_endpoints
):
    for index in range(6):
        admin_api.post("/api/v1/runs/", _run_body(name=f"r{index}"), format="json")
    Run.objects.update(created_at=Run.objects.order_by("pk").first().created_at)
    paged = [
        run["id"]
        for offset in range(0, 6, 2)
        for run in researcher_api.get(f"/api/v1/runs/?limit=2&offset={offset}").json()["results"]
    ]
    # Newest first, the later of two runs of the same time first: one total order for every page.
    assert paged == sorted(Run.objects.values_list("pk", flat=True), reverse=True)


@pytest.mark.django_db
def test_cancel_resume_actions(admin_api, instrument, mock_endpoints):
    run_id = admin_api.post("/api/v1/runs/", _run_body(), format="json").json()["id"]
    assert admin_api.post(f"/api/v1/runs/{run_id}/resume/").status_code == 409
    assert admin_api.post(f"/api/v1/runs/{run_id}/cancel/").json()["status"] == "cancelled"
    response = admin_api.post(f"/api/v1/runs/{run_id}/resume/")
    assert response.status_code == 200 and response.json()["status"] == "running"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"execution": "turbo"}, "not a valid choice"),
        ({"execution": "batch"}, "offers no batch API"),
    ],
)
def test_bad_execution_modes_get_a_400_naming_the_field(
    admin_api, instrument, mock_endpoints, overrides, fragment
):
    response = admin_api.post("/api/v1/runs/", _run_body(**overrides), format="json")
    assert response.status_code == 400
    assert fragment in str(response.json()["execution"])
    assert not Run.objects.exists() and not Trial.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("batch_max_requests", 0, "greater than or equal to 1"),
        ("batch_max_bytes", 0, "greater than or equal to 1"),
        ("batch_discount", "1.5", "less than or equal to 1"),
    ],
)
def test_bad_batch_limits_of_an_endpoint_get_a_400_naming_the_field(
    admin_api, field, value, fragment
):
    body = {
        "name": "batchy",
        "base_url": "https://api.example.org/v1",
        "model": "m",
        "supports_batch": True,
        field: value,
    }
    response = admin_api.post("/api/v1/endpoints/", body, format="json")
    assert response.status_code == 400
    assert fragment in str(response.json()[field])
    assert not ModelEndpoint.objects.exists()


PRICES = [
    "price_input_per_million",
    "price_cached_input_per_million",
    "price_output_per_million",
    "price_reasoning_per_million",
    "batch_price_input_per_million",
    "batch_price_output_per_million",
]


@pytest.mark.django_db
@pytest.mark.parametrize("field", PRICES)
def test_a_negative_price_is_a_400_naming_the_field_and_the_schema_says_so(admin_api, field):
    # The reasoning and batch prices took a negative value, which turned estimates negative.
    body = {"name": "priced", "base_url": "https://api.example.org/v1", "model": "m", field: "-1"}
    response = admin_api.post("/api/v1/endpoints/", body, format="json")
    assert response.status_code == 400
    assert "greater than or equal to 0" in response.json()[field][0]
    assert not ModelEndpoint.objects.exists()
    schema = admin_api.get("/api/v1/schema/?format=json").json()
    price = schema["components"]["schemas"]["ModelEndpointRequest"]["properties"][field]
    assert price["pattern"] == r"^\d{1,8}(\.\d{1,4})?$"


@pytest.mark.django_db
@pytest.mark.parametrize("field", PRICES)
def test_a_negative_price_fails_the_endpoints_own_validation(field):
    endpoint = ModelEndpoint(name="priced", base_url="https://api.example.org/v1", model="m")
    setattr(endpoint, field, Decimal("-1"))
    with pytest.raises(ValidationError) as refused:
        endpoint.full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_batch_run_is_created_with_both_prices_in_its_estimate(
    admin_api, instrument, mock_endpoints
):
    ModelEndpoint.objects.filter(name="Mock mock-alpha").update(
        supports_batch=True, batch_price_input_per_million="0.25"
    )
    response = admin_api.post("/api/v1/runs/", _run_body(execution="batch"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["execution"] == "batch"
    assert body["config"]["execution"] == {"mode": "batch", "retry_live": False}
    endpoint = body["config"]["endpoints"][0]
    # Input at the set batch price, output at the live price less the default half discount.
    assert endpoint["batch_price_input_per_million"] == "0.2500"
    assert endpoint["batch_price_output_per_million"] == "1.0000"
    estimate = body["estimate"]
    assert estimate["cost"] == estimate["cost_batch"]
    assert 0 < float(estimate["cost_batch"]) < float(estimate["cost_live"])
    assert body["progress"]["batch"] == {
        "submitted": 0,
        "in_open_batches": 0,
        "done": 0,
        "batches": [],
    }
