"""Create the demo endpoints, the finished demo run and its demo campaign (idempotent)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from llmruns.demo import demo_run_ensure
from ratings.demo import SIMULATED_RATERS, demo_campaign_ensure


class Command(BaseCommand):
    help = "Create the demo study: two mock models, both languages, all four kinds, 3 replications."

    def handle(self, *args, **options) -> None:
        def progress(done: int, total: int) -> None:
            sys.stdout.write(f"\r  demo run: {done}/{total} trials")
            sys.stdout.flush()

        run = demo_run_ensure(progress=progress)
        counts = {
            s: run.trials.filter(status=s).count() for s in ("ok", "invalid", "refused", "failed")
        }
        self.stdout.write(f"\nDemo run {run.pk} is {run.status}: {counts}")
        campaign = demo_campaign_ensure(run=run)
        simulated = campaign.assignments.filter(
            expert__user__username__in=SIMULATED_RATERS, ratings__simulated=True
        ).count()
        left = campaign.assignments.filter(
            expert__user__username__in=["expert1", "expert2"], status="pending"
        ).count()
        self.stdout.write(
            f"Demo campaign {campaign.pk}: {campaign.units.count()} blind units, "
            f"{simulated} simulated ratings by {len(SIMULATED_RATERS)} simulated raters, "
            f"{left} units left for expert1 and expert2 to rate by hand"
        )
