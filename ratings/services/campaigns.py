"""Campaigns: creating one from a finished run's work samples, closing and reopening it.

Each selected work sample becomes a unit with a random blind code and redacted text, assigned to
the panel's experts by `ratings.assignment`; gold units carry the range a careful expert gives.
Redaction uses the study's list of model names (ratings.ModelName) plus the endpoints' names; a
campaign with units to review is created awaiting review (`ratings.services.review`).
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careers.models import Area, QuestionKind, Scale, ScalePoint
from config.errors import DependantsExist, protected_dependants
from llmruns.models import ModelEndpoint, Run, RunStatus, Trial, TrialStatus
from llmruns.parsing.text import without_reasoning
from ratings.adaptive import adaptive_settings_errors, budget_errors
from ratings.assignment import AssignmentError, AssignmentPlan, ExpertSpec, UnitSpec, assign
from ratings.calibration import calibration_queues, calibrations_create
from ratings.models import (
    Assignment,
    Campaign,
    CampaignStatus,
    ExpertProfile,
    ModelName,
    Panel,
    Rating,
    Unit,
    UnitReviewStatus,
    new_blind_code,
)
from ratings.redaction import KIND_LISTED, KIND_PATTERN, NameList, redact
from ratings.services.experts import SUPPORTED_LANGUAGES
from ratings.services.review import campaign_review_skip, review_reasons

DEFAULT_SCALE_SLUG = "competence"
# The largest count a campaign stores (a PositiveIntegerField: an integer column on PostgreSQL),
# and the range of ids and seeds (64-bit columns): larger numbers cannot even be looked up.
MAX_STORED_COUNT = 2**31 - 1
BIG_INTEGER_RANGE = range(-(2**63), 2**63)


@dataclass(frozen=True)
class GoldUnit:
    """A work sample with a known quality: the range of values a careful expert gives it."""

    trial_id: int
    expected_min: int
    expected_max: int
    # A calibration unit is rated first by every eligible expert, who then sees the expected
    # range and this rationale (ratings.calibration).
    calibration: bool = False
    rationale: str = ""


def _select_work_samples(
    *,
    run: Run,
    endpoint_ids: Sequence[int],
    languages: Sequence[str],
    areas: Sequence[str],
    samples_per_cell: int,
    seed: int,
) -> list[Trial]:
    """Up to samples_per_cell ok work samples per (item, endpoint, language), chosen by seed."""
    trials = (
        Trial.objects.filter(
            run=run,
            kind=QuestionKind.WORK_SAMPLE,
            status=TrialStatus.OK,
            endpoint_id__in=endpoint_ids,
            language__in=languages,
            item__area__in=areas,
        )
        .select_related("item")
        .order_by("item__number", "endpoint_id", "language", "replication")
    )
    cells: dict[tuple[int, int, str], list[Trial]] = defaultdict(list)
    for trial in trials:
        cells[(trial.item.number, trial.endpoint_id, trial.language)].append(trial)
    chooser = random.Random(seed)
    selected: list[Trial] = []
    for cell in sorted(cells):
        replications = cells[cell]
        chosen = chooser.sample(replications, min(samples_per_cell, len(replications)))
        selected.extend(sorted(chosen, key=lambda trial: trial.replication))
    return selected


def _model_id_forms(model: str) -> list[str]:
    """A served model id and the forms a model writes itself by: without its namespace
    ("acme-labs/quokka-13b-chat" -> "quokka-13b-chat") and without a tag after a colon
    ("quokka-13b-chat:free", "qwen2.5:7b")."""
    bare = model.rsplit("/", 1)[-1]
    return list(dict.fromkeys(form for form in (model, bare, bare.split(":", 1)[0]) if form))


def _redaction_names() -> list[str]:
    names: list[str] = []
    for name, model, provider in ModelEndpoint.objects.values_list("name", "model", "provider"):
        names.extend(value for value in (name, provider) if value)
        if model:
            names.extend(_model_id_forms(model))
    return names


def _listed_names() -> NameList:
    """The active entries of the study's list of model families, products and makers."""
    return NameList.from_entries(
        ModelName.objects.filter(is_active=True).order_by("pk").values_list("kind", "rule", "forms")
    )


def identity_mentions(
    text: str, *, names: Sequence[str] | None = None, name_list: NameList | None = None
) -> list[str]:
    """What a text an admin writes for experts (a campaign's instructions, a calibration unit's
    rationale) says of the models, as redaction finds it in a work sample: the endpoints' names,
    model ids and providers, the study's list of model names and the names of self-introductions.
    Each once, in the order they appear; empty when the text names none. names and name_list
    are read from the database unless a caller checking several texts passes them."""
    if not text.strip():
        return []
    redacted = redact(
        text,
        names=_redaction_names() if names is None else names,
        name_list=_listed_names() if name_list is None else name_list,
    )
    return list(dict.fromkeys(redacted.matches))


def identity_mention_error(
    text: str,
    *,
    what: str,
    names: Sequence[str] | None = None,
    name_list: NameList | None = None,
) -> ValidationError | None:
    """The refusal of an admin's text that names a model, endpoint or provider (experts rate
    blind), for a form field or an API field: what says which text ("The instructions")."""
    mentions = identity_mentions(text, names=names, name_list=name_list)
    if not mentions:
        return None
    return ValidationError(
        _(
            "%(what)s names a model, an endpoint or a provider, which experts must not see "
            "(they rate blind): %(names)s. Remove it."
        ),
        code="identifies_model",
        params={"what": what, "names": ", ".join(mentions)},
    )


def _unique_blind_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.update(new_blind_code() for _ in range(count - len(codes)))
        codes -= set(Unit.objects.filter(blind_code__in=codes).values_list("blind_code", flat=True))
    return list(codes)


def _eligible(expert: ExpertProfile, *, area: str, language: str, match_expertise: bool) -> bool:
    return not match_expertise or (area in expert.areas and language in expert.languages)


def _assignment_shortfalls(
    *,
    trials: Sequence[Trial],
    experts: Sequence[ExpertProfile],
    raters_per_unit: int,
    match_expertise: bool,
) -> list[str]:
    """Why raters_per_unit cannot be met, per (area, language) of the selection (empty if it can)."""
    problems = []
    for area, language in sorted({(trial.item.area, trial.language) for trial in trials}):
        eligible = sum(
            _eligible(expert, area=area, language=language, match_expertise=match_expertise)
            for expert in experts
        )
        if eligible < raters_per_unit:
            where = f"area {area}, language {language}" if match_expertise else "every unit"
            problems.append(
                f"{raters_per_unit} raters per unit, but only {eligible} experts of the panel "
                f"are eligible for {where}"
            )
    return problems


@transaction.atomic
def campaign_create(
    *,
    name: str,
    run: Run,
    panel: Panel,
    endpoints: Iterable[ModelEndpoint] | None = None,
    languages: Sequence[str] | None = None,
    areas: Sequence[str] | None = None,
    samples_per_cell: int = 1,
    raters_per_unit: int = 3,
    scale: Scale | None = None,
    instructions: Mapping[str, str] | None = None,
    gold: Sequence[GoldUnit] = (),
    match_expertise: bool = True,
    seed: int | None = None,
    adaptive: bool = False,
    max_raters_per_unit: int | None = None,
    rating_budget: int | None = None,
    target_ci_half_width: float | None = None,
    qualification_threshold: float | None = None,
    skip_review: bool = False,
    by=None,
) -> Campaign:
    """Turn a finished run's work samples into blind units assigned to a panel's experts.

    endpoints, languages and areas default to everything the run has. Each selected work sample
    becomes a unit with a random blind code and redacted text; gold units are added even when the
    selection filters leave them out. Every problem is reported at once and nothing is written.

    adaptive campaigns (ratings.adaptive) start every unit with raters_per_unit raters (k0) and
    add raters to disagreeing units up to max_raters_per_unit, within rating_budget, until the
    alpha CI half-width reaches target_ci_half_width. With qualification_threshold, gold units
    marked as calibration are rated first by every eligible expert (ratings.calibration).
    Units whose redaction needs a look go on the review list and the campaign awaits review
    (status "review") until `campaign_open`; skip_review=True opens it at once and records
    the skip (who, when) on the campaign.
    """
    errors: dict[str, list[str]] = defaultdict(list)
    run_endpoint_ids = set(run.endpoints.values_list("pk", flat=True))
    endpoint_list = (
        list(run.endpoints.all()) if endpoints is None else list(dict.fromkeys(endpoints))
    )
    languages = list(dict.fromkeys(run.languages if languages is None else languages))
    areas = list(dict.fromkeys(Area.values if areas is None else areas))
    instructions = dict(instructions or {})
    if seed is None:
        seed = secrets.randbelow(2**31)

    if not name.strip():
        errors["name"].append("a name is required")
    if run.status != RunStatus.FINISHED:
        errors["run"].append(f"run {run.pk} is not finished (its status is {run.status})")
    if QuestionKind.WORK_SAMPLE not in run.kinds:
        errors["run"].append(f"run {run.pk} has no work samples (its kinds are {run.kinds})")
    if not endpoint_list:
        errors["endpoints"].append("choose at least one endpoint")
    outside = sorted(e.name for e in endpoint_list if e.pk not in run_endpoint_ids)
    if outside:
        errors["endpoints"].append(f"endpoints not in run {run.pk}: {outside}")
    if not languages:
        errors["languages"].append("choose at least one language")
    unknown_languages = sorted(set(languages) - set(run.languages))
    if unknown_languages:
        errors["languages"].append(
            f"languages {unknown_languages} are not in run {run.pk} (it has {run.languages})"
        )
    if not areas:
        errors["areas"].append("choose at least one RIASEC area")
    unknown_areas = sorted(set(areas) - set(Area.values))
    if unknown_areas:
        errors["areas"].append(f"unknown areas {unknown_areas}; valid: {list(Area.values)}")
    if samples_per_cell < 1:
        errors["samples_per_cell"].append("must be at least 1")
    if raters_per_unit < 1:
        errors["raters_per_unit"].append("must be at least 1")
    for field, count in (
        ("samples_per_cell", samples_per_cell),
        ("raters_per_unit", raters_per_unit),
        ("max_raters_per_unit", max_raters_per_unit),
        ("rating_budget", rating_budget),
    ):
        if count is not None and count > MAX_STORED_COUNT:
            errors[field].append(f"must be at most {MAX_STORED_COUNT}, got {count}")
    if seed not in BIG_INTEGER_RANGE:
        errors["seed"].append(f"must lie between {-(2**63)} and {2**63 - 1}, got {seed}")
    for field, problems in adaptive_settings_errors(
        adaptive=adaptive,
        raters_per_unit=raters_per_unit,
        max_raters_per_unit=max_raters_per_unit,
        rating_budget=rating_budget,
        target_ci_half_width=target_ci_half_width,
    ).items():
        errors[field].extend(problems)
    calibration_gold = [entry for entry in gold if entry.calibration]
    if qualification_threshold is not None and not 0 <= qualification_threshold <= 1:
        errors["qualification_threshold"].append(
            f"a share of calibration ratings: between 0 and 1, got {qualification_threshold}"
        )
    if calibration_gold and qualification_threshold is None:
        errors["qualification_threshold"].append(
            "required when gold units are marked for calibration"
        )
    if qualification_threshold is not None and not calibration_gold:
        errors["gold"].append("a qualification threshold needs gold units marked for calibration")
    unknown_instruction_languages = sorted(set(instructions) - set(SUPPORTED_LANGUAGES))
    if unknown_instruction_languages:
        errors["instructions"].append(
            f"instructions in unsupported languages {unknown_instruction_languages}; "
            f"supported: {list(SUPPORTED_LANGUAGES)}"
        )
    _refuse_identity_mentions(instructions=instructions, gold=gold, errors=errors)
    if scale is None:
        scale = Scale.objects.filter(instrument=run.instrument_id, slug=DEFAULT_SCALE_SLUG).first()
        if scale is None:
            errors["scale"].append(
                f"instrument of run {run.pk} has no {DEFAULT_SCALE_SLUG!r} scale; choose one"
            )
    elif scale.instrument_id != run.instrument_id:
        errors["scale"].append(f"scale {scale.slug!r} belongs to another instrument than the run")
    scale_values = (
        set(ScalePoint.objects.filter(scale=scale).values_list("value", flat=True))
        if scale
        else set()
    )
    if scale is not None and not scale_values:
        errors["scale"].append(f"scale {scale.slug!r} has no points")

    experts = list(panel.experts.all())
    if not experts:
        errors["panel"].append(f"panel {panel.name!r} has no experts")

    gold_trials = _gold_trials(run=run, gold=gold, scale_values=scale_values, errors=errors)
    if errors:
        raise ValidationError(dict(errors))

    trials = _select_work_samples(
        run=run,
        endpoint_ids=[endpoint.pk for endpoint in endpoint_list],
        languages=languages,
        areas=areas,
        samples_per_cell=samples_per_cell,
        seed=seed,
    )
    if not trials:
        raise ValidationError(
            {
                "non_field_errors": [
                    f"the selection is empty: run {run.pk} has no ok work samples for endpoints "
                    f"{sorted(e.name for e in endpoint_list)}, languages {languages}, areas {areas}"
                ]
            }
        )
    calibration_ids = {entry.trial_id for entry in calibration_gold}
    # Calibration units are rated by every eligible expert, outside the balanced plan.
    trials = [trial for trial in trials if trial.pk not in calibration_ids]
    selected_ids = {trial.pk for trial in trials}
    trials += [
        trial
        for trial in gold_trials.values()
        if trial.pk not in selected_ids and trial.pk not in calibration_ids
    ]
    calibration_trials = [gold_trials[trial_id] for trial_id in sorted(calibration_ids)]
    if not trials:
        raise ValidationError(
            {"gold": ["every selected work sample is a calibration unit: nothing is left to rate"]}
        )
    over_budget = budget_errors(
        rating_budget=rating_budget, units=len(trials), raters_per_unit=raters_per_unit
    )
    if over_budget:
        raise ValidationError(over_budget)
    shortfalls = _assignment_shortfalls(
        trials=trials,
        experts=experts,
        raters_per_unit=raters_per_unit,
        match_expertise=match_expertise,
    )
    if shortfalls:
        raise ValidationError({"raters_per_unit": shortfalls})

    plan = _assignment_plan(
        trials=trials,
        gold_trial_ids={entry.trial_id for entry in gold},
        experts=experts,
        raters_per_unit=raters_per_unit,
        seed=seed,
        match_expertise=match_expertise,
    )
    calibration_plan = _calibration_plan(
        trials=calibration_trials, experts=experts, seed=seed, match_expertise=match_expertise
    )

    campaign = Campaign.objects.create(
        name=name.strip(),
        run=run,
        panel=panel,
        scale=scale,
        languages=languages,
        areas=areas,
        samples_per_cell=samples_per_cell,
        raters_per_unit=raters_per_unit,
        match_expertise=match_expertise,
        instructions=instructions,
        seed=seed,
        adaptive=adaptive,
        max_raters_per_unit=max_raters_per_unit,
        rating_budget=rating_budget,
        target_ci_half_width=target_ci_half_width,
        qualification_threshold=qualification_threshold,
        created_by=by,
    )
    campaign.endpoints.set(endpoint_list)
    units = _units_create(campaign=campaign, trials=[*calibration_trials, *trials], gold=gold)
    if any(unit.review_status == UnitReviewStatus.PENDING for unit in units):
        if skip_review:
            campaign_review_skip(campaign=campaign, by=by)
        else:
            Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.REVIEW)
            campaign.status = CampaignStatus.REVIEW
    unit_ids = {unit.trial_id: unit.pk for unit in units}
    # Calibration units open each expert's queue; the plan's positions follow them.
    first_position = {expert: len(keys) for expert, keys in calibration_plan.items()}
    Assignment.objects.bulk_create(
        [
            *(
                Assignment(
                    campaign=campaign,
                    unit_id=unit_ids[trial_id],
                    expert_id=expert_id,
                    position=position,
                )
                for expert_id, keys in calibration_plan.items()
                for position, trial_id in enumerate(keys)
            ),
            *(
                Assignment(
                    campaign=campaign,
                    unit_id=unit_ids[trial_id],
                    expert_id=expert_id,
                    position=first_position.get(expert_id, 0) + position,
                )
                for trial_id, expert_id, position in plan.pairs()
            ),
        ]
    )
    if qualification_threshold is not None:
        calibrations_create(
            campaign=campaign,
            units_per_expert={expert: len(keys) for expert, keys in calibration_plan.items()},
        )
    return campaign


def _refuse_identity_mentions(
    *, instructions: Mapping[str, str], gold: Sequence[GoldUnit], errors: dict[str, list[str]]
) -> None:
    """Instructions and rationales that name a model, endpoint or provider are refused, as the
    admin form and the API refuse them, whichever way the campaign is made (the command, a
    script): experts read both, and rewriting an admin's text behind their back would hide it."""
    texts = [
        ("instructions", text, _("The instructions (%(language)s)") % {"language": language})
        for language, text in instructions.items()
        if isinstance(text, str) and text.strip()
    ] + [
        ("gold", entry.rationale, _("The rationale of trial %(trial)s") % {"trial": entry.trial_id})
        for entry in gold
        if entry.rationale.strip()
    ]
    if not texts:
        return
    names, name_list = _redaction_names(), _listed_names()
    for field, text, what in texts:
        error = identity_mention_error(text, what=what, names=names, name_list=name_list)
        if error is not None:
            errors[field].extend(error.messages)


def _calibration_plan(
    *,
    trials: Sequence[Trial],
    experts: Sequence[ExpertProfile],
    seed: int,
    match_expertise: bool,
) -> dict[int, list[int]]:
    """Expert id -> calibration trial ids in queue order; every expert needs at least one."""
    if not trials:
        return {}
    queues = calibration_queues(
        units=[
            UnitSpec(key=trial.pk, language=trial.language, area=trial.item.area, stratum=None)
            for trial in trials
        ],
        experts=[
            ExpertSpec(
                key=expert.pk,
                languages=frozenset(expert.languages),
                areas=frozenset(expert.areas),
            )
            for expert in experts
        ],
        seed=seed,
        match_expertise=match_expertise,
    )
    uncovered = sorted(expert.pseudonym for expert in experts if not queues[expert.pk])
    if uncovered:
        raise ValidationError(
            {
                "gold": [
                    f"experts {uncovered} have no calibration unit in their languages and areas; "
                    "add calibration units they can rate"
                ]
            }
        )
    return queues


def _gold_trials(
    *,
    run: Run,
    gold: Sequence[GoldUnit],
    scale_values: set[int],
    errors: dict[str, list[str]],
) -> dict[int, Trial]:
    if not gold:
        return {}
    wanted = [entry.trial_id for entry in gold]
    duplicates = sorted({trial_id for trial_id in wanted if wanted.count(trial_id) > 1})
    if duplicates:
        errors["gold"].append(f"trials listed more than once: {duplicates}")
    found = {
        trial.pk: trial
        for trial in Trial.objects.filter(
            run=run,
            pk__in=[trial_id for trial_id in wanted if trial_id in BIG_INTEGER_RANGE],
            kind=QuestionKind.WORK_SAMPLE,
            status=TrialStatus.OK,
        ).select_related("item")
    }
    missing = sorted(set(wanted) - set(found))
    if missing:
        errors["gold"].append(f"trials {missing} are not ok work samples of run {run.pk}")
    low, high = (min(scale_values), max(scale_values)) if scale_values else (None, None)
    for entry in gold:
        if entry.expected_min > entry.expected_max:
            errors["gold"].append(
                f"trial {entry.trial_id}: expected_min {entry.expected_min} is above "
                f"expected_max {entry.expected_max}"
            )
        if low is not None and not (
            low <= entry.expected_min <= high and low <= entry.expected_max <= high
        ):
            errors["gold"].append(
                f"trial {entry.trial_id}: the expected range must lie within the scale "
                f"({low} to {high})"
            )
    return found


def _answer(text: str) -> str:
    """What experts rate: the reply without the reasoning a model returned inline
    (`<think>...</think>`), which is not part of the answer and marks the kind of model."""
    answer = without_reasoning(text, fill="")
    return answer.strip() if answer != text else text


def _units_create(
    *, campaign: Campaign, trials: Sequence[Trial], gold: Sequence[GoldUnit]
) -> list[Unit]:
    names = _redaction_names()
    name_list = _listed_names()
    gold_by_trial = {entry.trial_id: entry for entry in gold}
    codes = _unique_blind_codes(len(trials))
    units = []
    for trial, code in zip(trials, codes, strict=True):
        redacted = redact(_answer(trial.text), names=names, name_list=name_list)
        reasons = review_reasons(redacted)
        expected = gold_by_trial.get(trial.pk)
        units.append(
            Unit(
                campaign=campaign,
                trial=trial,
                item_id=trial.item_id,
                language=trial.language,
                blind_code=code,
                text_redacted=redacted.text,
                redactions=redacted.count,
                redactions_listed=redacted.count_of(KIND_LISTED),
                redactions_pattern=redacted.count_of(KIND_PATTERN),
                review_status=UnitReviewStatus.PENDING if reasons else UnitReviewStatus.NOT_NEEDED,
                review_reasons=reasons,
                is_gold=expected is not None,
                expected_min=expected.expected_min if expected else None,
                expected_max=expected.expected_max if expected else None,
                is_calibration=bool(expected and expected.calibration),
                # The rationale reaches experts too: one that names a model was refused
                # above; redacted all the same, like the work sample.
                rationale=(
                    redact(expected.rationale, names=names, name_list=name_list).text
                    if expected
                    else ""
                ),
            )
        )
    return Unit.objects.bulk_create(units)


def _assignment_plan(
    *,
    trials: Sequence[Trial],
    gold_trial_ids: set[int],
    experts: Sequence[ExpertProfile],
    raters_per_unit: int,
    seed: int,
    match_expertise: bool,
) -> AssignmentPlan:
    """Who rates which work sample, in which queue order; keyed by trial and expert ids."""
    unit_specs = [
        UnitSpec(
            key=trial.pk,
            language=trial.language,
            area=trial.item.area,
            # Queues mix endpoints evenly; the key itself never reaches an expert.
            stratum=trial.endpoint_id,
            is_gold=trial.pk in gold_trial_ids,
        )
        for trial in trials
    ]
    expert_specs = [
        ExpertSpec(
            key=expert.pk, languages=frozenset(expert.languages), areas=frozenset(expert.areas)
        )
        for expert in experts
    ]
    try:
        return assign(
            unit_specs,
            expert_specs,
            raters_per_unit=raters_per_unit,
            seed=seed,
            match_expertise=match_expertise,
        )
    except AssignmentError as exc:
        raise ValidationError({"raters_per_unit": [str(exc)]}) from exc


@transaction.atomic
def campaign_close(*, campaign: Campaign) -> Campaign:
    """Close a campaign: its assignments stay, but no draft, rating or skip is accepted."""
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.OPEN).update(
        status=CampaignStatus.CLOSED, closed_at=timezone.now()
    )
    campaign.refresh_from_db(fields=["status", "closed_at"])
    return campaign


@transaction.atomic
def campaign_reopen(*, campaign: Campaign) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.CLOSED).update(
        status=CampaignStatus.OPEN, closed_at=None
    )
    campaign.refresh_from_db(fields=["status", "closed_at"])
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign with its units and assignments, unless experts have rated in it."""
    ratings = Rating.objects.filter(assignment__campaign=campaign).count()
    if ratings:
        raise DependantsExist(
            resource=_("campaign %(name)s") % {"name": campaign.name},
            dependants={"ratings": ratings},
            hint=_("Close it instead: its ratings and statistics stay."),
        )
    campaign.delete()


@transaction.atomic
def panel_delete(*, panel: Panel) -> None:
    """Delete a panel (its experts stay), unless campaigns used it."""
    dependants = protected_dependants(panel)
    if dependants:
        raise DependantsExist(
            resource=_("panel %(name)s") % {"name": panel.name}, dependants=dependants
        )
    panel.delete()
