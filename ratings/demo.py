"""The demo's expert side (development only): the demo experts' profiles and a small campaign
over the demo run. The accounts come from `careers.accounts`, the run from `llmruns.demo`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from careers.accounts import DemoAccount
from careers.accounts import demo_accounts_ensure as user_accounts_ensure
from careers.permissions import EXPERT
from llmruns.models import Run
from ratings.models import Campaign, ExpertProfile, Panel
from ratings.services import campaign_create


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """The demo accounts, each expert with a profile that reads both languages and every area."""
    accounts = user_accounts_ensure()
    experts = [account.username for account in accounts if account.role == EXPERT]
    for user in get_user_model().objects.filter(username__in=experts):
        ExpertProfile.objects.get_or_create(
            user=user,
            defaults={"languages": ["en", "zh-hans"], "areas": ["R", "I", "A", "S", "E", "C"]},
        )
    return accounts


DEMO_CAMPAIGN_NAME = "Demo: rate the mock models' work samples"
DEMO_INSTRUCTIONS = {
    "en": "Rate how competently each answer does the task, on the 1-5 scale, as you would judge "
    "a written answer from a job applicant. You do not know who wrote it, and that is on purpose.",
    "zh-hans": "请按 1-5 分评价每个回答完成任务的胜任程度，就像评价求职者的书面回答一样。"
    "你不知道回答出自谁，这是有意为之。",
}


def demo_campaign_ensure(*, run: Run) -> Campaign:
    """A small campaign over the demo run for the two demo experts (both read both languages)."""
    existing = Campaign.objects.filter(name=DEMO_CAMPAIGN_NAME).first()
    if existing:
        return existing
    panel, _ = Panel.objects.get_or_create(name="Demo panel")
    panel.experts.add(*ExpertProfile.objects.filter(user__username__in=["expert1", "expert2"]))
    return campaign_create(
        name=DEMO_CAMPAIGN_NAME,
        run=run,
        panel=panel,
        areas=["S", "A", "I"],
        samples_per_cell=1,
        raters_per_unit=2,
        instructions=DEMO_INSTRUCTIONS,
        match_expertise=False,
        seed=2024,
        # The demo experts rate at once; the review gate is shown on campaigns made by hand.
        skip_review=True,
    )
