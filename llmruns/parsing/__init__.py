"""Answer parsing: turn a model's reply into an explicit outcome, never into a guessed number.

Every parser returns a `ParseResult`: ``ok`` with the canonical value (``None`` for free text),
``invalid`` with the reason, or ``refused`` for a disclaimer with no answer. The modules:

- `llmruns.parsing.likert`: free-text Likert answers (the rules are in its docstring);
- `llmruns.parsing.structured`: JSON answers ``{"answer": n}`` and the schema that asks for them;
- `llmruns.parsing.token_probability`: the scale's distribution from a one-token answer's
  logprobs (renormalised over the valid options, with the valid mass and expected value);
- `llmruns.parsing.work_sample`: free-text work samples for the experts;
- `llmruns.parsing.refusal`: disclaimers such as "As an AI I don't have preferences";
- `llmruns.parsing.labels` and `llmruns.parsing.numbers`: where a Likert answer names a scale
  label or a number;
- `llmruns.parsing.text`: the normalised form every parser reads;
- `llmruns.parsing.result`: the outcome type.

The public names are re-exported here; import them from ``llmruns.parsing``.
"""

from __future__ import annotations

from llmruns.parsing.likert import parse_likert
from llmruns.parsing.refusal import detect_refusal
from llmruns.parsing.result import Outcome, ParseResult
from llmruns.parsing.structured import likert_json_schema, parse_structured
from llmruns.parsing.token_probability import TokenProbabilityResult, parse_token_probabilities
from llmruns.parsing.work_sample import parse_work_sample

__all__ = [
    "Outcome",
    "ParseResult",
    "TokenProbabilityResult",
    "detect_refusal",
    "likert_json_schema",
    "parse_likert",
    "parse_structured",
    "parse_token_probabilities",
    "parse_work_sample",
]
