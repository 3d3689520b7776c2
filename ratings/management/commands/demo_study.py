"""Create the demo endpoints, the finished demo run and its demo campaign (idempotent)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from llmruns.demo import demo_run_ensure
from ratings.demo import demo_campaign_ensure


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
        self.stdout.write(
            f"Demo campaign {campaign.pk}: {campaign.units.count()} blind units for expert1 and expert2"
        )
