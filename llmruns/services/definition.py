"""Defining a run: validation, the frozen configuration, the trial grid and the cost estimate."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from careers.models import Instrument, QuestionKind
from careers.selectors import current_templates, instrument_language_gaps
from llmruns.client import endpoint_reachable
from llmruns.models import ModelEndpoint, Run, RunStatus, Trial
from llmruns.prompts import render_prompt, scale_is_reversed, template_variant, variants_for

SUPPORTED_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
# Expected answer length per kind, in tokens, for the estimate only.
EXPECTED_OUTPUT_TOKENS = {"interest": 8, "self_competence": 8, "self_review": 8}


@dataclass
class RunSpec:
    name: str
    instrument: Instrument
    endpoints: list[ModelEndpoint]
    languages: list[str]
    kinds: list[str]
    replications: int
    temperature: float = 1.0
    top_p: float | None = None
    max_tokens: int = 600
    seed: int = 0
    reverse_half: bool = True
    rotate_templates: bool = True
    max_attempts: int = field(default_factory=lambda: settings.LLM_MAX_ATTEMPTS)


@lru_cache(maxsize=1)
def code_version() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_spec_problems(spec: RunSpec) -> dict[str, list[str]]:
    """Every problem with a run definition, by field (empty = valid)."""
    problems: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    if not spec.name.strip():
        add("name", "a run needs a name")
    if not spec.endpoints:
        add("endpoints", "choose at least one model endpoint")
    if not spec.languages:
        add("languages", "choose at least one language")
    for language in spec.languages:
        if language not in SUPPORTED_LANGUAGES:
            add(
                "languages",
                f"unknown language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}",
            )
    if len(set(spec.languages)) != len(spec.languages):
        add("languages", "a language is listed twice")
    if not spec.kinds:
        add("kinds", "choose at least one question kind")
    for kind in spec.kinds:
        if kind not in QuestionKind.values:
            add("kinds", f"unknown question kind {kind!r}; valid: {', '.join(QuestionKind.values)}")
    if "self_review" in spec.kinds and "work_sample" not in spec.kinds:
        add("kinds", "self_review needs work_sample in the same run (it reviews the work samples)")
    if spec.replications < 1:
        add("replications", "replications must be at least 1")
    if not 0 <= spec.temperature <= 2:
        add("temperature", "temperature must be between 0 and 2")
    if spec.top_p is not None and not 0 < spec.top_p <= 1:
        add("top_p", "top_p must be in (0, 1]")
    if spec.max_tokens < 1:
        add("max_tokens", "max_tokens must be at least 1")
    if not 1 <= spec.max_attempts <= 20:
        add("max_attempts", "max_attempts must be between 1 and 20")
    known = [language for language in spec.languages if language in SUPPORTED_LANGUAGES]
    for gap in instrument_language_gaps(instrument=spec.instrument, languages=known):
        add("instrument", gap)
    if not problems.get("kinds") and not problems.get("instrument"):
        have = {(t.kind, t.language) for t in current_templates(instrument=spec.instrument)}
        for kind in spec.kinds:
            for language in known:
                if (kind, language) not in have:
                    add("instrument", f"no {kind} prompt template in {language}")
    return problems


def frozen_config(spec: RunSpec) -> dict:
    """A copy of everything the run uses, so later edits never change what it meant."""
    instrument = spec.instrument
    templates = {
        f"{t.kind}/{t.language}/{t.variant}": t.frozen()
        for t in current_templates(instrument=instrument)
        if t.kind in spec.kinds and t.language in spec.languages
    }
    items: dict[str, dict] = {}
    for item in instrument.items.prefetch_related("texts"):
        entry = {"area": item.area}
        for text in item.texts.all():
            if text.language in spec.languages:
                entry[text.language] = {"activity": text.activity, "task": text.task}
        items[str(item.number)] = entry
    scales: dict[str, list[dict]] = {}
    for scale in instrument.scales.prefetch_related("points"):
        by_value: dict[int, dict] = {}
        for point in scale.points.all():
            entry = by_value.setdefault(
                point.value, {"value": point.value, "label": {}, "description": {}}
            )
            entry["label"][point.language] = point.label
            entry["description"][point.language] = point.description
        scales[scale.slug] = sorted(by_value.values(), key=lambda p: p["value"])
    return {
        "instrument": {"id": instrument.pk, "slug": instrument.slug, "version": instrument.version},
        "endpoints": [endpoint.frozen() for endpoint in spec.endpoints],
        "languages": spec.languages,
        "kinds": spec.kinds,
        "replications": spec.replications,
        "sampling": {
            "temperature": spec.temperature,
            "top_p": spec.top_p,
            "max_tokens": spec.max_tokens,
            "seed": spec.seed,
            "seed_policy": "replication r sends seed + r where the endpoint accepts a seed",
        },
        "counterbalancing": {
            "reverse_half": spec.reverse_half,
            "rotate_templates": spec.rotate_templates,
        },
        "max_attempts": spec.max_attempts,
        "templates": templates,
        "items": items,
        "scales": scales,
        "code_version": code_version(),
        "frozen_at": timezone.now().isoformat(),
    }


def _trial_grid(run: Run, config: dict) -> list[Trial]:
    items = list(run.instrument.items.order_by("number"))
    trials = []
    for endpoint in run.endpoints.order_by("pk"):
        for language in config["languages"]:
            for kind in config["kinds"]:
                if kind == "self_review":
                    continue  # created once its work sample is ok
                variants = variants_for(config, kind=kind, language=language)
                for replication in range(1, run.replications + 1):
                    variant = template_variant(
                        variants=variants, replication=replication, rotate=run.rotate_templates
                    )
                    reversed_scale = kind != "work_sample" and scale_is_reversed(
                        replication=replication, reverse_half=run.reverse_half
                    )
                    for item in items:
                        trials.append(
                            Trial(
                                run=run,
                                endpoint=endpoint,
                                language=language,
                                item=item,
                                kind=kind,
                                replication=replication,
                                template_variant=variant,
                                scale_reversed=reversed_scale,
                            )
                        )
    return trials


def run_planned_trials(*, config: dict, replications: int) -> int:
    """Every trial the frozen configuration plans, including self-reviews not yet created.

    A self-review is created only once its work sample is ok, so the trial table grows during a
    run; progress counts against this fixed figure instead (one self-review per work sample).
    """
    return (
        len(config["endpoints"])
        * len(config["languages"])
        * len(config["kinds"])
        * len(config["items"])
        * replications
    )


def run_estimate(*, run: Run) -> dict:
    """Number of calls (one per trial, before retries) and a cost estimate from prompt lengths."""
    config = run.config
    n_items = len(config["items"])
    endpoints = config["endpoints"]
    per_endpoint_calls = (
        len(config["languages"]) * len(config["kinds"]) * n_items * run.replications
    )
    total_cost = Decimal(0)
    total_input = 0
    total_output = 0
    for language in config["languages"]:
        for kind in config["kinds"]:
            sample = render_prompt(
                config,
                kind=kind,
                language=language,
                item_number=int(next(iter(config["items"]))),
                variant=1,
                reversed_scale=False,
                response="x" * (run.max_tokens * 3),
            )
            characters = sum(len(m["content"]) for m in sample.messages)
            # Roughly 4 characters a token in English, about 1.5 in Chinese.
            input_tokens = int(characters / (1.5 if language == "zh-hans" else 4.0)) + 8
            output_tokens = EXPECTED_OUTPUT_TOKENS.get(kind, run.max_tokens)
            calls = n_items * run.replications
            total_input += input_tokens * calls * len(endpoints)
            total_output += output_tokens * calls * len(endpoints)
            for endpoint in endpoints:
                total_cost += (
                    Decimal(endpoint["price_input_per_million"]) * input_tokens * calls
                    + Decimal(endpoint["price_output_per_million"]) * output_tokens * calls
                ) / Decimal(1_000_000)
    return {
        "calls": per_endpoint_calls * len(endpoints),
        "planned_trials": run_planned_trials(config=config, replications=run.replications),
        "input_tokens": total_input,
        "output_tokens": total_output,
        "cost": str(total_cost.quantize(Decimal("0.0001"))),
        "note": "planned_trials is the run's fixed progress total: self_review trials are "
        "counted for every work sample from the start, though they are created only once their "
        "work sample is ok; retries are not counted",
    }


@transaction.atomic
def run_create(*, spec: RunSpec, by=None, check_reachable: bool = False) -> Run:
    """Validate, freeze and create a run with its trial grid. Bad input changes nothing."""
    problems = run_spec_problems(spec)
    if not problems and check_reachable:
        for endpoint in spec.endpoints:
            reason = endpoint_reachable(
                base_url=endpoint.base_url, api_key_env=endpoint.api_key_env, timeout=5.0
            )
            if reason:
                problems.setdefault("endpoints", []).append(
                    f"endpoint {endpoint.name} is unreachable: {reason}"
                )
    if problems:
        raise ValidationError(problems)
    config = frozen_config(spec)
    run = Run.objects.create(
        name=spec.name,
        instrument=spec.instrument,
        languages=spec.languages,
        kinds=spec.kinds,
        replications=spec.replications,
        temperature=spec.temperature,
        top_p=spec.top_p,
        max_tokens=spec.max_tokens,
        seed=spec.seed,
        reverse_half=spec.reverse_half,
        rotate_templates=spec.rotate_templates,
        max_attempts=spec.max_attempts,
        config=config,
        created_by=by,
    )
    run.endpoints.set(spec.endpoints)
    Trial.objects.bulk_create(_trial_grid(run, config), batch_size=2000)
    return run


@transaction.atomic
def run_start(*, run: Run, by=None, check_reachable: bool = True) -> Run:
    """Start a draft run: checks the endpoints answer, then queues its trials."""
    from llmruns.tasks import dispatch_run

    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.DRAFT:
        raise ValidationError(
            {"status": [f"only a draft run can be started; this one is {run.status}"]}
        )
    if check_reachable:
        for endpoint in run.endpoints.all():
            reason = endpoint_reachable(
                base_url=endpoint.base_url, api_key_env=endpoint.api_key_env
            )
            if reason:
                raise ValidationError(
                    {"endpoints": [f"endpoint {endpoint.name} is unreachable: {reason}"]}
                )
    run.status = RunStatus.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    transaction.on_commit(lambda: dispatch_run.delay(run.pk))
    return run
