"""Defining a run: validation, the frozen configuration, the trial grid and the cost estimate."""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from careers.models import Instrument, QuestionKind
from careers.selectors import current_templates, instrument_language_gaps
from config.errors import Conflict
from llmruns.client import endpoint_reachable
from llmruns.models import (
    ElicitationMethod,
    Execution,
    ModelEndpoint,
    Run,
    RunStatus,
    TokenLimitParam,
    Trial,
    TrialStatus,
)
from llmruns.prompts import render_prompt, scale_is_reversed, template_variant, variants_for
from llmruns.services.batch.common import _batch_cached_input_price, _batch_reasoning_price

SUPPORTED_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
# Expected answer length per kind, in tokens, for the estimate only.
EXPECTED_OUTPUT_TOKENS = {"interest": 8, "self_competence": 8, "self_review": 8}
# Reasoning tokens per trial assumed per kind at medium reasoning effort, in tokens, for the
# estimate only: used for an endpoint that reasons where too few of its trials of the kind
# have been answered to go by. A rough figure (a one-line Likert answer takes a reasoning model
# a few hundred tokens of thought, a written work sample more); the estimate says so.
ASSUMED_REASONING_TOKENS = {
    "interest": 400,
    "self_competence": 400,
    "work_sample": 1000,
    "self_review": 600,
}
# The assumption's multiple per configured reasoning effort (extra_params' reasoning_effort, or
# reasoning.effort); none configured is taken as medium, the usual default. Another value
# leaves the reasoning, and so the upper bound, unknown.
REASONING_EFFORT_SCALE = {"none": 0, "minimal": 0.25, "low": 0.5, "medium": 1, "high": 2}
# Answered trials of an endpoint and kind (this run's and earlier runs') needed before their
# median reasoning tokens replace the assumption; only the most recent ones are read.
MIN_OBSERVED_TRIALS = 5
MAX_OBSERVED_TRIALS = 1000
# The seeds a run may have: its seed column (a PostgreSQL integer) holds no more.
SEED_RANGE = (-(2**31), 2**31 - 1)


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
    methods: list[str] = field(default_factory=lambda: [ElicitationMethod.VERBAL.value])
    method_fallback: str = ""
    min_valid_mass: float = 0.5
    execution: str = Execution.LIVE
    batch_retry_live: bool = False


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
    for endpoint in spec.endpoints:
        if endpoint.archived_at is not None:
            add("endpoints", f"endpoint {endpoint.name} is archived; new runs cannot use it")
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
    if not SEED_RANGE[0] <= spec.seed <= SEED_RANGE[1]:
        add("seed", f"seed must be between {SEED_RANGE[0]} and {SEED_RANGE[1]}")
    problems_of_methods(spec, add)
    if spec.execution not in Execution.values:
        add(
            "execution",
            f"unknown execution mode {spec.execution!r}; valid: {', '.join(Execution.values)}",
        )
    elif spec.execution == Execution.BATCH:
        for endpoint in spec.endpoints:
            if not endpoint.supports_batch:
                add(
                    "execution",
                    f"endpoint {endpoint.name} offers no batch API (supports_batch is off)",
                )
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


def asks_likert(kinds: list[str]) -> bool:
    return any(kind != "work_sample" for kind in kinds)


def problems_of_methods(spec: RunSpec, add) -> None:
    """The elicitation settings, and the pre-flight check of what each endpoint can do."""
    if not spec.methods:
        add("methods", "choose at least one elicitation method")
    for method in spec.methods:
        if method not in ElicitationMethod.values:
            add(
                "methods",
                f"unknown method {method!r}; valid: {', '.join(ElicitationMethod.values)}",
            )
    if len(set(spec.methods)) != len(spec.methods):
        add("methods", "a method is listed twice")
    if spec.method_fallback not in ("", ElicitationMethod.VERBAL):
        add("method_fallback", "method_fallback must be empty (refuse) or verbal")
    if not 0 <= spec.min_valid_mass <= 1:
        add("min_valid_mass", "min_valid_mass must be between 0 and 1")
    if spec.method_fallback or not asks_likert(spec.kinds):
        return
    for endpoint in spec.endpoints:
        for method in spec.methods:
            missing = endpoint.missing_capabilities(method)
            if missing:
                probed = "" if endpoint.probed_at else " (never probed: probe_endpoint)"
                undecided = (endpoint.capabilities or {}).get("undecided") or []
                if any(PROBED_AS.get(name) in undecided for name in missing):
                    probed = (
                        " (undecided at the last probe, rate limited or unanswered: probe again)"
                    )
                add(
                    "methods",
                    f"endpoint {endpoint.name} lacks {', '.join(missing)}, needed by {method}"
                    f"{probed}; use another method or method_fallback verbal",
                )


# The probe's name of a capability a method needs (`ModelEndpoint.missing_capabilities`).
PROBED_AS = {"response_format": "json_schema", "logprobs": "logprobs"}


def method_fallbacks(spec: RunSpec) -> dict[str, dict[str, str]]:
    """{endpoint id: {method: fallback}} for the endpoints that lack what a method needs."""
    if not spec.method_fallback:
        return {}
    fallbacks: dict[str, dict[str, str]] = {}
    for endpoint in spec.endpoints:
        for method in spec.methods:
            if endpoint.missing_capabilities(method):
                fallbacks.setdefault(str(endpoint.pk), {})[method] = spec.method_fallback
    return fallbacks


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
        "elicitation": {
            "methods": list(spec.methods),
            "fallback": spec.method_fallback,
            "fallbacks": method_fallbacks(spec),
            "min_valid_mass": spec.min_valid_mass,
            "token_probability": {"top_logprobs": 20, "max_tokens": 1, "seed": "base seed"},
        },
        "execution": {"mode": str(spec.execution), "retry_live": spec.batch_retry_live},
        "templates": templates,
        "items": items,
        "scales": scales,
        "code_version": code_version(),
        "frozen_at": timezone.now().isoformat(),
    }


def methods_for(config: dict, *, kind: str) -> list[str]:
    """The methods a kind is asked by: a work sample is free text, the rest by the run's methods."""
    if kind == "work_sample":
        return [ElicitationMethod.VERBAL.value]
    return list((config.get("elicitation") or {}).get("methods") or ["verbal"])


def _trial_grid(run: Run, config: dict) -> Iterator[Trial]:
    """One trial per endpoint, language, kind, method, replication and item (no self-reviews:
    one is created once its work sample is ok), in a fixed order and one at a time, so a large
    run never sits in memory. Paraphrase and scale direction follow the replication for every
    method alike. The items are the frozen ones: one added to the instrument later has no text
    in the configuration, and would shift the order an interrupted preparation resumes by."""
    frozen_numbers = [int(number) for number in config["items"]]
    items = list(run.instrument.items.filter(number__in=frozen_numbers).order_by("number"))
    fallbacks = (config.get("elicitation") or {}).get("fallbacks") or {}
    for endpoint in run.endpoints.order_by("pk"):
        for language, kind in itertools.product(config["languages"], config["kinds"]):
            if kind == "self_review":
                continue
            variants = variants_for(config, kind=kind, language=language)
            for method, replication in itertools.product(
                methods_for(config, kind=kind), range(1, run.replications + 1)
            ):
                fallback = fallbacks.get(str(endpoint.pk), {}).get(method, "")
                variant = template_variant(
                    variants=variants, replication=replication, rotate=run.rotate_templates
                )
                reversed_scale = kind != "work_sample" and scale_is_reversed(
                    replication=replication, reverse_half=run.reverse_half
                )
                for item in items:
                    yield Trial(
                        run=run,
                        endpoint=endpoint,
                        language=language,
                        item=item,
                        kind=kind,
                        method=method,
                        method_fallback=fallback,
                        replication=replication,
                        template_variant=variant,
                        scale_reversed=reversed_scale,
                    )


def run_planned_trials(*, config: dict, replications: int) -> int:
    """Every trial the frozen configuration plans, including self-reviews not yet created.

    A self-review is created only once its work sample is ok, so the trial table grows during a
    run; progress counts against this fixed figure instead (one self-review per work sample).
    """
    # Each kind is asked by its methods; a work sample gets one self-review per method.
    cells_per_language = sum(len(methods_for(config, kind=kind)) for kind in config["kinds"])
    return (
        len(config["endpoints"])
        * len(config["languages"])
        * cells_per_language
        * len(config["items"])
        * replications
    )


def _shared_prefix_characters(renderings: list[list[dict]]) -> int:
    """Characters of message content at the start of every rendering, message by message: a
    message the same in all counts whole, the first that differs counts its common start."""
    first, *others = renderings
    shared = 0
    for index, message in enumerate(first):
        contents = [message["content"]]
        for other in others:
            if len(other) <= index or other[index]["role"] != message["role"]:
                return shared
            contents.append(other[index]["content"])
        common = len(os.path.commonprefix(contents))
        shared += common
        if common < len(message["content"]) or any(len(c) != common for c in contents):
            return shared
    return shared


def _shared_prefixes(config: dict, run: Run, *, kind: str, language: str) -> dict[int, tuple]:
    """{template variant: (replications asked with it, characters every prompt of it shares)}.
    Every item, the scale directions used with the variant and two different work-sample texts
    are compared, so only what truly repeats counts."""
    variants = variants_for(config, kind=kind, language=language)
    used: dict[int, tuple[int, set[bool]]] = {}
    for replication in range(1, run.replications + 1):
        variant = template_variant(
            variants=variants, replication=replication, rotate=run.rotate_templates
        )
        reversed_scale = kind != "work_sample" and scale_is_reversed(
            replication=replication, reverse_half=run.reverse_half
        )
        count, directions = used.get(variant, (0, set()))
        used[variant] = (count + 1, directions | {reversed_scale})
    prefixes = {}
    for variant, (replications, directions) in used.items():
        renderings = [
            render_prompt(
                config,
                kind=kind,
                language=language,
                item_number=int(number),
                variant=variant,
                reversed_scale=reversed_scale,
                response=response,
            ).messages
            for number in config["items"]
            for reversed_scale in sorted(directions)
            for response in ("x" * 8, "y" * 8)
        ]
        prefixes[variant] = (replications, _shared_prefix_characters(renderings))
    return prefixes


def _per_million(price, tokens) -> Decimal:
    return Decimal(str(price)) * Decimal(str(tokens)) / Decimal(1_000_000)


def _quantized(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount.quantize(Decimal("0.0001")))


COST_NOTE = (
    "cost is the upper bound: every prompt token at the input price. cost_range.low is the lower "
    "bound if the provider caches prompts: the prompt prefix shared by every call of a kind, "
    "language and paraphrase (system message and instructions) is read from its cache by every "
    "call of each method but the first, at the endpoint's cached input price (the input price "
    "when none is set; in batch mode cut as the input price is). Whether a provider caches is "
    "not known in advance (some cache only prompts of 1,024 tokens or more, none guarantees a "
    "hit), so the actual cost is expected between the two; it can fall a little below the "
    "lower bound where a provider caches a whole prompt that repeats (an item asked again in "
    "another replication), which the bound leaves out; cached_input_tokens is the number of prompt "
    "tokens the lower bound assumes read from the cache"
)


REASONING_NOTE = (
    "Reasoning models bill hidden reasoning tokens, part of the output, at the endpoint's "
    "reasoning price (the output price when none is set; in batch mode cut as the output price "
    "is), as a trial's cost charges them. An endpoint is taken to reason when "
    "price_reasoning_per_million is set, a reasoning effort is configured, it rejects "
    "temperature, it needs max_completion_tokens, or its trials reported reasoning "
    "tokens. Per kind, its reasoning tokens per trial are the median of its latest answered "
    "trials of the kind (this run's and earlier runs', at least 5; basis observed), else an "
    "assumed figure per kind scaled by the configured effort (basis assumed: uncertain, the "
    "actual count can be several times higher or lower; an endpoint limited by "
    "max_completion_tokens gets at most what the answer's estimate leaves of max_tokens). With "
    "an effort the estimate cannot "
    "scale, nothing defensible can be said: the upper bound (cost, cost_live, cost_batch) is "
    "null and the lower bound leaves that reasoning out. Both bounds include the same reasoning "
    "figure; output_tokens includes reasoning_tokens"
)
ANSWERED_STATUSES = (TrialStatus.OK, TrialStatus.INVALID, TrialStatus.REFUSED)


def _reasoning_effort(endpoint: dict) -> str | None:
    """The reasoning effort the endpoint's extra parameters send (reasoning_effort, or
    reasoning.effort as some gateways take it); None when none is configured."""
    extra = endpoint.get("extra_params") or {}
    effort = extra.get("reasoning_effort")
    reasoning = extra.get("reasoning")
    if effort is None and isinstance(reasoning, dict):
        effort = reasoning.get("effort")
    return None if effort is None else str(effort)


def _reasoning_signs(endpoint: dict) -> list[str]:
    """Why the endpoint is taken to reason (empty: nothing says it does)."""
    signs = []
    if endpoint.get("price_reasoning_per_million") is not None:
        signs.append("price_reasoning_per_million is set")
    if _reasoning_effort(endpoint) is not None:
        signs.append("a reasoning effort is configured")
    if endpoint.get("accepts_temperature") is False:
        signs.append("it rejects temperature")
    if endpoint.get("token_limit_param") == TokenLimitParam.MAX_COMPLETION_TOKENS:
        signs.append("it needs max_completion_tokens")
    if (
        endpoint.get("id") is not None
        and Trial.objects.filter(endpoint_id=endpoint["id"], reasoning_tokens__gt=0).exists()
    ):
        signs.append("its trials reported reasoning tokens")
    return signs


def _observed_reasoning(endpoint_id: int | None, kind: str) -> list[int]:
    """Reasoning tokens of the endpoint's latest answered trials of the kind, in any run."""
    if endpoint_id is None:
        return []
    return list(
        Trial.objects.filter(
            endpoint_id=endpoint_id, kind=kind, status__in=ANSWERED_STATUSES, output_tokens__gt=0
        )
        .order_by("-pk")
        .values_list("reasoning_tokens", flat=True)[:MAX_OBSERVED_TRIALS]
    )


def _expected_output_tokens(config: dict, *, kind: str, max_tokens: int) -> float:
    """The answer tokens a call of the kind is expected to take, over the kind's methods (a
    token-probability answer is one token)."""
    methods = methods_for(config, kind=kind)
    return sum(
        1 if method == "token_probability" else EXPECTED_OUTPUT_TOKENS.get(kind, max_tokens)
        for method in methods
    ) / len(methods)


def _reasoning_plan(endpoint: dict, config: dict, *, max_tokens: int) -> dict | None:
    """The reasoning tokens per trial the estimate counts for the endpoint, per kind, and their
    basis; None when nothing says the endpoint reasons (see REASONING_NOTE).

    An endpoint limited by max_completion_tokens spends at most max_tokens a call on reasoning
    and answer together: an assumed figure gets at most what the answer's estimate leaves of it
    (none, for a work sample, whose answer is estimated at max_tokens)."""
    signs = _reasoning_signs(endpoint)
    if not signs:
        return None
    effort = _reasoning_effort(endpoint)
    scale = REASONING_EFFORT_SCALE.get("medium" if effort is None else effort)
    shared_limit = endpoint.get("token_limit_param") == TokenLimitParam.MAX_COMPLETION_TOKENS
    per_kind = {}
    for kind in config["kinds"]:
        observed = _observed_reasoning(endpoint.get("id"), kind)
        if len(observed) >= MIN_OBSERVED_TRIALS:
            basis, tokens = "observed", round(statistics.median(observed))
        elif scale is not None and kind in ASSUMED_REASONING_TOKENS:
            basis, tokens = "assumed", round(ASSUMED_REASONING_TOKENS[kind] * scale)
            if shared_limit:
                left = max_tokens - _expected_output_tokens(
                    config, kind=kind, max_tokens=max_tokens
                )
                tokens = min(tokens, max(0, int(left)))
        else:
            basis, tokens = "unknown", None
        per_kind[kind] = {
            "basis": basis,
            "tokens_per_trial": tokens,
            "observed_trials": len(observed),
        }
    return {"endpoint": endpoint.get("name"), "signs": signs, "effort": effort, "kinds": per_kind}


def _reasoning_basis(plans: list[dict]) -> str:
    """The least certain basis of the estimate's reasoning figures: unknown, assumed, observed,
    or none (no endpoint reasons)."""
    bases = {entry["basis"] for plan in plans for entry in plan["kinds"].values()}
    return next((b for b in ("unknown", "assumed", "observed") if b in bases), "none")


def run_estimate(*, run: Run) -> dict:
    """Number of calls (one per trial, before retries) and a cost estimate from prompt lengths.

    The cost is a range: the upper bound prices every prompt token at the input price, the lower
    one the prompt prefix the calls share at the cached input price (see COST_NOTE). Reasoning
    tokens are counted in both for an endpoint that reasons (see REASONING_NOTE); where they
    cannot be estimated, the upper bound is None rather than a figure without them."""
    config = run.config
    n_items = len(config["items"])
    endpoints = config["endpoints"]
    per_endpoint_calls = (
        len(config["languages"])
        * sum(len(methods_for(config, kind=kind)) for kind in config["kinds"])
        * n_items
        * run.replications
    )
    total_cost = Decimal(0)
    total_cached_cost = Decimal(0)
    total_batch_cost: Decimal | None = Decimal(0)
    total_batch_cached_cost: Decimal | None = Decimal(0)
    total_input = 0
    total_cached_input = 0
    total_output = 0
    total_reasoning = 0
    reasoning_unknown = False
    plans = [_reasoning_plan(endpoint, config, max_tokens=run.max_tokens) for endpoint in endpoints]
    for language in config["languages"]:
        # Roughly 4 characters a token in English, about 1.5 in Chinese.
        characters_per_token = 1.5 if language == "zh-hans" else 4.0
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
            input_tokens = int(characters / characters_per_token) + 8
            methods = methods_for(config, kind=kind)
            output_tokens = _expected_output_tokens(config, kind=kind, max_tokens=run.max_tokens)
            calls = n_items * run.replications * len(methods)
            # Per endpoint: the first call of each paraphrase and method writes its shared
            # prefix to the cache, every later one reads it.
            cached_input = sum(
                min(input_tokens, int(prefix / characters_per_token))
                * (replications * n_items * len(methods) - len(methods))
                for replications, prefix in _shared_prefixes(
                    config, run, kind=kind, language=language
                ).values()
            )
            uncached_input = input_tokens * calls - cached_input
            total_input += input_tokens * calls * len(endpoints)
            total_cached_input += cached_input * len(endpoints)
            total_output += output_tokens * calls * len(endpoints)
            output_per_kind = Decimal(str(output_tokens)) * calls
            for endpoint, plan in zip(endpoints, plans, strict=True):
                reasoning = 0
                if plan is not None:
                    per_trial = plan["kinds"][kind]["tokens_per_trial"]
                    if per_trial is None:
                        reasoning_unknown = True
                    else:
                        reasoning = per_trial * calls
                total_reasoning += reasoning
                total_output += reasoning
                input_price = endpoint["price_input_per_million"]
                cached_price = endpoint.get("price_cached_input_per_million") or input_price
                output_price = endpoint["price_output_per_million"]
                reasoning_price = endpoint.get("price_reasoning_per_million")
                output_cost = _per_million(output_price, output_per_kind) + _per_million(
                    output_price if reasoning_price is None else reasoning_price, reasoning
                )
                total_cost += _per_million(input_price, input_tokens * calls) + output_cost
                total_cached_cost += (
                    _per_million(input_price, uncached_input)
                    + _per_million(cached_price, cached_input)
                    + output_cost
                )
                if total_batch_cost is not None and endpoint.get("supports_batch"):
                    input_price = endpoint["batch_price_input_per_million"]
                    cached_price = _batch_cached_input_price(endpoint) or input_price
                    output_price = endpoint["batch_price_output_per_million"]
                    reasoning_price = _batch_reasoning_price(endpoint)
                    output_cost = _per_million(output_price, output_per_kind) + _per_million(
                        output_price if reasoning_price is None else reasoning_price, reasoning
                    )
                    total_batch_cost += (
                        _per_million(input_price, input_tokens * calls) + output_cost
                    )
                    total_batch_cached_cost += (
                        _per_million(input_price, uncached_input)
                        + _per_million(cached_price, cached_input)
                        + output_cost
                    )
                else:
                    # An endpoint without a batch API has no batch price.
                    total_batch_cost = total_batch_cached_cost = None
    execution = (config.get("execution") or {}).get("mode", Execution.LIVE)
    cost_live, cost_live_cached = _quantized(total_cost), _quantized(total_cached_cost)
    cost_batch, cost_batch_cached = (
        _quantized(total_batch_cost),
        _quantized(total_batch_cached_cost),
    )
    in_batch = execution == Execution.BATCH and cost_batch_cached is not None
    if reasoning_unknown:
        # A figure that leaves out reasoning the run will pay for is no upper bound.
        cost_live = cost_batch = None
    reasoning_plans = [plan for plan in plans if plan is not None]
    return {
        "calls": per_endpoint_calls * len(endpoints),
        "planned_trials": run_planned_trials(config=config, replications=run.replications),
        "input_tokens": total_input,
        "cached_input_tokens": total_cached_input,
        "output_tokens": round(total_output),
        "execution": execution,
        "cost": cost_batch if in_batch else cost_live,
        "cost_range": {
            "low": cost_batch_cached if in_batch else cost_live_cached,
            "high": cost_batch if in_batch else cost_live,
        },
        "cost_live": cost_live,
        "cost_live_cached": cost_live_cached,
        "cost_batch": cost_batch,
        "cost_batch_cached": cost_batch_cached,
        "cost_note": COST_NOTE,
        "reasoning_tokens": None if reasoning_unknown else total_reasoning,
        "reasoning_basis": _reasoning_basis(reasoning_plans),
        "reasoning": reasoning_plans,
        "reasoning_note": REASONING_NOTE if reasoning_plans else "",
        "note": "planned_trials is the run's fixed progress total: self_review trials are "
        "counted for every work sample from the start, though they are created only once their "
        "work sample is ok; retries are not counted",
    }


@transaction.atomic
def run_create(
    *, spec: RunSpec, by=None, check_reachable: bool = False, start_when_prepared: bool = False
) -> Run:
    """Validate, freeze and create a run with its trial grid. Bad input changes nothing.

    A run of up to `LLM_PREPARE_INLINE_TRIALS` trials gets them here and is a draft; a larger
    one is `preparing` while a task creates them (and then starts it if `start_when_prepared`).
    """
    from llmruns.services.preparation import run_grid_size, run_prepare_inline
    from llmruns.tasks import prepare_run

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
    planned = run_grid_size(config=config, replications=spec.replications)
    in_background = planned > settings.LLM_PREPARE_INLINE_TRIALS
    run = Run.objects.create(
        status=RunStatus.PREPARING if in_background else RunStatus.DRAFT,
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
        methods=list(spec.methods),
        method_fallback=spec.method_fallback,
        min_valid_mass=spec.min_valid_mass,
        execution=spec.execution,
        config=config,
        created_by=by,
    )
    run.endpoints.set(spec.endpoints)
    if in_background:
        transaction.on_commit(lambda: prepare_run.delay(run.pk, start_when_prepared))
    else:
        run_prepare_inline(run=run, config=config)
    return run


@transaction.atomic
def run_start(*, run: Run, by=None, check_reachable: bool = True) -> Run:
    """Start a draft run: checks the endpoints answer, then queues its trials."""
    from llmruns.tasks import dispatch_run

    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.DRAFT:
        raise Conflict(f"only a draft run can be started; this one is {run.status}")
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
