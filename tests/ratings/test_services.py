"""Services of the rating app: campaigns, blind units, submissions, revisions, skips, invites."""

from __future__ import annotations

import re
import uuid
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from ratings.models import (
    BLIND_CODE_ALPHABET,
    Assignment,
    AssignmentStatus,
    Campaign,
    Panel,
    Rating,
    Unit,
)
from ratings.selectors import campaign_progress
from ratings.services import (
    GoldUnit,
    RatingConflict,
    assignment_open,
    assignment_skip,
    campaign_close,
    campaign_create,
    campaign_reopen,
    draft_save,
    expert_invite,
    rating_revise,
    rating_submit,
)
from tests.ratings.conftest import LEAKY_NAMES, build_run

pytestmark = pytest.mark.django_db


def _first_assignment(campaign: Campaign, expert_user) -> Assignment:
    return (
        Assignment.objects.select_related("campaign", "unit")
        .filter(campaign=campaign, expert__user=expert_user)
        .order_by("position")
        .first()
    )


# --------------------------------------------------------------------------------------------
# Campaign creation


def test_campaign_units_are_redacted_and_each_has_exactly_raters_per_unit_experts(
    campaign, finished_run
):
    units = list(campaign.units.select_related("trial"))
    assert len(units) == 48  # 12 items x 2 endpoints x 2 languages, one replication each
    for unit in units:
        assert not any(name.casefold() in unit.text_redacted.casefold() for name in LEAKY_NAMES)
        assert unit.redactions >= 2
        assert "[model name removed]" in unit.text_redacted
        # The original stays on the trial for admins and researchers.
        assert "Zephyrion-Ultra" in unit.trial.text or "Borealis-Max" in unit.trial.text
        assert (unit.item_id, unit.language) == (unit.trial.item_id, unit.trial.language)
    raters = Counter(Assignment.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
    assert set(raters.values()) == {3}
    assert campaign.seed == 20240601
    assert set(campaign.endpoints.all()) == set(finished_run.endpoints.all())


def test_queue_positions_are_a_permutation_per_expert(campaign, panel):
    for expert in panel.experts.all():
        positions = sorted(
            Assignment.objects.filter(campaign=campaign, expert=expert).values_list(
                "position", flat=True
            )
        )
        assert positions == list(range(48))


def test_queues_mix_endpoints_instead_of_grouping_them(campaign, expert1):
    endpoints = list(
        Assignment.objects.filter(campaign=campaign, expert__user=expert1)
        .order_by("position")
        .values_list("unit__trial__endpoint_id", flat=True)
    )
    # Neither endpoint is ever more than 2 units ahead of the other (within 1 of its share),
    # so never five units of one endpoint in a row.
    first = endpoints[0]
    leads = [2 * endpoints[:n].count(first) - n for n in range(1, len(endpoints) + 1)]
    assert max(abs(lead) for lead in leads) <= 2
    assert all(len({*endpoints[i : i + 5]}) == 2 for i in range(len(endpoints) - 4))


def test_blind_codes_are_random_unique_and_not_derived_from_ids_or_seed(
    finished_run, panel, campaign
):
    codes = list(campaign.units.values_list("blind_code", flat=True))
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(f"[{BLIND_CODE_ALPHABET}]{{10}}", code) for code in codes)
    by_unit_id = list(campaign.units.order_by("pk").values_list("blind_code", flat=True))
    assert by_unit_id != sorted(by_unit_id)
    again = campaign_create(
        skip_review=True, name="Same seed", run=finished_run, panel=panel, seed=campaign.seed
    )
    # The same seed gives the same assignment plan, but blind codes come from a secure source.
    assert not set(codes) & set(again.units.values_list("blind_code", flat=True))
    positions = lambda c: sorted(  # noqa: E731
        c.assignments.values_list("unit__trial_id", "expert_id", "position")
    )
    assert positions(campaign) == positions(again)


def test_samples_per_cell_takes_n_replications_per_cell_chosen_by_seed(
    instrument, model_endpoints, panel
):
    run = build_run(instrument, model_endpoints, languages=["en"], replications=4)

    def chosen(seed: int) -> list[tuple[int, int, int]]:
        created = campaign_create(
            skip_review=True,
            name=f"seed {seed}",
            run=run,
            panel=panel,
            samples_per_cell=2,
            seed=seed,
        )
        return sorted(
            created.units.values_list("trial__item_id", "trial__endpoint_id", "trial__replication")
        )

    first = chosen(7)
    cells = Counter((item, endpoint) for item, endpoint, _replication in first)
    assert len(cells) == 24 and set(cells.values()) == {2}
    assert chosen(7) == first
    assert chosen(8) != first


def test_gold_units_carry_their_expected_range(campaign, finished_run, panel):
    trial = finished_run.trials.order_by("pk").first()
    with_gold = campaign_create(
        skip_review=True,
        name="With gold",
        run=finished_run,
        panel=panel,
        areas=["S"],
        gold=[GoldUnit(trial_id=trial.pk, expected_min=3, expected_max=4)],
    )
    gold = with_gold.units.get(is_gold=True)
    # Added although its item (area R) is outside the selection.
    assert gold.trial_id == trial.pk and (gold.expected_min, gold.expected_max) == (3, 4)
    assert with_gold.units.count() == 2 * 2 * 2 + 1


def _definition(run, panel, **changes):
    return {"name": "Bad", "run": run, "panel": panel, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"raters_per_unit": 4}, "raters_per_unit", "only 3 experts"),
        ({"areas": ["R"], "languages": ["en"], "endpoints": []}, "endpoints", "at least one"),
        ({"languages": ["fr"]}, "languages", "not in run"),
        ({"areas": ["Q"]}, "areas", "unknown areas"),
        ({"samples_per_cell": 0}, "samples_per_cell", "at least 1"),
        ({"instructions": {"de": "Bitte"}}, "instructions", "unsupported"),
        ({"name": "  "}, "name", "required"),
    ],
)
def test_bad_definition_is_refused_naming_the_problem_and_creates_nothing(
    finished_run, panel, changes, field, reason
):
    with pytest.raises(ValidationError) as raised:
        campaign_create(**_definition(finished_run, panel, **changes))
    assert field in raised.value.message_dict
    assert reason in " ".join(raised.value.message_dict[field])
    assert not Campaign.objects.exists() and not Unit.objects.exists()
    assert not Assignment.objects.exists()


def test_run_that_is_not_finished_is_refused(instrument, model_endpoints, panel):
    running = build_run(instrument, model_endpoints, status="running")
    with pytest.raises(ValidationError) as raised:
        campaign_create(skip_review=True, name="Too early", run=running, panel=panel)
    assert "is not finished" in raised.value.message_dict["run"][0]
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_empty_selection_is_refused(instrument, model_endpoints, panel):
    only_realistic = build_run(instrument, model_endpoints, item_numbers=[1, 2])
    with pytest.raises(ValidationError) as raised:
        campaign_create(
            skip_review=True, name="Nothing", run=only_realistic, panel=panel, areas=["S"]
        )
    assert "selection is empty" in raised.value.message_dict["non_field_errors"][0]
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_expertise_matching_counts_only_experts_of_the_area_and_language(
    finished_run, expert1, expert2
):
    from tests.conftest import _expert

    english_social = _expert("sam_social", languages=["en"], areas=["S"])
    panel = Panel.objects.create(name="Mixed")
    panel.experts.set([expert1.expert, expert2.expert, english_social.expert])
    with pytest.raises(ValidationError) as raised:
        campaign_create(
            skip_review=True, name="Strict", run=finished_run, panel=panel, areas=["S", "R"]
        )
    message = " ".join(raised.value.message_dict["raters_per_unit"])
    assert "area R, language en" in message and "only 2 experts" in message
    assert "area S, language en" not in message
    loose = campaign_create(
        skip_review=True, name="Loose", run=finished_run, panel=panel, areas=["S"], languages=["en"]
    )
    assert loose.units.count() == 4
    assert not Assignment.objects.filter(campaign__name="Strict").exists()


def test_gold_problems_are_reported_together(finished_run, panel):
    trial = finished_run.trials.first()
    with pytest.raises(ValidationError) as raised:
        campaign_create(
            skip_review=True,
            name="Bad gold",
            run=finished_run,
            panel=panel,
            gold=[
                GoldUnit(trial_id=trial.pk, expected_min=5, expected_max=2),
                GoldUnit(trial_id=999_999, expected_min=1, expected_max=9),
            ],
        )
    gold_errors = " ".join(raised.value.message_dict["gold"])
    assert "above expected_max" in gold_errors
    assert "[999999] are not ok work samples" in gold_errors
    assert "within the scale (1 to 5)" in gold_errors
    assert not Campaign.objects.exists()


# --------------------------------------------------------------------------------------------
# Drafts, submissions, revisions, skips


def test_submit_records_revision_one_and_the_server_times(campaign, expert1):
    assignment = _first_assignment(campaign, expert1)
    assignment_open(assignment=assignment)
    rating = rating_submit(
        assignment=assignment,
        value=4,
        comment="Solid plan.",
        flags=["truncated"],
        active_seconds=12.5,
        submission_id=uuid.uuid4(),
    )
    assignment.refresh_from_db()
    assert (rating.revision, rating.value, rating.flags) == (1, 4, ["truncated"])
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert assignment.opened_at <= assignment.submitted_at
    assert assignment.server_seconds is not None and assignment.server_seconds >= 0
    assert assignment.active_seconds == 12.5


def test_opening_twice_keeps_the_first_opening_time(campaign, expert1):
    assignment = _first_assignment(campaign, expert1)
    assignment_open(assignment=assignment)
    assignment.refresh_from_db()
    first = assignment.opened_at
    assignment_open(assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.opened_at == first and assignment.last_opened_at >= first


def test_repeated_submission_with_the_same_id_is_recognised(campaign, expert1):
    assignment = _first_assignment(campaign, expert1)
    submission = uuid.uuid4()
    first = rating_submit(assignment=assignment, value=3, submission_id=submission)
    again = rating_submit(assignment=assignment, value=3, submission_id=submission)
    assert again.pk == first.pk
    assert Rating.objects.filter(assignment=assignment).count() == 1


def test_second_different_submission_is_a_conflict_not_a_second_rating(campaign, expert1):
    assignment = _first_assignment(campaign, expert1)
    rating_submit(assignment=assignment, value=3, submission_id=uuid.uuid4())
    with pytest.raises(RatingConflict) as raised:
        rating_submit(assignment=assignment, value=5, submission_id=uuid.uuid4())
    assert raised.value.code == "already_submitted"
    assert Rating.objects.filter(assignment=assignment).count() == 1


def test_revision_is_a_new_row_and_the_old_one_stays(campaign, expert1):
    assignment = _first_assignment(campaign, expert1)
    first = rating_submit(assignment=assignment, value=2, comment="weak")
    revised = rating_revise(assignment=assignment, value=4, comment="on reflection, good")
    first.refresh_from_db()
    assert (first.revision, first.value, first.comment) == (1, 2, "weak")
    assert (revised.revision, revised.value) == (2, 4)
    third = rating_revise(assignment=assignment, value=5)
    assert third.revision == 3
    assert list(assignment.ratings.values_list("value", flat=True)) == [2, 4, 5]


def test_revising_before_submitting_is_refused(campaign, expert1):
    with pytest.raises(RatingConflict) as raised:
        rating_revise(assignment=_first_assignment(campaign, expert1), value=4)
    assert raised.value.code == "not_submitted"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"value": 6}, "value"),
        ({"value": 0}, "value"),
        ({"value": 3, "flags": ["boring"]}, "flags"),
        ({"value": 3, "active_seconds": -1.0}, "active_seconds"),
        ({"value": 3, "comment": "x" * 5001}, "comment"),
    ],
)
def test_invalid_rating_is_refused_and_nothing_changes(campaign, expert1, arguments, field):
    assignment = _first_assignment(campaign, expert1)
    with pytest.raises(ValidationError) as raised:
        rating_submit(assignment=assignment, **arguments)
    assert field in raised.value.message_dict
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.PENDING and not assignment.ratings.exists()


def test_draft_keeps_the_answer_and_marks_the_assignment(campaign, expert1):
    assignment = _first_assignment(campaign, expert1)
    draft_save(assignment=assignment, value=3, comment="half way", flags=["off_task"])
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DRAFT
    assert (assignment.draft_value, assignment.draft_comment) == (3, "half way")
    assert assignment.draft_flags == ["off_task"]
    rating_submit(assignment=assignment, value=3)
    draft_save(assignment=assignment, value=5)
    assignment.refresh_from_db()
    # A draft of a revision does not undo the submission.
    assert assignment.status == AssignmentStatus.SUBMITTED and assignment.draft_value == 5


def test_skip_needs_a_known_reason_and_a_skipped_unit_can_still_be_rated(campaign, expert1):
    assignment = _first_assignment(campaign, expert1)
    with pytest.raises(ValidationError) as raised:
        assignment_skip(assignment=assignment, reason="bored")
    assert "skip_reason" in raised.value.message_dict
    skipped = assignment_skip(assignment=assignment, reason="outside_expertise", note="law")
    assert skipped.status == AssignmentStatus.SKIPPED and skipped.skip_note == "law"
    rating_submit(assignment=assignment, value=2)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED and assignment.skip_reason == ""
    with pytest.raises(RatingConflict):
        assignment_skip(assignment=assignment, reason="other")


def test_closed_campaign_refuses_every_change_until_reopened(campaign, expert1):
    assignment = _first_assignment(campaign, expert1)
    rated = Assignment.objects.filter(campaign=campaign, expert__user=expert1).last()
    rating_submit(assignment=rated, value=3)
    campaign_close(campaign=campaign)
    assert campaign.status == "closed" and campaign.closed_at is not None
    attempts = [
        lambda: rating_submit(assignment=assignment, value=3),
        lambda: rating_revise(assignment=rated, value=4),
        lambda: draft_save(assignment=assignment, value=3),
        lambda: assignment_skip(assignment=assignment, reason="other"),
    ]
    for attempt in attempts:
        with pytest.raises(RatingConflict) as raised:
            attempt()
        assert raised.value.code == "campaign_closed"
    assert Rating.objects.count() == 1
    campaign_reopen(campaign=campaign)
    assert rating_submit(assignment=assignment, value=3).revision == 1


# --------------------------------------------------------------------------------------------
# Progress


def test_progress_reports_completion_times_flags_and_gold_accuracy(
    finished_run, panel, expert1, expert2
):
    gold_trial = finished_run.trials.order_by("pk").first()
    campaign = campaign_create(
        skip_review=True,
        name="Progress",
        run=finished_run,
        panel=panel,
        areas=["R"],
        languages=["en"],
        gold=[GoldUnit(trial_id=gold_trial.pk, expected_min=4, expected_max=5)],
    )
    gold_unit = campaign.units.get(is_gold=True)
    gold_of = {
        user: Assignment.objects.get(unit=gold_unit, expert__user=user)
        for user in (expert1, expert2)
    }
    rating_submit(assignment=gold_of[expert1], value=2, flags=["unsafe"])
    rating_revise(assignment=gold_of[expert1], value=5)  # the latest revision counts
    rating_submit(assignment=gold_of[expert2], value=1, flags=["identifies_model"])
    other = Assignment.objects.filter(campaign=campaign, expert__user=expert2).exclude(
        unit=gold_unit
    )[0]
    assignment_skip(assignment=other, reason="other")
    Assignment.objects.filter(pk=gold_of[expert1].pk).update(server_seconds=30.0)
    Assignment.objects.filter(pk=gold_of[expert2].pk).update(server_seconds=50.0)

    progress = campaign_progress(campaign=campaign)
    assert progress.units == 4 and progress.assigned == 12
    assert (progress.submitted, progress.skipped) == (2, 1)
    assert progress.median_server_seconds == 40.0
    # expert1's latest revision has no flag; expert2 flagged the gold unit.
    assert progress.flagged_units == 1
    assert progress.flag_counts == {
        "truncated": 0,
        "identifies_model": 1,
        "off_task": 0,
        "unsafe": 0,
    }
    by_name = {row.username: row for row in progress.experts}
    assert by_name[expert1.username].gold_accuracy == 1.0
    assert by_name[expert2.username].gold_accuracy == 0.0
    assert by_name[expert2.username].left == 2
    assert by_name[expert1.username].completion == 0.25


# --------------------------------------------------------------------------------------------
# Experts and commands


def test_invite_creates_an_expert_without_password_and_a_one_time_link(client):
    panel = Panel.objects.create(name="Invited")
    invitation = expert_invite(
        username="nora", languages=["zh-hans"], areas=["S", "A"], panels=[panel]
    )
    user = invitation.profile.user
    assert not user.has_usable_password()
    assert user.groups.filter(name="expert").exists()
    assert list(panel.experts.all()) == [invitation.profile]
    form_page = client.get(invitation.set_password_path, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    new_password = "a-long-and-unusual-passphrase-42"
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    user.refresh_from_db()
    assert user.check_password(new_password)
    # The same link no longer works once the password is set.
    assert not client.get(invitation.set_password_path, follow=True).context["validlink"]


def test_invite_refuses_a_taken_username_and_unknown_areas(expert1):
    with pytest.raises(ValidationError) as raised:
        expert_invite(username=expert1.username, languages=["en"], areas=["Z"])
    assert set(raised.value.message_dict) == {"username", "areas"}
    assert get_user_model().objects.filter(username=expert1.username).count() == 1


def test_invite_expert_command_prints_the_link(capsys):
    call_command(
        "invite_expert",
        "olga",
        "--languages",
        "en",
        "--areas",
        "r",
        "i",
        "--panel",
        "Panel B",
        "--base-url",
        "https://study.example.org",
    )
    output = capsys.readouterr().out
    assert re.search(r"https://study\.example\.org/accounts/set-password/\w+/[\w-]+/", output)
    profile = Panel.objects.get(name="Panel B").experts.get()
    assert profile.areas == ["R", "I"]


def test_create_campaign_command_creates_and_reports(finished_run, panel, capsys):
    call_command(
        "create_campaign",
        "--name",
        "From the shell",
        "--run",
        str(finished_run.pk),
        "--panel",
        panel.name,
        "--endpoints",
        "Zephyrion-Ultra",
        "--areas",
        "s",
        "--raters-per-unit",
        "2",
        "--seed",
        "5",
    )
    assert "4 units, 8 assignments, seed 5" in capsys.readouterr().out
    campaign = Campaign.objects.get(name="From the shell")
    assert [e.name for e in campaign.endpoints.all()] == ["Zephyrion-Ultra"]


def test_create_campaign_command_reports_refusals(finished_run, panel):
    with pytest.raises(CommandError, match="raters_per_unit: 5 raters per unit"):
        call_command(
            "create_campaign",
            "--name",
            "Too many",
            "--run",
            str(finished_run.pk),
            "--panel",
            panel.name,
            "--raters-per-unit",
            "5",
        )
    assert not Campaign.objects.exists()
