"""Reads of run data that statistics build on: which method's answers, and on what basis.

A run may elicit every Likert answer by several methods (each trial carries one), so a
statistic that treats one replication of one endpoint and language as a respondent must take the
answers of one method at a time. Unless asked for another, it takes the run's first method. A
token-probability trial has two readings of its answer: the most likely value (`value`, what the
other methods' sampled answers correspond to) and the expected value of its distribution; the
basis names which one a statistic uses.
"""

from __future__ import annotations

from django.db.models import F, FloatField, OuterRef, Q, Subquery
from django.db.models.expressions import Combinable
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from llmruns.models import ElicitationMethod, Run

ANSWER = "answer"
EXPECTED_VALUE = "expected_value"
ANSWER_BASES = (ANSWER, EXPECTED_VALUE)
FIRST_METHOD = "first"
METHOD_CHOICES = (FIRST_METHOD, *ElicitationMethod.values)


def resolved_methods(run: Run) -> list[str]:
    """The run's methods (verbal for a run that names none)."""
    return list(run.methods or [ElicitationMethod.VERBAL.value])


def resolve_method(run: Run, method: str | None = None) -> str:
    """The method named, or the run's first method for None or "first"."""
    if method and method != FIRST_METHOD:
        return method
    return resolved_methods(run)[0]


def method_filter(method: str | None = None) -> Q:
    """Trials of the method named, or of their run's first method (in the same query)."""
    if method and method != FIRST_METHOD:
        return Q(method=method)
    first = Run.objects.filter(pk=OuterRef("run_id")).values(first=KT("methods__0"))[:1]
    return Q(method=Subquery(first))


def answer_value(basis: str = ANSWER) -> Combinable:
    """The value a statistic reads from a trial: its answer, or its expected value where it has
    one (token_probability) and its answer otherwise."""
    if basis == EXPECTED_VALUE:
        return Coalesce(F("expected_value"), Cast("value", FloatField()))
    if basis != ANSWER:
        raise ValueError(f"basis must be one of {', '.join(ANSWER_BASES)}, got {basis!r}")
    return F("value")
