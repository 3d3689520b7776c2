"""What the pages call the reasons a statistic left data out.

A result names each exclusion by a reason and what it counts ("interest: trial failed", 3,
"answers"): English codes that the API, the exports and scripts read and that never change with
the language. The pages show them through `exclusion_label`, in the page's language. The run
statistics' reasons are declared here; the campaign statistics register theirs
(`ratings.analysis.labels`), since this app does not know them.
"""

from __future__ import annotations

from collections.abc import Mapping

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
