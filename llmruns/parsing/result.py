"""The outcome of parsing an answer: ``ok`` with a value, ``invalid`` with why, or ``refused``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["ok", "invalid", "refused"]


@dataclass(frozen=True)
class ParseResult:
    """What an answer text means: the outcome, the canonical value when ok, and why."""

    outcome: Outcome
    value: int | None
    reason: str


def empty_result() -> ParseResult:
    """What a blank reply means, whichever parser reads it."""
    return ParseResult("invalid", None, "empty")
