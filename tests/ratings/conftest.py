"""Fixtures for the rating app: a finished run whose work samples name their (fictional) models.

Django is imported inside the fixtures only, so the pure tests of this folder still run with
`-p no:django`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

# Distinctive, fictional names: any appearance in what an expert sees is a leak, never a
# coincidence with ordinary text.
ENDPOINTS = (
    {"name": "Zephyrion-Ultra", "model": "zq-omega-2031-01-01", "provider": "Quillfeather Labs"},
    {"name": "Borealis-Max", "model": "bx-lumen-7b-2030-11-05", "provider": "Nimbostrat AI"},
)
LEAKY_NAMES = tuple(value for endpoint in ENDPOINTS for value in endpoint.values())
RUN_NAME = "Harbinger pilot run"


def work_sample_text(endpoint, *, language: str, item_number: int) -> str:
    """A work sample that identifies its model, the way real answers often do."""
    if language == "zh-hans":
        return (
            f"作为{endpoint.name}，我由{endpoint.provider}开发。第{item_number}题的做法：\n"
            f"1. 先了解要求。\n2. 再逐步完成。\n我是{endpoint.model}。"
        )
    return (
        f"As {endpoint.name}, developed by {endpoint.provider}, here is my plan for task "
        f"{item_number}:\n1. Understand the brief.\n2. Work step by step.\n"
        f"(I am {endpoint.model}.)"
    )


def build_run(
    instrument,
    endpoints: Sequence,
    *,
    languages: Sequence[str] = ("en", "zh-hans"),
    item_numbers: Sequence[int] = range(1, 13),
    replications: int = 1,
    status: str = "finished",
    text=work_sample_text,
):
    """A run with one ok work sample per (endpoint, language, item, replication)."""
    from llmruns.models import Run, Trial

    run = Run.objects.create(
        name=RUN_NAME,
        instrument=instrument,
        languages=list(languages),
        kinds=["self_competence", "work_sample"],
        replications=replications,
        status=status,
    )
    run.endpoints.set(endpoints)
    items = {item.number: item for item in instrument.items.filter(number__in=item_numbers)}
    Trial.objects.bulk_create(
        Trial(
            run=run,
            endpoint=endpoint,
            language=language,
            item=items[number],
            kind="work_sample",
            replication=replication,
            status="ok",
            text=text(endpoint, language=language, item_number=number),
        )
        for endpoint in endpoints
        for language in languages
        for number in item_numbers
        for replication in range(1, replications + 1)
    )
    return run


@pytest.fixture
def model_endpoints(db):
    from llmruns.models import ModelEndpoint

    return [
        ModelEndpoint.objects.create(base_url="http://127.0.0.1:9/v1", **values)
        for values in ENDPOINTS
    ]


@pytest.fixture
def finished_run(instrument, model_endpoints):
    """12 items (two per area) x 2 endpoints x 2 languages: 48 work samples."""
    return build_run(instrument, model_endpoints)


@pytest.fixture
def expert3(db):
    from tests.conftest import _expert

    return _expert("esme_expert")


@pytest.fixture
def panel(expert1, expert2, expert3):
    from ratings.models import Panel

    panel = Panel.objects.create(name="Main panel")
    panel.experts.set([expert1.expert, expert2.expert, expert3.expert])
    return panel


@pytest.fixture
def campaign(finished_run, panel, admin_user):
    """All 48 work samples, three raters each: every expert of the panel rates every unit."""
    from ratings.services import campaign_create

    return campaign_create(
        skip_review=True,
        name="Pilot campaign",
        run=finished_run,
        panel=panel,
        instructions={
            "en": "Rate the answer as a practitioner would.",
            "zh-hans": "请按从业者标准评分。",
        },
        seed=20240601,
        by=admin_user,
    )


def queue_codes(expert_user) -> list[str]:
    """The expert's blind codes in stored queue order."""
    from ratings.models import Assignment

    return list(
        Assignment.objects.filter(expert__user=expert_user)
        .order_by("campaign__created_at", "campaign_id", "position")
        .values_list("unit__blind_code", flat=True)
    )


def assignment_of(expert_user, blind_code: str):
    from ratings.models import Assignment

    return Assignment.objects.select_related("campaign", "unit").get(
        expert__user=expert_user, unit__blind_code=blind_code
    )


def calibration_gold(trials, *, rationale: str = "") -> list:
    """The trials as calibration units, each expected at 2 to 3, with the admin's rationale."""
    from ratings.services import GoldUnit

    return [
        GoldUnit(
            trial_id=trial.pk,
            expected_min=2,
            expected_max=3,
            calibration=True,
            rationale=rationale,
        )
        for trial in trials
    ]


def one_unit_calibrated_campaign(run, panel, *, name: str, rationale: str):
    """The run's English work samples, two raters each; the first is the one calibration unit
    (2 to 3, with the rationale), and half of it within range is needed: the unit alone."""
    from ratings.services import campaign_create

    trial = run.trials.filter(language="en").order_by("pk").first()
    return campaign_create(
        name=name,
        skip_review=True,
        run=run,
        panel=panel,
        languages=["en"],
        raters_per_unit=2,
        gold=calibration_gold([trial], rationale=rationale),
        qualification_threshold=0.5,
        seed=4,
    )
