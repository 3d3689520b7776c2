"""Model endpoints, runs, trials (one per cell) and attempts (one per HTTP call).

Elicitation (why the fields below exist): a Likert answer is elicited by one of three methods,
chosen per run and stored per trial, because the method changes the answer a model gives:

- ``verbal``: free text, parsed by the text parser;
- ``structured``: restricted choice through ``response_format`` (a JSON schema whose answer is an
  enum of the scale's values), parsed as JSON, never by the text parser;
- ``token_probability``: a one-token answer with ``logprobs``; the trial stores the probability of
  every scale value (``option_probabilities``, renormalised over the valid options), the mass that
  fell on valid options (``valid_mass``) and the ``expected_value``. For an ok trial ``value`` is
  the most likely scale value (ties go to the lower value); a trial whose valid mass is below the
  run's ``min_valid_mass`` is invalid and keeps its probabilities but no value.

All three report values on the canonical scale (a reversed presentation is mapped back).
``method_fallback`` is the method actually used when it differs from ``method`` (``verbal`` when
the run allowed falling back and the endpoint lacks the capability the method needs).

Endpoint capabilities: the boolean ``supports_*`` / ``accepts_*`` fields and ``token_limit_param``
are what the request builder reads; ``capabilities`` is the probe's full report (per capability
whether it is supported, and the raw error text of the request that showed it is not), dated by
``probed_at``. An administrator may set the booleans by hand; a probe overwrites them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from careers.models import Instrument, Item, Language, QuestionKind


class ElicitationMethod(models.TextChoices):
    VERBAL = "verbal", _("Verbal answer")
    STRUCTURED = "structured", _("Structured (JSON schema)")
    TOKEN_PROBABILITY = "token_probability", _("Token probability")


class TokenLimitParam(models.TextChoices):
    MAX_TOKENS = "max_tokens", "max_tokens"
    MAX_COMPLETION_TOKENS = "max_completion_tokens", "max_completion_tokens"


class ModelEndpoint(models.Model):
    """Any OpenAI-compatible server. The API key is read from the named environment variable."""

    name = models.CharField(verbose_name=_("name"), max_length=100, unique=True)
    provider = models.CharField(verbose_name=_("provider"), max_length=100, blank=True)
    base_url = models.URLField(verbose_name=_("base URL"), max_length=300)
    model = models.CharField(
        _("model id"), max_length=200, help_text=_("A dated snapshot where the provider has one.")
    )
    api_key_env = models.CharField(
        verbose_name=_("API key variable"),
        max_length=100,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z_][A-Za-z0-9_]*$",
                message=_(
                    "must be the NAME of an environment variable (letters, digits, "
                    "underscores), never the key itself"
                ),
            )
        ],
        help_text=_(
            "NAME of the environment variable holding the key; the key itself is never stored."
        ),
    )
    supports_json_schema = models.BooleanField(
        verbose_name=_("supports JSON schema"),
        default=False,
        help_text=_("Accepts response_format with a JSON schema."),
    )
    supports_seed = models.BooleanField(verbose_name=_("supports seed"), default=True)
    supports_logprobs = models.BooleanField(
        verbose_name=_("supports logprobs"),
        default=False,
        help_text=_("Returns logprobs with top_logprobs for the answer token."),
    )
    supports_system_role = models.BooleanField(
        verbose_name=_("supports system role"),
        default=True,
        help_text=_("Accepts a message with the system role."),
    )
    accepts_temperature = models.BooleanField(
        verbose_name=_("accepts temperature"),
        default=True,
        help_text=_("Accepts temperature (reasoning models reject it)."),
    )
    accepts_top_p = models.BooleanField(
        verbose_name=_("accepts top_p"),
        default=True,
        help_text=_("Accepts top_p (reasoning models reject it)."),
    )
    token_limit_param = models.CharField(
        _("token limit parameter"),
        max_length=30,
        choices=TokenLimitParam.choices,
        default=TokenLimitParam.MAX_TOKENS,
    )
    price_reasoning_per_million = models.DecimalField(
        verbose_name=_("reasoning price per million tokens"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Price of reasoning tokens; empty means the output price."),
    )
    capabilities = models.JSONField(
        verbose_name=_("capabilities"),
        default=dict,
        blank=True,
        help_text=_(
            "The last probe's report: per capability whether it is supported and the raw error."
        ),
    )
    probed_at = models.DateTimeField(verbose_name=_("probed at"), null=True, blank=True)
    max_requests_per_minute = models.PositiveIntegerField(
        verbose_name=_("max requests per minute"), default=60, validators=[MinValueValidator(1)]
    )
    max_concurrency = models.PositiveIntegerField(
        verbose_name=_("max concurrency"), default=4, validators=[MinValueValidator(1)]
    )
    price_input_per_million = models.DecimalField(
        verbose_name=_("input price per million tokens"),
        max_digits=12,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
    )
    price_output_per_million = models.DecimalField(
        verbose_name=_("output price per million tokens"),
        max_digits=12,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
    )
    price_cached_input_per_million = models.DecimalField(
        verbose_name=_("cached input price per million tokens"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Price of cached prompt tokens (usage.prompt_tokens_details.cached_tokens); empty "
            "means the input price."
        ),
    )
    extra_params = models.JSONField(verbose_name=_("extra parameters"), default=dict, blank=True)
    timeout_seconds = models.FloatField(
        verbose_name=_("timeout (seconds)"),
        default=60.0,
        validators=[MinValueValidator(0.1), MaxValueValidator(3600)],
    )
    is_mock = models.BooleanField(
        verbose_name=_("mock"), default=False, help_text=_("Served by the project's mock server.")
    )
    archived_at = models.DateTimeField(
        verbose_name=_("archived at"),
        null=True,
        blank=True,
        help_text=_("When set, new runs cannot use the endpoint; its runs and trials stay."),
    )
    supports_batch = models.BooleanField(
        verbose_name=_("supports batch API"),
        default=False,
        help_text=_("Offers the OpenAI-compatible batch API (/v1/files and /v1/batches)."),
    )
    batch_price_input_per_million = models.DecimalField(
        verbose_name=_("batch input price per million tokens"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the live price less the batch discount."),
    )
    batch_price_output_per_million = models.DecimalField(
        verbose_name=_("batch output price per million tokens"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the live price less the batch discount."),
    )
    batch_discount = models.DecimalField(
        verbose_name=_("batch discount"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Share taken off the live price in batch mode where no batch price is set."),
    )
    batch_max_requests = models.PositiveIntegerField(
        verbose_name=_("max requests per batch"),
        default=50_000,
        validators=[MinValueValidator(1)],
        help_text=_("Most requests in one batch input file."),
    )
    batch_max_bytes = models.PositiveBigIntegerField(
        verbose_name=_("max batch file size (bytes)"),
        default=200_000_000,
        validators=[MinValueValidator(1)],
        help_text=_("Largest batch input file, in bytes."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("model endpoint")
        verbose_name_plural = _("model endpoints")
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

    def cost(
        self,
        input_tokens: int,
        output_tokens: int,
        reasoning_tokens: int = 0,
        cached_input_tokens: int = 0,
    ) -> Decimal:
        """Reasoning tokens are part of the output tokens, priced at the reasoning price (the
        output price when none is set); cached prompt tokens are part of the input tokens,
        priced at the cached input price (the input price when none is set)."""
        reasoning_price = self.price_reasoning_per_million
        if reasoning_price is None:
            reasoning_price = self.price_output_per_million
        cached_price = self.price_cached_input_per_million
        if cached_price is None:
            cached_price = self.price_input_per_million
        cached_input_tokens = min(cached_input_tokens, input_tokens)
        return (
            self.price_input_per_million * (input_tokens - cached_input_tokens)
            + cached_price * cached_input_tokens
            + self.price_output_per_million * max(0, output_tokens - reasoning_tokens)
            + reasoning_price * reasoning_tokens
        ) / Decimal(1_000_000)

    def frozen_prices(self) -> dict:
        """The live prices as a run's frozen configuration keeps them (text; None: not set)."""

        def text(price) -> str | None:
            return None if price is None else str(price)

        return {
            "price_input_per_million": str(self.price_input_per_million),
            "price_cached_input_per_million": text(self.price_cached_input_per_million),
            "price_output_per_million": str(self.price_output_per_million),
            "price_reasoning_per_million": text(self.price_reasoning_per_million),
        }

    def missing_capabilities(self, method: str) -> list[str]:
        """The capabilities `method` needs that this endpoint does not have (empty = usable)."""
        needs = {
            ElicitationMethod.STRUCTURED: [("response_format", self.supports_json_schema)],
            ElicitationMethod.TOKEN_PROBABILITY: [("logprobs", self.supports_logprobs)],
        }.get(method, [])
        return [name for name, present in needs if not present]

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
            "supports_logprobs": self.supports_logprobs,
            "supports_system_role": self.supports_system_role,
            "accepts_temperature": self.accepts_temperature,
            "accepts_top_p": self.accepts_top_p,
            "token_limit_param": self.token_limit_param,
            "probed_at": self.probed_at.isoformat() if self.probed_at else None,
            "max_requests_per_minute": self.max_requests_per_minute,
            "max_concurrency": self.max_concurrency,
            **self.frozen_prices(),
            "extra_params": self.extra_params,
            "timeout_seconds": self.timeout_seconds,
            "is_mock": self.is_mock,
            **self.frozen_batch(),
        }

    def batch_prices(self) -> tuple[Decimal, Decimal, Decimal | None]:
        """Price per million input, output and reasoning tokens in batch mode.

        Reasoning tokens are output tokens: with a reasoning price set, batch mode cuts it as it
        cuts the output price (by the explicit batch output price's share of the live output
        price, or else by the batch discount); without one (None), they cost the batch output
        price."""
        keep = Decimal(1) - Decimal(str(self.batch_discount))
        live_output = Decimal(str(self.price_output_per_million))

        def explicit(batch_price) -> bool:
            return batch_price is not None and batch_price != ""

        def price(batch_price, live_price) -> Decimal:
            if explicit(batch_price):
                return Decimal(str(batch_price))
            return (Decimal(str(live_price)) * keep).quantize(Decimal("0.0001"))

        batch_output = price(self.batch_price_output_per_million, live_output)
        reasoning = self.price_reasoning_per_million
        if reasoning is None:
            batch_reasoning = None
        elif explicit(self.batch_price_output_per_million) and live_output:
            share = batch_output / live_output
            batch_reasoning = (Decimal(str(reasoning)) * share).quantize(Decimal("0.0001"))
        else:
            batch_reasoning = price(None, reasoning)
        return (
            price(self.batch_price_input_per_million, self.price_input_per_million),
            batch_output,
            batch_reasoning,
        )

    def frozen_batch(self) -> dict:
        batch_input, batch_output, batch_reasoning = self.batch_prices()
        return {
            "supports_batch": self.supports_batch,
            "batch_price_input_per_million": str(batch_input),
            "batch_price_output_per_million": str(batch_output),
            "batch_price_reasoning_per_million": (
                None if batch_reasoning is None else str(batch_reasoning)
            ),
            "batch_max_requests": self.batch_max_requests,
            "batch_max_bytes": self.batch_max_bytes,
        }


class RunStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


def default_methods() -> list[str]:
    return [ElicitationMethod.VERBAL.value]


class Execution(models.TextChoices):
    LIVE = "live", _("Live calls")
    BATCH = "batch", _("Provider batch API")


class Run(models.Model):
    name = models.CharField(verbose_name=_("name"), max_length=200)
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="runs"
    )
    endpoints = models.ManyToManyField(
        ModelEndpoint, verbose_name=_("endpoints"), related_name="runs"
    )
    languages = models.JSONField(verbose_name=_("languages"), default=list)
    kinds = models.JSONField(verbose_name=_("question kinds"), default=list)
    replications = models.PositiveIntegerField(
        verbose_name=_("replications"), validators=[MinValueValidator(1)]
    )
    temperature = models.FloatField(verbose_name=_("temperature"), default=1.0)
    top_p = models.FloatField(verbose_name=_("top_p"), null=True, blank=True)
    max_tokens = models.PositiveIntegerField(verbose_name=_("max tokens"), default=600)
    seed = models.IntegerField(
        verbose_name=_("seed"), default=0, help_text=_("Base seed; replication r sends seed + r.")
    )
    reverse_half = models.BooleanField(
        verbose_name=_("reverse the scale in half the replications"),
        default=True,
        help_text=_("Reverse the scale direction in every second replication."),
    )
    rotate_templates = models.BooleanField(
        verbose_name=_("rotate templates"),
        default=True,
        help_text=_("Rotate among a kind's paraphrased templates by replication."),
    )
    max_attempts = models.PositiveSmallIntegerField(verbose_name=_("max attempts"), default=5)
    methods = models.JSONField(
        verbose_name=_("elicitation methods"),
        default=default_methods,
        help_text=_("Elicitation methods of the Likert questions (each trial carries one)."),
    )
    method_fallback = models.CharField(
        verbose_name=_("method fallback"),
        max_length=20,
        blank=True,
        choices=[("", _("none (refuse)")), (ElicitationMethod.VERBAL, _("verbal"))],
        help_text=_(
            "Where an endpoint lacks what a method needs: empty refuses the run, "
            "verbal falls back to a verbal answer and records it per trial."
        ),
    )
    min_valid_mass = models.FloatField(
        verbose_name=_("min valid probability mass"),
        default=0.5,
        help_text=_(
            "token_probability: a trial whose probability mass on valid options is below this "
            "is invalid."
        ),
    )
    execution = models.CharField(
        verbose_name=_("execution"),
        max_length=8,
        choices=Execution.choices,
        default=Execution.LIVE,
        help_text=_("Live calls, or the providers' batch APIs (cheaper, answers within hours)."),
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    config = models.JSONField(
        verbose_name=_("frozen configuration"),
        default=dict,
        help_text=_("Frozen copy of every template and parameter used."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("run")
        verbose_name_plural = _("runs")
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
    run = models.ForeignKey(
        Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="trials"
    )
    endpoint = models.ForeignKey(
        ModelEndpoint, verbose_name=_("endpoint"), on_delete=models.PROTECT, related_name="trials"
    )
    language = models.CharField(verbose_name=_("language"), max_length=16, choices=Language.choices)
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="trials"
    )
    kind = models.CharField(
        verbose_name=_("question kind"), max_length=20, choices=QuestionKind.choices
    )
    replication = models.PositiveIntegerField(verbose_name=_("replication"))
    method = models.CharField(
        verbose_name=_("method"),
        max_length=20,
        choices=ElicitationMethod.choices,
        default=ElicitationMethod.VERBAL,
    )
    method_fallback = models.CharField(
        verbose_name=_("method used instead"),
        max_length=20,
        choices=ElicitationMethod.choices,
        blank=True,
        help_text=_("The method actually used when the endpoint could not serve `method`."),
    )
    work_sample = models.ForeignKey(
        "self",
        verbose_name=_("work sample"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
        help_text=_("For self_review: the work sample being reviewed."),
    )
    template_variant = models.PositiveSmallIntegerField(
        verbose_name=_("template variant"), default=1
    )
    scale_reversed = models.BooleanField(verbose_name=_("scale reversed"), default=False)
    status = models.CharField(
        verbose_name=_("status"),
        max_length=16,
        choices=TrialStatus.choices,
        default=TrialStatus.PENDING,
    )
    value = models.SmallIntegerField(verbose_name=_("value"), null=True, blank=True)
    text = models.TextField(verbose_name=_("answer text"), blank=True)
    outcome_reason = models.CharField(verbose_name=_("outcome reason"), max_length=200, blank=True)
    option_probabilities = models.JSONField(
        verbose_name=_("option probabilities"),
        null=True,
        blank=True,
        help_text=_(
            'token_probability: {"1": p1, ..., "5": p5} on the canonical scale, renormalised '
            "over the valid options."
        ),
    )
    valid_mass = models.FloatField(verbose_name=_("valid probability mass"), null=True, blank=True)
    expected_value = models.FloatField(verbose_name=_("expected value"), null=True, blank=True)
    reasoning_text = models.TextField(
        verbose_name=_("reasoning text"),
        blank=True,
        help_text=_("Reasoning the model returned apart from its answer; never parsed."),
    )
    reasoning_tokens = models.PositiveIntegerField(
        verbose_name=_("reasoning tokens"),
        default=0,
        help_text=_("Part of the output tokens, as usage.completion_tokens counts them."),
    )
    input_tokens = models.PositiveIntegerField(verbose_name=_("input tokens"), default=0)
    cached_input_tokens = models.PositiveIntegerField(
        verbose_name=_("cached input tokens"),
        default=0,
        help_text=_(
            "Part of the input tokens, read from the provider's prompt cache, as "
            "usage.prompt_tokens_details.cached_tokens counts them."
        ),
    )
    output_tokens = models.PositiveIntegerField(verbose_name=_("output tokens"), default=0)
    cost = models.DecimalField(
        verbose_name=_("cost"), max_digits=14, decimal_places=8, default=Decimal(0)
    )
    latency_ms = models.FloatField(verbose_name=_("latency (ms)"), null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(
        verbose_name=_("number of attempts"), default=0
    )
    enqueued_at = models.DateTimeField(verbose_name=_("queued at"), null=True, blank=True)
    lease_owner = models.CharField(verbose_name=_("lease owner"), max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(
        verbose_name=_("lease expires at"), null=True, blank=True
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["run", "endpoint", "language", "kind", "method", "item", "replication"]
        verbose_name = _("trial")
        verbose_name_plural = _("trials")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "endpoint", "language", "item", "kind", "method", "replication"],
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

    trial = models.ForeignKey(
        Trial, verbose_name=_("trial"), on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField(verbose_name=_("number"))
    worker = models.CharField(verbose_name=_("worker"), max_length=200, blank=True)
    request_body = models.JSONField(verbose_name=_("request body"))
    response_body = models.TextField(verbose_name=_("response body"), blank=True)
    status_code = models.PositiveSmallIntegerField(
        verbose_name=_("HTTP status code"), null=True, blank=True
    )
    error = models.TextField(verbose_name=_("error"), blank=True)
    started_at = models.DateTimeField(verbose_name=_("started at"))
    duration_ms = models.FloatField(verbose_name=_("duration (ms)"))
    batch = models.ForeignKey(
        "ProviderBatch",
        verbose_name=_("provider batch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attempts",
        help_text=_("The provider batch that carried this request (batch execution)."),
    )

    class Meta:
        ordering = ["trial", "number"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
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

    key = models.CharField(verbose_name=_("batch key"), max_length=64, unique=True)
    run = models.ForeignKey(
        Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="batches"
    )
    endpoint = models.ForeignKey(
        ModelEndpoint, verbose_name=_("endpoint"), on_delete=models.PROTECT, related_name="batches"
    )
    phase = models.CharField(
        verbose_name=_("phase"),
        max_length=16,
        choices=BatchPhase.choices,
        default=BatchPhase.PLANNED,
    )
    provider_status = models.CharField(verbose_name=_("provider status"), max_length=16, blank=True)
    provider_batch_id = models.CharField(
        verbose_name=_("provider batch id"), max_length=200, blank=True
    )
    input_file_id = models.CharField(verbose_name=_("input file id"), max_length=200, blank=True)
    output_file_id = models.CharField(verbose_name=_("output file id"), max_length=200, blank=True)
    error_file_id = models.CharField(verbose_name=_("error file id"), max_length=200, blank=True)
    request_count = models.PositiveIntegerField(verbose_name=_("requests"), default=0)
    input_bytes = models.PositiveBigIntegerField(
        verbose_name=_("input file size (bytes)"), default=0
    )
    completed_count = models.PositiveIntegerField(verbose_name=_("completed requests"), default=0)
    failed_count = models.PositiveIntegerField(verbose_name=_("failed requests"), default=0)
    collected_count = models.PositiveIntegerField(verbose_name=_("collected requests"), default=0)
    error = models.TextField(verbose_name=_("error"), blank=True)
    polls = models.PositiveIntegerField(verbose_name=_("polls"), default=0)
    next_poll_at = models.DateTimeField(verbose_name=_("next poll at"), null=True, blank=True)
    lease_until = models.DateTimeField(verbose_name=_("lease until"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), null=True, blank=True)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    provider_finished_at = models.DateTimeField(
        verbose_name=_("finished at the provider"), null=True, blank=True
    )
    collected_at = models.DateTimeField(verbose_name=_("collected at"), null=True, blank=True)

    class Meta:
        ordering = ["run", "created_at"]
        verbose_name = _("provider batch")
        verbose_name_plural = _("provider batches")
        indexes = [models.Index(fields=["phase", "next_poll_at"])]

    def __str__(self) -> str:
        return f"batch {self.key} ({self.provider_status or self.phase})"
