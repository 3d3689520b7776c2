"""ORM builders for the statistics tests: runs, trials, campaigns and ratings made directly.

Each builder writes exactly what it is given, so a test states its data and the numbers the
statistics must produce from it. Django is imported inside the functions, like the fixtures of
this folder, so that pure tests here still run with `-p no:django`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_counter = itertools.count(1)

# (endpoint name, language, item number, replication): one work sample, one unit.
Cell = tuple[str, str, int, int]


@dataclass
class RatedCampaign:
    campaign: Any
    run: Any
    endpoints: dict[str, Any]
    units: dict[Cell, Any]
    experts: dict[str, Any]
    assignments: dict[tuple[str, Cell], Any] = field(default_factory=dict)


def make_endpoint(name: str, **values: Any):
    from llmruns.models import ModelEndpoint

    defaults = {
        "provider": "mock",
        "base_url": "http://127.0.0.1:9/v1",
        "model": f"{name.lower()}-model",
        "api_key_env": "VOCATIONLAB_TEST_KEY_VARIABLE",
        "is_mock": True,
    }
    endpoint, _created = ModelEndpoint.objects.get_or_create(
        name=name, defaults={**defaults, **values}
    )
    return endpoint


def make_expert(pseudonym: str):
    from django.contrib.auth import get_user_model

    from careers.accounts import role_groups_ensure
    from careers.permissions import EXPERT
    from ratings.models import ExpertProfile

    user = get_user_model().objects.create_user(
        username=f"rater_{pseudonym.lower()}_{next(_counter)}", password="rater-pw-12345"
    )
    user.groups.add(role_groups_ensure()[EXPERT])
    return ExpertProfile.objects.create(
        user=user,
        pseudonym=pseudonym,
        languages=["en", "zh-hans"],
        areas=["R", "I", "A", "S", "E", "C"],
    )


def make_run(
    instrument,
    endpoints: Sequence,
    *,
    languages: Sequence[str] = ("en",),
    kinds: Sequence[str] = ("interest", "self_competence", "work_sample", "self_review"),
    replications: int = 1,
    name: str = "Statistics run",
):
    from llmruns.models import Run, RunStatus

    run = Run.objects.create(
        name=name,
        instrument=instrument,
        languages=list(languages),
        kinds=list(kinds),
        replications=replications,
        status=RunStatus.FINISHED,
        config={
            "endpoints": [
                {
                    "id": endpoint.pk,
                    "name": endpoint.name,
                    "base_url": "http://user:hunter2@127.0.0.1:9/v1",
                    "api_key_env": endpoint.api_key_env,
                }
                for endpoint in endpoints
            ],
            "templates": {
                f"{kind}/{language}/1": {"kind": kind, "language": language, "version": 3}
                for kind in kinds
                for language in languages
            },
            "code_version": "test",
        },
    )
    run.endpoints.set(endpoints)
    return run


def make_trials(
    run,
    *,
    kind: str,
    values: Mapping[Cell, int | None],
    statuses: Mapping[Cell, str] | None = None,
    endpoints: Mapping[str, Any],
) -> dict[Cell, Any]:
    """One trial per cell; a None value is an invalid answer unless `statuses` says otherwise."""
    from django.utils import timezone

    from llmruns.models import Trial

    items = {item.number: item for item in run.instrument.items.all()}
    statuses = statuses or {}
    now = timezone.now()
    trials = []
    for cell, value in values.items():
        endpoint_name, language, number, replication = cell
        status = statuses.get(cell, "ok" if value is not None else "invalid")
        trials.append(
            Trial(
                run=run,
                endpoint=endpoints[endpoint_name],
                language=language,
                item=items[number],
                kind=kind,
                replication=replication,
                status=status,
                value=value if status == "ok" else None,
                text=f"{kind} answer for item {number}" if status != "pending" else "",
                input_tokens=100,
                output_tokens=20,
                cost="0.00012000",
                latency_ms=12.5,
                attempt_count=1,
                started_at=now if status != "pending" else None,
                finished_at=now if status != "pending" else None,
            )
        )
    created = Trial.objects.bulk_create(trials)
    return dict(zip(values, created, strict=True))


def build_rated_campaign(
    instrument,
    *,
    ratings: Mapping[str, Mapping[Cell, int | None]],
    endpoint_names: Sequence[str] = ("Model-A",),
    languages: Sequence[str] = ("en",),
    run=None,
    endpoints: Mapping[str, Any] | None = None,
    name: str = "Statistics campaign",
) -> RatedCampaign:
    """A campaign whose units are the cells named in `ratings` and whose experts (keyed by
    pseudonym) rated them: an int is a submitted rating (revision 1), None an assignment
    still pending. Cells missing from an expert's mapping are not assigned to them."""
    from careers.models import Scale
    from ratings.models import (
        Assignment,
        AssignmentStatus,
        Campaign,
        Panel,
        Rating,
        Unit,
        new_blind_code,
    )

    if endpoints is None:
        endpoints = {name: make_endpoint(name) for name in endpoint_names}
    if run is None:
        run = make_run(instrument, list(endpoints.values()), languages=languages)
    cells = list(dict.fromkeys(cell for rated in ratings.values() for cell in rated))
    samples = make_trials(
        run,
        kind="work_sample",
        values=dict.fromkeys(cells, None),
        endpoints=endpoints,
        statuses=dict.fromkeys(cells, "ok"),
    )
    experts = {pseudonym: make_expert(pseudonym) for pseudonym in ratings}
    panel = Panel.objects.create(name=f"Panel {next(_counter)}")
    panel.experts.set(experts.values())
    campaign = Campaign.objects.create(
        name=name,
        run=run,
        panel=panel,
        scale=Scale.objects.get(instrument=instrument, slug="competence"),
        languages=list(languages),
        areas=["R", "I", "A", "S", "E", "C"],
        raters_per_unit=len(experts),
    )
    campaign.endpoints.set(endpoints.values())
    units = {
        cell: Unit.objects.create(
            campaign=campaign,
            trial=samples[cell],
            item=samples[cell].item,
            language=cell[1],
            blind_code=new_blind_code(),
            text_redacted=samples[cell].text,
        )
        for cell in cells
    }
    built = RatedCampaign(
        campaign=campaign, run=run, endpoints=dict(endpoints), units=units, experts=experts
    )
    for pseudonym, rated in ratings.items():
        for position, (cell, value) in enumerate(rated.items(), start=1):
            assignment = Assignment.objects.create(
                campaign=campaign,
                unit=units[cell],
                expert=experts[pseudonym],
                position=position,
                status=AssignmentStatus.PENDING if value is None else AssignmentStatus.SUBMITTED,
                active_seconds=None if value is None else 30.0,
            )
            built.assignments[(pseudonym, cell)] = assignment
            if value is not None:
                Rating.objects.create(assignment=assignment, value=value, active_seconds=30.0)
    return built


def add_units(built: RatedCampaign, ratings: Mapping[str, Mapping[Cell, int]]) -> None:
    """More units rated by the campaign's experts (for query counts that must not grow)."""
    from ratings.models import Assignment, AssignmentStatus, Rating, Unit, new_blind_code

    cells = list(dict.fromkeys(cell for rated in ratings.values() for cell in rated))
    samples = make_trials(
        built.run,
        kind="work_sample",
        values=dict.fromkeys(cells, None),
        endpoints=built.endpoints,
        statuses=dict.fromkeys(cells, "ok"),
    )
    for cell in cells:
        built.units[cell] = Unit.objects.create(
            campaign=built.campaign,
            trial=samples[cell],
            item=samples[cell].item,
            language=cell[1],
            blind_code=new_blind_code(),
            text_redacted=samples[cell].text,
        )
    for pseudonym, rated in ratings.items():
        start = Assignment.objects.filter(expert=built.experts[pseudonym]).count()
        for offset, (cell, value) in enumerate(rated.items(), start=1):
            assignment = Assignment.objects.create(
                campaign=built.campaign,
                unit=built.units[cell],
                expert=built.experts[pseudonym],
                position=start + offset,
                status=AssignmentStatus.SUBMITTED,
            )
            Rating.objects.create(assignment=assignment, value=value)


def krippendorff_reliability_data(path) -> dict[str, list[int | None]]:
    """Coder -> values of units 1-12 (None where missing) from the published example's CSV."""
    rows = [
        line.split(",")
        for line in path.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    return {row[0]: [int(value) if value else None for value in row[1:]] for row in rows[1:]}
