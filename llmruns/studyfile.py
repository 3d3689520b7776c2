"""Study files (TOML or YAML) for scripted studies: endpoints to define and the run to create."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from llmruns.api.serializers import ModelEndpointSerializer, RunCreateSerializer
from llmruns.models import ModelEndpoint, Run, RunStatus
from llmruns.services import run_create, run_start


def read_study_file(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValidationError({"file": [f"study file not found: {path}"]}) from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(
            {"file": [f"{path} is not valid {path.suffix[1:].upper()}: {exc}"]}
        ) from exc
    if not isinstance(data, dict):
        raise ValidationError({"file": [f"{path} must hold a mapping"]})
    return data


def _errors(serializer) -> dict[str, list[str]]:
    return {
        field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
        for field, msgs in serializer.errors.items()
    }


@transaction.atomic
def study_create(*, data: dict[str, Any], by=None, start: bool = False) -> Run:
    """Define the file's endpoints (create or update by name), then create (and start) its run."""
    for definition in data.get("endpoint", []) or data.get("endpoints_define", []):
        instance = ModelEndpoint.objects.filter(name=definition.get("name")).first()
        serializer = ModelEndpointSerializer(
            instance, data=definition, partial=instance is not None
        )
        if not serializer.is_valid():
            raise ValidationError(
                {f"endpoint {definition.get('name')}": [str(_errors(serializer))]}
            )
        serializer.save()
    run_fields = {
        key: value for key, value in data.items() if key not in ("endpoint", "endpoints_define")
    }
    run_fields["start"] = start
    serializer = RunCreateSerializer(data=run_fields)
    if not serializer.is_valid():
        raise ValidationError(_errors(serializer))
    run = run_create(
        spec=serializer.to_spec(), by=by, check_reachable=start, start_when_prepared=start
    )
    if start and run.status == RunStatus.DRAFT:
        run = run_start(run=run, by=by, check_reachable=False)
    return run
