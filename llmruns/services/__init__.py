"""Writes for LLM runs: defining and freezing runs, dispatching, executing and reaping trials.

Re-exports the public service functions of the package's modules.
"""

from __future__ import annotations

from llmruns.services.definition import (
    RunSpec,
    run_create,
    run_estimate,
    run_planned_trials,
    run_start,
)
from llmruns.services.endpoints import (
    endpoint_archive,
    endpoint_delete,
    endpoint_runs,
    endpoint_unarchive,
)
from llmruns.services.execution import trial_execute, trials_execute
from llmruns.services.lifecycle import (
    run_cancel,
    run_dispatch,
    run_finish_if_done,
    run_progress,
    run_resume,
    run_retry_failed,
    trials_reap,
)
from llmruns.services.preparation import run_grid_size, run_preparation, run_prepare

__all__ = [
    "RunSpec",
    "endpoint_archive",
    "endpoint_delete",
    "endpoint_runs",
    "endpoint_unarchive",
    "run_grid_size",
    "run_planned_trials",
    "run_prepare",
    "run_preparation",
    "run_cancel",
    "run_create",
    "run_dispatch",
    "run_estimate",
    "run_finish_if_done",
    "run_progress",
    "run_resume",
    "run_retry_failed",
    "run_start",
    "trial_execute",
    "trials_execute",
    "trials_reap",
]
