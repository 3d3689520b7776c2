"""Panels, experts, campaigns, blind units, assignments and ratings (with revisions)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careers.models import Area, Item, Language, Scale
from llmruns.models import ModelEndpoint, Run, Trial

BLIND_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_blind_code() -> str:
    """A random code that says nothing about the unit: never derived from an id."""
    return "".join(secrets.choice(BLIND_CODE_ALPHABET) for _ in range(10))


def new_pseudonym() -> str:
    return "E-" + "".join(secrets.choice(BLIND_CODE_ALPHABET) for _ in range(6))


class ExpertProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="expert",
    )
    pseudonym = models.CharField(
        verbose_name=_("pseudonym"), max_length=20, unique=True, default=new_pseudonym
    )
    languages = models.JSONField(
        verbose_name=_("languages"), default=list, help_text=_("Language codes the expert reads.")
    )
    areas = models.JSONField(
        verbose_name=_("areas"), default=list, help_text=_("RIASEC areas of expertise.")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pseudonym"]
        verbose_name = _("expert profile")
        verbose_name_plural = _("expert profiles")

    def __str__(self) -> str:
        return self.pseudonym

    def clean(self) -> None:
        supported = [code for code, _name in settings.LANGUAGES]
        areas = [area.value for area in Area]
        errors = {}
        if not isinstance(self.languages, list) or not set(self.languages) <= set(supported):
            errors["languages"] = _("A list of language codes from %(codes)s.") % {
                "codes": supported
            }
        if not isinstance(self.areas, list) or not set(self.areas) <= set(areas):
            errors["areas"] = _("A list of RIASEC areas from %(areas)s.") % {"areas": areas}
        if errors:
            raise ValidationError(errors)


class Panel(models.Model):
    name = models.CharField(verbose_name=_("name"), max_length=200, unique=True)
    experts = models.ManyToManyField(
        ExpertProfile, verbose_name=_("experts"), related_name="panels", blank=True
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("panel")
        verbose_name_plural = _("panels")

    def __str__(self) -> str:
        return self.name


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    # Created, with units a study admin must review before any expert sees them.
    REVIEW = "review", _("Awaiting review")


class Campaign(models.Model):
    name = models.CharField(verbose_name=_("name"), max_length=200)
    run = models.ForeignKey(
        Run, verbose_name=_("run"), on_delete=models.PROTECT, related_name="campaigns"
    )
    panel = models.ForeignKey(
        Panel, verbose_name=_("panel"), on_delete=models.PROTECT, related_name="campaigns"
    )
    scale = models.ForeignKey(
        Scale, verbose_name=_("scale"), on_delete=models.PROTECT, related_name="campaigns"
    )
    endpoints = models.ManyToManyField(
        ModelEndpoint, verbose_name=_("endpoints"), related_name="campaigns"
    )
    languages = models.JSONField(verbose_name=_("languages"), default=list)
    areas = models.JSONField(verbose_name=_("areas"), default=list)
    samples_per_cell = models.PositiveIntegerField(
        verbose_name=_("work samples per cell"), default=1, validators=[MinValueValidator(1)]
    )
    raters_per_unit = models.PositiveIntegerField(
        verbose_name=_("raters per unit"), default=3, validators=[MinValueValidator(1)]
    )
    match_expertise = models.BooleanField(
        verbose_name=_("match expertise"),
        default=True,
        help_text=_("Experts only get units in their areas and languages."),
    )
    instructions = models.JSONField(
        verbose_name=_("instructions"),
        default=dict,
        blank=True,
        help_text=_("Instructions per language."),
    )
    seed = models.BigIntegerField(verbose_name=_("seed"), default=0)
    # Adaptive assignment (ratings.adaptive): raters_per_unit is then the initial k0.
    adaptive = models.BooleanField(
        verbose_name=_("adaptive assignment"),
        default=False,
        help_text=_("Units whose first ratings disagree get one more rater, up to the maximum."),
    )
    max_raters_per_unit = models.PositiveIntegerField(
        verbose_name=_("max raters per unit"), null=True, blank=True
    )
    rating_budget = models.PositiveIntegerField(
        verbose_name=_("rating budget"), null=True, blank=True
    )
    target_ci_half_width = models.FloatField(
        verbose_name=_("target CI half-width"), null=True, blank=True
    )
    # Calibration (ratings.calibration): share of calibration ratings within the expected range
    # an expert needs before the campaign's real units are given to them.
    qualification_threshold = models.FloatField(
        verbose_name=_("qualification threshold"), null=True, blank=True
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=CampaignStatus.choices,
        default=CampaignStatus.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    review_skipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("review skipped by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who opened the campaign without reviewing its redactions."),
    )
    review_skipped_at = models.DateTimeField(
        verbose_name=_("review skipped at"), null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(raters_per_unit__gte=1), name="campaign_raters_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(samples_per_cell__gte=1), name="campaign_samples_positive"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        adaptive=False,
                        max_raters_per_unit__isnull=True,
                        rating_budget__isnull=True,
                        target_ci_half_width__isnull=True,
                    )
                    | models.Q(
                        adaptive=True,
                        raters_per_unit__gte=2,
                        max_raters_per_unit__gte=models.F("raters_per_unit"),
                        rating_budget__isnull=False,
                        target_ci_half_width__gt=0,
                        target_ci_half_width__lt=1,
                    )
                ),
                name="campaign_adaptive_settings",
            ),
            models.CheckConstraint(
                condition=models.Q(qualification_threshold__isnull=True)
                | models.Q(qualification_threshold__gte=0, qualification_threshold__lte=1),
                name="campaign_qualification_threshold_share",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN


class UnitReviewStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("Not needed")
    # On the review list: withheld from every expert who has not rated it.
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    SKIPPED = "skipped", _("Review skipped")


class Unit(models.Model):
    """One work sample to be rated blind. The original text stays on the trial.

    The item and language are copied from the trial so that the expert's page never has to load
    the trial (and with it the endpoint, run and replication) at all.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="units"
    )
    trial = models.ForeignKey(
        Trial, verbose_name=_("trial"), on_delete=models.PROTECT, related_name="units"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="units"
    )
    language = models.CharField(verbose_name=_("language"), max_length=16, choices=Language.choices)
    blind_code = models.CharField(
        verbose_name=_("blind code"), max_length=16, unique=True, default=new_blind_code
    )
    text_redacted = models.TextField(verbose_name=_("redacted text"))
    redactions = models.PositiveIntegerField(verbose_name=_("redactions"), default=0)
    redactions_listed = models.PositiveIntegerField(
        verbose_name=_("redactions of listed names"),
        default=0,
        help_text=_("Redactions of a listed name, endpoint name or model id."),
    )
    redactions_pattern = models.PositiveIntegerField(
        verbose_name=_("redactions by pattern"),
        default=0,
        help_text=_("Redactions of a name found by a self-introduction pattern."),
    )
    review_status = models.CharField(
        verbose_name=_("review status"),
        max_length=12,
        choices=UnitReviewStatus.choices,
        default=UnitReviewStatus.NOT_NEEDED,
    )
    review_reasons = models.JSONField(
        verbose_name=_("review reasons"),
        default=list,
        blank=True,
        help_text=_("Why the unit is on the review list."),
    )
    is_gold = models.BooleanField(verbose_name=_("gold unit"), default=False)
    expected_min = models.SmallIntegerField(
        verbose_name=_("expected minimum"), null=True, blank=True
    )
    expected_max = models.SmallIntegerField(
        verbose_name=_("expected maximum"), null=True, blank=True
    )
    # A calibration unit is a gold unit every eligible expert rates first, then sees its
    # expected range and this rationale; it is not part of the campaign's data.
    is_calibration = models.BooleanField(verbose_name=_("calibration unit"), default=False)
    rationale = models.TextField(verbose_name=_("rationale"), blank=True)

    class Meta:
        ordering = ["campaign", "blind_code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["campaign", "review_status"])]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "trial"], name="unit_unique_trial"),
            models.CheckConstraint(
                condition=(
                    models.Q(is_gold=False, expected_min__isnull=True, expected_max__isnull=True)
                    | models.Q(
                        is_gold=True,
                        expected_min__isnull=False,
                        expected_max__isnull=False,
                        expected_min__lte=models.F("expected_max"),
                    )
                ),
                name="unit_gold_has_expected_range",
            ),
            models.CheckConstraint(
                condition=models.Q(is_calibration=False) | models.Q(is_gold=True),
                name="unit_calibration_is_gold",
            ),
        ]

    def __str__(self) -> str:
        return self.blind_code


class ReviewAction(models.TextChoices):
    APPROVED = "approved", _("Approved")
    EDITED = "edited", _("Edited")
    FLAGGED = "flagged", _("Flagged by an expert")
    SKIPPED = "skipped", _("Review skipped")


class UnitReviewEvent(models.Model):
    """One step in a unit's review: approved, edited (with the text before and after), flagged
    by an expert as identifying the model, or released unreviewed. Never changed afterwards."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="review_events"
    )
    action = models.CharField(verbose_name=_("action"), max_length=10, choices=ReviewAction.choices)
    text_before = models.TextField(verbose_name=_("text before"), blank=True)
    text_after = models.TextField(verbose_name=_("text after"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(verbose_name=_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["unit", "created_at", "pk"]
        verbose_name = _("unit review event")
        verbose_name_plural = _("unit review events")
        indexes = [models.Index(fields=["unit", "action"])]

    def __str__(self) -> str:
        return f"{self.unit.blind_code} {self.action}"


class ModelNameKind(models.TextChoices):
    FAMILY = "family", _("Model family")
    PRODUCT = "product", _("Product")
    MAKER = "maker", _("Maker")


class ModelNameRule(models.TextChoices):
    ALWAYS = "always", _("Wherever it appears")
    WITH_VERSION = "with_version", _("Only with a version or in a self-introduction")
    IN_PHRASE = "in_phrase", _("Only in a self-introduction")


class ModelName(models.Model):
    """A model family, product or maker whose names are removed from work samples.

    Shipped from ratings/fixtures/model_names.json (a data migration loads it); study admins add
    and edit entries in the admin. Endpoint names, model ids and providers are added per
    campaign on top of these.
    """

    name = models.CharField(verbose_name=_("name"), max_length=100, unique=True)
    maker = models.CharField(verbose_name=_("maker"), max_length=100, blank=True)
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=ModelNameKind.choices)
    rule = models.CharField(
        verbose_name=_("redaction rule"),
        max_length=15,
        choices=ModelNameRule.choices,
        default=ModelNameRule.ALWAYS,
    )
    forms = models.JSONField(
        verbose_name=_("spellings"),
        default=list,
        help_text=_(
            'Spellings in any script, as a list: ["Qwen", "通义千问"]. Versions that follow '
            "a family's name are removed with it."
        ),
    )
    is_active = models.BooleanField(verbose_name=_("in use"), default=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        ordering = ["maker", "name"]
        verbose_name = _("model name")
        verbose_name_plural = _("model names")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        forms = self.forms
        if (
            not isinstance(forms, list)
            or not forms
            or not all(isinstance(form, str) and form.strip() for form in forms)
        ):
            raise ValidationError({"forms": _("A non-empty list of non-empty spellings.")})
        too_short = [form for form in forms if len(form.strip()) < 2]
        if too_short:
            raise ValidationError(
                {
                    "forms": _("Spellings of one character match ordinary letters: %(forms)s.")
                    % {"forms": too_short}
                }
            )


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SKIPPED = "skipped", _("Skipped")


class SkipReason(models.TextChoices):
    OUTSIDE_EXPERTISE = "outside_expertise", _("Outside my expertise")
    LANGUAGE = "language", _("I cannot judge the language")
    UNREADABLE = "unreadable", _("The text is unreadable or empty")
    OTHER = "other", _("Other reason")


# The flags an expert can set on a rating, and the Rating field each one is stored in.
RATING_FLAGS: dict[str, str] = {
    "truncated": "flag_truncated",
    "identifies_model": "flag_identifies_model",
    "off_task": "flag_off_task",
    "unsafe": "flag_unsafe",
}
# What the pages call each flag; the API and the exports keep the codes.
RATING_FLAG_LABELS: dict[str, Promise] = {
    "truncated": _("truncated"),
    "identifies_model": _("identifies the model"),
    "off_task": _("off task"),
    "unsafe": _("unsafe"),
}


class Assignment(models.Model):
    """One unit in one expert's queue. `position` is the queue order within the campaign.

    Times: `opened_at` is the first time the page was opened, `submitted_at` and
    `server_seconds`/`active_seconds` describe the first submission; each rating revision keeps
    its own times.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="assignments"
    )
    expert = models.ForeignKey(
        ExpertProfile,
        verbose_name=_("expert"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    position = models.PositiveIntegerField(verbose_name=_("queue position"))
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PENDING,
    )
    draft_value = models.SmallIntegerField(verbose_name=_("draft value"), null=True, blank=True)
    draft_comment = models.TextField(verbose_name=_("draft comment"), blank=True)
    draft_flags = models.JSONField(verbose_name=_("draft flags"), default=list, blank=True)
    draft_saved_at = models.DateTimeField(verbose_name=_("draft saved at"), null=True, blank=True)
    skip_reason = models.CharField(
        verbose_name=_("skip reason"), max_length=20, choices=SkipReason.choices, blank=True
    )
    skip_note = models.CharField(verbose_name=_("skip note"), max_length=300, blank=True)
    opened_at = models.DateTimeField(verbose_name=_("first opened at"), null=True, blank=True)
    last_opened_at = models.DateTimeField(verbose_name=_("last opened at"), null=True, blank=True)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    server_seconds = models.FloatField(
        verbose_name=_("time on the server (seconds)"), null=True, blank=True
    )
    active_seconds = models.FloatField(
        verbose_name=_("active time (seconds)"), null=True, blank=True
    )

    class Meta:
        ordering = ["expert", "campaign", "position"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "expert"], name="assignment_unique_unit_expert"
            ),
            models.UniqueConstraint(
                fields=["expert", "campaign", "position"], name="assignment_unique_position"
            ),
        ]
        indexes = [models.Index(fields=["expert", "status", "position"])]

    def __str__(self) -> str:
        return f"{self.unit.blind_code} -> {self.expert}"


class Rating(models.Model):
    """A submitted value. A change after submission is a new revision, never an overwrite."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="ratings"
    )
    revision = models.PositiveSmallIntegerField(verbose_name=_("revision"), default=1)
    submission_id = models.UUIDField(
        verbose_name=_("submission id"),
        null=True,
        blank=True,
        help_text=_("Token sent with the form, so that a repeated submission is recognised."),
    )
    value = models.SmallIntegerField(verbose_name=_("value"))
    comment = models.TextField(verbose_name=_("comment"), blank=True)
    flag_truncated = models.BooleanField(verbose_name=_("truncated"), default=False)
    flag_identifies_model = models.BooleanField(
        verbose_name=_("identifies the model"), default=False
    )
    flag_off_task = models.BooleanField(verbose_name=_("off task"), default=False)
    flag_unsafe = models.BooleanField(verbose_name=_("unsafe"), default=False)
    simulated = models.BooleanField(
        verbose_name=_("simulated"),
        default=False,
        help_text=_(
            "Made up by the demo set-up, not given by a person; counted like any other rating."
        ),
    )
    server_seconds = models.FloatField(
        verbose_name=_("time on the server (seconds)"), null=True, blank=True
    )
    active_seconds = models.FloatField(
        verbose_name=_("active time (seconds)"), null=True, blank=True
    )
    created_at = models.DateTimeField(verbose_name=_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["assignment", "revision"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "revision"], name="rating_unique_revision"
            ),
            models.UniqueConstraint(
                fields=["assignment", "submission_id"], name="rating_unique_submission"
            ),
        ]

    def __str__(self) -> str:
        return f"rating {self.value} (rev {self.revision})"

    @property
    def flags(self) -> list[str]:
        return [flag for flag, field in RATING_FLAGS.items() if getattr(self, field)]


class CalibrationStatus(models.TextChoices):
    CALIBRATING = "calibrating", _("Calibrating")
    QUALIFIED = "qualified", _("Qualified")
    NOT_QUALIFIED = "not_qualified", _("Not qualified")


class Calibration(models.Model):
    """One expert's calibration in one campaign: how many calibration ratings fell within the
    expected range, and whether that reached the campaign's qualification threshold.

    Written by `ratings.calibration` after each calibration rating; the decision is taken once
    every calibration unit of the expert is rated, and kept.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="calibrations"
    )
    expert = models.ForeignKey(
        ExpertProfile,
        verbose_name=_("expert"),
        on_delete=models.PROTECT,
        related_name="calibrations",
    )
    units = models.PositiveIntegerField(verbose_name=_("calibration units"), default=0)
    rated = models.PositiveIntegerField(verbose_name=_("rated"), default=0)
    within_range = models.PositiveIntegerField(verbose_name=_("within range"), default=0)
    status = models.CharField(
        verbose_name=_("status"),
        max_length=20,
        choices=CalibrationStatus.choices,
        default=CalibrationStatus.CALIBRATING,
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["campaign", "expert"]
        verbose_name = _("calibration")
        verbose_name_plural = _("calibrations")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "expert"], name="calibration_unique_campaign_expert"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} in campaign {self.campaign_id}: {self.status}"

    @property
    def accuracy(self) -> float | None:
        return self.within_range / self.rated if self.rated else None


class DropOutReason(models.TextChoices):
    NOT_QUALIFIED = "not_qualified", _("did not pass the calibration")
    DEACTIVATED = "deactivated", _("was deactivated")
    REMOVED = "removed", _("was removed from the panel")


class Reassignment(models.Model):
    """An unfinished assignment taken from an expert who dropped out of the campaign (failed its
    calibration, was deactivated, or was removed from its panel), and who took it over: `to_expert` is empty when no
    eligible expert could take it at a balanced load, and the unit was left short of raters.

    Written by `ratings.dropout`, once per withdrawn assignment, in the order of the decisions;
    never changed afterwards.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="reassignments"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="reassignments"
    )
    from_expert = models.ForeignKey(
        ExpertProfile, verbose_name=_("from expert"), on_delete=models.PROTECT, related_name="+"
    )
    to_expert = models.ForeignKey(
        ExpertProfile,
        verbose_name=_("to expert"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(
        verbose_name=_("reason"), max_length=20, choices=DropOutReason.choices
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["campaign", "pk"]
        verbose_name = _("reassignment")
        verbose_name_plural = _("reassignments")

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.from_expert_id} -> {self.to_expert_id or '-'}"


class CampaignDataRevision(models.Model):
    """A counter the database moves on every change to a campaign's units, assignments or ratings.

    Database triggers (migration 0002) write it, in the same transaction as the change, whatever
    makes the change (a service, the admin, a bulk update, raw SQL), so one primary-key read
    tells whether a cached statistic of the campaign is still current. Nothing in the code
    writes it. Assignment updates that cannot change a statistic (opening a unit, saving a
    draft's text) leave it alone. A plain integer rather than a foreign key: the row may outlive
    its campaign by a moment while the campaign is deleted, and ids are never reused.
    """

    campaign_id = models.BigIntegerField(verbose_name=_("campaign id"), primary_key=True)
    revision = models.BigIntegerField(verbose_name=_("revision"), default=0)

    class Meta:
        verbose_name = _("campaign data revision")
        verbose_name_plural = _("campaign data revisions")

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} data revision {self.revision}"
