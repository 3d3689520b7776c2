"""What the pages call the reasons a statistic left data out.

A result names each exclusion by a reason and what it counts ("interest: trial failed", 3,
"answers"): English codes that the API, the exports and scripts read and that never change with
the language. The pages show them through `exclusion_label`, in the page's language, and a run
statistic's notes (English in the API too) through `note_label`, in its notes list and in the
`note` columns of its tables. The run statistics' reasons and notes are declared here; the
campaign statistics register theirs (`ratings.analysis.labels`), since this app does not know
them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from llmruns.models import TrialStatus
from llmruns.stats.profiles import INCOMPLETE_RESPONDENT, INVALID_ANSWER, NO_ANSWER_RECORDED

# Why an answer of a run carries no value, by the status of its trial.
ANSWER_STATUS_REASONS: dict[str, str] = {
    TrialStatus.INVALID: "invalid answer",
    TrialStatus.REFUSED: "refused answer",
    TrialStatus.FAILED: "trial failed",
    TrialStatus.CANCELLED: "trial cancelled",
    TrialStatus.PENDING: "trial not run yet",
    TrialStatus.RUNNING: "trial still running",
}

# The answers a status reason is about: "interest: trial failed".
ANSWER_KINDS: dict[str, Promise] = {
    "interest": _("interest"),
    "self-competence": _("self-assessed competence"),
    "self-review": _("self-review"),
}

_STATUS_LABELS: dict[str, Promise] = {
    "invalid answer": _("invalid answer"),
    "refused answer": _("refused answer"),
    "trial failed": _("trial failed"),
    "trial cancelled": _("trial cancelled"),
    "trial not run yet": _("trial not run yet"),
    "trial still running": _("trial still running"),
}

_LABELS: dict[str, Promise] = {
    INVALID_ANSWER: _("invalid or refused answer"),
    NO_ANSWER_RECORDED: _("no answer recorded"),
    INCOMPLETE_RESPONDENT: _("incomplete respondent"),
    "answers": _("answers"),
    **{
        f"{kind}: {reason}": format_lazy(_("{kind}: {reason}"), kind=kind_label, reason=label)
        for kind, kind_label in ANSWER_KINDS.items()
        for reason, label in _STATUS_LABELS.items()
    },
}


def exclusion_labels_register(labels: Mapping[str, Promise]) -> None:
    """Add the labels of another app's reasons (and of what they count)."""
    _LABELS.update(labels)


def exclusion_label(code: str) -> str:
    """The label of an exclusion's reason, or of what it counts, in the active language; a code
    without a label is shown as it is."""
    label = _LABELS.get(code)
    return code if label is None else str(label)


# A run statistic's notes, as the API serves them (English), and as the pages show them.
_NOTES: dict[str, Promise] = {
    "language differences need answers in both en and zh-hans": _(
        "language differences need answers in both en and zh-hans"
    ),
    "the run has no interest answers": _("the run has no interest answers"),
    "token-probability answers enter with their expected value": _(
        "token-probability answers enter with their expected value"
    ),
    # Why a test is undefined (`llmruns.stats.inference`), in a table's note column.
    "Wilcoxon test undefined: all differences are zero": _(
        "Wilcoxon test undefined: all differences are zero"
    ),
    "Wilcoxon test undefined for these data": _("Wilcoxon test undefined for these data"),
    "paired t-test undefined: all differences are equal": _(
        "paired t-test undefined: all differences are equal"
    ),
    "Spearman's rho undefined: one of the variables is constant": _(
        "Spearman's rho undefined: one of the variables is constant"
    ),
}

# Notes with figures and names in them: the pattern of the English note, and its label with the
# same fields. Names (endpoints, methods, factors, levels) are shown as they are.
_NOTE_PATTERNS: list[tuple[re.Pattern, Promise]] = [
    (
        re.compile(
            r"(?P<count>\d+) (?P<what>\S+) answers of (?P<endpoint>.+) were asked (?P<used>\S+) "
            r"in place of (?P<method>\S+) \(method_fallback in the exports\)"
        ),
        _(
            "{count} {what} answers of {endpoint} were asked {used} in place of {method} "
            "(method_fallback in the exports)"
        ),
    ),
    (
        re.compile(
            r"only one (?P<factor>\S+) \((?P<level>.*)\): (?P=factor) and its interactions are "
            r"dropped from the model"
        ),
        _("only one {factor} ({level}): {factor} and its interactions are dropped from the model"),
    ),
    (
        re.compile(r"(?P<count>\d+) invalid or refused answer\(s\) excluded"),
        _("{count} invalid or refused answer(s) excluded"),
    ),
    (
        re.compile(
            r"the method comparison leaves out interest trials asked with a fallback method: "
            r"(?P<cells>.*)"
        ),
        _("the method comparison leaves out interest trials asked with a fallback method: {cells}"),
    ),
    (
        re.compile(
            r"Wilcoxon test undefined: needs at least (?P<needed>\d+) non-zero differences, "
            r"found (?P<count>\d+)"
        ),
        _("Wilcoxon test undefined: needs at least {needed} non-zero differences, found {count}"),
    ),
    (
        re.compile(r"paired t-test undefined: needs at least 2 pairs, found (?P<count>\d+)"),
        _("paired t-test undefined: needs at least 2 pairs, found {count}"),
    ),
    (
        re.compile(r"Spearman's rho undefined: needs at least 2 items, found (?P<count>\d+)"),
        _("Spearman's rho undefined: needs at least 2 items, found {count}"),
    ),
    (
        re.compile(r"Spearman's p undefined for (?P<count>\d+) items"),
        _("Spearman's p undefined for {count} items"),
    ),
]
# One cell of the method comparison's note: "alpha structured asked verbal (3 trials)".
_FALLBACK_CELL = re.compile(
    r"(?P<endpoint>.+) (?P<method>\S+) asked (?P<used>\S+) \((?P<count>\d+) trials\)"
)
_FALLBACK_CELL_LABEL = _("{endpoint} {method} asked {used} ({count} trials)")


def _cells_label(cells: str) -> str:
    labels = []
    for cell in cells.split("; "):
        match = _FALLBACK_CELL.fullmatch(cell)
        labels.append(str(_FALLBACK_CELL_LABEL).format(**match.groupdict()) if match else cell)
    return "; ".join(labels)


def note_labels_register(
    notes: Mapping[str, Promise], patterns: Iterable[tuple[re.Pattern, Promise]] = ()
) -> None:
    """Add the labels of another app's notes: whole notes, and patterns of notes with figures and
    names in them (a `reason` field is itself shown through `note_label`)."""
    _NOTES.update(notes)
    _NOTE_PATTERNS.extend(patterns)


def _one_note_label(note: str) -> str | None:
    label = _NOTES.get(note)
    if label is not None:
        return str(label)
    for pattern, template in _NOTE_PATTERNS:
        match = pattern.fullmatch(note)
        if match is None:
            continue
        fields = match.groupdict()
        if "what" in fields:
            fields["what"] = str(ANSWER_KINDS.get(fields["what"], fields["what"]))
        if "cells" in fields:
            fields["cells"] = _cells_label(fields["cells"])
        if "reason" in fields:
            fields["reason"] = note_label(fields["reason"])
        return str(template).format(**fields)
    return None


def note_label(note: str) -> str:
    """A statistic's note in the active language; a note without a label is shown as it is.

    A table row's note may join several notes with "; " (a group's Spearman and Wilcoxon
    notes): each is labelled on its own."""
    label = _one_note_label(note)
    if label is not None:
        return label
    if "; " in note:
        return "; ".join(_one_note_label(part) or part for part in note.split("; "))
    return note
