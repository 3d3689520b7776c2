"""From a run on the mock LLM server to the replication package, through the real services.

The run is executed in-process against the project's OpenAI-compatible mock over real HTTP; the
campaign is made by the rating service; three simulated experts rate every unit, one of them
always one point above the truth. The statistics must find that expert, the discrepancy must
equal the value computed by hand, and the package's manifest must describe its files exactly.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import zipfile
from statistics import mean

import pandas as pd
import pytest
from django.core.cache import cache

from llmruns.mockserver import MockConfig, MockLLMServer


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    cache.clear()
    settings.LLM_BACKOFF_INITIAL = 0.01
    settings.RATE_LIMIT_URL = ""
    settings.RATE_LIMIT_DIR = tmp_path / "ratelimit"
    from llmruns import limiter

    limiter._cached = None
    yield
    cache.clear()


@pytest.fixture
def mock_llm():
    with MockLLMServer(MockConfig(seed=11)) as server:
        yield server


def _finished_run(instrument, mock_llm):
    from llmruns.models import ModelEndpoint, Run, RunStatus, Trial, TrialStatus
    from llmruns.services import RunSpec, run_create, trial_execute

    endpoints = [
        ModelEndpoint.objects.create(
            name=f"Mock {name}",
            provider="mock",
            base_url=mock_llm.base_url,
            model=name,
            api_key_env="VOCATIONLAB_E2E_KEY_VARIABLE",
            max_requests_per_minute=60000,
            max_concurrency=8,
            timeout_seconds=5,
            is_mock=True,
        )
        for name in ("mock-alpha", "mock-beta")
    ]
    run = run_create(
        spec=RunSpec(
            name="End-to-end run",
            instrument=instrument,
            endpoints=endpoints,
            languages=["en"],
            kinds=["self_competence", "work_sample", "self_review"],
            replications=1,
            temperature=0.0,
        )
    )
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    # Self-reviews are created as their work samples finish, so keep going until none is left.
    while pending := list(
        Trial.objects.filter(run=run, status=TrialStatus.PENDING).values_list("pk", flat=True)
    ):
        for trial_id in pending:
            trial_execute(trial_id=trial_id)
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    return run


def _panel(expert_names):
    from ratings.models import Panel
    from tests.ratings.stats_builders import make_expert

    experts = {name: make_expert(name) for name in expert_names}
    panel = Panel.objects.create(name="End-to-end panel")
    panel.experts.set(experts.values())
    return panel, experts


def _simulated_ratings(campaign, experts) -> dict[str, int]:
    """Every expert rates every unit: two near the truth, one always a point above it."""
    from ratings.models import Assignment
    from ratings.services import rating_submit

    chooser = random.Random(5)
    truth = {
        code: chooser.choice([2, 3, 4])
        for code in campaign.units.order_by("blind_code").values_list("blind_code", flat=True)
    }
    for index, assignment in enumerate(
        Assignment.objects.filter(campaign=campaign)
        .select_related("unit", "expert", "campaign")
        .order_by("unit__blind_code", "expert__pseudonym")
    ):
        value = truth[assignment.unit.blind_code]
        if assignment.expert.pseudonym == "E-LENIEN":
            value += 1
        elif assignment.expert.pseudonym == "E-NOISYY" and index % 5 == 0:
            value -= 1
        rating_submit(assignment=assignment, value=value, active_seconds=20.0)
    return truth


@pytest.mark.slow
@pytest.mark.django_db
def test_a_run_rated_by_a_panel_with_a_lenient_expert_end_to_end(
    instrument, mock_llm, researcher_api, admin_user
):
    from llmruns.models import Trial
    from ratings.models import Rating
    from ratings.services import campaign_create

    run = _finished_run(instrument, mock_llm)
    panel, experts = _panel(["E-CAREFU", "E-NOISYY", "E-LENIEN"])
    campaign = campaign_create(
        skip_review=True,
        name="End-to-end campaign",
        run=run,
        panel=panel,
        areas=["R", "S"],
        raters_per_unit=3,
        seed=99,
        by=admin_user,
    )
    assert campaign.units.count() == 2 * 20  # two endpoints x 20 items of R and S
    _simulated_ratings(campaign, experts)

    # The lenient expert is flagged by the per-rater statistics.
    raters = researcher_api.get(f"/api/v1/campaigns/{campaign.pk}/raters/").json()
    rows = {row["rater"]: row for row in raters["results"]}
    assert rows["E-LENIEN"]["mean_deviation"] == pytest.approx(1.0, abs=0.15)
    assert rows["E-LENIEN"]["flagged"] and rows["E-LENIEN"]["direction"] == "lenient"
    assert not rows["E-CAREFU"]["flagged"] and not rows["E-NOISYY"]["flagged"]
    assert raters["n"] == 120

    agreement = researcher_api.get(f"/api/v1/campaigns/{campaign.pk}/agreement/").json()
    assert agreement["n"] == 120 and agreement["result"]["n_units"] == 40
    assert agreement["result"]["ci_low"] <= agreement["result"]["alpha"]

    # Discrepancy of one slice, by hand: mock-alpha, area S, self-assessed competence.
    endpoint = "Mock mock-alpha"
    self_values = dict(
        Trial.objects.filter(
            run=run,
            kind="self_competence",
            endpoint__name=endpoint,
            item__area="S",
            status="ok",
        ).values_list("item__number", "value")
    )
    expert_values: dict[int, list[int]] = {}
    for number, value in Rating.objects.filter(
        assignment__campaign=campaign,
        assignment__unit__trial__endpoint__name=endpoint,
        assignment__unit__item__area="S",
    ).values_list("assignment__unit__item__number", "value"):
        expert_values.setdefault(number, []).append(value)
    paired = sorted(set(self_values) & set(expert_values))
    assert len(paired) >= 8
    by_hand = mean(self_values[number] - mean(expert_values[number]) for number in paired)

    body = researcher_api.get(
        f"/api/v1/campaigns/{campaign.pk}/discrepancy/?by=endpoint,area&bootstrap=200"
    ).json()
    group = next(
        row for row in body["groups"] if row["endpoint"] == endpoint and row["area"] == "S"
    )
    assert group["n"] == len(paired)
    assert group["mean_difference"] == pytest.approx(by_hand)
    assert group["ci_low"] <= group["mean_difference"] <= group["ci_high"]
    item = next(
        row for row in body["items"] if row["endpoint"] == endpoint and row["item"] == paired[0]
    )
    assert item["difference"] == pytest.approx(
        self_values[paired[0]] - mean(expert_values[paired[0]])
    )
    review = researcher_api.get(
        f"/api/v1/campaigns/{campaign.pk}/discrepancy/?source=self_review&bootstrap=0"
    ).json()
    assert review["n"] > 0 and review["parameters"]["source"] == "self_review"

    # The replication package: every file matches the manifest's rows and checksums.
    response = researcher_api.get(f"/api/v1/campaigns/{campaign.pk}/package/?bootstrap=100")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    assert {entry["name"] for entry in manifest["files"]} | {"manifest.json"} == set(
        archive.namelist()
    )
    for entry in manifest["files"]:
        data = archive.read(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
        assert len(data) == entry["bytes"], entry["name"]
        if entry["name"].endswith(".csv"):
            assert len(pd.read_csv(io.BytesIO(data))) == entry["rows"], entry["name"]
    files = {entry["name"]: entry for entry in manifest["files"]}
    assert files["trials.csv"]["rows"] == Trial.objects.filter(run=run).count()
    assert files["ratings.csv"]["rows"] == 120
    raters_csv = pd.read_csv(io.BytesIO(archive.read("statistics/raters.csv")))
    lenient = raters_csv.set_index("rater").loc["E-LENIEN"]
    assert lenient["mean_deviation"] == pytest.approx(rows["E-LENIEN"]["mean_deviation"])
    config = archive.read("run_config.json").decode()
    assert "VOCATIONLAB_E2E_KEY_VARIABLE" not in config
    assert json.loads(config)["endpoints"][0]["model"] in {"mock-alpha", "mock-beta"}
    assert manifest["run"]["code_version"] == run.config["code_version"]
