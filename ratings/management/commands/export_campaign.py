"""Write a campaign's replication package (the same zip as the API's /package/) to a path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ratings.analysis import replication_package_write
from ratings.models import Campaign


class Command(BaseCommand):
    help = (
        "Write the replication package of a campaign: trials and ratings (CSV), the frozen run "
        "configuration, every statistic as CSV, and manifest.json with row counts and SHA-256."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("campaign", type=int, help="Campaign id")
        parser.add_argument("path", type=Path, help="Where to write the zip")
        parser.add_argument("--bootstrap", type=int, default=1000, help="Bootstrap replicates")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the bootstraps")

    def handle(self, *args, **options) -> None:
        campaign = Campaign.objects.select_related("run").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"there is no campaign {options['campaign']}")
        if options["bootstrap"] < 0:
            raise CommandError("--bootstrap must be 0 or more")
        target: Path = options["path"]
        if not target.parent.is_dir():
            raise CommandError(f"the folder {target.parent} does not exist")
        # Written next to the target and renamed at the end, so a failure leaves no half a zip.
        handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as file:
                manifest = replication_package_write(
                    campaign=campaign,
                    target=file,
                    bootstrap=options["bootstrap"],
                    seed=options["seed"],
                )
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        for entry in manifest["files"]:
            rows = "" if entry["rows"] is None else f"{entry['rows']} rows, "
            self.stdout.write(f"  {entry['name']}: {rows}{entry['bytes']} bytes")
        self.stdout.write(self.style.SUCCESS(f"Wrote {target} ({len(manifest['files'])} files)"))
