"""The statistics API of campaigns and runs: published values, parameters, roles, caching."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.ratings.stats_builders import (
    add_units,
    build_rated_campaign,
    krippendorff_reliability_data,
    make_endpoint,
    make_run,
    make_trials,
)

KRIPPENDORFF_DATA = Path("/work/shared/data/krippendorff_2011_reliability_data.csv")
if not KRIPPENDORFF_DATA.exists():  # the repository keeps a copy under fixtures/reference
    KRIPPENDORFF_DATA = (
        Path(__file__).resolve().parents[2]
        / "fixtures"
        / "reference"
        / "krippendorff_2011_reliability_data.csv"
    )


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _cell(item: int, *, endpoint: str = "Model-A", language: str = "en", replication: int = 1):
    return (endpoint, language, item, replication)


@pytest.fixture
def krippendorff_campaign(instrument):
    """Krippendorff (2011) example C: 4 coders x 12 units, each coder an expert."""
    data = krippendorff_reliability_data(KRIPPENDORFF_DATA)
    ratings = {
        f"E-CODER{coder}": {
            _cell(unit): value for unit, value in enumerate(values, start=1) if value is not None
        }
        for coder, values in data.items()
    }
    return build_rated_campaign(instrument, ratings=ratings)


def _url(kind: str, pk: int, name: str, query: str = "") -> str:
    return f"/api/v1/{kind}/{pk}/{name}/{'?' + query if query else ''}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_agreement_reproduces_krippendorffs_published_values(
    researcher_api, krippendorff_campaign, level, published
):
    campaign = krippendorff_campaign.campaign
    response = researcher_api.get(
        _url("campaigns", campaign.pk, "agreement", f"level={level}&bootstrap=200&seed=3")
    )
    assert response.status_code == 200
    body = response.json()
    assert round(body["result"]["alpha"], 3) == published
    assert body["result"]["n_pairable_values"] == 40
    assert body["parameters"] == {
        "level": level,
        "by": [],
        "bootstrap": 200,
        "seed": 3,
        "confidence": 0.95,
        "value_domain": [1, 2, 3, 4, 5],
    }
    assert body["n"] == 41
    assert {"reason": "unit has a single rating (not pairable)", "count": 1, "of": "units"} in body[
        "exclusions"
    ]
    low, high = body["result"]["ci_low"], body["result"]["ci_high"]
    assert low < body["result"]["alpha"] < high


@pytest.mark.django_db
def test_agreement_ci_is_reproducible_with_the_seed_and_moves_with_another(
    researcher_api, krippendorff_campaign
):
    pk = krippendorff_campaign.campaign.pk
    first = researcher_api.get(_url("campaigns", pk, "agreement", "seed=11")).json()["result"]
    cache.clear()
    again = researcher_api.get(_url("campaigns", pk, "agreement", "seed=11")).json()["result"]
    other = researcher_api.get(_url("campaigns", pk, "agreement", "seed=12")).json()["result"]
    assert (first["ci_low"], first["ci_high"]) == (again["ci_low"], again["ci_high"])
    assert (first["ci_low"], first["ci_high"]) != (other["ci_low"], other["ci_high"])
    assert first["bootstrap_replicates"] == 1000


@pytest.mark.django_db
def test_agreement_by_subgroup_and_exclusions_of_skips_and_pending_work(researcher_api, instrument):
    from ratings.models import AssignmentStatus

    # Items 1-2 are Realistic, 11-12 Conventional in the short form.
    cells = [_cell(1), _cell(2), _cell(11), _cell(12)]
    built = build_rated_campaign(
        instrument,
        ratings={
            "E-AAAAAA": dict(zip(cells, [1, 2, 4, 5], strict=True)),
            "E-BBBBBB": dict(zip(cells, [1, 3, 4, None], strict=True)),
            "E-CCCCCC": {cells[0]: 2},
        },
    )
    assignment = built.assignments[("E-CCCCCC", cells[0])]
    assignment.ratings.all().delete()
    assignment.status = AssignmentStatus.SKIPPED
    assignment.skip_reason = "outside_expertise"
    assignment.save()

    body = researcher_api.get(_url("campaigns", built.campaign.pk, "agreement", "by=area")).json()
    assert body["n"] == 7
    assert [(row["area"], row["n_ratings"]) for row in body["groups"]] == [("R", 4), ("C", 3)]
    reasons = {entry["reason"]: entry["count"] for entry in body["exclusions"]}
    assert reasons == {
        "assignment skipped (outside_expertise)": 1,
        "assignment not rated yet (pending or draft)": 1,
        "unit has a single rating (not pairable)": 1,
    }


@pytest.mark.django_db
def test_alpha_without_variation_is_null_with_the_reason(researcher_api, instrument):
    built = build_rated_campaign(
        instrument,
        ratings={"E-AAAAAA": {_cell(1): 3, _cell(2): 3}, "E-BBBBBB": {_cell(1): 3, _cell(2): 3}},
    )
    body = researcher_api.get(_url("campaigns", built.campaign.pk, "agreement")).json()
    assert body["result"]["alpha"] is None
    assert body["result"]["reason"] == "no variation"
    assert body["notes"] == ["alpha undefined: no variation"]


@pytest.mark.django_db
def test_a_revised_rating_counts_with_its_latest_value_only(researcher_api, instrument):
    from ratings.models import Rating

    built = build_rated_campaign(
        instrument,
        ratings={
            "E-AAAAAA": {_cell(1): 1, _cell(2): 5},
            "E-BBBBBB": {_cell(1): 5, _cell(2): 1},
        },
    )
    url = _url("campaigns", built.campaign.pk, "raters")
    before = {row["rater"]: row for row in researcher_api.get(url).json()["results"]}
    assert before["E-AAAAAA"]["mean"] == 3.0
    assignment = built.assignments[("E-AAAAAA", _cell(2))]
    Rating.objects.create(assignment=assignment, value=1, revision=2)
    after = researcher_api.get(url).json()
    rows = {row["rater"]: row for row in after["results"]}
    assert after["n"] == 4
    assert rows["E-AAAAAA"]["n"] == 2 and rows["E-AAAAAA"]["mean"] == 1.0


@pytest.mark.django_db
def test_raters_flag_the_expert_who_deviates_from_the_others(researcher_api, instrument):
    truth = {_cell(item): 1 + item % 4 for item in range(1, 13)}
    built = build_rated_campaign(
        instrument,
        ratings={
            "E-FAIRAA": dict(truth),
            "E-FAIRBB": dict(truth),
            "E-LENIEN": {cell: value + 1 for cell, value in truth.items()},
        },
    )
    body = researcher_api.get(_url("campaigns", built.campaign.pk, "raters")).json()
    rows = {row["rater"]: row for row in body["results"]}
    assert rows["E-LENIEN"]["mean_deviation"] == pytest.approx(1.0)
    assert rows["E-LENIEN"]["flagged"] and rows["E-LENIEN"]["direction"] == "lenient"
    assert rows["E-FAIRAA"]["mean_deviation"] == pytest.approx(-0.5)
    assert not rows["E-FAIRAA"]["flagged"] and not rows["E-FAIRBB"]["flagged"]
    assert body["parameters"] == {
        "level": "ordinal",
        "threshold": 0.75,
        "value_domain": [1, 2, 3, 4, 5],
    }
    strict = researcher_api.get(_url("campaigns", built.campaign.pk, "raters", "threshold=0.5"))
    flagged = {row["rater"] for row in strict.json()["results"] if row["flagged"]}
    assert flagged == {"E-LENIEN", "E-FAIRAA", "E-FAIRBB"}


@pytest.mark.django_db
def test_units_are_ordered_by_disagreement_and_sliced(researcher_api, instrument):
    built = build_rated_campaign(
        instrument,
        ratings={
            "E-AAAAAA": {_cell(1): 1, _cell(2): 3, _cell(3): 2},
            "E-BBBBBB": {_cell(1): 5, _cell(2): 3, _cell(3): 3},
        },
    )
    response = researcher_api.get(
        _url("campaigns", built.campaign.pk, "units", "ordering=-disagreement&limit=2")
    )
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2
    first, second = body["results"]
    assert first["unit"] == built.units[_cell(1)].blind_code
    assert first["range"] == 4.0 and first["high_disagreement"] is True
    assert first["item"] == 1 and first["endpoint"] == "Model-A"
    assert second["unit"] == built.units[_cell(3)].blind_code
    assert body["parameters"]["ordering"] == "-disagreement"


@pytest.mark.django_db
def test_discrepancy_equals_the_hand_computed_difference(researcher_api, instrument):
    built = build_rated_campaign(
        instrument,
        ratings={
            "E-AAAAAA": {_cell(1): 2, _cell(2): 4, _cell(3): 3},
            "E-BBBBBB": {_cell(1): 4, _cell(2): 4, _cell(3): 5},
        },
    )
    # Self-assessments: item 1 answered 5 and 4 (mean 4.5), item 2 answered 2, item 3 refused.
    make_trials(
        built.run,
        kind="self_competence",
        values={_cell(1): 5, _cell(1, replication=2): 4, _cell(2): 2, _cell(3): None},
        statuses={_cell(3): "refused"},
        endpoints=built.endpoints,
    )
    body = researcher_api.get(
        _url("campaigns", built.campaign.pk, "discrepancy", "by=endpoint&bootstrap=0")
    ).json()
    items = {row["item"]: row for row in body["items"]}
    assert items[1]["difference"] == pytest.approx(4.5 - 3.0)
    assert items[2]["difference"] == pytest.approx(2 - 4.0)
    assert items[3]["self"] is None
    (group,) = body["groups"]
    assert group["endpoint"] == "Model-A" and group["n"] == 2 == body["n"]
    assert group["mean_difference"] == pytest.approx((1.5 - 2.0) / 2)
    assert group["share_underestimated"] == 0.5
    reasons = {entry["reason"]: entry["count"] for entry in body["exclusions"]}
    assert reasons["self-competence: refused answer"] == 1
    assert reasons["item has no self-assessment"] == 1
    assert body["parameters"]["source"] == "self_competence"


@pytest.mark.django_db
def test_discrepancy_serves_the_interest_competence_alignment_computed_by_hand(
    researcher_api, instrument
):
    # Items 1-4: interest 1, 4, 3, 5 (ranks 1, 3, 2, 4); expert competence 2, 3, 4, 5 (ranks
    # 1, 2, 3, 4): rank differences 0, 1, 1, 0, rho = 1 - 6 * 2 / (4 * 15) = 0.8. Self-assessed
    # 2, 1, 4, 3 (ranks 2, 1, 4, 3): differences 1, 2, 2, 1, rho = 1 - 6 * 10 / 60 = 0.
    expert = {_cell(1): 2, _cell(2): 3, _cell(3): 4, _cell(4): 5}
    built = build_rated_campaign(instrument, ratings={"E-AAAAAA": expert, "E-BBBBBB": expert})
    make_trials(
        built.run,
        kind="interest",
        values={_cell(1): 1, _cell(2): 4, _cell(3): 3, _cell(4): 5, _cell(5): None},
        endpoints=built.endpoints,
    )
    make_trials(
        built.run,
        kind="self_competence",
        values={_cell(1): 2, _cell(2): 1, _cell(3): 4, _cell(4): 3},
        endpoints=built.endpoints,
    )
    body = researcher_api.get(
        _url("campaigns", built.campaign.pk, "discrepancy", "bootstrap=0")
    ).json()
    rows = {row["competence"]: row for row in body["alignment"]}
    assert set(rows) == {"expert", "self_competence"}
    assert rows["expert"]["spearman_rho"] == pytest.approx(0.8)
    assert rows["self_competence"]["spearman_rho"] == pytest.approx(0.0, abs=1e-12)
    for row in rows.values():
        assert (row["endpoint"], row["language"], row["n"]) == ("Model-A", "en", 4)
    # Item 5 has only an invalid interest answer and no competence: counted, not correlated.
    assert rows["expert"]["n_unpaired_items"] == 1 == rows["self_competence"]["n_unpaired_items"]
    csv = researcher_api.get(
        _url(
            "campaigns", built.campaign.pk, "discrepancy", "bootstrap=0&format=csv&table=alignment"
        )
    )
    assert csv.status_code == 200
    header, *lines = csv.content.decode().splitlines()
    assert header.split(",")[:4] == ["endpoint", "language", "competence", "spearman_rho"]
    assert len(lines) == 2


@pytest.fixture
def interest_run(instrument):
    """Two endpoints x two languages x 2 replications of all 60 interest items; one refusal."""
    endpoints = {name: make_endpoint(name) for name in ("Model-A", "Model-B")}
    run = make_run(
        instrument, list(endpoints.values()), languages=("en", "zh-hans"), replications=2
    )
    areas = {item.number: item.area for item in instrument.items.all()}
    liked = {"Model-A": "S", "Model-B": "I"}
    values = {}
    for endpoint in endpoints:
        for language in ("en", "zh-hans"):
            for number, area in areas.items():
                for replication in (1, 2):
                    base = 5 if area == liked[endpoint] else 2
                    values[(endpoint, language, number, replication)] = (
                        base if language == "en" else max(1, base - (number + replication) % 2)
                    )
    refused = ("Model-A", "en", 1, 1)
    values[refused] = None
    make_trials(
        run, kind="interest", values=values, statuses={refused: "refused"}, endpoints=endpoints
    )
    return run


@pytest.mark.django_db
def test_profiles_give_area_means_holland_codes_and_count_the_refusal(researcher_api, interest_run):
    body = researcher_api.get(_url("runs", interest_run.pk, "profiles")).json()
    assert body["n"] == 2 * 2 * 60 * 2 - 1
    codes = {(row["endpoint"], row["language"]): row["code"] for row in body["holland"]}
    assert codes[("Model-A", "en")][0] == "S" and codes[("Model-B", "en")][0] == "I"
    area_s = next(
        row
        for row in body["areas"]
        if (row["endpoint"], row["language"], row["area"]) == ("Model-A", "en", "S")
    )
    assert area_s["mean"] == 5.0 and area_s["n_respondents"] == 2
    reasons = {(entry["reason"], entry["of"]): entry["count"] for entry in body["exclusions"]}
    assert reasons[("invalid or refused answer", "answers")] == 1
    assert {row["language_b"] for row in body["language_differences"]} == {"zh-hans"}

    pooled = researcher_api.get(_url("runs", interest_run.pk, "profiles", "by=endpoint")).json()
    assert {row["language"] for row in pooled["areas"]} == {"all"}
    assert {row["n_respondents"] for row in pooled["areas"]} == {4}


@pytest.mark.django_db
def test_profiles_count_a_failed_trial_once_by_its_status(researcher_api, interest_run):
    from llmruns.models import Trial

    failed = Trial.objects.get(
        run=interest_run,
        endpoint__name="Model-B",
        language="zh-hans",
        item__number=7,
        replication=2,
    )
    Trial.objects.filter(pk=failed.pk).update(status="failed", value=None)

    for by in ("endpoint,language", "endpoint", "none"):
        body = researcher_api.get(_url("runs", interest_run.pk, "profiles", f"by={by}")).json()
        answers = [entry for entry in body["exclusions"] if entry["of"] == "answers"]
        # The refusal and the failed trial, each once, by their most specific reason; the
        # refusal's respondent and the failed trial's are incomplete (their scores left out).
        assert sorted(
            (entry["reason"], entry["count"])
            for entry in answers
            if entry.get("excluded_from") != "scores"
        ) == [("interest: trial failed", 1), ("invalid or refused answer", 1)], by
        assert all(row["reason"] != "no answer recorded" for row in body["exclusion_details"]), by
        assert body["n"] == 2 * 2 * 60 * 2 - 2


@pytest.mark.django_db
def test_mixed_model_reports_coefficients_and_what_it_left_out(researcher_api, interest_run):
    body = researcher_api.get(_url("runs", interest_run.pk, "mixed-model")).json()
    assert body["result"]["formula"] == "value ~ C(area) * C(language) * C(endpoint)"
    assert body["n"] == body["result"]["n_observations"] == 479
    assert body["result"]["n_items"] == 60
    assert {row["component"] for row in body["variance_components"]} == {
        "item intercept",
        "residual",
    }
    assert body["coefficients"][0]["term"] == "Intercept"
    assert {
        "reason": "interest: refused answer",
        "count": 1,
        "of": "answers",
        "status": "refused",
    } in body["exclusions"]


@pytest.mark.django_db
def test_mixed_model_without_enough_items_says_why(researcher_api, instrument):
    endpoint = make_endpoint("Model-A")
    run = make_run(instrument, [endpoint])
    make_trials(run, kind="interest", values={_cell(1): 3}, endpoints={"Model-A": endpoint})
    body = researcher_api.get(_url("runs", run.pk, "mixed-model")).json()
    assert body["result"] is None
    assert "at least 2 items" in body["reason"]


@pytest.mark.django_db
def test_a_statistic_table_as_csv(researcher_api, krippendorff_campaign):
    pk = krippendorff_campaign.campaign.pk
    response = researcher_api.get(_url("campaigns", pk, "raters", "format=csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].split(",")[:3] == ["rater", "n", "mean"]
    assert sorted(line.split(",")[0] for line in lines[1:]) == [
        "E-CODERA",
        "E-CODERB",
        "E-CODERC",
        "E-CODERD",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "query", "parameter", "valid"),
    [
        ("agreement", "level=fuzzy", "level", "nominal, ordinal, interval, ratio"),
        ("agreement", "by=model", "by", "area, endpoint, language"),
        ("agreement", "bootstrap=-5", "bootstrap", ">= 0"),
        ("agreement", "seed=abc", "seed", "an integer"),
        ("agreement", "confidence=1.5", "confidence", "< 1"),
        ("agreement", "levle=ordinal", "levle", "level, by, bootstrap"),
        ("units", "ordering=colour", "ordering", "-disagreement"),
        ("discrepancy", "source=guess", "source", "self_competence, self_review"),
        ("raters", "format=xml", "format", "json, csv"),
        ("ratings", "format=xlsx", "format", "csv, parquet, jsonl"),
    ],
)
def test_bad_parameter_values_get_a_400_listing_the_valid_ones(
    researcher_api, krippendorff_campaign, path, query, parameter, valid
):
    response = researcher_api.get(_url("campaigns", krippendorff_campaign.campaign.pk, path, query))
    assert response.status_code == 400
    message = " ".join(response.json()[parameter])
    assert valid in message


@pytest.mark.django_db
def test_bad_run_parameters_get_a_400(researcher_api, interest_run):
    response = researcher_api.get(_url("runs", interest_run.pk, "profiles", "by=area"))
    assert response.status_code == 400
    assert "endpoint, language" in response.json()["by"][0]


@pytest.mark.django_db
def test_a_method_the_run_did_not_use_gets_a_400_naming_the_methods_it_used(
    researcher_api, interest_run, krippendorff_campaign
):
    """A verbal run asked for its structured answers: a 400, not an empty profile that says the
    run has no interest answers."""
    for url in (
        _url("runs", interest_run.pk, "profiles", "method=structured"),
        _url("runs", interest_run.pk, "mixed-model", "method=token_probability"),
        _url("campaigns", krippendorff_campaign.campaign.pk, "discrepancy", "method=structured"),
    ):
        response = researcher_api.get(url)
        assert response.status_code == 400, url
        assert "verbal" in " ".join(response.json()["method"]), url
    verbal = researcher_api.get(_url("runs", interest_run.pk, "profiles", "method=verbal"))
    assert verbal.status_code == 200 and verbal.json()["n"] == 2 * 2 * 60 * 2 - 1


CAMPAIGN_PATHS = ["agreement", "raters", "units", "discrepancy", "ratings", "package"]
RUN_PATHS = ["profiles", "mixed-model", "diagnostics", "trials"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "path"), [("campaigns", p) for p in CAMPAIGN_PATHS] + [("runs", p) for p in RUN_PATHS]
)
def test_unknown_ids_are_404(researcher_api, kind, path):
    assert researcher_api.get(_url(kind, 987654, path)).status_code == 404


@pytest.mark.django_db
def test_experts_get_403_and_anonymous_401_on_every_endpoint(expert_api, krippendorff_campaign):
    campaign = krippendorff_campaign.campaign
    urls = [_url("campaigns", campaign.pk, path) for path in CAMPAIGN_PATHS]
    urls += [_url("runs", campaign.run_id, path) for path in RUN_PATHS]
    for url in urls:
        assert expert_api.get(url).status_code == 403, url
        assert APIClient().get(url).status_code in (401, 403), url


@pytest.mark.django_db
def test_nobody_writes_through_the_statistics_endpoints(
    researcher_api, admin_api, krippendorff_campaign
):
    campaign = krippendorff_campaign.campaign
    urls = [_url("campaigns", campaign.pk, path) for path in CAMPAIGN_PATHS]
    urls += [_url("runs", campaign.run_id, path) for path in RUN_PATHS]
    for client in (researcher_api, admin_api):
        for url in urls:
            for method in ("post", "put", "patch", "delete"):
                response = getattr(client, method)(url, {"alpha": 1}, format="json")
                assert response.status_code in (403, 405), (method, url)
    assert admin_api.get(urls[0]).status_code == 200


@pytest.mark.django_db
def test_a_second_call_is_served_from_cache_until_a_new_rating(
    researcher_api, krippendorff_campaign, django_assert_num_queries
):
    from ratings.models import Assignment, AssignmentStatus, Rating

    campaign = krippendorff_campaign.campaign
    url = _url("campaigns", campaign.pk, "agreement")
    # Cold: the user's role groups, the campaign, the data version, the ratings frame, the
    # assignment counts per status, the unit count, the scale's values.
    with django_assert_num_queries(7):
        cold = researcher_api.get(url).json()
    # Cached (role groups are remembered on the user): the campaign and the data version.
    with django_assert_num_queries(2):
        warm = researcher_api.get(url).json()
    assert warm == cold

    # Coder C rates unit 1, which they had left empty.
    unit = krippendorff_campaign.units[_cell(1)]
    expert = krippendorff_campaign.experts["E-CODERC"]
    assignment = Assignment.objects.create(
        campaign=campaign, unit=unit, expert=expert, position=99, status=AssignmentStatus.SUBMITTED
    )
    Rating.objects.create(assignment=assignment, value=1)
    # A new key: the campaign, the data version, then the four reads of the computation.
    with django_assert_num_queries(6):
        fresh = researcher_api.get(url).json()
    assert fresh["n"] == cold["n"] + 1
    assert fresh["data_version"] != cold["data_version"]


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_the_number_of_units(
    researcher_api, instrument, django_assert_num_queries
):
    built = build_rated_campaign(
        instrument,
        ratings={
            "E-AAAAAA": {_cell(1): 1, _cell(2): 3},
            "E-BBBBBB": {_cell(1): 2, _cell(2): 3},
        },
    )
    pk = built.campaign.pk
    # raters and units, cold: role groups (first request only), the campaign, the data
    # version, the ratings frame, assignment counts, unit count, and for raters the scale.
    with django_assert_num_queries(7):
        researcher_api.get(_url("campaigns", pk, "raters"))
    with django_assert_num_queries(5):
        researcher_api.get(_url("campaigns", pk, "units"))
    add_units(
        built,
        {
            "E-AAAAAA": {_cell(item): 1 + item % 5 for item in range(3, 40)},
            "E-BBBBBB": {_cell(item): 1 + (item + 1) % 5 for item in range(3, 40)},
        },
    )
    cache.clear()
    with django_assert_num_queries(6):
        raters = researcher_api.get(_url("campaigns", pk, "raters")).json()
    with django_assert_num_queries(5):
        units = researcher_api.get(_url("campaigns", pk, "units")).json()
    assert raters["n"] == 2 * 39 and units["count"] == 39


@pytest.mark.django_db
def test_responses_carry_no_secret_names(researcher_api, krippendorff_campaign, interest_run):
    campaign = krippendorff_campaign.campaign
    urls = [_url("campaigns", campaign.pk, path) for path in CAMPAIGN_PATHS[:4]]
    urls += [_url("runs", interest_run.pk, path) for path in RUN_PATHS[:2]]
    for url in urls:
        content = researcher_api.get(url).content.decode()
        assert "VOCATIONLAB_TEST_KEY_VARIABLE" not in content
        assert "hunter2" not in content


@pytest.mark.django_db
def test_schema_documents_parameters_and_examples(researcher_api):
    schema = researcher_api.get("/api/v1/schema/?format=json").json()
    agreement = schema["paths"]["/api/v1/campaigns/{id}/agreement/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in agreement["parameters"]}
    assert parameters["level"]["schema"]["enum"] == ["interval", "nominal", "ordinal", "ratio"]
    assert {"by", "bootstrap", "seed", "confidence", "format", "table", "id"} <= set(parameters)
    examples = agreement["responses"]["200"]["content"]["application/json"]["examples"]
    assert next(iter(examples.values()))["value"]["result"]["alpha"] == 0.815
    for path in (
        "/api/v1/campaigns/{id}/raters/",
        "/api/v1/campaigns/{id}/units/",
        "/api/v1/campaigns/{id}/discrepancy/",
        "/api/v1/campaigns/{id}/ratings/",
        "/api/v1/campaigns/{id}/package/",
        "/api/v1/runs/{id}/profiles/",
        "/api/v1/runs/{id}/mixed-model/",
        "/api/v1/runs/{id}/trials/",
    ):
        assert set(schema["paths"][path]) == {"get"}, path


@pytest.mark.django_db
def test_a_campaign_and_a_run_without_answers_give_n_zero_and_reasons_not_errors(
    researcher_api, instrument
):
    built = build_rated_campaign(
        instrument, ratings={"E-AAAAAA": {_cell(1): None}, "E-BBBBBB": {_cell(1): None}}
    )
    campaign, run = built.campaign.pk, built.run.pk
    agreement = researcher_api.get(_url("campaigns", campaign, "agreement", "by=area")).json()
    assert agreement["n"] == 0 and agreement["result"]["alpha"] is None
    assert agreement["result"]["reason"] == "nothing pairable"
    assert {"reason": "unit has no submitted rating", "count": 1, "of": "units"} in agreement[
        "exclusions"
    ]
    for path in ("raters", "units", "discrepancy"):
        response = researcher_api.get(_url("campaigns", campaign, path))
        assert response.status_code == 200, path
        assert response.json()["n"] == 0, path
    profiles = researcher_api.get(_url("runs", run, "profiles")).json()
    assert profiles["n"] == 0 and profiles["areas"] == []
    assert "the run has no interest answers" in profiles["notes"]
    mixed = researcher_api.get(_url("runs", run, "mixed-model")).json()
    assert mixed["result"] is None and mixed["reason"]
    csv = researcher_api.get(_url("campaigns", campaign, "raters", "format=csv"))
    assert csv.content.decode().strip() == (
        "rater,n,mean,mean_deviation,alpha_without,flagged,direction"
    )
