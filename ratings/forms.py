"""Forms of the rating app: the expert's rating, draft and skip forms; the admin's invite and
campaign forms. They validate and shape input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from careers.models import Area, Scale
from llmruns.models import ModelEndpoint, Run, RunStatus
from ratings.models import Campaign, Panel, SkipReason
from ratings.services import (
    MAX_ACTIVE_SECONDS,
    MAX_COMMENT_LENGTH,
    GoldUnit,
    identity_mention_error,
)

# In the order of ratings.models.RATING_FLAGS.
FLAG_CHOICES = [
    ("truncated", _("Truncated: the answer stops mid-way")),
    ("identifies_model", _("Identifies the model: says which AI wrote it")),
    ("off_task", _("Off task: does not answer the task")),
    ("unsafe", _("Unsafe: harmful or dangerous content")),
]


class DraftForm(forms.Form):
    value = forms.IntegerField(required=False)
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    flags = forms.MultipleChoiceField(
        required=False, choices=FLAG_CHOICES, widget=forms.CheckboxSelectMultiple
    )


class RatingForm(DraftForm):
    value = forms.IntegerField(error_messages={"required": _("Choose a value on the scale.")})
    active_seconds = forms.FloatField(
        required=False, min_value=0, max_value=MAX_ACTIVE_SECONDS, widget=forms.HiddenInput
    )
    submission_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


class SkipForm(forms.Form):
    skip_reason = forms.ChoiceField(
        choices=[("", _("Choose a reason…")), *SkipReason.choices],
        error_messages={"required": _("Choose a reason for skipping.")},
    )
    skip_note = forms.CharField(required=False, max_length=300)


def _instructions_named_nobody(text: str) -> str:
    """The instructions as given, unless they name a model, endpoint or provider: every expert
    of the campaign reads them, and ratings are blind."""
    error = identity_mention_error(text, what=_("The instructions"))
    if error is not None:
        raise error
    return text


class CampaignChangeForm(forms.ModelForm):
    """The admin's change page of a campaign: its name and its instructions per language."""

    class Meta:
        model = Campaign
        fields = ["name", "instructions"]

    def clean_instructions(self) -> Any:
        instructions = self.cleaned_data["instructions"]
        if isinstance(instructions, dict):
            for language, text in instructions.items():
                if isinstance(text, str):
                    error = identity_mention_error(
                        text,
                        what=_("The instructions (%(language)s)") % {"language": language},
                    )
                    if error is not None:
                        raise error
        return instructions


def _multiple_choice(choices: list[tuple[str, Any]], label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=choices, widget=forms.CheckboxSelectMultiple, label=label
    )


class ExpertInviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    languages = _multiple_choice(list(settings.LANGUAGES), _("Languages the expert reads"))
    areas = _multiple_choice(list(Area.choices), _("RIASEC areas of expertise"))
    panels = forms.ModelMultipleChoiceField(
        label=_("Panels"),
        queryset=Panel.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class CampaignCreateForm(forms.Form):
    """The admin's form for a new campaign; the service validates the definition as a whole."""

    name = forms.CharField(label=_("Name"), max_length=200)
    run = forms.ModelChoiceField(
        label=_("Run"), queryset=Run.objects.filter(status=RunStatus.FINISHED)
    )
    panel = forms.ModelChoiceField(label=_("Panel"), queryset=Panel.objects.all())
    scale = forms.ModelChoiceField(
        label=_("Scale"),
        queryset=Scale.objects.all(),
        required=False,
        help_text=_("Empty: the instrument's competence scale."),
    )
    endpoints = forms.ModelMultipleChoiceField(
        label=_("Endpoints"),
        queryset=ModelEndpoint.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every endpoint of the run."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=list(settings.LANGUAGES),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every language of the run."),
    )
    areas = forms.MultipleChoiceField(
        label=_("Areas"),
        choices=list(Area.choices),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all six areas."),
    )
    samples_per_cell = forms.IntegerField(
        label=_("Samples per cell"),
        min_value=1,
        initial=1,
        help_text=_("Work samples per (item, endpoint, language)."),
    )
    raters_per_unit = forms.IntegerField(label=_("Raters per unit"), min_value=1, initial=3)
    match_expertise = forms.BooleanField(
        label=_("Match expertise"),
        required=False,
        initial=True,
        help_text=_("Experts only get units in their areas and languages."),
    )
    instructions_en = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), label=_("Instructions (English)")
    )
    instructions_zh = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("Instructions (Chinese)"),
    )
    gold = forms.CharField(
        label=_("Gold units"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One gold unit per line: trial id, expected minimum, expected maximum."),
    )
    seed = forms.IntegerField(
        label=_("Seed"), required=False, help_text=_("Empty: a random seed, stored.")
    )
    adaptive = forms.BooleanField(
        label=_("Adaptive assignment"),
        required=False,
        help_text=_(
            "Start every unit with the raters per unit above (k0, at least 2) and add one more "
            "rater to a unit whose ratings are two or more points apart, up to the maximum, "
            "until the alpha CI reaches its target or the whole budget is assigned (a rating "
            "counts once assigned, rated or not)."
        ),
    )
    max_raters_per_unit = forms.IntegerField(
        label=_("Max raters per unit"),
        required=False,
        min_value=1,
        help_text=_(
            "Adaptive: at most this many raters per unit. One more than the initial raters is "
            "usually best: a disagreeing unit keeps getting raters up to this number."
        ),
    )
    rating_budget = forms.IntegerField(
        label=_("Rating budget"),
        required=False,
        min_value=1,
        help_text=_(
            "Adaptive: ratings the campaign may assign, initial ones included; a rating counts "
            "once assigned, rated or not."
        ),
    )
    target_ci_half_width = forms.FloatField(
        label=_("Target CI half-width"),
        required=False,
        help_text=_("Adaptive: stop adding raters once the alpha CI half-width is at most this."),
    )
    calibration = forms.CharField(
        label=_("Calibration units"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One calibration unit per line: trial id, expected minimum, expected maximum, then "
            "the rationale the expert sees after rating it. Rated first by every eligible expert."
        ),
    )
    qualification_threshold = forms.FloatField(
        label=_("Qualification threshold"),
        required=False,
        help_text=_(
            "With calibration units: the share of calibration ratings within the expected range "
            "an expert needs to receive the real units (0 to 1)."
        ),
    )

    @staticmethod
    def _gold_lines(text: str, *, rationale: bool) -> list[GoldUnit]:
        entries = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            # Commas or spaces between the numbers; a rationale may hold commas of its own.
            parts = line.replace(",", " ", 3).split(maxsplit=3)
            try:
                trial_id, low, high = (int(part) for part in (parts[:3] if rationale else parts))
            except ValueError as exc:
                raise ValidationError(
                    _("Line %(n)s: expected three whole numbers: trial id, minimum, maximum.")
                    if not rationale
                    else _(
                        "Line %(n)s: expected trial id, minimum and maximum (whole numbers), "
                        "then the rationale."
                    ),
                    params={"n": number},
                ) from exc
            if rationale and len(parts) < 4:
                raise ValidationError(
                    _("Line %(n)s: the rationale is missing: the expert sees it after rating."),
                    params={"n": number},
                )
            if rationale:
                # The expert reads the rationale: it must not name a model (ratings are blind).
                error = identity_mention_error(
                    parts[3], what=_("Line %(n)s: the rationale") % {"n": number}
                )
                if error is not None:
                    raise error
            entries.append(
                GoldUnit(
                    trial_id=trial_id,
                    expected_min=low,
                    expected_max=high,
                    calibration=rationale,
                    rationale=parts[3].strip() if rationale else "",
                )
            )
        return entries

    def clean_instructions_en(self) -> str:
        return _instructions_named_nobody(self.cleaned_data["instructions_en"])

    def clean_instructions_zh(self) -> str:
        return _instructions_named_nobody(self.cleaned_data["instructions_zh"])

    def clean_gold(self) -> list[GoldUnit]:
        return self._gold_lines(self.cleaned_data["gold"], rationale=False)

    def clean_calibration(self) -> list[GoldUnit]:
        return self._gold_lines(self.cleaned_data["calibration"], rationale=True)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        instructions = {
            code: text
            for code, text in (
                ("en", data["instructions_en"]),
                ("zh-hans", data["instructions_zh"]),
            )
            if text.strip()
        }
        return {
            "name": data["name"],
            "run": data["run"],
            "panel": data["panel"],
            "scale": data["scale"],
            "endpoints": list(data["endpoints"]) or None,
            "languages": data["languages"] or None,
            "areas": data["areas"] or None,
            "samples_per_cell": data["samples_per_cell"],
            "raters_per_unit": data["raters_per_unit"],
            "match_expertise": data["match_expertise"],
            "instructions": instructions,
            "gold": [*data["gold"], *data["calibration"]],
            "seed": data["seed"],
            "adaptive": data["adaptive"],
            "max_raters_per_unit": data["max_raters_per_unit"],
            "rating_budget": data["rating_budget"],
            "target_ci_half_width": data["target_ci_half_width"],
            "qualification_threshold": data["qualification_threshold"],
        }
