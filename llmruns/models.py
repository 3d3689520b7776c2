"""Model endpoints, runs, trials (one per cell) and attempts (one per HTTP call)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from careers.models import Instrument, Item, Language, QuestionKind


class ModelEndpoint(models.Model):
    """Any OpenAI-compatible server. The API key is read from the named environment variable."""

    name = models.CharField(max_length=100, unique=True)
    provider = models.CharField(max_length=100, blank=True)
    base_url = models.URLField(max_length=300)
    model = models.CharField(
        _("model id"), max_length=200, help_text=_("A dated snapshot where the provider has one.")
    )
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        help_text=_(
            "NAME of the environment variable holding the key; the key itself is never stored."
        ),
    )
    supports_json_schema = models.BooleanField(default=False)
    supports_seed = models.BooleanField(default=True)
    max_requests_per_minute = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1)]
    )
    max_concurrency = models.PositiveIntegerField(default=4, validators=[MinValueValidator(1)])
    price_input_per_million = models.DecimalField(
        max_digits=12, decimal_places=4, default=Decimal(0)
    )
    price_output_per_million = models.DecimalField(
        max_digits=12, decimal_places=4, default=Decimal(0)
    )
    extra_params = models.JSONField(default=dict, blank=True)
    timeout_seconds = models.FloatField(default=60.0)
    is_mock = models.BooleanField(
        default=False, help_text=_("Served by the project's mock server.")
    )
    supports_batch = models.BooleanField(
        default=False,
        help_text=_("Offers the OpenAI-compatible batch API (/v1/files and /v1/batches)."),
    )
    batch_price_input_per_million = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty: the live price less the batch discount."),
    )
    batch_price_output_per_million = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty: the live price less the batch discount."),
    )
    batch_discount = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Share taken off the live price in batch mode where no batch price is set."),
    )
    batch_max_requests = models.PositiveIntegerField(
        default=50_000,
        validators=[MinValueValidator(1)],
        help_text=_("Most requests in one batch input file."),
    )
    batch_max_bytes = models.PositiveBigIntegerField(
        default=200_000_000,
        validators=[MinValueValidator(1)],
        help_text=_("Largest batch input file, in bytes."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(batch_max_requests__gte=1) & models.Q(batch_max_bytes__gte=1),
                name="endpoint_batch_limits_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(max_requests_per_minute__gte=1), name="endpoint_rpm_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(max_concurrency__gte=1), name="endpoint_concurrency_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (mock)' if self.is_mock else ''}"

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        return (
            self.price_input_per_million * input_tokens
            + self.price_output_per_million * output_tokens
        ) / Decimal(1_000_000)

    def frozen(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "provider": self.provider,
            "base_url": self.base_url,
            "model": self.model,
            "api_key_env": self.api_key_env,
            "supports_json_schema": self.supports_json_schema,
            "supports_seed": self.supports_seed,
            "max_requests_per_minute": self.max_requests_per_minute,
            "max_concurrency": self.max_concurrency,
            "price_input_per_million": str(self.price_input_per_million),
            "price_output_per_million": str(self.price_output_per_million),
            "extra_params": self.extra_params,
            "timeout_seconds": self.timeout_seconds,
            "is_mock": self.is_mock,
            **self.frozen_batch(),
        }

    def batch_prices(self) -> tuple[Decimal, Decimal]:
        """Price per million input and output tokens in batch mode."""
        keep = Decimal(1) - Decimal(str(self.batch_discount))

        def price(batch_price, live_price) -> Decimal:
            if batch_price is not None and batch_price != "":
                return Decimal(str(batch_price))
            return (Decimal(str(live_price)) * keep).quantize(Decimal("0.0001"))

        return (
            price(self.batch_price_input_per_million, self.price_input_per_million),
            price(self.batch_price_output_per_million, self.price_output_per_million),
        )

    def frozen_batch(self) -> dict:
        batch_input, batch_output = self.batch_prices()
        return {
            "supports_batch": self.supports_batch,
            "batch_price_input_per_million": str(batch_input),
            "batch_price_output_per_million": str(batch_output),
            "batch_max_requests": self.batch_max_requests,
            "batch_max_bytes": self.batch_max_bytes,
        }


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Execution(models.TextChoices):
    LIVE = "live", _("Live calls")
    BATCH = "batch", _("Provider batch API")


class Run(models.Model):
    name = models.CharField(max_length=200)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="runs")
    endpoints = models.ManyToManyField(ModelEndpoint, related_name="runs")
    languages = models.JSONField(default=list)
    kinds = models.JSONField(default=list)
    replications = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    temperature = models.FloatField(default=1.0)
    top_p = models.FloatField(null=True, blank=True)
    max_tokens = models.PositiveIntegerField(default=600)
    seed = models.IntegerField(default=0, help_text=_("Base seed; replication r sends seed + r."))
    reverse_half = models.BooleanField(
        default=True, help_text=_("Reverse the scale direction in every second replication.")
    )
    rotate_templates = models.BooleanField(
        default=True, help_text=_("Rotate among a kind's paraphrased templates by replication.")
    )
    max_attempts = models.PositiveSmallIntegerField(default=5)
    execution = models.CharField(
        max_length=8,
        choices=Execution.choices,
        default=Execution.LIVE,
        help_text=_("Live calls, or the providers' batch APIs (cheaper, answers within hours)."),
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT)
    config = models.JSONField(
        default=dict, help_text=_("Frozen copy of every template and parameter used.")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(replications__gte=1), name="run_replications_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrialStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    OK = "ok", _("OK")
    INVALID = "invalid", _("Invalid answer")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_TRIAL_STATUSES = (
    TrialStatus.OK,
    TrialStatus.INVALID,
    TrialStatus.REFUSED,
    TrialStatus.FAILED,
    TrialStatus.CANCELLED,
)


class Trial(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="trials")
    endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.PROTECT, related_name="trials")
    language = models.CharField(max_length=16, choices=Language.choices)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="trials")
    kind = models.CharField(max_length=20, choices=QuestionKind.choices)
    replication = models.PositiveIntegerField()
    work_sample = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
        help_text=_("For self_review: the work sample being reviewed."),
    )
    template_variant = models.PositiveSmallIntegerField(default=1)
    scale_reversed = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=TrialStatus.choices, default=TrialStatus.PENDING
    )
    value = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    outcome_reason = models.CharField(max_length=200, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal(0))
    latency_ms = models.FloatField(null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "endpoint", "language", "kind", "item", "replication"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "endpoint", "language", "item", "kind", "replication"],
                name="trial_unique_cell",
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(status="ok"),
                name="trial_value_only_when_ok",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"]),
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["run", "status", "enqueued_at"]),
        ]

    def __str__(self) -> str:
        return f"trial {self.pk} {self.kind} item {self.item_id} rep {self.replication}"


class Attempt(models.Model):
    """One HTTP call made for a trial: every call is kept."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    worker = models.CharField(max_length=200, blank=True)
    request_body = models.JSONField()
    response_body = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    batch = models.ForeignKey(
        "ProviderBatch",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attempts",
        help_text=_("The provider batch that carried this request (batch execution)."),
    )

    class Meta:
        ordering = ["trial", "number"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "number"], name="attempt_unique_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of trial {self.trial_id}"


class BatchPhase(models.TextChoices):
    """Where the platform is with a batch; recorded before and after each provider call."""

    PLANNED = "planned", _("Planned (trials chosen, not yet uploaded)")
    UPLOADED = "uploaded", _("Input file uploaded, batch not yet created")
    SUBMITTED = "submitted", _("Submitted to the provider")
    DONE = "done", _("Collected")


PROVIDER_BATCH_OPEN = ("validating", "in_progress", "finalizing", "cancelling")
PROVIDER_BATCH_TERMINAL = ("completed", "failed", "expired", "cancelled")


class ProviderBatch(models.Model):
    """One batch of a run's requests at a provider's batch API.

    `key` is the platform's own name for it, sent in the batch's metadata and the input file's
    name, so that a batch created by a worker that died before recording it is found and adopted
    instead of created twice. Its requests are the Attempt rows that point at it.
    """

    key = models.CharField(max_length=64, unique=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="batches")
    endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.PROTECT, related_name="batches")
    phase = models.CharField(max_length=16, choices=BatchPhase.choices, default=BatchPhase.PLANNED)
    provider_status = models.CharField(max_length=16, blank=True)
    provider_batch_id = models.CharField(max_length=200, blank=True)
    input_file_id = models.CharField(max_length=200, blank=True)
    output_file_id = models.CharField(max_length=200, blank=True)
    error_file_id = models.CharField(max_length=200, blank=True)
    request_count = models.PositiveIntegerField(default=0)
    input_bytes = models.PositiveBigIntegerField(default=0)
    completed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    collected_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    polls = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    provider_finished_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "created_at"]
        verbose_name = _("provider batch")
        verbose_name_plural = _("provider batches")
        indexes = [models.Index(fields=["phase", "next_poll_at"])]

    def __str__(self) -> str:
        return f"batch {self.key} ({self.provider_status or self.phase})"
