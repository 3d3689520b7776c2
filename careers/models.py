"""The inventory: instruments, items and their texts, scales, and versioned prompt templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


class Area(models.TextChoices):
    REALISTIC = "R", _("Realistic")
    INVESTIGATIVE = "I", _("Investigative")
    ARTISTIC = "A", _("Artistic")
    SOCIAL = "S", _("Social")
    ENTERPRISING = "E", _("Enterprising")
    CONVENTIONAL = "C", _("Conventional")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    CHINESE = "zh-hans", _("Simplified Chinese")


class QuestionKind(models.TextChoices):
    INTEREST = "interest", _("Interest")
    SELF_COMPETENCE = "self_competence", _("Self-assessed competence")
    WORK_SAMPLE = "work_sample", _("Work sample")
    SELF_REVIEW = "self_review", _("Self-review of the work sample")


class Instrument(models.Model):
    slug = models.SlugField(verbose_name=_("slug"), unique=True)
    version = models.CharField(verbose_name=_("version"), max_length=32)
    name = models.CharField(verbose_name=_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    attribution = models.TextField(verbose_name=_("attribution"), blank=True)
    attribution_zh = models.TextField(_("attribution (Chinese)"), blank=True)
    languages = models.JSONField(
        verbose_name=_("languages"),
        default=list,
        help_text=_("Language codes with complete texts."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class Item(models.Model):
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="items"
    )
    number = models.PositiveSmallIntegerField(verbose_name=_("number"))
    area = models.CharField(verbose_name=_("area"), max_length=1, choices=Area.choices)

    class Meta:
        ordering = ["instrument", "number"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="item_unique_number"),
            models.CheckConstraint(
                condition=models.Q(area__in=[a.value for a in Area]), name="item_area_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.area})"


class ItemText(models.Model):
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="texts"
    )
    language = models.CharField(verbose_name=_("language"), max_length=16, choices=Language.choices)
    activity = models.CharField(verbose_name=_("activity"), max_length=300)
    task = models.TextField(
        verbose_name=_("task"),
        help_text=_("A work-sample task whose written answer an expert can judge."),
    )

    class Meta:
        ordering = ["item", "language"]
        verbose_name = _("item text")
        verbose_name_plural = _("item texts")
        constraints = [
            models.UniqueConstraint(fields=["item", "language"], name="itemtext_unique_language"),
        ]

    def __str__(self) -> str:
        return f"{self.item.number} [{self.language}] {self.activity}"


class Scale(models.Model):
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="scales"
    )
    slug = models.SlugField(verbose_name=_("slug"))
    name = models.CharField(verbose_name=_("name"), max_length=200)
    name_zh = models.CharField(verbose_name=_("name (Chinese)"), max_length=200, blank=True)

    class Meta:
        ordering = ["instrument", "slug"]
        verbose_name = _("scale")
        verbose_name_plural = _("scales")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "slug"], name="scale_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def low(self) -> int:
        return min(p.value for p in self.points.all())

    @property
    def high(self) -> int:
        return max(p.value for p in self.points.all())

    def labels(self, language: str) -> dict[int, str]:
        return {p.value: p.label for p in self.points.all() if p.language == language}


class ScalePoint(models.Model):
    scale = models.ForeignKey(
        Scale, verbose_name=_("scale"), on_delete=models.CASCADE, related_name="points"
    )
    value = models.SmallIntegerField(verbose_name=_("value"))
    language = models.CharField(verbose_name=_("language"), max_length=16, choices=Language.choices)
    label = models.CharField(verbose_name=_("label"), max_length=100)
    description = models.TextField(verbose_name=_("description"), blank=True)

    class Meta:
        ordering = ["scale", "language", "value"]
        verbose_name = _("scale point")
        verbose_name_plural = _("scale points")
        constraints = [
            models.UniqueConstraint(
                fields=["scale", "value", "language"], name="scalepoint_unique_value_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} = {self.label}"


class PromptTemplate(models.Model):
    """One version of a prompt template. Rows are never edited: a change is a new version."""

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="templates"
    )
    kind = models.CharField(
        verbose_name=_("question kind"), max_length=20, choices=QuestionKind.choices
    )
    language = models.CharField(verbose_name=_("language"), max_length=16, choices=Language.choices)
    variant = models.PositiveSmallIntegerField(
        verbose_name=_("variant"), default=1, help_text=_("Paraphrase number within the kind.")
    )
    version = models.PositiveIntegerField(verbose_name=_("version"), default=1)
    system_text = models.TextField(verbose_name=_("system message"), blank=True)
    user_text = models.TextField(verbose_name=_("user message"))
    note = models.CharField(verbose_name=_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["instrument", "kind", "language", "variant", "-version"]
        verbose_name = _("prompt template")
        verbose_name_plural = _("prompt templates")
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "kind", "language", "variant", "version"],
                name="prompttemplate_unique_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} [{self.language}] #{self.variant} v{self.version}"

    @property
    def family(self) -> models.QuerySet[PromptTemplate]:
        return PromptTemplate.objects.filter(
            instrument=self.instrument, kind=self.kind, language=self.language, variant=self.variant
        )

    @transaction.atomic
    def revise(
        self, *, system_text: str, user_text: str, note: str = "", by=None
    ) -> PromptTemplate:
        """Store an edit as the next version of this template; this row stays as it was."""
        latest = self.family.select_for_update().aggregate(v=Max("version"))["v"] or 0
        return PromptTemplate.objects.create(
            instrument=self.instrument,
            kind=self.kind,
            language=self.language,
            variant=self.variant,
            version=latest + 1,
            system_text=system_text,
            user_text=user_text,
            note=note,
            created_by=by,
        )

    def frozen(self) -> dict:
        return {
            "id": self.pk,
            "kind": self.kind,
            "language": self.language,
            "variant": self.variant,
            "version": self.version,
            "system": self.system_text,
            "user": self.user_text,
        }
