"""The campaign data revision moves with every change a statistic could see, whoever makes it.

Database triggers keep it (row-level on SQLite, statement-level on PostgreSQL); these tests run
on whichever database the suite runs on, so both are covered between the local run and CI.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from ratings.services.rating import assignment_open, draft_save, rating_revise, rating_submit
from ratings.stats_selectors import campaign_data_version
from tests.ratings.stats_builders import build_rated_campaign

pytestmark = pytest.mark.django_db


def _cell(item: int):
    return ("Model-A", "en", item, 1)


@pytest.fixture
def built(instrument):
    return build_rated_campaign(
        instrument,
        ratings={
            "E-AAAAAA": {_cell(1): 3, _cell(2): None, _cell(3): None},
            "E-BBBBBB": {_cell(1): 4, _cell(2): 2},
        },
    )


def _revision(campaign) -> int:
    (revision,) = campaign_data_version(campaign_id=campaign.pk)
    return revision


class _Moves:
    """Asserts that the block moves (or leaves) the campaign's revision."""

    def __init__(self, campaign, *, moves: bool = True):
        self.campaign, self.moves = campaign, moves

    def __enter__(self):
        self.before = _revision(self.campaign)

    def __exit__(self, *exc_info):
        if exc_info[0] is not None:
            return False
        after = _revision(self.campaign)
        if self.moves:
            assert after > self.before, "the change left the data revision where it was"
        else:
            assert after == self.before, "a change no statistic sees moved the data revision"
        return False


def test_a_built_campaign_has_a_revision(built):
    assert _revision(built.campaign) > 0


def test_rating_services_move_the_revision(built):
    from ratings.models import AssignmentStatus

    pending = built.assignments[("E-AAAAAA", _cell(2))]
    with _Moves(built.campaign):
        rating_submit(assignment=pending, value=5)
    with _Moves(built.campaign):
        rating_revise(assignment=pending, value=4)
    other = built.assignments[("E-AAAAAA", _cell(3))]
    with _Moves(built.campaign):
        draft_save(assignment=other, value=2)  # pending -> draft
    other.refresh_from_db()
    assert other.status == AssignmentStatus.DRAFT


def test_opening_a_unit_or_editing_a_draft_leaves_the_revision(built):
    pending = built.assignments[("E-AAAAAA", _cell(3))]
    draft_save(assignment=pending, value=2)
    with _Moves(built.campaign, moves=False):
        assignment_open(assignment=pending)
        draft_save(assignment=pending, value=3, comment="still thinking")


def test_orm_writes_of_every_kind_move_the_revision(built):
    from ratings.models import Assignment, AssignmentStatus, Rating, SkipReason, Unit

    campaign = built.campaign
    assignment = built.assignments[("E-AAAAAA", _cell(3))]
    with _Moves(campaign):  # a save of the status (what the skip service does)
        assignment.status = AssignmentStatus.SKIPPED
        assignment.skip_reason = SkipReason.OUTSIDE_EXPERTISE
        assignment.save(update_fields=["status", "skip_reason"])
    with _Moves(campaign):  # a bulk update of a queryset
        Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.PENDING)
    with _Moves(campaign):  # a rating inserted directly
        rating = Rating.objects.create(assignment=assignment, value=1)
    with _Moves(campaign):  # a rating changed in place
        Rating.objects.filter(pk=rating.pk).update(value=2)
    with _Moves(campaign):  # a rating deleted
        rating.delete()
    with _Moves(campaign):  # ratings of several assignments deleted in one statement
        Rating.objects.filter(assignment__campaign=campaign).delete()
    with _Moves(campaign):  # assignments deleted (their ratings go with them)
        Assignment.objects.filter(pk=assignment.pk).delete()
    unit = built.units[_cell(2)]
    with _Moves(campaign):  # a unit changed
        Unit.objects.filter(pk=unit.pk).update(is_gold=True, expected_min=1, expected_max=2)
    with _Moves(campaign):  # a unit deleted with its assignments
        unit.delete()


def test_raw_sql_and_bulk_inserts_move_the_revision(built):
    from ratings.models import Assignment, AssignmentStatus, Rating

    campaign = built.campaign
    with _Moves(campaign), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ratings_rating SET value = 1 WHERE assignment_id IN "
            "(SELECT id FROM ratings_assignment WHERE campaign_id = %s)",
            [campaign.pk],
        )
    expert = built.experts["E-BBBBBB"]
    with _Moves(campaign):
        created = Assignment.objects.bulk_create(
            [
                Assignment(
                    campaign=campaign,
                    unit=built.units[_cell(3)],
                    expert=expert,
                    position=50,
                    status=AssignmentStatus.SUBMITTED,
                )
            ]
        )
    with _Moves(campaign):
        Rating.objects.bulk_create([Rating(assignment=created[0], value=4)])


def test_a_rolled_back_change_leaves_the_revision(built):
    from ratings.models import Rating

    assignment = built.assignments[("E-AAAAAA", _cell(2))]
    with _Moves(built.campaign, moves=False), pytest.raises(RuntimeError), transaction.atomic():
        Rating.objects.create(assignment=assignment, value=5)
        raise RuntimeError("abandon the change")


def test_one_campaign_s_changes_leave_another_s_revision(instrument, built):
    other = build_rated_campaign(
        instrument,
        ratings={"E-CCCCCC": {_cell(4): None}},
        run=built.run,
        endpoints=built.endpoints,
        name="Another campaign",
    )
    pending = built.assignments[("E-AAAAAA", _cell(2))]
    with _Moves(other.campaign, moves=False):
        rating_submit(assignment=pending, value=5)
    with _Moves(built.campaign, moves=False):
        rating_submit(assignment=other.assignments[("E-CCCCCC", _cell(4))], value=3)


def test_the_agreement_frame_holds_the_full_frame_s_ratings_and_gives_the_same_alpha(built):
    """Overall alpha reads a narrow frame (ids); it must see exactly the ratings of the full one."""
    from ratings.stats import alpha
    from ratings.stats_selectors import campaign_agreement_frame, campaign_ratings_frame

    rating_submit(assignment=built.assignments[("E-AAAAAA", _cell(2))], value=1)
    rating_revise(assignment=built.assignments[("E-AAAAAA", _cell(1))], value=5)  # was 3
    full = campaign_ratings_frame(campaign_id=built.campaign.pk)
    narrow = campaign_agreement_frame(campaign_id=built.campaign.pk)
    assert len(narrow) == len(full) == 4
    assert narrow["value"].tolist() == full["value"].tolist() == [5.0, 1.0, 4.0, 2.0]
    options = {"bootstrap": 200, "seed": 7, "value_domain": (1, 2, 3, 4, 5)}
    assert alpha(narrow, **options).to_dict() == alpha(full, **options).to_dict()
