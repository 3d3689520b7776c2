"""Celery tasks for runs: thin, they take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from llmruns import services


@shared_task(
    bind=True,
    name="llmruns.tasks.execute_trials",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,  # the outcome is the trial row; storing it again costs a write per task
)
def execute_trials(self, trial_ids: list[int]) -> list[str]:
    """A small batch of trials of one endpoint, one message for all of them (see run_dispatch)."""
    return services.trials_execute(trial_ids=trial_ids, worker=self.request.hostname or "")


@shared_task(
    bind=True,
    name="llmruns.tasks.execute_trial",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def execute_trial(self, trial_id: int) -> str:
    """One trial per message: messages already queued by an earlier release still name it."""
    return services.trial_execute(trial_id=trial_id, worker=self.request.hostname or "")


@shared_task(
    name="llmruns.tasks.dispatch_run",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def dispatch_run(run_id: int) -> int:
    queued, more = services.run_dispatch(run_id=run_id)
    if more:
        dispatch_run.apply_async((run_id,), countdown=1)
    return queued


@shared_task(
    name="llmruns.tasks.prepare_run",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def prepare_run(run_id: int, start: bool = False) -> int:
    """Create a large run's trials in batches (see llmruns.services.preparation)."""
    return services.run_prepare(run_id=run_id, start=start)


@shared_task(name="llmruns.tasks.advance_batches", ignore_result=True)
def advance_batches() -> dict[str, int]:
    """Beat: submit waiting trials of batch runs, poll their batches, collect the ended ones."""
    from llmruns.services.batch import batches_advance

    return batches_advance()


@shared_task(name="llmruns.tasks.cancel_run_batches", acks_late=True, ignore_result=True)
def cancel_run_batches(run_id: int) -> int:
    from llmruns.services.batch import batches_cancel

    return batches_cancel(run_id=run_id)


@shared_task(name="llmruns.tasks.reap_expired_leases")
def reap_expired_leases() -> dict[str, int]:
    return services.trials_reap()
