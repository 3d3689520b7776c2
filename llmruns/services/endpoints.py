"""Deleting and archiving model endpoints.

An endpoint that a run used is part of that run's record (its trials name it, its frozen
configuration describes it), so it cannot be deleted: the refusal names the runs and trials that
depend on it. Archiving is what retires it instead: new runs refuse an archived endpoint, while
every run, trial and export that used it stays as it was.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import DependantsExist
from llmruns.models import ModelEndpoint, Run, Trial


def endpoint_runs(*, endpoint: ModelEndpoint) -> QuerySet[Run]:
    """The runs that used the endpoint, drafts included: while there is one, the endpoint is
    part of its record and cannot be deleted (here or in the admin)."""
    return Run.objects.filter(endpoints=endpoint)


@transaction.atomic
def endpoint_delete(*, endpoint: ModelEndpoint) -> None:
    runs = endpoint_runs(endpoint=endpoint).count()
    if runs:
        raise DependantsExist(
            resource=_("endpoint %(name)s") % {"name": endpoint.name},
            dependants={"runs": runs, "trials": Trial.objects.filter(endpoint=endpoint).count()},
            hint=_("Archive it instead: new runs cannot use it, and its history stays."),
        )
    endpoint.delete()


@transaction.atomic
def endpoint_archive(*, endpoint: ModelEndpoint) -> ModelEndpoint:
    """Retire an endpoint from new runs (idempotent: an archived one keeps its date)."""
    ModelEndpoint.objects.filter(pk=endpoint.pk, archived_at__isnull=True).update(
        archived_at=timezone.now()
    )
    endpoint.refresh_from_db(fields=["archived_at"])
    return endpoint


@transaction.atomic
def endpoint_unarchive(*, endpoint: ModelEndpoint) -> ModelEndpoint:
    ModelEndpoint.objects.filter(pk=endpoint.pk).update(archived_at=None)
    endpoint.refresh_from_db(fields=["archived_at"])
    return endpoint
