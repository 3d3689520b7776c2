"""The API refuses clearly: pagination and numeric parameters are checked (400 naming them),
deleting what the study's data depends on is a 409 naming the dependants and deletes nothing,
state conflicts are 409s, and the schema documents each operation's error responses."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from careers.models import Instrument, Item
from config.parsers import MAX_JSON_DEPTH
from llmruns.models import ModelEndpoint, Run, Trial
from llmruns.services import RunSpec
from llmruns.services.definition import frozen_config
from tests.ratings.conftest import build_run


def with_config(run: Run) -> Run:
    """A run built row by row, given the frozen configuration a created run has."""
    run.config = frozen_config(
        RunSpec(
            name=run.name,
            instrument=run.instrument,
            endpoints=list(run.endpoints.all()),
            languages=run.languages,
            kinds=run.kinds,
            replications=run.replications,
        )
    )
    run.save(update_fields=["config"])
    return run


@pytest.fixture
def endpoints(db):
    return [
        ModelEndpoint.objects.create(name=name, base_url="http://127.0.0.1:9/v1", model=name)
        for name in ("Used", "Unused")
    ]


@pytest.fixture
def used_run(instrument, endpoints):
    """A finished run of the first endpoint: 2 languages x 2 items = 4 trials."""
    return with_config(build_run(instrument, endpoints[:1], item_numbers=[1, 2]))


# --- pagination and numeric parameters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("offset=-2198456&limit=364143297721623262699420909568", "offset"),
        ("limit=364143297721623262699420909568", "limit"),
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=2147483648", "offset"),
        ("offset=1.5", "offset"),
        ("offset=null", "offset"),
    ],
)
@pytest.mark.parametrize("resource", ["endpoints", "runs", "instruments", "campaigns", "panels"])
def test_bad_pagination_is_a_400_naming_the_parameter(researcher_api, resource, query, parameter):
    response = researcher_api.get(f"/api/v1/{resource}/?{query}")
    assert response.status_code == 400, response.content
    assert parameter in response.json()
    assert "integer from" in response.json()[parameter][0]


def test_pagination_within_bounds_pages(researcher_api, endpoints):
    response = researcher_api.get("/api/v1/endpoints/?limit=1&offset=1")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Used"]
    assert response.json()["count"] == 2
    assert (
        researcher_api.get("/api/v1/endpoints/?limit=1000&offset=2147483647").json()["results"]
        == []
    )


@pytest.mark.parametrize("value", ["0.5", "x", "0", "99999999999999999999999"])
def test_item_number_filter_takes_integers_in_range(researcher_api, instrument, value):
    response = researcher_api.get(f"/api/v1/items/?number={value}")
    assert response.status_code == 400
    assert "number" in response.json()


@pytest.mark.parametrize("query", ["is_mock=maybe", "archived=2", "is_mock=null"])
def test_boolean_filters_refuse_what_is_not_a_boolean(researcher_api, endpoints, query):
    response = researcher_api.get(f"/api/v1/endpoints/?{query}")
    assert response.status_code == 400
    assert "must be true or false" in response.json()[query.split("=")[0]][0]


def test_extra_params_with_a_nul_character_are_a_400_not_a_database_error(admin_api):
    body = {"name": "n", "base_url": "https://x.example/v1", "model": "m"}
    for extra in ({"a\u0000": 1}, {"a": ["b\u0000"]}, {"a": {"b": "\u0000"}}):
        response = admin_api.post("/api/v1/endpoints/", {**body, "extra_params": extra})
        assert response.status_code == 400, extra
        assert "NUL" in response.json()["extra_params"][0]
    assert not ModelEndpoint.objects.exists()


@pytest.mark.parametrize("path", ["runs/", "runs/{run}/", "runs/{run}/estimate/", "endpoints/"])
def test_an_unknown_format_is_a_400_naming_the_parameter_not_a_404(researcher_api, used_run, path):
    url = "/api/v1/" + path.format(run=used_run.pk)
    response = researcher_api.get(url, {"format": "csv"})
    assert response.status_code == 400, response.content
    assert response.json()["format"][0].startswith("'csv' is not valid; valid values: one of ")
    assert "json" in response.json()["format"][0]
    assert researcher_api.get(url, {"format": "json"}).status_code == 200


def _endpoint_body(extra_params: str) -> bytes:
    """An endpoint's JSON body with `extra_params` as the raw JSON text given."""
    return (
        '{"name": "n", "base_url": "https://x.example/v1", "model": "m", "extra_params": '
        + extra_params
        + "}"
    ).encode()


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 500, 5000])
def test_a_body_nested_too_deep_is_a_400_not_a_recursion_error(admin_api, depth):
    # 500 levels passed the decoder and exhausted the recursion limit in validation; 5000
    # exhausted it in the decoder: both were 500s.
    nested = "[" * (depth - 2) + "]" * (depth - 2)
    response = admin_api.post(
        "/api/v1/endpoints/",
        _endpoint_body('{"a": ' + nested + "}"),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert f"nested more than {MAX_JSON_DEPTH} deep" in response.json()["detail"]
    assert not ModelEndpoint.objects.exists()


def test_a_body_nested_to_the_bound_is_taken(admin_api):
    nested = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)
    response = admin_api.post(
        "/api/v1/endpoints/",
        _endpoint_body('{"a": ' + nested + "}"),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert ModelEndpoint.objects.get().extra_params == {"a": json.loads(nested)}


def test_unmatched_api_urls_answer_json_404(researcher_api):
    response = researcher_api.get("/api/v1/runs/not-a-number/profiles/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- deletions ---------------------------------------------------------------------------------


def test_deleting_an_endpoint_runs_used_is_a_409_naming_them(admin_api, used_run, endpoints):
    used = endpoints[0]
    response = admin_api.delete(f"/api/v1/endpoints/{used.pk}/")
    assert response.status_code == 409
    body = response.json()
    assert body["dependants"] == {"runs": 1, "trials": 4}
    assert "endpoint Used cannot be deleted" in body["detail"]
    assert "Archive it instead" in body["detail"]
    assert ModelEndpoint.objects.filter(pk=used.pk).exists()
    assert Trial.objects.filter(endpoint=used).count() == 4

    unused = endpoints[1]
    assert admin_api.delete(f"/api/v1/endpoints/{unused.pk}/").status_code == 204
    assert not ModelEndpoint.objects.filter(pk=unused.pk).exists()


def test_an_archived_endpoint_keeps_its_history_but_new_runs_refuse_it(
    admin_api, researcher_api, used_run, endpoints
):
    used = endpoints[0]
    response = admin_api.post(f"/api/v1/endpoints/{used.pk}/archive/")
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    assert Trial.objects.filter(endpoint=used).count() == 4
    assert researcher_api.get(f"/api/v1/runs/{used_run.pk}/").json()["endpoints"] == ["Used"]
    archived = researcher_api.get("/api/v1/endpoints/?archived=true").json()["results"]
    assert [row["name"] for row in archived] == ["Used"]
    active = researcher_api.get("/api/v1/endpoints/?archived=false").json()["results"]
    assert [row["name"] for row in active] == ["Unused"]

    response = admin_api.post(
        "/api/v1/runs/",
        {
            "name": "new",
            "instrument": "oip-sf",
            "endpoints": ["Used"],
            "languages": ["en"],
            "kinds": ["interest"],
            "replications": 1,
            "start": False,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "endpoint Used is archived" in response.json()["endpoints"][0]
    assert Run.objects.count() == 1

    assert admin_api.post(f"/api/v1/endpoints/{used.pk}/unarchive/").json()["archived_at"] is None


def test_researchers_cannot_archive_or_delete(researcher_api, endpoints):
    assert researcher_api.post(f"/api/v1/endpoints/{endpoints[0].pk}/archive/").status_code == 403
    assert researcher_api.delete(f"/api/v1/endpoints/{endpoints[0].pk}/").status_code == 403
    assert researcher_api.delete(f"/api/v1/panels/{0}/").status_code == 403


def test_deleting_an_instrument_runs_used_is_a_409_naming_them(admin_api, used_run, instrument):
    response = admin_api.delete(f"/api/v1/instruments/{instrument.pk}/")
    assert response.status_code == 409
    assert response.json()["dependants"] == {"runs": 1}
    assert "instrument oip-sf cannot be deleted" in response.json()["detail"]
    assert Item.objects.filter(instrument=instrument).count() == 60

    used_run.delete()
    assert admin_api.delete(f"/api/v1/instruments/{instrument.pk}/").status_code == 204
    assert not Instrument.objects.exists() and not Item.objects.exists()


def test_a_protected_delete_missed_by_a_service_is_still_a_409(admin_api, used_run, endpoints):
    from django.db.models import ProtectedError

    from config.rest import exception_handler

    trial = Trial.objects.first()
    error = ProtectedError("protected", {trial})
    response = exception_handler(error, {})
    assert response.status_code == 409
    assert response.data["dependants"] == {"trials": 1}


# --- state conflicts ---------------------------------------------------------------------------


def test_state_conflicts_are_409s_that_say_why(admin_api, used_run):
    for action, word in [("start", "draft"), ("resume", "cancelled"), ("cancel", "finished")]:
        response = admin_api.post(f"/api/v1/runs/{used_run.pk}/{action}/")
        assert response.status_code == 409, action
        assert word in response.json()["detail"]
    used_run.refresh_from_db()
    assert used_run.status == "finished"


# --- the schema --------------------------------------------------------------------------------


@pytest.fixture
def schema(researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_documents_every_operations_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch") and "requestBody" in operation:
                assert "400" in codes, (method, path)
            if method == "delete":
                assert "409" in codes, (method, path)
    for action in ("start", "cancel", "resume", "retry-failed"):
        responses = schema["paths"][f"/api/v1/runs/{{id}}/{action}/"]["post"]["responses"]
        assert responses["409"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ConflictResponse"
        }


def test_the_schema_states_enums_ranges_and_read_only_fields(schema):
    components = schema["components"]["schemas"]
    run_request = components["RunCreateRequest"]["properties"]

    def enum(items: dict) -> list[str]:
        return components[items["$ref"].rsplit("/", 1)[1]]["enum"]

    assert enum(run_request["languages"]["items"]) == ["en", "zh-hans"]
    assert set(enum(run_request["kinds"]["items"])) == {
        "interest",
        "self_competence",
        "work_sample",
        "self_review",
    }
    assert run_request["replications"]["minimum"] == 1
    assert run_request["replications"]["maximum"] == 10_000
    assert "preparing" in components["RunStatusEnum"]["enum"]
    endpoint = components["ModelEndpoint"]["properties"]
    assert endpoint["archived_at"]["readOnly"] is True
    assert endpoint["timeout_seconds"]["minimum"] == 0.1
    assert endpoint["api_key_env"]["oneOf"][0]["pattern"] == "^[A-Za-z_][A-Za-z0-9_]*$"
    runs = schema["paths"]["/api/v1/runs/"]["get"]["parameters"]
    limit = next(p for p in runs if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)
    agreement = schema["paths"]["/api/v1/campaigns/{id}/agreement/"]["get"]["parameters"]
    bootstrap = next(p for p in agreement if p["name"] == "bootstrap")
    assert (bootstrap["schema"]["minimum"], bootstrap["schema"]["maximum"]) == (0, 20_000)


def test_a_409_names_the_dependants_in_the_request_language_and_keys_them_in_english(
    admin_api, used_run, endpoints, instrument
):
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    body = admin_api.delete(f"/api/v1/endpoints/{endpoints[0].pk}/", **chinese).json()
    assert body["dependants"] == {"runs": 1, "trials": 4}
    assert "1 运行, 4 试次" in body["detail"]
    # The hint follows the reason as a Chinese sentence follows another: without a space.
    assert "依赖它。" in body["detail"] and "。 " not in body["detail"]
    # The dependants found through the protecting foreign keys.
    body = admin_api.delete(f"/api/v1/instruments/{instrument.pk}/", **chinese).json()
    assert body["dependants"] == {"runs": 1}
    assert "1 运行" in body["detail"] and "runs" not in body["detail"]

    from django.db.models import ProtectedError
    from django.utils import translation

    from config.rest import exception_handler

    with translation.override("zh-hans"):
        response = exception_handler(ProtectedError("protected", {Trial.objects.first()}), {})
    assert response.data["dependants"] == {"trials": 1}
    assert response.data["detail"] == "无法删除：有 1 试次 依赖它。"


def test_sentences_join_with_a_space_in_english_and_without_one_after_a_chinese_stop():
    from config.errors import sentences_joined

    assert sentences_joined("It is used.", "", "Archive it instead.") == (
        "It is used. Archive it instead."
    )
    assert sentences_joined("它被使用。", "请改为归档。") == "它被使用。请改为归档。"
    assert sentences_joined("值无效：", "必须是数字。") == "值无效：必须是数字。"
    assert sentences_joined("", "Only this.") == "Only this."
