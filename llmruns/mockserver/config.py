"""Configuration of the mock LLM server and the record it keeps of each request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class MockConfig:
    """How the mock behaves: latency, its own rate limit, and fault rates per request.

    The fault rates are probabilities per chat request, drawn once per request in the order of
    `fault_rates()`, so together they may not exceed 1.
    """

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    rate_limit_per_minute: int | None = None
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    rate_malformed: float = 0.0
    rate_truncated: float = 0.0
    rate_refusal: float = 0.0
    rate_unparseable: float = 0.0
    # The provider's content filter stops the answer part-way (finish_reason "content_filter").
    rate_content_filter: float = 0.0
    # A completion billed in `usage` but with no choices to read: a malformed answer that cost.
    rate_no_choices: float = 0.0
    retry_after_s: float = 1.0
    timeout_hang_s: float = 30.0
    seed: int = 0
    api_key: str | None = None
    # {model: {item number or "*": [p1, ..., p5]}}: see `llmruns.mockserver.variants`.
    answer_distributions: dict | None = None
    # With logprobs, the probability of a first token that is no scale value.
    logprob_invalid_mass: float = 0.02
    # Batch API: seconds from creation to completion, share of lines answered with an error,
    # how many of the first batches created expire, and the share of an expiring batch's lines
    # left unanswered.
    batch_delay_s: float = 0.0
    batch_line_failure_rate: float = 0.0
    batch_expire_first: int = 0
    batch_expire_unanswered: float = 0.3

    def __post_init__(self) -> None:
        rates = self.fault_rates()
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"rate_{name} must be between 0 and 1, got {rate}")
        if sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError("the fault rates add up to more than 1")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1 (or None for no limit)")
        if not 0.0 <= self.logprob_invalid_mass < 1.0:
            raise ValueError("logprob_invalid_mass must be in [0, 1)")
        from llmruns.mockserver.variants import distribution_problem

        if problem := distribution_problem(self.answer_distributions):
            raise ValueError(problem)
        for name in ("batch_line_failure_rate", "batch_expire_unanswered"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.batch_expire_first < 0:
            raise ValueError("batch_expire_first must not be negative")
        for name in (
            "latency_ms",
            "latency_jitter_ms",
            "retry_after_s",
            "timeout_hang_s",
            "batch_delay_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    def fault_rates(self) -> dict[str, float]:
        """Fault name -> probability per chat request, in the order they are drawn."""
        return {
            "429": self.rate_429,
            "500": self.rate_500,
            "timeout": self.rate_timeout,
            "malformed": self.rate_malformed,
            "truncated": self.rate_truncated,
            "refusal": self.rate_refusal,
            "unparseable": self.rate_unparseable,
            "content_filter": self.rate_content_filter,
            "no_choices": self.rate_no_choices,
        }


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the mock received.

    `status` is 0 when the mock hung up without answering. `outcome` is one of ok,
    rate_limited (its own limit), 429, 500, timeout, malformed, truncated, refusal, unparseable,
    content_filter, no_choices (injected faults), unauthorized, bad_request, not_found, method_not_allowed.
    """

    time: float  # time.monotonic() at arrival
    path: str
    model: str | None
    status: int
    outcome: str
    kind: str | None = None  # interest | self_competence | work_sample | self_review
    language: str | None = None
    area: str | None = None
