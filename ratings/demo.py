"""The demo's expert side (development only): the demo experts' profiles, and the demo campaign
of the embedded set-up with simulated ratings so every result has data. The accounts come from
`careers.accounts`, the run from `llmruns.demo`.

A newcomer should see agreement, raters, units, discrepancy and the mixed model on first start,
before anyone has rated anything. Three simulated demo raters (accounts that cannot sign in)
therefore rate all of their units through the ordinary rating service; their ratings are marked
`simulated` in the data, in the exports and on every page that shows them, and count like any
other rating. The two demo experts, expert1 and expert2, keep all of their units to rate by hand.

The values are made up, not read from anything a model said: each work sample gets a latent
quality (a per-model offset plus noise), and each rater adds a small bias and noise, so alpha
is moderate and the two mock models differ.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.db import transaction

from careers.accounts import DemoAccount, role_groups_ensure
from careers.accounts import demo_accounts_ensure as user_accounts_ensure
from careers.permissions import EXPERT
from llmruns.models import Run
from ratings.models import Assignment, AssignmentStatus, Campaign, ExpertProfile, Panel
from ratings.services import campaign_create, rating_submit


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
DEMO_EXPERTS = ("expert1", "expert2")
# username -> (leniency in scale points, noise sd): one strict, one fair, one lenient rater.
SIMULATED_RATERS = {
    "simulated_rater1": (-0.3, 0.5),
    "simulated_rater2": (0.0, 0.4),
    "simulated_rater3": (0.4, 0.6),
}
# The latent quality of a mock model's work samples (the mock answers are all alike).
MODEL_QUALITY = {"mock-alpha": 3.6, "mock-beta": 2.8}
SEED = 2024


def _simulated_raters_ensure() -> list[ExpertProfile]:
    group = role_groups_ensure()[EXPERT]
    profiles = []
    for username in SIMULATED_RATERS:
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()  # a simulated rater never signs in
            user.first_name = "Simulated"
            user.save()
        user.groups.add(group)
        profile, _ = ExpertProfile.objects.get_or_create(
            user=user,
            defaults={"languages": ["en", "zh-hans"], "areas": ["R", "I", "A", "S", "E", "C"]},
        )
        profiles.append(profile)
    return profiles


def demo_campaign_ensure(*, run: Run) -> Campaign:
    """The demo campaign over the demo run, with the simulated raters' ratings (idempotent)."""
    campaign = Campaign.objects.filter(name=DEMO_CAMPAIGN_NAME).first()
    if campaign is None:
        campaign = _demo_campaign_create(run=run)
    demo_ratings_simulate(campaign=campaign)
    return campaign


@transaction.atomic
def _demo_campaign_create(*, run: Run) -> Campaign:
    panel, _ = Panel.objects.get_or_create(name="Demo panel")
    panel.experts.add(
        *ExpertProfile.objects.filter(user__username__in=DEMO_EXPERTS),
        *_simulated_raters_ensure(),
    )
    return campaign_create(
        name=DEMO_CAMPAIGN_NAME,
        run=run,
        panel=panel,
        areas=["S", "A", "I"],
        samples_per_cell=1,
        raters_per_unit=3,
        instructions=DEMO_INSTRUCTIONS,
        match_expertise=False,
        seed=SEED,
        # The demo experts rate at once; the review gate is shown on campaigns made by hand.
        skip_review=True,
    )


@transaction.atomic
def demo_ratings_simulate(*, campaign: Campaign) -> int:
    """Rate every open assignment of the simulated raters in the campaign; returns how many."""
    pending = list(
        Assignment.objects.filter(
            campaign=campaign,
            expert__user__username__in=SIMULATED_RATERS,
            status=AssignmentStatus.PENDING,
        )
        .select_related("expert__user", "unit__trial__endpoint")
        .order_by("pk")
    )
    rng = random.Random(SEED)
    quality: dict[int, float] = {}
    for assignment in pending:
        unit = assignment.unit
        if unit.pk not in quality:
            base = MODEL_QUALITY.get(unit.trial.endpoint.model, 3.2)
            quality[unit.pk] = base + random.Random(f"{SEED}-{unit.pk}").gauss(0, 0.9)
        leniency, noise = SIMULATED_RATERS[assignment.expert.user.username]
        value = round(quality[unit.pk] + leniency + rng.gauss(0, noise))
        rating_submit(
            assignment=assignment,
            value=min(5, max(1, value)),
            active_seconds=round(rng.uniform(25, 140), 1),
            simulated=True,
        )
    return len(pending)
