"""What the pages call the reasons a statistic left data out.

A result names each exclusion by a reason and what it counts ("interest: trial failed", 3,
"answers"): English codes that the API, the exports and scripts read and that never change with
the language. The pages show them through `exclusion_label`, in the page's language, and a run
statistic's notes (English in the API too) through `note_label`, in its notes list and in the
`note` columns of its tables; so are the diagnostics' names, response styles, contrasts, facets
and findings in their columns (English codes and sentences in the API too). The run
statistics' reasons and notes are declared here; the campaign statistics register theirs
(`ratings.analysis.labels`), since this app does not know them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from llmruns.models import TrialStatus
from llmruns.stats_columns import INCOMPLETE_RESPONDENT, INVALID_ANSWER, NO_ANSWER_RECORDED

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
    # Why a reliability coefficient is undefined (`llmruns.stats.reliability`), in the internal
    # consistency table.
    "alpha undefined: the total score has no variance": _(
        "alpha undefined: the total score has no variance"
    ),
    "omega undefined: an item has the same answer from every respondent": _(
        "omega undefined: an item has the same answer from every respondent"
    ),
    "omega undefined: the one-factor fit did not converge": _(
        "omega undefined: the one-factor fit did not converge"
    ),
    "a communality reached its bound (Heywood case); omega may be overestimated": _(
        "a communality reached its bound (Heywood case); omega may be overestimated"
    ),
    # The diagnostics' notes (`llmruns.stats.diagnostics`), in the note columns of their tables.
    "no complete respondent": _("no complete respondent"),
    "interval undefined: needs at least 2 respondents": _(
        "interval undefined: needs at least 2 respondents"
    ),
    "the scale has no midpoint value": _("the scale has no midpoint value"),
    "no item answered under both conditions": _("no item answered under both conditions"),
    "interval undefined: needs at least 2 items": _("interval undefined: needs at least 2 items"),
    "paired t test undefined: every item differs by the same amount": _(
        "paired t test undefined: every item differs by the same amount"
    ),
    "item correlation undefined: one condition has the same mean on every item": _(
        "item correlation undefined: one condition has the same mean on every item"
    ),
    "compared within the same template": _("compared within the same template"),
    "compared within the same scale direction": _("compared within the same scale direction"),
    "scale direction and template are confounded in this design": _(
        "scale direction and template are confounded in this design"
    ),
    "template and scale direction are confounded in this design": _(
        "template and scale direction are confounded in this design"
    ),
    # The diagnostics' names and values (`llmruns.stats.diagnostics`,
    # `llmruns.analysis.diagnostics`), in the diagnostic, style, contrast and facet columns.
    "acquiescence": _("acquiescence"),
    "straight-lining": _("straight-lining"),
    "scale direction": _("scale direction"),
    "template": _("template"),
    "method": _("method"),
    "acquiescent": _("acquiescent"),
    "disacquiescent": _("disacquiescent"),
    "reversed - normal": _("reversed - normal"),
    "replication": _("replication"),
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
    # `llmruns.stats.reliability`
    (
        re.compile(r"alpha undefined: needs at least 2 items, found (?P<count>\d+)"),
        _("alpha undefined: needs at least 2 items, found {count}"),
    ),
    (
        re.compile(r"alpha undefined: needs at least 2 complete respondents, found (?P<count>\d+)"),
        _("alpha undefined: needs at least 2 complete respondents, found {count}"),
    ),
    (
        re.compile(r"omega undefined: needs at least 2 items, found (?P<count>\d+)"),
        _("omega undefined: needs at least 2 items, found {count}"),
    ),
    (
        re.compile(r"omega undefined: needs at least 3 complete respondents, found (?P<count>\d+)"),
        _("omega undefined: needs at least 3 complete respondents, found {count}"),
    ),
    # `llmruns.stats.diagnostics`
    (
        re.compile(
            r"(?P<count>\d+) bootstrap replicate\(s\) undefined and left out of an interval"
        ),
        _("{count} bootstrap replicate(s) undefined and left out of an interval"),
    ),
    (
        re.compile(
            r"ICC undefined: needs at least 2 items answered by at least 2 replications, "
            r"found (?P<items>\d+) x (?P<judges>\d+)"
        ),
        _(
            "ICC undefined: needs at least 2 items answered by at least 2 replications, found "
            "{items} x {judges}"
        ),
    ),
    (
        re.compile(
            r"ICC undefined: needs at least 2 items answered by at least 2 templates, "
            r"found (?P<items>\d+) x (?P<judges>\d+)"
        ),
        _(
            "ICC undefined: needs at least 2 items answered by at least 2 templates, found "
            "{items} x {judges}"
        ),
    ),
    (
        re.compile(r"(?P<count>\d+) item\(s\) without an answer from every judge left out"),
        _("{count} item(s) without an answer from every judge left out"),
    ),
    (
        re.compile(r"(?P<method>\S+) ties (?P<areas>[A-Z](?: = [A-Z])+)"),
        _("{method} ties {areas}"),
    ),
    # The diagnostics' contrasts and findings (`llmruns.stats.diagnostics`,
    # `llmruns.analysis.diagnostics`): a `style` or `contrast` field is itself labelled.
    (
        re.compile(r"template (?P<level>\S+) - template (?P<reference>\S+)"),
        _("template {level} - template {reference}"),
    ),
    (
        re.compile(
            r"(?P<style>\S+): mean agreement (?P<mean>\S+), (?P<index>\S+) from the midpoint "
            r"\(threshold (?P<threshold>\S+)\)"
        ),
        _("{style}: mean agreement {mean}, {index} from the midpoint (threshold {threshold})"),
    ),
    (
        re.compile(
            r"(?P<count>\d+) of (?P<total>\d+) respondent\(s\) gave one value to every item"
        ),
        _("{count} of {total} respondent(s) gave one value to every item"),
    ),
    (
        re.compile(
            r"(?P<method_b>\S+) - (?P<method_a>\S+): (?P<difference>\S+) "
            r"\[(?P<low>\S+), (?P<high>\S+)\]; Holland (?P<code_a>\S*) / (?P<code_b>\S*)"
        ),
        _("{method_b} - {method_a}: {difference} [{low}, {high}]; Holland {code_a} / {code_b}"),
    ),
    (
        re.compile(
            r"(?P<contrast>.+): (?P<difference>\S+) \[(?P<low>\S+), (?P<high>\S+)\] over "
            r"(?P<count>\d+) items"
        ),
        _("{contrast}: {difference} [{low}, {high}] over {count} items"),
    ),
    # `llmruns.stats.profiles`
    (
        re.compile(r"no item has answers in both (?P<first>\S+) and (?P<second>\S+)"),
        _("no item has answers in both {first} and {second}"),
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
    names in them (a `reason`, `style` or `contrast` field is itself shown through
    `note_label`)."""
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
        for labelled in ("reason", "style", "contrast"):
            if labelled in fields:
                fields[labelled] = note_label(fields[labelled])
        return str(template).format(**fields)
    return None


def note_label(note: str) -> str:
    """A statistic's note in the active language; a note without a label is shown as it is.

    A table row's note may join several notes with "; " (a group's Spearman and Wilcoxon
    notes, a coefficient's alpha and omega notes): each is labelled on its own. A note may
    itself hold "; " (the Heywood case's), so the longest run of parts that has a label is
    taken as one note."""
    label = _one_note_label(note)
    if label is not None:
        return label
    parts = note.split("; ")
    labels: list[str] = []
    start = 0
    while start < len(parts):
        for end in range(len(parts), start, -1):
            label = _one_note_label("; ".join(parts[start:end]))
            if label is not None:
                labels.append(label)
                start = end
                break
        else:
            labels.append(parts[start])
            start += 1
    return "; ".join(labels)
