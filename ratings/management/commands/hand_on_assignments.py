"""Hand on the unfinished assignments of experts who dropped out of campaigns (ratings.dropout)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ratings.dropout import LIVE_STATUSES, campaign_drop_outs_hand_on
from ratings.models import Campaign


class Command(BaseCommand):
    help = (
        "Hand on the pending and draft assignments of experts who failed a campaign's "
        "calibration, were deactivated or were removed from its panel, in open campaigns and "
        "campaigns awaiting review "
        "(all of them, or the ones named). Safe to run again: it finds nothing left the second "
        "time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("campaigns", type=int, nargs="*", help="Campaign ids (default: all)")

    def handle(self, *args, **options) -> None:
        campaigns = Campaign.objects.filter(status__in=LIVE_STATUSES).order_by("pk")
        if options["campaigns"]:
            campaigns = campaigns.filter(pk__in=options["campaigns"])
            missing = sorted(
                set(options["campaigns"]) - set(campaigns.values_list("pk", flat=True))
            )
            if missing:
                raise CommandError(f"no open campaign or campaign awaiting review: {missing}")
        for campaign in campaigns:
            log = campaign_drop_outs_hand_on(campaign=campaign)
            short = sum(entry.to_expert_id is None for entry in log)
            self.stdout.write(
                f"campaign {campaign.pk}: {len(log)} assignments withdrawn, "
                f"{len(log) - short} handed on, {short} units left short"
            )
