"""Two submissions of the same assignment at the same moment, on two PostgreSQL connections.

The assignment row is locked (SELECT ... FOR UPDATE) for the whole submission, so the second
one sees the first one's result: the same submission id is recognised and returns the same
rating; a different one is refused as already submitted. Either way there is one rating.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connection

from ratings.models import Assignment, Rating
from ratings.services import RatingConflict, rating_submit

pytestmark = [pytest.mark.integration]

ROUNDS = 6


def _at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each result or raised exception is kept."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _assignments(campaign, expert_user) -> list[Assignment]:
    return list(
        Assignment.objects.filter(campaign=campaign, expert__user=expert_user).order_by("position")[
            :ROUNDS
        ]
    )


def test_double_submission_with_one_id_makes_one_rating(
    integration_services, transactional_db, campaign, expert1
):
    assert connection.vendor == "postgresql"
    for assignment in _assignments(campaign, expert1):
        submission = uuid.uuid4()
        results = _at_once(
            [
                lambda a=assignment, s=submission: rating_submit(
                    assignment=a, value=4, submission_id=s
                )
            ]
            * 2
        )
        assert all(isinstance(result, Rating) for result in results), results
        assert results[0].pk == results[1].pk
        assert Rating.objects.filter(assignment=assignment).count() == 1


def test_two_different_submissions_make_one_rating_and_one_conflict(
    integration_services, transactional_db, campaign, expert1
):
    assert connection.vendor == "postgresql"
    for assignment in _assignments(campaign, expert1):
        results = _at_once(
            [
                lambda a=assignment, v=value: rating_submit(
                    assignment=a, value=v, submission_id=uuid.uuid4()
                )
                for value in (2, 5)
            ]
        )
        ratings = [result for result in results if isinstance(result, Rating)]
        conflicts = [result for result in results if isinstance(result, RatingConflict)]
        assert len(ratings) == 1 and len(conflicts) == 1, results
        assert conflicts[0].code == "already_submitted"
        stored = Rating.objects.get(assignment=assignment)
        assert (stored.revision, stored.value) == (1, ratings[0].value)
